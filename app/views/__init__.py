"""Registers every screen, API and menu entry, in menu order."""

import importlib

from flask import Flask, abort, request
from flask_appbuilder import AppBuilder

MAX_PAGE_SIZE = 100


def _guard_fab_arguments(appbuilder: AppBuilder):
    """FAB trusts its URL arguments: an unknown action, a non-numeric page or page size, or a sort on
    a column it cannot sort gave a 500, and any page size loaded a whole table. Refuse them first."""
    views: dict = {}

    def guard():
        if not views:  # built on first use, once every package has registered its views
            views.update({view.__class__.__name__: view for view in appbuilder.baseviews})
        endpoint = request.endpoint or ""
        view = views.get(endpoint.split(".")[0])
        if view is None:
            return
        if endpoint.endswith(".action") and request.view_args.get("name") not in getattr(view, "actions", {}):
            abort(404)
        for name, value in request.args.items():
            if name.startswith(("psize_", "page_")):
                if not value.isdigit() or (name.startswith("psize_") and not 1 <= int(value) <= MAX_PAGE_SIZE):
                    abort(400)
            elif name.startswith("_oc_") and value not in (getattr(view, "order_columns", None) or []):
                abort(400)

    return guard


# Feature packages in menu order; each module exposes register_views(app, appbuilder).
FEATURES = [
    "app.views.structures",
    "app.territoires.views",
    "app.statistiques.registre",
    "app.contenus.registre",
    "app.formulaires",
    "app.candidatures",  # after the form engine: its public route is rate limited too
    "app.gouvernances",
    "app.invitations.views",
    "app.mail.views",
]


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    for module in FEATURES:
        importlib.import_module(module).register_views(app, appbuilder)
    app.before_request(_guard_fab_arguments(appbuilder))
