"""Screens, API and menu entries of the statistics package (called by app.views.register_views)."""

from flask_appbuilder import AppBuilder


def register_views(app, appbuilder: AppBuilder) -> None:
    import app.statistiques.demo  # noqa: F401  (registers its demo data)
    from app.statistiques.api import CraApi
    from app.statistiques.views import CoordinateursView, PerimetreCoordinationView, StatistiquesView

    appbuilder.add_view(StatistiquesView, "Statistiques", label="Statistiques", icon="fa-chart-bar")
    appbuilder.add_link("MissionsCoordinateurs", label="Missions d'un conseiller numérique coordinateur",
                        href="/contenus/pages/missions-coordinateur", icon="fa-info-circle",
                        category="CoordinationTerritoriale", category_label="Coordination territoriale",
                        category_icon="fa-sitemap")
    appbuilder.add_view(CoordinateursView, "CartographieCoordinateurs", label="Cartographie des coordinateurs",
                        icon="fa-map", category="CoordinationTerritoriale",
                        category_label="Coordination territoriale")
    appbuilder.add_view(PerimetreCoordinationView, "TerritoiresCoordonnes", label="Territoires coordonnés",
                        icon="fa-map-marker", category="GestionContenus", category_label="Gestion des contenus",
                        category_icon="fa-edit")
    appbuilder.add_api(CraApi)
