"""« Statistiques d'accompagnement » (scoped figures, charts over accessible tables, CSV) and the
« Cartographie des coordinateurs » (list with filters and an offline SVG map by département)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort, g, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, Regexp

from app.extensions import db
from app.models import Conseiller, Departement, Structure
from app.security.scope import clause_for, current_scope, departements_in_scope
from app.statistiques import calculs, carte
from app.statistiques.models import NIVEAUX_COORDINATION, PerimetreCoordination
from app.statistiques.saisie import DATE_MIN, PARIS
from app.views.base import ModelInterface, ScopedModelView, csv_response, export_filename, record_export

OPTIONS_MAX = 2000


def _aujourd_hui() -> date:
    return datetime.now(PARIS).date()


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def periodes_predefinies(aujourd_hui: date) -> list[tuple[str, date, date]]:
    debut_12 = (aujourd_hui.replace(day=1) - timedelta(days=330)).replace(day=1)
    return [
        ("Mois en cours", aujourd_hui.replace(day=1), aujourd_hui),
        ("12 derniers mois", debut_12, aujourd_hui),
        ("Année en cours", aujourd_hui.replace(month=1, day=1), aujourd_hui),
        ("Depuis le début du dispositif", DATE_MIN, aujourd_hui),
    ]


def departements_du_perimetre() -> list[Departement]:
    scope = current_scope()
    query = select(Departement).where(departements_in_scope(scope)).order_by(Departement.code)
    if scope.national:
        query = query.where(Departement.est_com.is_(False))
    return db.session.scalars(query).all()


def lire_filtres(args) -> tuple[calculs.Filtres, dict, list[str]]:
    """Filters from the query string; anything outside the user's scope is dropped."""
    erreurs: list[str] = []
    aujourd_hui = _aujourd_hui()
    fin = _parse_date(args.get("fin")) or aujourd_hui
    debut = _parse_date(args.get("debut")) or periodes_predefinies(aujourd_hui)[1][1]
    if args.get("debut") and _parse_date(args.get("debut")) is None:
        erreurs.append("La date de début n'est pas une date valide.")
    if args.get("fin") and _parse_date(args.get("fin")) is None:
        erreurs.append("La date de fin n'est pas une date valide.")
    if fin > aujourd_hui:
        fin = aujourd_hui
    if debut < DATE_MIN:
        debut = DATE_MIN
    if debut > fin:
        erreurs.append("La date de début doit précéder la date de fin : la période a été inversée.")
        debut, fin = fin, debut

    scope = current_scope()
    departements = departements_du_perimetre()
    departement = (args.get("departement") or "").strip()
    if departement not in {d.code for d in departements}:
        departement = ""
    if len(departements) == 1:
        departement = departements[0].code

    structures: list[Structure] = []
    if departement or scope.structure_ids or scope.conseiller_ids:
        query = select(Structure).where(clause_for(Structure)).order_by(Structure.nom).limit(OPTIONS_MAX)
        if departement:
            query = query.where(Structure.departement_code == departement)
        structures = db.session.scalars(query).all()
    structure_id = args.get("structure", type=int)
    if structure_id not in {s.id for s in structures}:
        structure_id = None
    if len(structures) == 1 and not scope.regions and not scope.departements and not scope.national:
        structure_id = structures[0].id

    conseillers: list[Conseiller] = []
    if structure_id or scope.conseiller_ids:
        query = (select(Conseiller).where(clause_for(Conseiller)).order_by(Conseiller.nom, Conseiller.prenom)
                 .limit(OPTIONS_MAX))
        if structure_id:
            query = query.where(Conseiller.structure_id == structure_id)
        conseillers = db.session.scalars(query).all()
    conseiller_id = args.get("conseiller", type=int)
    if conseiller_id not in {c.id for c in conseillers}:
        conseiller_id = None

    filtres = calculs.Filtres(debut=debut, fin=fin, departement=departement, structure_id=structure_id,
                              conseiller_id=conseiller_id)
    choix = {"departements": departements, "structures": structures, "conseillers": conseillers,
             "national": scope.national}
    return filtres, choix, erreurs


