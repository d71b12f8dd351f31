"""Registers every screen, API and menu entry, in menu order."""

from flask import Flask
from flask_appbuilder import AppBuilder


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
