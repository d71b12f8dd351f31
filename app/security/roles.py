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


# --- Rules by feature; each role's list below is read top to bottom. -----------------------------

_SUIVIS_MENUS = _allow("Structures|Conseillers|Contrats|Suivis", "menu_access")

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

# Statistics, coordinators' map and ANCT-managed content (app/statistiques, app/contenus). Rows stay
# scoped and content is filtered by audience in the views: these rules say who reaches which screen.
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

# Gouvernances (app/gouvernances), pages and API: lire = the gouvernance page, printable pages,
# participation forms; contacts = the contacts CSV; ecrire = the gouvernances pressenties (the
# département's préfet, until the deadline: the rules check both). Préfets de région read only; hubs
# read their régions (scope) without the contacts (personal data). ANCT's national list, the calendar
# and the AMI Hubs management are ANCT's only. The public participation pages need no permission.
_GOUVERNANCES_MENUS = _allow("Gouvernances|Gouvernance|TableauDeBord|Calendrier", "menu_access")
_TABLEAU_DE_BORD = _allow("TableauDeBord|Calendrier", "can_lire")


def _prefet(gouvernance_permissions: str) -> list[list[str]]:
    return _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ), _SUIVIS_MENUS,
        *_CANDIDATURES_PREFET, *_PILOTAGE, *_CONTENUS_LECTURE,
        _allow("Gouvernance", gouvernance_permissions), _TABLEAU_DE_BORD, _GOUVERNANCES_MENUS,
    ]


POLICY: dict[str, list[list[str]]] = {
    ANCT: [[".*", ".*"]],
    PREFET_DEPARTEMENT: _prefet("can_lire|can_contacts|can_ecrire|can_get|can_post|can_put|can_delete"),
    PREFET_REGION: _prefet("can_lire|can_contacts|can_get"),
    STRUCTURE: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ), _SUIVIS_MENUS,
        *_CANDIDATURES_STRUCTURE, *_PILOTAGE, *_CONTENUS_LECTURE,
    ],
    # A conseiller reads itself and its own figures, and records its own reports (POST /api/v1/cra/).
    CONSEILLER: _SELF_SERVICE + [
        _allow("Conseiller", "can_show|can_get"),
        _allow("Statistiques", "can_list|can_export"), _allow("Cra", "can_get|can_post"),
        _allow("Statistiques", "menu_access"), *_CONTENUS_LECTURE,
    ],
    BANQUE_DES_TERRITOIRES: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ), _SUIVIS_MENUS, *_CANDIDATURES_BDT, *_CONTENUS_LECTURE,
    ],
    HUB: _SELF_SERVICE + [
        _allow("Structure|Conseiller", READ), _allow("Structures|Conseillers|Suivis", "menu_access"),
        *_PILOTAGE, *_CONTENUS_LECTURE,
        _allow("Gouvernance", "can_lire|can_get"), _TABLEAU_DE_BORD, _GOUVERNANCES_MENUS,
    ],
    # Anonymous visitors: the collectivité search of the public forms, « Aide », public pages and
    # documents, and the content API (public audience).
    PUBLIC: [
        ["^Territoires$", "^can_search$"],
        _allow("Aide", "can_read"), _allow("Contenus", "can_show|can_download"),
        _allow("ContenuPageApi|ContenuDocumentApi|ContenuFaqApi|ContenuActualiteApi", "can_get"),
        _allow("Aide", "menu_access"),
    ],
}
