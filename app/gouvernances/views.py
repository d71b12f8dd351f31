"""Screens of the gouvernances package (préfets, ANCT, hubs) and their registration.

    /gouvernance/                                   -> the user's département page (or a choice)
    /gouvernance/departement/<code>                 counters, actors with badges, contacts, gouvernances pressenties
    /gouvernance/departement/<code>/contacts.csv    contacts CSV
    /gouvernance/departement/<code>/remonter        « Remonter une gouvernance pressentie »
    /gouvernance/pressentie/<id>                    printable page
    /gouvernance/pressentie/<id>/modifier           edit (until the deadline)
    /gouvernance/pressentie/<id>/supprimer          soft delete (until the deadline)
    /gouvernance/participation/<id>                 one participation form, as sent
    /gouvernance/pressenties/ (+ export.csv)        ANCT national list with filters
    /tableau-de-bord/ , /tableau-de-bord/<code>, /tableau-de-bord/national
    /calendrier/ , /calendrier/<cle>                campaign milestones (ANCT edits)
    /hubs/…                                         AMI Hubs (ANCT)

Views are thin: rules live in participation.py, pressenties.py, gouvernance.py, tableau_de_bord.py and
calendrier.py. Every read goes through the user's scope (app/security/scope.py).
"""

from __future__ import annotations

from datetime import date, time

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import or_, select
from wtforms.validators import NumberRange, Optional

from app.errors import error_response
from app.extensions import db
from app.gouvernances import calendrier, gouvernance, pressenties
from app.gouvernances import tableau_de_bord as tdb
from app.gouvernances.erreurs import ErreurGouvernance, ValidationErreur
from app.gouvernances.models import PERIMETRES, GouvernancePressentie, Hub, Participation
from app.models.territoires import Departement, Region
from app.models.utilisateurs import Utilisateur
from app.security import roles
from app.security.scope import Scope, current_scope, departements_in_scope, get_in_scope_or_404
from app.views.base import ModelInterface, csv_response, export_filename, record_export
from app.views.structures import valid_siret


def _choisir_departement(view, cible: str, titre: str):
    """A user with one département goes straight to it; others choose among theirs."""
    departements = _departements_du_perimetre()
    scope = current_scope()
    if not scope.national and len(departements) == 1:
        return redirect(url_for(cible, code=departements[0].code))
    return view.render_template("gouvernances/choisir_departement.html", departements=departements,
                                national=scope.national, cible=cible, titre=titre)


def _departement_visible(code: str) -> Departement:
    """A département of the user's territory, else 404 (out of scope looks like absent)."""
    departement = db.session.get(Departement, (code or "").upper()[:3])
    if departement is None or not current_scope().includes_territory(departement.region_code, departement.code):
        abort(404)
    return departement


def _departements_du_perimetre() -> list[Departement]:
    return list(db.session.scalars(select(Departement).order_by(Departement.code).where(
        Departement.est_com.is_(False), departements_in_scope(current_scope()))))


def _echeance_contexte() -> dict:
    cle = calendrier.GOUVERNANCES_PRESSENTIES
    limite = calendrier.echeance(cle)
    return {"echeance": limite, "echeance_texte": calendrier.format_echeance(limite),
            "modifiable_jusqu_au": calendrier.libelle_modifiable(cle),
            "echeance_depassee": calendrier.echeance_depassee(cle)}


def _refus_ecriture(departement_code: str, quoi: str):
    """The error page when the user may not write this département's gouvernances now, else None."""
    if not pressenties.peut_ecrire(g.user, departement_code):
        return error_response(403, f"Seule la préfecture du département peut {quoi}.")
    try:
        calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES)
    except ErreurGouvernance as exc:
        return error_response(exc.status, exc.message)
    return None


def _action() -> tuple[str, str, int | None]:
    raw = request.form.get("action", "deposer")
    name, _, rest = raw.partition(":")
    key, _, index = rest.partition(":")
    return name, key, int(index) if index.isdigit() and len(index) < 5 else None