def _libelle_filtres(filtres: calculs.Filtres, choix: dict) -> str:
    parts = [f"du {filtres.debut.strftime('%d/%m/%Y')} au {filtres.fin.strftime('%d/%m/%Y')}"]
    for key, items, attr in (("departement", choix["departements"], "code"),
                             ("structure_id", choix["structures"], "id"),
                             ("conseiller_id", choix["conseillers"], "id")):
        value = getattr(filtres, key)
        if value:
            item = next((i for i in items if getattr(i, attr) == value), None)
            if item is not None:
                parts.append(str(item) if key != "structure_id" else item.nom)
    return ", ".join(parts)


def _nombre(value: int | float) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _pourcent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " %"


class StatistiquesView(BaseView):
    route_base = "/statistiques"
    class_permission_name = "Statistiques"
    default_view = "index"
    method_permission_name = {"index": "list", "export": "export"}

    @expose("/")
    @has_access
    def index(self):
        filtres, choix, erreurs = lire_filtres(request.args)
        resultat = calculs.calculer(filtres)
        territoires = None
        if not filtres.departement and (choix["national"] or len(choix["departements"]) > 1):
            territoires = calculs.par_departement(filtres)
        return self.render_template(
            "statistiques/index.html", resultat=resultat, filtres=filtres, choix=choix, erreurs=erreurs,
            libelle=_libelle_filtres(filtres, choix), periodes=periodes_predefinies(_aujourd_hui()),
            territoires=territoires, nombre=_nombre, pourcent=_pourcent, territoire=g.user.territoire_label,
            peut_exporter=self.appbuilder.sm.has_access("can_export", self.class_permission_name),
        )

    @expose("/export.csv")
    @has_access
    def export(self):
        filtres, choix, _ = lire_filtres(request.args)
        resultat = calculs.calculer(filtres)
        record_export("statistiques", request.query_string.decode("utf-8", "replace"))
        rows = [["Période", "Début", filtres.debut.strftime("%d/%m/%Y"), ""],
                ["Période", "Fin", filtres.fin.strftime("%d/%m/%Y"), ""],
                ["Périmètre", "Filtres", _libelle_filtres(filtres, choix), ""],
                ["Totaux", "Accompagnements", resultat.nb_cra, ""],
                ["Totaux", "Personnes accompagnées", resultat.nb_participants, ""]]
        for rep in resultat.repartitions:
            for _code, label, value in rep.lignes:
                rows.append([rep.titre, label, value, f"{rep.part(value):.1f}".replace(".", ",")])
        if not filtres.departement and (choix["national"] or len(choix["departements"]) > 1):
            for code, nom, nb, personnes in calculs.par_departement(filtres):
                rows.append(["Accompagnements par département", f"{nom} ({code})", nb, ""])
                rows.append(["Personnes accompagnées par département", f"{nom} ({code})", personnes, ""])
        return csv_response(export_filename("statistiques"), ["Indicateur", "Catégorie", "Valeur", "Part (%)"], rows)


# --- Coordinators --------------------------------------------------------------------------------

class CoordinateursView(BaseView):
    """Every active coordinator of the user's territory, with its structure, commune and territory."""

    route_base = "/coordinateurs"
    class_permission_name = "Coordinateurs"
    default_view = "cartographie"
    method_permission_name = {"cartographie": "list", "export": "export"}

    def _lignes(self, args):
        departements = departements_du_perimetre()
        departement = (args.get("departement") or "").strip()
        if departement not in {d.code for d in departements}:
            departement = ""
        niveau = args.get("niveau") or ""
        if niveau not in NIVEAUX_COORDINATION:
            niveau = ""
        recherche = (args.get("q") or "").strip()[:100]
        coordinateurs = carte.coordinateurs()
        lignes = [c for c in coordinateurs
                  if (not departement or departement in c.departements or c.departement_structure == departement)
                  and (not niveau or c.niveau == niveau)
                  and (not recherche or carte.correspond(recherche, c))]
        return coordinateurs, lignes, {"departement": departement, "niveau": niveau, "q": recherche}, departements

    @expose("/")
    @has_access
    def cartographie(self):
        coordinateurs, lignes, filtres, departements = self._lignes(request.args)
        scope = current_scope()
        visibles = None if scope.national else {d.code for d in departements} | {
            code for c in coordinateurs for code in (*c.departements, c.departement_structure)}
        svg = carte.svg(coordinateurs, visibles=visibles, selection=filtres["departement"],
                        lien=lambda code: f"?departement={code}#liste")
        return self.render_template(
            "statistiques/coordinateurs.html", lignes=lignes, total=len(coordinateurs), filtres=filtres,
            departements=departements, niveaux=NIVEAUX_COORDINATION, svg=svg, legende=carte.LEGENDE,
            peut_exporter=self.appbuilder.sm.has_access("can_export", self.class_permission_name),
        )

    @expose("/export.csv")
    @has_access
    def export(self):
        _, lignes, filtres, _ = self._lignes(request.args)
        record_export("coordinateurs", str(filtres))
        rows = ([c.id, c.nom, c.email, c.structure, c.structure_id, c.commune, c.departement_structure,
                 c.niveau_label, c.territoire, ", ".join(c.departements)] for c in lignes)
        return csv_response(export_filename("coordinateurs"),
                            ["ID conseiller", "Coordinateur", "Courriel professionnel", "Structure", "ID structure",
                             "Commune", "Département de la structure", "Niveau", "Territoire coordonné",
                             "Départements couverts"], rows)


