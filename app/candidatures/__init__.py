"""Coordinator call for applications (AAC coordinateur): requests, avis, decisions, posts, contracts.

`register_views(app, appbuilder)` adds the screens, the API and the form hooks (called from
`app/views/__init__.py`); the rules themselves live in `workflow`.
"""


def register_views(app, appbuilder) -> None:
    from app.candidatures import api, demo, views, workflow  # noqa: F401  (demo registers its data)

    appbuilder.add_view(views.CandidaturesView, "DemandesCoordinateur", label="Demandes de coordinateur à traiter",
                        icon="fa-inbox", category="TraiterDemandes", category_label="Traiter les demandes",
                        category_icon="fa-check-square")
    appbuilder.add_view(views.ContratsCoordinateurView, "ContratsCoordinateur",
                        label="Contrats de coordinateur à traiter", icon="fa-file", category="TraiterDemandes")
    appbuilder.add_view(views.RecrutementCoordinateurView, "RecrutementCoordinateur",
                        label="Recrutement d'un coordinateur", icon="fa-compass",
                        category="CoordinationTerritoriale", category_label="Coordination territoriale",
                        category_icon="fa-sitemap")
    appbuilder.add_view(views.PostesView, "Postes", label="Mes postes de coordinateur", icon="fa-users",
                        category="GererPostes", category_label="Gérer mes postes", category_icon="fa-briefcase")
    publique = appbuilder.add_view_no_menu(views.CandidaturePubliqueView)
    _limiter_candidature_publique(appbuilder, publique)
    appbuilder.add_api(api.CandidatureApi)
    appbuilder.add_api(api.StructureCoordinateurApi)
    workflow.enregistrer_hooks()
    _liens_accueil()


def _liens_accueil() -> None:
    """Shortcuts on the landing page, shown to whoever has the menu entry."""
    from app import templating

    for lien in (("DemandesCoordinateur", "Demandes de coordinateur à traiter", "CandidaturesView.liste"),
                 ("RecrutementCoordinateur", "Recrutement d'un coordinateur", "RecrutementCoordinateurView.recrutement"),
                 ("Postes", "Gérer mes postes de coordinateur", "PostesView.postes"),
                 ("ContratsCoordinateur", "Contrats de coordinateur à traiter", "ContratsCoordinateurView.liste")):
        if lien not in templating.ACCUEIL_LIENS:
            templating.ACCUEIL_LIENS.append(lien)


def _limiter_candidature_publique(appbuilder, publique) -> None:
    """Flood protection of the public application, per client address (CANDIDATURE_PUBLIQUE_RATE_LIMIT).

    One shared counter for `/candidater/coordinateur` and for the form engine's generic public route
    of the same form (`/formulaires/commencer/candidature-coordinateur`), so neither is a way around it.
    With RATELIMIT_ENABLED false (tests), the limiter is off altogether.
    """
    from flask import current_app, request

    from app.candidatures.workflow import FORMULAIRE_CANDIDATURE

    limiter = appbuilder.sm.limiter
    commun = dict(scope="candidature-publique", methods=["POST"],
                  error_message="Trop de candidatures envoyées depuis votre connexion : réessayez plus tard.")

    def limite() -> str:
        return current_app.config["CANDIDATURE_PUBLIQUE_RATE_LIMIT"]

    limiter.shared_limit(limite, **commun)(publique.blueprint)
    for generique in (v for v in appbuilder.baseviews if callable(getattr(v, "commencer", None)) and v is not publique):
        limiter.shared_limit(
            limite, exempt_when=lambda: (request.view_args or {}).get("form_id") != FORMULAIRE_CANDIDATURE,
            **commun)(generique.blueprint)