class GouvernanceView(BaseView):
    route_base = "/gouvernance"
    class_permission_name = "Gouvernance"
    default_view = "index"
    # Stable permission names: lire (pages), contacts (CSV of personal data), ecrire (pressenties),
    # national (ANCT's national list).
    method_permission_name = {
        "index": "lire", "departement": "lire", "imprimer": "lire", "participation": "lire",
        "contacts": "contacts", "remonter": "ecrire", "modifier": "ecrire", "supprimer": "ecrire",
        "national": "national", "national_csv": "national",
    }

    @expose("/")
    @has_access
    def index(self):
        return _choisir_departement(self, "GouvernanceView.departement", "Gouvernance de l'inclusion numérique")

    @expose("/departement/<code>")
    @has_access
    def departement(self, code: str):
        dep = _departement_visible(code)
        scope = Scope(departements=frozenset({dep.code}))
        formulaires = gouvernance._formulaires(scope)
        return self.render_template(
            "gouvernances/departement.html", departement=dep, compteurs=gouvernance.compteurs(scope),
            acteurs=gouvernance.acteurs(scope, formulaires), contacts=gouvernance.lignes_contacts(scope, formulaires),
            colonnes=gouvernance.CSV_COLONNES, formulaires=formulaires,
            pressenties=list(db.session.scalars(pressenties.actives(departement_code=dep.code))),
            peut_ecrire=pressenties.peut_ecrire(g.user, dep.code), perimetres=PERIMETRES,
            peut_exporter=self.appbuilder.sm.has_access("can_contacts", "Gouvernance"),
            **_echeance_contexte())

    @expose("/departement/<code>/contacts.csv")
    @has_access
    def contacts(self, code: str):
        dep = _departement_visible(code)
        lignes = gouvernance.lignes_contacts(Scope(departements=frozenset({dep.code})))
        record_export("gouvernance-contacts", f"departement={dep.code}")
        return csv_response(export_filename(f"gouvernance-contacts-{dep.code}"), gouvernance.CSV_COLONNES,
                            lignes)

    # --- gouvernances pressenties ------------------------------------------------------------------

    def _formulaire(self, *, departement: Departement, gouvernance_pressentie: GouvernancePressentie | None,
                    action_url: str, reponses: dict, form=None, erreurs=None, recherches=None, status=200,
                    message=None):
        from app.formulaires.rendu import build_form

        version = pressenties.version_courante()
        definition = version.definition
        form = form or build_form(definition, reponses=reponses)
        options = {"departements": [(departement.code, f"{departement.code} — {departement.nom}")]}
        return self.render_template(
            "gouvernances/pressentie_formulaire.html", definition=definition, version=version, form=form,
            erreurs=erreurs or {}, visibles=form.visibles(), options=options, recherches=recherches or {},
            departement=departement, gouvernance=gouvernance_pressentie, action_url=action_url, message=message,
            cle_departement=pressenties.cles(definition).get("departement"), **_echeance_contexte()), status

    def _post_formulaire(self, departement: Departement, gouvernance_pressentie: GouvernancePressentie | None,
                         action_url: str):
        from app.formulaires.rendu import build_form
        from app.formulaires.types_champs import TYPES
        from app.formulaires.views import rechercher_collectivites

        reponses = pressenties.reponses_initiales(gouvernance_pressentie, departement.code)
        definition = pressenties.version_courante().definition
        form = build_form(definition, formdata=request.form, reponses=reponses)
        if not form.validate():  # CSRF
            abort(400)
        action, key, index = _action()
        contexte = dict(departement=departement, gouvernance_pressentie=gouvernance_pressentie, action_url=action_url,
                        reponses=reponses, form=form)
        if action in ("ajouter", "retirer") and key in form._fields and form[key].spec.get("type") == "group":
            form[key].ajouter() if action == "ajouter" else (index is not None and form[key].retirer(index))
            return self._formulaire(**contexte)
        if action == "chercher":
            spec = form[key].spec if key in form._fields else None
            if spec is None or spec.get("type") != "collectivite":
                abort(400)
            q = request.form.get(f"{key}__recherche", "")
            resultats = rechercher_collectivites(q, TYPES["collectivite"].types(spec))
            return self._formulaire(recherches={key: {"q": q, "resultats": resultats, "fait": True}}, **contexte)
        try:
            if gouvernance_pressentie is None:
                resultat = pressenties.remonter(departement.code, g.user, form.brut())
                flash("La gouvernance pressentie a bien été remontée.", "success")
            else:
                resultat = pressenties.modifier(gouvernance_pressentie, g.user, form.brut())
                flash("La gouvernance pressentie a bien été modifiée.", "success")
        except ValidationErreur as exc:
            form.appliquer_erreurs(exc.erreurs)
            return self._formulaire(erreurs=exc.erreurs, status=400, message=exc.message, **contexte)
        except ErreurGouvernance as exc:
            return error_response(exc.status, exc.message)
        return redirect(url_for("GouvernanceView.departement", code=departement.code) + f"#gouvernance-{resultat.id}")

    @expose("/departement/<code>/remonter", methods=["GET", "POST"])
    @has_access
    def remonter(self, code: str):
        dep = _departement_visible(code)
        action_url = url_for("GouvernanceView.remonter", code=dep.code)
        refus = _refus_ecriture(dep.code, "remonter une gouvernance pressentie")
        if refus:
            return refus
        if request.method == "POST":
            return self._post_formulaire(dep, None, action_url)
        return self._formulaire(departement=dep, gouvernance_pressentie=None, action_url=action_url,
                                reponses=pressenties.reponses_initiales(None, dep.code))

    def _pressentie(self, pk: int) -> GouvernancePressentie:
        try:
            return pressenties.charger(pk)
        except ErreurGouvernance:
            abort(404)

    @expose("/pressentie/<int:pk>/modifier", methods=["GET", "POST"])
    @has_access
    def modifier(self, pk: int):
        gp = self._pressentie(pk)
        dep = gp.departement
        refus = _refus_ecriture(dep.code, "modifier cette gouvernance pressentie")
        if refus:
            return refus
        action_url = url_for("GouvernanceView.modifier", pk=gp.id)
        if request.method == "POST":
            return self._post_formulaire(dep, gp, action_url)
        return self._formulaire(departement=dep, gouvernance_pressentie=gp, action_url=action_url,
                                reponses=pressenties.reponses_initiales(gp, dep.code))

    @expose("/pressentie/<int:pk>/supprimer", methods=["GET", "POST"])
    @has_access
    def supprimer(self, pk: int):
        gp = self._pressentie(pk)
        if request.method == "POST":
            try:
                pressenties.supprimer(gp, g.user)
            except ErreurGouvernance as exc:
                return error_response(exc.status, exc.message)
            flash("La gouvernance pressentie a été supprimée.", "success")
            return redirect(url_for("GouvernanceView.departement", code=gp.departement_code))
        refus = _refus_ecriture(gp.departement_code, "supprimer cette gouvernance pressentie")
        if refus:
            return refus
        return self.render_template("gouvernances/pressentie_supprimer.html", gouvernance=gp)

    @expose("/pressentie/<int:pk>")
    @has_access
    def imprimer(self, pk: int):
        gp = self._pressentie(pk)
        return self.render_template("gouvernances/pressentie_imprimer.html", gouvernance=gp,
                                    soumission=pressenties.soumission_de(gp), **_echeance_contexte())

    @expose("/participation/<int:pk>")
    @has_access
    def participation(self, pk: int):
        p = get_in_scope_or_404(Participation, pk)
        if p.statut != "envoye":
            abort(404)
        return self.render_template("gouvernances/participation_detail.html", p=p)

    # --- ANCT: the national list ------------------------------------------------------------------

    def _filtres(self):
        args = request.args
        filtres = {
            "region": (args.get("region") or "")[:3],
            "departement": (args.get("departement") or "")[:3].upper(),
            "perimetre": args.get("perimetre") if args.get("perimetre") in PERIMETRES else "",
            "q": (args.get("q") or "").strip()[:100],
        }
        query = pressenties.actives()
        if filtres["region"]:
            query = query.where(GouvernancePressentie.region_code == filtres["region"])
        if filtres["departement"]:
            query = query.where(GouvernancePressentie.departement_code == filtres["departement"])
        if filtres["perimetre"]:
            query = query.where(GouvernancePressentie.perimetre == filtres["perimetre"])
        if filtres["q"]:
            motif = f"%{filtres['q'].lower()}%"
            from sqlalchemy import func

            query = query.where(or_(func.lower(GouvernancePressentie.porteur_nom).like(motif, escape="\\"),
                                    GouvernancePressentie.porteur_siret == filtres["q"]))
        return filtres, query

    @expose("/pressenties/")
    @has_access
    def national(self):
        filtres, query = self._filtres()
        lignes = list(db.session.scalars(query.limit(1000)))
        regions = list(db.session.scalars(select(Region).order_by(Region.nom)))
        departements = list(db.session.scalars(select(Departement).order_by(Departement.code)))
        return self.render_template("gouvernances/national.html", lignes=lignes, filtres=filtres, regions=regions,
                                    departements=departements, perimetres=PERIMETRES, **_echeance_contexte())

    @expose("/pressenties/export.csv")
    @has_access
    def national_csv(self):
        filtres, query = self._filtres()
        record_export("gouvernances-pressenties", ", ".join(f"{k}={v}" for k, v in filtres.items() if v))
        colonnes = ["ID", "Département", "Région", "Périmètre", "Porteur", "SIRET du porteur",
                    "SIRET des structures recruteuses", "Note de contexte", "Déposée le", "Déposée par",
                    "Modifiée le", "Modifiée par"]
        from app.formulaires.types_champs import TexteRiche
        from app.templating import date_fr

        def lignes():
            for gp in db.session.scalars(query):
                yield [gp.id, gp.departement_code, gp.region_code, gp.perimetre_label, gp.porteur_nom,
                       gp.porteur_siret, " ".join(gp.sirets_recruteurs or []),
                       TexteRiche.plain(gp.note_contexte or ""), date_fr(gp.cree_le), gp.cree_par_nom,
                       date_fr(gp.modifie_le), gp.modifie_par_nom]

        return csv_response(export_filename("gouvernances-pressenties"), colonnes, lignes())


