"""`/candidater/coordinateur`: the public application, rendered and validated by the form engine.

Nothing is written on GET. On a valid submission the engine creates the submission and calls
`workflow.deposer_candidature_publique` in the same transaction (applicant structure, draft request,
email with the motivation link); a refusal (SIRET of a programme structure, request already open)
is shown on the form and nothing is stored. The page is rate limited per client address
(CANDIDATURE_PUBLIQUE_RATE_LIMIT, see `views.CandidaturePubliqueView.limits`).
"""

from flask import abort, g, render_template, request, url_for

from app.candidatures.workflow import FORMULAIRE_CANDIDATURE
from app.extensions import db


def page(view):
    from app.formulaires import service
    from app.formulaires.calendrier import maintenant
    from app.formulaires.rendu import build_form
    from app.formulaires.views import _post, _Rendu

    try:
        version = service.current_version(FORMULAIRE_CANDIDATURE)
    except service.FormulaireInconnu:
        abort(404)
    rendu = _Rendu(view, version, soumission=None, action_url=url_for("CandidaturePubliqueView.coordinateur"))
    message = service.fenetre_de(FORMULAIRE_CANDIDATURE).message(maintenant())
    if message:
        return render_template("formulaires/lien_invalide.html", message=message,
                               titre=version.definition.get("title")), 409 if request.method == "POST" else 200
    if request.method == "POST":
        user = getattr(g, "user", None)
        user_id = user.id if user is not None and user.is_authenticated else None

        def creer():
            return service.start_or_resume(FORMULAIRE_CANDIDATURE, respondent_user_id=user_id)

        return _post(view, rendu, None, creer=creer)
    db.session.commit()  # a shipped form loaded on first use
    return rendu.render(build_form(version.definition))
