"""Screens, API and menu entries of the content package (called by app.views.register_views)."""

from flask_appbuilder import AppBuilder


def register_views(app, appbuilder: AppBuilder) -> None:
    import app.contenus.demo  # noqa: F401  (registers its demo data)
    from app.contenus import api, views

    appbuilder.add_view(views.ContenusView, "Documents", label="Documents", icon="fa-file",
                        category="Ressources", category_label="Ressources", category_icon="fa-book")
    appbuilder.add_link("Actualites", label="Actualités", href="/contenus/actualites/", icon="fa-newspaper",
                        category="Ressources")
    appbuilder.add_link("OffreFormation", label="Offre de formation", href="/contenus/pages/offre-de-formation",
                        icon="fa-graduation-cap", category="Ressources")
    appbuilder.add_link("Certifications", label="Certifications Pix et CCP1 REMN",
                        href="/contenus/pages/certifications-pix-ccp1-remn", icon="fa-certificate",
                        category="Ressources")
    appbuilder.add_view(views.AideView, "Aide", label="Aide", icon="fa-question-circle")

    appbuilder.add_view(views.PageAdminView, "GestionPages", label="Pages", icon="fa-file-alt",
                        category="GestionContenus", category_label="Gestion des contenus", category_icon="fa-edit")
    appbuilder.add_view(views.DocumentAdminView, "GestionDocuments", label="Documents", icon="fa-file-upload",
                        category="GestionContenus")
    appbuilder.add_view(views.FaqAdminView, "GestionFaq", label="Foire aux questions", icon="fa-question",
                        category="GestionContenus")
    appbuilder.add_view(views.ActualiteAdminView, "GestionActualites", label="Actualités", icon="fa-newspaper",
                        category="GestionContenus")
    appbuilder.add_view_no_menu(views.DocumentVersionAdminView)
    for api_class in (api.PageApi, api.DocumentApi, api.FaqApi, api.ActualiteApi):
        appbuilder.add_api(api_class)