# --- Tableau de bord ------------------------------------------------------------------------------

class TableauDeBordView(BaseView):
    route_base = "/tableau-de-bord"
    class_permission_name = "TableauDeBord"
    default_view = "index"
    method_permission_name = {"index": "lire", "departement": "lire", "national": "lire"}

    @expose("/")
    @has_access
    def index(self):
        return _choisir_departement(self, "TableauDeBordView.departement", "Tableau de bord")

    @expose("/departement/<code>")
    @has_access
    def departement(self, code: str):
        dep = _departement_visible(code)
        return self.render_template("gouvernances/tableau_de_bord.html",
                                    tableau=tdb.construire(dep.code, f"Tableau de bord — {dep.nom} ({dep.code})"),
                                    departement=dep)

    @expose("/national")
    @has_access
    def national(self):
        if not current_scope().national:
            abort(404)
        return self.render_template("gouvernances/tableau_de_bord.html",
                                    tableau=tdb.construire(None, "Tableau de bord national"), departement=None)


# --- Calendrier ----------------------------------------------------------------------------------

class CalendrierView(BaseView):
    route_base = "/calendrier"
    class_permission_name = "Calendrier"
    default_view = "index"
    method_permission_name = {"index": "lire", "modifier": "modifier"}

    @expose("/")
    @has_access
    def index(self):
        jalons = calendrier.jalons()
        db.session.commit()  # milestones created from the official calendar on first use
        return self.render_template("gouvernances/calendrier.html", jalons=jalons,
                                    format_echeance=calendrier.format_echeance,
                                    peut_modifier=self.appbuilder.sm.has_access("can_modifier", "Calendrier"))

    @expose("/<cle>", methods=["GET", "POST"])
    @has_access
    def modifier(self, cle: str):
        try:
            jalon = calendrier.jalon(cle)
        except KeyError:
            abort(404)
        erreurs: dict[str, list[str]] = {}
        local = jalon.echeance.astimezone(calendrier.PARIS) if jalon.echeance else None
        valeurs = {"libelle": jalon.libelle, "jour": local.strftime("%Y-%m-%d") if local else "",
                   "heure": "" if local is None or (local.hour, local.minute) == (23, 59) else local.strftime("%H:%M")}
        if request.method == "POST":
            valeurs = {k: (request.form.get(k) or "").strip() for k in ("libelle", "jour", "heure")}
            jour = heure = None
            try:
                jour = date.fromisoformat(valeurs["jour"]) if valeurs["jour"] else None
            except ValueError:
                erreurs["jour"] = ["Date attendue au format AAAA-MM-JJ."]
            try:
                heure = time.fromisoformat(valeurs["heure"]) if valeurs["heure"] else None
            except ValueError:
                erreurs["heure"] = ["Heure attendue au format HH:MM."]
            if not erreurs:
                try:
                    calendrier.modifier_jalon(cle, jour, heure, g.user, libelle=valeurs["libelle"])
                    db.session.commit()
                    flash(f"Jalon « {jalon.libelle} » enregistré.", "success")
                    return redirect(url_for("CalendrierView.index"))
                except ValidationErreur as exc:
                    db.session.rollback()
                    erreurs = exc.erreurs
                except ErreurGouvernance as exc:
                    db.session.rollback()
                    return error_response(exc.status, exc.message)
        db.session.commit()
        return self.render_template("gouvernances/calendrier_modifier.html", jalon=jalon, valeurs=valeurs,
                                    erreurs=erreurs), 400 if erreurs else 200


