"""The security policy: role names and what each role may do, in one place.

Roles are FAB "builtin roles": their permissions are checked in memory (no query per menu
item) and versioned with the code. View and API permission names are set explicitly on each
view (`class_permission_name`) so renaming a class never orphans a permission.
"""

ANCT = "ANCT"
PREFET_DEPARTEMENT = "Préfet de département"
PREFET_REGION = "Préfet de région"
STRUCTURE = "Structure"
CONSEILLER = "Conseiller numérique"
BANQUE_DES_TERRITOIRES = "Banque des Territoires"
HUB = "Hub"
PUBLIC = "Public"

ALL_ROLES = (ANCT, PREFET_DEPARTEMENT, PREFET_REGION, STRUCTURE, CONSEILLER, BANQUE_DES_TERRITOIRES, HUB)
PREFETS = (PREFET_DEPARTEMENT, PREFET_REGION)

READ = "can_list|can_show|can_get|can_info|can_export"
# Every signed-in user may read and edit its own profile and change its password.
_SELF_SERVICE = [
    ["^UserDBModelView$", "^(can_userinfo|userinfoedit)$"],
    ["^(UserInfoEditView|ResetMyPasswordView)$", "^(can_this_form_get|can_this_form_post)$"],
    ["^Territoires$", "^can_search$"],
    ["^Accueil$", "^can_"],
]


def _allow(views: str, permissions: str) -> list[str]:
    return [f"^({views})$", f"^({permissions})$"]


_PREFET = _SELF_SERVICE + [
    _allow("Structure|Conseiller|Contrat", READ),
    _allow("Structures|Conseillers|Contrats|Suivis", "menu_access"),
]

# Coordinator call (app/candidatures): préfets read their territory's requests and give avis; the
# structure applies, manages its posts and downloads its contract documents; the Banque des
# Territoires processes coordinator contracts. ANCT (everything) validates or refuses.
_CANDIDATURES_PREFET = [
    _allow("Candidature", "can_list|can_show|can_get|can_export|can_avis"),
    _allow("TraiterDemandes|DemandesCoordinateur", "menu_access"),
]
_CANDIDATURES_STRUCTURE = [
    _allow("RecrutementCoordinateur", "can_acceder"),
    _allow("Postes", "can_acceder|can_attribuer|can_recruter|can_rendre"),
    _allow("ContratCoordinateur", "can_document"),
    _allow("CoordinationTerritoriale|RecrutementCoordinateur|GererPostes|Postes", "menu_access"),
]
_CANDIDATURES_BDT = [
    _allow("ContratCoordinateur", "can_list|can_show|can_traiter|can_document"),
    _allow("TraiterDemandes|ContratsCoordinateur", "menu_access"),
]
_PREFET = _PREFET + _CANDIDATURES_PREFET

POLICY: dict[str, list[list[str]]] = {
    ANCT: [[".*", ".*"]],
    PREFET_DEPARTEMENT: _PREFET,
    PREFET_REGION: _PREFET,
    STRUCTURE: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ),
        _allow("Structures|Conseillers|Contrats|Suivis", "menu_access"),
    ] + _CANDIDATURES_STRUCTURE,
    CONSEILLER: _SELF_SERVICE + [_allow("Conseiller", "can_show|can_get")],
    BANQUE_DES_TERRITOIRES: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ),
        _allow("Structures|Conseillers|Contrats|Suivis", "menu_access"),
    ] + _CANDIDATURES_BDT,
    HUB: _SELF_SERVICE + [
        _allow("Structure|Conseiller", READ),
        _allow("Structures|Conseillers|Suivis", "menu_access"),
    ],
    PUBLIC: [["^Territoires$", "^can_search$"]],
}

# Statistics, coordinators' map and ANCT-managed content (app/statistiques, app/contenus). Rows stay
# scoped (statistics, coordinators, reports) and content is filtered by audience in the views: these
# rules only say who reaches which screen. ANCT manages everything (its rule above).
_CONTENUS_LECTURE = [
    _allow("Contenus", "can_list|can_show|can_download"),
    _allow("Aide", "can_read"),
    _allow("ContenuPageApi|ContenuDocumentApi|ContenuFaqApi|ContenuActualiteApi", "can_get"),
    _allow("Ressources|Documents|Actualites|OffreFormation|Certifications|Aide", "menu_access"),
]
_PILOTAGE = [
    _allow("Statistiques|Coordinateurs", "can_list|can_export"),
    _allow("Cra", "can_get"),
    _allow("Statistiques|CoordinationTerritoriale|CartographieCoordinateurs|MissionsCoordinateurs", "menu_access"),
]
_EXTENSIONS_STATISTIQUES_CONTENUS = {
    PREFET_DEPARTEMENT: _PILOTAGE + _CONTENUS_LECTURE,
    PREFET_REGION: _PILOTAGE + _CONTENUS_LECTURE,
    STRUCTURE: _PILOTAGE + _CONTENUS_LECTURE,
    HUB: _PILOTAGE + _CONTENUS_LECTURE,
    # A conseiller reads its own figures and records its own reports (POST /api/v1/cra/).
    CONSEILLER: [_allow("Statistiques", "can_list|can_export"), _allow("Cra", "can_get|can_post"),
                 _allow("Statistiques", "menu_access")] + _CONTENUS_LECTURE,
    BANQUE_DES_TERRITOIRES: _CONTENUS_LECTURE,
    # Anonymous visitors: « Aide », public pages and documents, and the content API (public audience).
    PUBLIC: [_allow("Aide", "can_read"), _allow("Contenus", "can_show|can_download"),
             _allow("ContenuPageApi|ContenuDocumentApi|ContenuFaqApi|ContenuActualiteApi", "can_get"),
             _allow("Aide", "menu_access")],
}
for _role, _rules in _EXTENSIONS_STATISTIQUES_CONTENUS.items():
    POLICY[_role] = POLICY[_role] + _rules

# France Numérique Ensemble gouvernances (app/gouvernances). "Gouvernance" (pages and API): lire = the
# gouvernance page, printable pages, participation forms; contacts = the contacts CSV; ecrire = the
# gouvernances pressenties (the département's préfet, until the deadline: the rules check both); API
# can_get / can_post / can_put / can_delete likewise. Préfets de région read only; hubs read their
# régions (scope). "national" (ANCT's national list), "Calendrier.can_modifier" and "Hub" (AMI Hubs
# management): ANCT only, through its rule above. The public participation pages need no permission.
_GOUVERNANCES_MENUS = _allow("Gouvernances|Gouvernance|TableauDeBord|Calendrier", "menu_access")
_EXTENSIONS_GOUVERNANCES = {
    PREFET_DEPARTEMENT: [
        _allow("Gouvernance", "can_lire|can_contacts|can_ecrire|can_get|can_post|can_put|can_delete"),
        _allow("TableauDeBord|Calendrier", "can_lire"), _GOUVERNANCES_MENUS,
    ],
    PREFET_REGION: [
        _allow("Gouvernance", "can_lire|can_contacts|can_get"),
        _allow("TableauDeBord|Calendrier", "can_lire"), _GOUVERNANCES_MENUS,
    ],
    HUB: [
        _allow("Gouvernance", "can_lire|can_get"),
        _allow("TableauDeBord|Calendrier", "can_lire"), _GOUVERNANCES_MENUS,
    ],
}
for _role, _rules in _EXTENSIONS_GOUVERNANCES.items():
    POLICY[_role] = POLICY[_role] + _rules
