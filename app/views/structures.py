"""Generated admin screens and REST API for structures, conseillers and contrats."""

from flask_appbuilder.fieldwidgets import Select2Widget
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from stdnum.fr import siret as stdnum_siret
from wtforms import SelectField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from app.extensions import db
from app.models.structures import (
    STATUTS_CONSEILLER,
    STATUTS_CONTRAT,
    STATUTS_STRUCTURE,
    TYPES_CONTRAT,
    TYPES_STRUCTURE,
    Conseiller,
    Contrat,
    Structure,
)
from app.models.territoires import Departement, Region
from app.security.scope import (
    FilterDepartementInScope,
    FilterRegionInScope,
    current_scope,
    departements_in_scope,
    regions_in_scope,
)
from app.views.base import ModelInterface, ScopedModelRestApi, ScopedModelView


def valid_siret(form, field):
    if field.data and not stdnum_siret.is_valid(field.data):
        raise ValidationError("Ce SIRET n'est pas valide : 14 chiffres attendus, avec une clé de contrôle correcte.")


def _choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    return list(labels.items())


def _select(label: str, labels: dict[str, str]) -> SelectField:
    return SelectField(label, choices=_choices(labels), validators=[DataRequired()], widget=Select2Widget())


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _territory_filter(label: str, model, in_scope, text) -> SelectField:
    """A search drop-down of the territories in scope, read as (code, label) pairs: FAB's own loads every
    territory as an object, plus a count, on each list page."""

    def choices():
        rows = db.session.execute(select(model.code, model.nom).where(in_scope(current_scope())).order_by(model.nom))
        return [(code, text(code, nom)) for code, nom in rows]

    return SelectField(label, choices=choices, validate_choice=False, widget=Select2Widget())


_TERRITORY_QUERY = {
    "departement": [["code", FilterDepartementInScope, None]],
    "region": [["code", FilterRegionInScope, None]],
}

STRUCTURE_LABELS = {
    "id": "ID", "nom": "Nom", "type": "Type", "type_label": "Type", "siret": "SIRET", "adresse": "Adresse",
    "code_postal": "Code postal", "commune": "Commune", "departement": "Département", "region": "Région",
    "statut": "Statut", "statut_label": "Statut", "postes_finances": "Postes financés",
    "postes_coordinateur": "Postes de coordinateur", "contact_prenom": "Prénom du contact",
    "contact_nom": "Nom du contact", "contact_fonction": "Fonction du contact",
    "contact_email": "Courriel du contact", "contact_telephone": "Téléphone du contact",
    "created_at": "Date de création", "updated_at": "Dernière modification",
}