# --- AMI Hubs ------------------------------------------------------------------------------------

class FilterUtilisateursHub(BaseFilter):
    """The accounts offered as a hub's users: those with the Hub role."""

    name = "Comptes hub"

    def apply(self, query, value):
        return query.filter(Utilisateur.roles.any(Role.name == roles.HUB))


class HubView(ModelView):
    datamodel = ModelInterface(Hub)
    class_permission_name = "Hub"
    route_base = "/hubs"
    list_title = "AMI Hubs"
    show_title = "Détail du hub"
    add_title = "Ajouter un hub"
    edit_title = "Modifier le hub"
    list_columns = ["nom", "siret", "regions_label", "laureat", "date_notification", "subvention_annuelle",
                    "postes_coordinateur_regional"]
    show_columns = ["nom", "siret", "regions", "laureat", "date_notification", "subvention_annuelle",
                    "postes_coordinateur_regional", "utilisateurs", "created_at"]
    add_columns = edit_columns = ["nom", "siret", "regions", "laureat", "date_notification", "subvention_annuelle",
                                  "postes_coordinateur_regional", "utilisateurs"]
    search_columns = ["nom", "siret", "laureat"]
    order_columns = ["nom", "date_notification", "subvention_annuelle"]
    base_order = ("nom", "asc")
    label_columns = {
        "nom": "Nom", "siret": "SIRET", "regions": "Régions couvertes", "regions_label": "Régions couvertes",
        "laureat": "Lauréat", "date_notification": "Date de notification",
        "subvention_annuelle": "Subvention annuelle (€)", "postes_coordinateur_regional":
            "Postes de coordinateur régional", "utilisateurs": "Comptes du hub", "created_at": "Créé le",
    }
    description_columns = {"subvention_annuelle": "40 000 € par an au plus.",
                           "utilisateurs": "Comptes ayant le rôle Hub : ils lisent les structures, conseillers et "
                                           "gouvernances des régions du hub.",
                           "date_notification": "Lauréats notifiés le 9 octobre 2023."}
    validators_columns = {
        "siret": [Optional(), valid_siret],
        "subvention_annuelle": [Optional(), NumberRange(min=0, max=40000,
                                                        message="La subvention annuelle va de 0 à 40 000 €.")],
        "postes_coordinateur_regional": [NumberRange(min=0, message="Un nombre de postes positif est attendu.")],
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"utilisateurs": [["id", FilterUtilisateursHub, None]]}

    def pre_add(self, item):
        if not item.regions:
            raise ValueError("Choisissez au moins une région.")

    pre_update = pre_add


