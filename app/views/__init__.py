"""Registers every screen, API and menu entry, in menu order."""

from flask import Flask, abort, request
from flask_appbuilder import AppBuilder


def _unknown_action_is_404(appbuilder: AppBuilder):
    """FAB answers a 500 for /<view>/action/<unknown name>/<pk>: make it a plain 404."""
    views = {view.__class__.__name__: view for view in appbuilder.baseviews}

    def guard():
        endpoint = request.endpoint or ""
        if endpoint.endswith(".action"):
            view = views.get(endpoint.split(".")[0])
            if view is not None and request.view_args.get("name") not in getattr(view, "actions", {}):
                abort(404)

    return guard


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    from app.views import structures

    appbuilder.add_view(structures.StructureView, "Structures", label="Structures", icon="fa-building",
                        category="Suivis", category_label="Suivis", category_icon="fa-list")
    appbuilder.add_view(structures.ConseillerView, "Conseillers", label="Conseillers numériques",
                        icon="fa-user", category="Suivis")
    appbuilder.add_view(structures.ContratView, "Contrats", label="Contrats", icon="fa-file-contract",
                        category="Suivis")
    appbuilder.add_api(structures.StructureApi)
    appbuilder.add_api(structures.ConseillerApi)
    appbuilder.add_api(structures.ContratApi)

    app.before_request(_unknown_action_is_404(appbuilder))
