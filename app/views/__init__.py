"""Registers every screen, API and menu entry, in menu order."""

from flask import Flask, abort, request
from flask_appbuilder import AppBuilder


MAX_PAGE_SIZE = 100


def _guard_fab_arguments(appbuilder: AppBuilder):
    """FAB trusts its URL arguments: an unknown action, a non-numeric page or page size, or a sort on
    a column it cannot sort gave a 500, and any page size loaded a whole table. Refuse them first."""
    views = {view.__class__.__name__: view for view in appbuilder.baseviews}

    def guard():
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

    app.before_request(_guard_fab_arguments(appbuilder))