# --- registration ----------------------------------------------------------------------------------

def register(app, appbuilder) -> None:
    from app.gouvernances import demo  # noqa: F401  (registers its demo data)
    from app.gouvernances import pressenties as regles_pressenties
    from app.gouvernances.api import GouvernanceApi
    from app.gouvernances.views_participation import ParticipationView, securiser_reponse

    appbuilder.add_view(GouvernanceView, "Gouvernance", label="Gouvernance de mon territoire", icon="fa-sitemap",
                        category="Gouvernances", category_label="Gouvernances FNE", category_icon="fa-flag")
    appbuilder.add_link("GouvernancesPressenties", label="Gouvernances pressenties (national)",
                        href="/gouvernance/pressenties/", icon="fa-list", category="Gouvernances")
    appbuilder.add_view(TableauDeBordView, "TableauDeBord", label="Tableau de bord", icon="fa-bar-chart",
                        category="Gouvernances")
    appbuilder.add_view(CalendrierView, "Calendrier", label="Calendrier de la campagne", icon="fa-calendar",
                        category="Gouvernances")
    appbuilder.add_view(HubView, "Hubs", label="AMI Hubs", icon="fa-share-alt", category="Gouvernances")
    publique = appbuilder.add_view_no_menu(ParticipationView)
    appbuilder.add_api(GouvernanceApi)
    app.after_request(securiser_reponse)
    regles_pressenties.enregistrer_hooks(app)
    _limiter(appbuilder, publique)
    _liens_accueil()


def _limiter(appbuilder, publique) -> None:
    """Flood protection of the public pages that send emails (per client address, POST only)."""
    from flask import current_app

    def limite() -> str:
        return current_app.config.get("PARTICIPATION_RATE_LIMIT", "10 per minute;100 per hour")

    appbuilder.sm.limiter.shared_limit(
        limite, scope="participation-publique", methods=["POST"],
        exempt_when=lambda: request.endpoint not in ("ParticipationView.accueil", "ParticipationView.renvoyer"),
        error_message="Trop de demandes envoyées depuis votre connexion : réessayez plus tard.")(publique.blueprint)


def _liens_accueil() -> None:
    from app import templating

    for lien in (("Gouvernance", "Gouvernance de mon territoire", "GouvernanceView.index"),
                 ("TableauDeBord", "Tableau de bord de mon territoire", "TableauDeBordView.index")):
        if lien not in templating.ACCUEIL_LIENS:
            templating.ACCUEIL_LIENS.append(lien)