def _codes_departements(form, field):
    from wtforms.validators import ValidationError

    codes = [c.strip().upper() for c in (field.data or "").split(",") if c.strip()]
    connus = set(db.session.scalars(select(Departement.code).where(Departement.code.in_(codes))))
    inconnus = [c for c in codes if c not in connus]
    if inconnus:
        raise ValidationError(f"Départements inconnus : {', '.join(inconnus)}.")
    field.data = ",".join(dict.fromkeys(codes))


class PerimetreCoordinationView(ScopedModelView):
    """ANCT records the territory each coordinator coordinates (shown on the map)."""

    datamodel = ModelInterface(PerimetreCoordination)
    class_permission_name = "PerimetreCoordination"
    route_base = "/coordination/perimetres"
    list_title = "Territoires coordonnés"
    show_title = "Territoire coordonné"
    add_title = "Renseigner le territoire d'un coordinateur"
    edit_title = "Modifier le territoire coordonné"
    list_columns = ["conseiller", "structure", "niveau_label", "libelle", "departements"]
    show_columns = ["conseiller", "structure", "niveau_label", "libelle", "departements", "updated_at"]
    add_columns = edit_columns = ["conseiller", "niveau", "libelle", "departements"]
    search_columns = ["libelle", "niveau", "departements"]
    order_columns = ["libelle", "departements"]
    base_order = ("libelle", "asc")
    label_columns = {"conseiller": "Coordinateur", "structure": "Structure", "niveau": "Niveau",
                     "niveau_label": "Niveau", "libelle": "Territoire coordonné",
                     "departements": "Départements couverts (codes séparés par des virgules)",
                     "updated_at": "Dernière modification"}
    add_form_extra_fields = edit_form_extra_fields = {
        "niveau": SelectField("Niveau", choices=list(NIVEAUX_COORDINATION.items()), validators=[DataRequired()]),
    }
    validators_columns = {
        "libelle": [DataRequired(), Length(max=255)],
        "departements": [DataRequired(), Regexp(r"^[0-9AB, ]+$", message="Codes de départements attendus."),
                         _codes_departements],
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "conseiller": [["est_coordinateur", FilterEqual, True]],
    }

    def pre_add(self, item):
        self._structure(item)

    def pre_update(self, item):
        self._structure(item)

    @staticmethod
    def _structure(item: PerimetreCoordination) -> None:
        if item.conseiller is None or item.conseiller.structure_id is None:
            abort(400)
        item.structure_id = item.conseiller.structure_id

    export_name = "territoires_coordonnes"

    @staticmethod
    def export_options():
        return [selectinload(PerimetreCoordination.conseiller), selectinload(PerimetreCoordination.structure)]

    export_columns = [
        ("Coordinateur", lambda p: p.conseiller.nom_complet), ("Structure", lambda p: p.structure.nom),
        ("Niveau", lambda p: p.niveau_label), ("Territoire coordonné", lambda p: p.libelle),
        ("Départements couverts", lambda p: p.departements),
    ]