class StructureView(ScopedModelView):
    datamodel = ModelInterface(Structure)
    class_permission_name = "Structure"
    route_base = "/structures"
    list_title = "Structures"
    show_title = "Détail de la structure"
    add_title = "Ajouter une structure"
    edit_title = "Modifier la structure"
    list_columns = ["id", "nom", "type_label", "siret", "code_postal", "departement", "statut_label",
                    "postes_finances", "postes_coordinateur"]
    show_fieldsets = [
        ("Structure", {"fields": ["id", "nom", "type_label", "siret", "statut_label", "postes_finances",
                                  "postes_coordinateur"]}),
        ("Adresse", {"fields": ["adresse", "code_postal", "commune", "departement", "region"]}),
        ("Contact", {"fields": ["contact_prenom", "contact_nom", "contact_fonction", "contact_email",
                                "contact_telephone"]}),
        ("Suivi", {"fields": ["created_at", "updated_at"]}),
    ]
    _form = ["nom", "type", "siret", "adresse", "code_postal", "departement", "region", "statut",
             "postes_finances", "postes_coordinateur", "contact_prenom", "contact_nom", "contact_fonction",
             "contact_email", "contact_telephone"]
    add_columns = _form
    edit_columns = _form
    search_columns = ["nom", "id", "siret", "contact_email", "type", "statut", "region", "departement",
                      "code_postal"]
    order_columns = ["id", "nom", "code_postal", "postes_finances", "postes_coordinateur"]
    base_order = ("nom", "asc")
    label_columns = STRUCTURE_LABELS
    add_form_extra_fields = edit_form_extra_fields = {
        "type": _select("Type", TYPES_STRUCTURE),
        "statut": _select("Statut", STATUTS_STRUCTURE),
    }
    validators_columns = {
        "siret": [Optional(), valid_siret],
        "contact_email": [Optional(), Email("Adresse électronique invalide.")],
        "code_postal": [Length(min=5, max=5, message="Le code postal compte 5 chiffres.")],
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = _TERRITORY_QUERY
    search_form_extra_fields = {
        "departement": _territory_filter("Département", Departement, departements_in_scope,
                                         lambda code, nom: f"{nom} ({code})"),
        "region": _territory_filter("Région", Region, regions_in_scope, lambda code, nom: nom),
    }

    export_name = "structures"
    export_columns = [
        ("ID", lambda s: s.id), ("Nom", lambda s: s.nom), ("Type", lambda s: s.type_label),
        ("SIRET", lambda s: s.siret), ("Adresse", lambda s: s.adresse), ("Code postal", lambda s: s.code_postal),
        ("Département", lambda s: s.departement_code), ("Région", lambda s: s.region_code),
        ("Statut", lambda s: s.statut_label), ("Postes financés", lambda s: s.postes_finances),
        ("Postes de coordinateur", lambda s: s.postes_coordinateur),
        ("Contact", lambda s: s.contact_nom_complet), ("Fonction", lambda s: s.contact_fonction),
        ("Courriel", lambda s: s.contact_email), ("Téléphone", lambda s: s.contact_telephone),
        ("Date de création", lambda s: _date(s.created_at)),
    ]

    def pre_add(self, item):
        _fill_region(item)

    def pre_update(self, item):
        _fill_region(item)


def _fill_region(structure: Structure) -> None:
    # The région always follows the département: a form cannot make them disagree.
    if structure.departement is not None:
        structure.region_code = structure.departement.region_code


CONSEILLER_LABELS = {
    "id": "ID", "prenom": "Prénom", "nom": "Nom", "nom_complet": "Conseiller", "email_pro": "Courriel professionnel",
    "telephone_pro": "Téléphone professionnel", "statut": "Statut", "statut_label": "Statut",
    "structure": "Structure", "date_prise_poste": "Date de prise de poste", "est_coordinateur": "Coordinateur",
    "created_at": "Date de création", "structure.departement": "Département",
}


class ConseillerView(ScopedModelView):
    datamodel = ModelInterface(Conseiller)
    class_permission_name = "Conseiller"
    route_base = "/conseillers"
    list_title = "Conseillers numériques"
    show_title = "Détail du conseiller"
    add_title = "Ajouter un conseiller"
    edit_title = "Modifier le conseiller"
    list_columns = ["id", "nom_complet", "email_pro", "structure", "statut_label", "date_prise_poste",
                    "est_coordinateur"]
    show_columns = ["id", "prenom", "nom", "email_pro", "telephone_pro", "statut_label", "structure",
                    "date_prise_poste", "est_coordinateur", "created_at"]
    _form = ["prenom", "nom", "email_pro", "telephone_pro", "statut", "structure", "date_prise_poste",
             "est_coordinateur"]
    add_columns = edit_columns = _form
    # No "structure" filter: FAB would load every structure of the territory into its drop-down.
    search_columns = ["nom", "prenom", "id", "email_pro", "statut", "est_coordinateur"]
    order_columns = ["id", "nom", "date_prise_poste"]
    base_order = ("nom", "asc")
    label_columns = CONSEILLER_LABELS
    add_form_extra_fields = edit_form_extra_fields = {"statut": _select("Statut", STATUTS_CONSEILLER)}
    validators_columns = {"email_pro": [Optional(), Email("Adresse électronique invalide.")]}

    export_name = "conseillers"

    @staticmethod
    def export_options():
        return [selectinload(Conseiller.structure), selectinload(Conseiller.contrats)]

    export_columns = [
        ("ID", lambda c: c.id), ("Prénom", lambda c: c.prenom), ("Nom", lambda c: c.nom),
        ("Courriel professionnel", lambda c: c.email_pro), ("Téléphone", lambda c: c.telephone_pro),
        ("Statut", lambda c: c.statut_label), ("ID structure", lambda c: c.structure_id),
        ("Structure", lambda c: c.structure.nom if c.structure else ""),
        ("Département", lambda c: c.structure.departement_code if c.structure else ""),
        ("Date de prise de poste", lambda c: _date(c.date_prise_poste)),
        ("Coordinateur", lambda c: "Oui" if c.est_coordinateur else "Non"),
        ("Type de contrat", lambda c: _dernier_contrat(c, "type_label")),
        ("Début du contrat", lambda c: _date(_dernier_contrat(c, "date_debut"))),
        ("Fin du contrat", lambda c: _date(_dernier_contrat(c, "date_fin"))),
    ]


def _dernier_contrat(conseiller: Conseiller, attribute: str):
    contrats = sorted(conseiller.contrats, key=lambda c: c.date_debut)
    return getattr(contrats[-1], attribute) if contrats else None


class ContratView(ScopedModelView):
    datamodel = ModelInterface(Contrat)
    class_permission_name = "Contrat"
    route_base = "/contrats"
    list_title = "Contrats"
    show_title = "Détail du contrat"
    add_title = "Ajouter un contrat"
    edit_title = "Modifier le contrat"
    list_columns = ["id", "conseiller", "structure", "type_label", "date_debut", "date_fin", "statut_label",
                    "est_coordinateur"]
    show_columns = ["id", "conseiller", "structure", "type_label", "date_debut", "date_fin",
                    "salaire_brut_mensuel", "statut_label", "est_coordinateur", "motif_renvoi", "created_at"]
    _form = ["conseiller", "structure", "type_contrat", "date_debut", "date_fin", "salaire_brut_mensuel",
             "statut", "est_coordinateur"]
    add_columns = edit_columns = _form
    search_columns = ["type_contrat", "statut", "est_coordinateur", "date_debut", "date_fin"]
    order_columns = ["id", "date_debut", "date_fin"]
    base_order = ("date_debut", "desc")
    label_columns = {
        "id": "ID", "conseiller": "Conseiller", "structure": "Structure", "type_contrat": "Type de contrat",
        "type_label": "Type de contrat", "date_debut": "Date de début", "date_fin": "Date de fin",
        "salaire_brut_mensuel": "Salaire brut mensuel (€)", "statut": "Statut", "statut_label": "Statut",
        "est_coordinateur": "Coordinateur", "motif_renvoi": "Motif du renvoi", "created_at": "Date de saisie",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "type_contrat": _select("Type de contrat", TYPES_CONTRAT),
        "statut": _select("Statut", STATUTS_CONTRAT),
    }

    export_name = "contrats"

    @staticmethod
    def export_options():
        return [selectinload(Contrat.structure), selectinload(Contrat.conseiller)]

    export_columns = [
        ("ID", lambda c: c.id), ("ID structure", lambda c: c.structure_id), ("Structure", lambda c: c.structure.nom),
        ("Département", lambda c: c.structure.departement_code), ("ID conseiller", lambda c: c.conseiller_id),
        ("Conseiller", lambda c: c.conseiller.nom_complet), ("Type de contrat", lambda c: c.type_label),
        ("Date de début", lambda c: _date(c.date_debut)), ("Date de fin", lambda c: _date(c.date_fin)),
        ("Salaire brut mensuel", lambda c: c.salaire_brut_mensuel), ("Statut", lambda c: c.statut_label),
        ("Coordinateur", lambda c: "Oui" if c.est_coordinateur else "Non"),
    ]


# --- REST API ----------------------------------------------------------------------------------

class StructureApi(ScopedModelRestApi):
    resource_name = "structure"
    class_permission_name = "Structure"
    datamodel = ModelInterface(Structure)
    list_columns = ["id", "nom", "type", "siret", "code_postal", "departement.code", "region.code", "statut",
                    "postes_finances", "postes_coordinateur", "created_at"]
    show_columns = list_columns + ["adresse", "commune.code", "contact_prenom", "contact_nom",
                                   "contact_fonction", "contact_email", "contact_telephone", "updated_at"]
    add_columns = edit_columns = ["nom", "type", "siret", "adresse", "code_postal", "commune",
                                  "departement", "statut", "postes_finances",
                                  "postes_coordinateur", "contact_prenom", "contact_nom", "contact_fonction",
                                  "contact_email", "contact_telephone"]
    search_columns = ["nom", "siret", "type", "statut", "departement", "region", "code_postal"]
    order_columns = ["id", "nom", "code_postal", "created_at"]
    validators_columns = {
        "siret": lambda v: _api_check(stdnum_siret.is_valid(v), "Ce SIRET n'est pas valide."),
        "type": lambda v: _api_check(v in TYPES_STRUCTURE, "Type de structure inconnu."),
        "statut": lambda v: _api_check(v in STATUTS_STRUCTURE, "Statut inconnu."),
    }

    add_query_rel_fields = edit_query_rel_fields = _TERRITORY_QUERY

    def pre_add(self, item):
        _fill_region(item)

    def pre_update(self, item):
        _fill_region(item)


def _api_check(ok: bool, message: str) -> None:
    from marshmallow import ValidationError as MaValidationError

    if not ok:
        raise MaValidationError(message)


class ConseillerApi(ScopedModelRestApi):
    resource_name = "conseiller"
    class_permission_name = "Conseiller"
    datamodel = ModelInterface(Conseiller)
    list_columns = ["id", "prenom", "nom", "email_pro", "statut", "structure.id", "date_prise_poste",
                    "est_coordinateur"]
    show_columns = list_columns + ["telephone_pro", "created_at"]
    add_columns = edit_columns = ["prenom", "nom", "email_pro", "telephone_pro", "statut", "structure",
                                  "date_prise_poste", "est_coordinateur"]
    search_columns = ["nom", "prenom", "email_pro", "statut", "est_coordinateur", "structure"]
    order_columns = ["id", "nom", "date_prise_poste"]
    validators_columns = {"statut": lambda v: _api_check(v in STATUTS_CONSEILLER, "Statut inconnu.")}


class ContratApi(ScopedModelRestApi):
    resource_name = "contrat"
    class_permission_name = "Contrat"
    datamodel = ModelInterface(Contrat)
    list_columns = ["id", "structure.id", "conseiller.id", "type_contrat", "date_debut", "date_fin",
                    "statut", "est_coordinateur"]
    show_columns = list_columns + ["salaire_brut_mensuel", "motif_renvoi", "created_at"]
    search_columns = ["type_contrat", "statut", "est_coordinateur", "structure", "conseiller"]
    order_columns = ["id", "date_debut", "date_fin"]
    include_route_methods = {"get", "get_list", "info"}



def register_views(app, appbuilder) -> None:
    appbuilder.add_view(StructureView, "Structures", label="Structures", icon="fa-building",
                        category="Suivis", category_label="Suivis", category_icon="fa-list")
    appbuilder.add_view(ConseillerView, "Conseillers", label="Conseillers numériques", icon="fa-user",
                        category="Suivis")
    appbuilder.add_view(ContratView, "Contrats", label="Contrats", icon="fa-file-contract", category="Suivis")
    for api in (StructureApi, ConseillerApi, ContratApi):
        appbuilder.add_api(api)
