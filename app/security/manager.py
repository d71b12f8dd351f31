"""The application's SecurityManager: our user model, the in-code policy, cheap permission checks."""

import re
from functools import lru_cache

from flask import g
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from sqlalchemy.orm import joinedload

from app.models.utilisateurs import Utilisateur
from app.security import roles


class UtilisateurView(UserDBModelView):
    """ANCT manages accounts and their territory (département, région, structure, conseiller)."""

    _territory = ["departement", "region", "structure", "conseiller"]
    list_columns = ["first_name", "last_name", "username", "email", "roles", "territoire_label", "active"]
    show_columns = ["first_name", "last_name", "username", "email", "telephone", "active", "roles",
                    *_territory, "last_login", "login_count"]
    add_columns = ["first_name", "last_name", "username", "active", "email", "telephone", "roles",
                   *_territory, "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "telephone", "roles", *_territory]
    search_columns = ["first_name", "last_name", "username", "email", "active", "roles", "departement", "region"]
    label_columns = {
        "first_name": "Prénom", "last_name": "Nom", "username": "Identifiant", "email": "Adresse électronique",
        "telephone": "Téléphone", "active": "Actif", "roles": "Rôles", "departement": "Département",
        "region": "Région", "structure": "Structure", "conseiller": "Conseiller", "territoire_label": "Territoire",
        "last_login": "Dernière connexion", "login_count": "Nombre de connexions", "password": "Mot de passe",
        "conf_password": "Confirmation du mot de passe", "groups": "Groupes",
    }
    validators_columns = {}
    # FAB computes show_columns from show_fieldsets when the class has some (its own, in English, without
    # our columns): without these the user info page failed on 'telephone'.
    show_fieldsets = [
        ("Compte", {"fields": ["username", "active", "roles", "last_login", "login_count"]}),
        ("Informations personnelles", {"fields": ["first_name", "last_name", "email", "telephone"]}),
        ("Territoire", {"fields": _territory}),
    ]
    user_show_fieldsets = [
        ("Compte", {"fields": ["username", "active", "roles", "login_count"]}),
        ("Informations personnelles", {"fields": ["first_name", "last_name", "email", "telephone"],
                                       "expanded": True}),
    ]


class RoleModelView(fab_views.RoleModelView):
    """FAB's roles screen with French labels (FAB prettifies the column names it has no label for).
    Same class name as FAB's: endpoints and permission names do not change."""

    label_columns = {"name": "Nom", "permissions": "Permissions", "user": "Utilisateurs", "groups": "Groupes"}


class UserGroupModelView(fab_views.UserGroupModelView):
    """FAB's groups screen with French labels; same class name as FAB's (see RoleModelView)."""

    label_columns = {"name": "Nom", "label": "Libellé", "description": "Description", "users": "Utilisateurs",
                     "roles": "Rôles"}


@lru_cache(maxsize=4096)
def _policy_allows(role_name: str, permission_name: str, view_name: str) -> bool:
    return any(
        re.match(view_pattern, view_name) and re.match(permission_pattern, permission_name)
        for view_pattern, permission_pattern in roles.POLICY.get(role_name, [])
    )


class PilotageSecurityManager(SecurityManager):
    user_model = Utilisateur
    userdbmodelview = UtilisateurView
    rolemodelview = RoleModelView
    groupmodelview = UserGroupModelView
    userstatschartview = None  # FAB draws it with Google Charts, unreachable from préfecture networks

    @staticmethod
    def create_builtin_roles():
        return roles.POLICY

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        return _policy_allows(role.name, permission_name, view_name)

    def get_user_by_id(self, pk):
        # Every request loads its user: the roles come in the same statement.
        return self.session.get(self.user_model, pk, options=[joinedload(self.user_model.roles)])

    def _cached_roles(self, user):
        # One load of the user's roles per request, whatever the number of menu items and checks.
        cache = g.setdefault("_roles_cache", {})
        key = getattr(user, "id", None)
        if key not in cache:
            cache[key] = [role for role in user.roles]
        return cache[key]

    def get_user_roles(self, user):
        if not user.is_authenticated:
            return [self.get_public_role()]
        return self._cached_roles(user)

    def get_public_role(self):
        return _PublicRole

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        return _policy_allows(roles.PUBLIC, permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        user_roles = [_PublicRole] if user is None else self.get_user_roles(user)
        return {
            name
            for role in user_roles
            for name in (view_menus_name or [])
            if _policy_allows(role.name, permission_name, name)
        }

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        return any(_policy_allows(role.name, permission_name, view_name) for role in self.get_user_roles(user))

    def find_role_by_names(self, names):
        return [self.find_role(name) for name in names]


class _PublicRole:
    """The anonymous visitor's role, never read from the database."""

    id = None
    name = roles.PUBLIC
