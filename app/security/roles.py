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

POLICY: dict[str, list[list[str]]] = {
    ANCT: [[".*", ".*"]],
    PREFET_DEPARTEMENT: _PREFET,
    PREFET_REGION: _PREFET,
    STRUCTURE: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ),
        _allow("Structures|Conseillers|Contrats|Suivis", "menu_access"),
    ],
    CONSEILLER: _SELF_SERVICE + [_allow("Conseiller", "can_show|can_get")],
    BANQUE_DES_TERRITOIRES: _SELF_SERVICE + [
        _allow("Structure|Conseiller|Contrat", READ),
        _allow("Structures|Conseillers|Contrats|Suivis", "menu_access"),
    ],
    HUB: _SELF_SERVICE + [
        _allow("Structure|Conseiller", READ),
        _allow("Structures|Conseillers|Suivis", "menu_access"),
    ],
    PUBLIC: [["^Territoires$", "^can_search$"]],
}
