"""Low-code forms: one declarative engine for the motivation questionnaire, the coordinator
application and the governance forms. Public interface: `app.formulaires.service`."""

from flask import Flask


def register_views(app: Flask, appbuilder) -> None:
    """Screens, menu entry and template helpers (listed in app.views.FEATURES)."""
    from app.formulaires import rendu, service, views

    appbuilder.add_view_no_menu(views.RemplirView())
    appbuilder.add_view_no_menu(views.CommencerView())
    appbuilder.add_view(views.FormulaireAdminView, "Formulaires", label="Formulaires", icon="fa-wpforms",
                        category="Security", category_label="Administration", category_icon="fa-cogs")
    app.add_template_global(service.answers_for_display, "reponses_formulaire")
    app.add_template_global(rendu.sections_reponses, "sections_reponses")
    app.add_template_global(rendu.html_sur, "formulaire_html")
    app.add_template_global(rendu.html_reponse, "formulaire_html_reponse")
    app.add_template_global(rendu.condition_json, "formulaire_condition_json")
    app.add_template_global(rendu.condition_texte, "formulaire_condition_texte")
    app.add_template_global(rendu.valeur_collectivite, "valeur_collectivite")
    app.add_template_global(rendu.liste_sections, "formulaire_sections")
    app.add_template_filter(rendu.libelle_collectivite, "libelle_collectivite")
    app.add_template_filter(rendu.paires_choix, "paires_choix")
    app.add_template_filter(rendu.prefixe_point, "prefixe_point")
    app.add_template_filter(rendu.date_limite, "date_limite")
