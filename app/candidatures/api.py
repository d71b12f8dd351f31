"""REST API of the coordinator call: same rules (workflow), same scope, French messages.

    GET  /api/v1/candidature/                     list (filters of the HTML list, 50 a page)
    GET  /api/v1/candidature/<id>                 detail, answers included
    POST /api/v1/candidature/<id>/avis            {"avis": "favorable"|"defavorable", "commentaire": "…"}
    POST /api/v1/candidature/<id>/decision        {"decision": "validee"|"refusee", "commentaire": "…"} (ANCT)
    POST /api/v1/structure/<id>/coordinateur      {"conseiller_id": N} (the structure itself)

400 with one French message per field, 401 without a valid token, 403 wrong role, 404 out of scope
(indistinguishable from absent), 409 when the state does not allow it. Reads accept the browser
session; writes require a JWT (the API is exempt from CSRF, so a cookie must not be enough).
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import BaseApi, expose
from flask_appbuilder.security.decorators import protect
from werkzeug.exceptions import NotFound

from app.candidatures import requetes, workflow
from app.candidatures.erreurs import ErreurMetier, ValidationErreur
from app.candidatures.models import Candidature
from app.candidatures.views import reponses_candidature
from app.extensions import db
from app.models.structures import Conseiller, Structure
from app.security.scope import get_in_scope_or_404
from app.views.base import SessionReadsOnly


def _iso(value):
    return value.isoformat() if value is not None else None


def _resume(c: Candidature) -> dict:
    s = c.structure
    return {
        "id": c.id, "statut": c.statut, "statut_label": c.statut_label,
        "date_candidature": _iso(c.date_candidature),
        "structure": {"id": s.id, "nom": s.nom, "siret": s.siret, "code_postal": s.code_postal,
                      "departement": s.departement_code, "region": s.region_code},
        "avis": c.avis, "avis_commentaire": c.avis_commentaire, "avis_le": _iso(c.avis_le),
        "decision_le": _iso(c.decision_le), "poste": c.poste,
    }


def _detail(c: Candidature) -> dict:
    s = c.structure
    data = _resume(c)
    data["structure"].update({
        "type": s.type, "statut": s.statut, "adresse": s.adresse, "postes_coordinateur": s.postes_coordinateur,
        "contact": {"prenom": s.contact_prenom, "nom": s.contact_nom, "fonction": s.contact_fonction,
                    "email": s.contact_email, "telephone": s.contact_telephone},
    })
    data.update({
        "origine": c.origine,
        "avis_par": _nom(c.avis_par),
        "decision_par": _nom(c.decision_par), "decision_commentaire": c.decision_commentaire,
        "reponses": [_soumission(item) for item in reponses_candidature(c)],
        "historique": [{"le": _iso(t.created_at), "evenement": t.evenement, "de": t.de, "vers": t.vers,
                        "auteur": t.auteur_nom, "commentaire": t.commentaire} for t in c.transitions],
    })
    return data


def _nom(user) -> str | None:
    return f"{user.first_name} {user.last_name}".strip() if user is not None else None


def _soumission(item: dict) -> dict:
    soumission = item["soumission"]
    return {
        "formulaire": soumission.form_id, "version": soumission.form_version.version,
        "soumise_le": _iso(soumission.soumise_le),
        "questions": [_question(q) for q in item["reponses"]],
    }


def _question(entry: dict) -> dict:
    """One displayed answer of the form engine, its JSON-able fields."""
    return {k: v for k, v in entry.items() if isinstance(v, str | int | float | bool | list | dict | None)}


class _FrenchApi(SessionReadsOnly, BaseApi):

    def response_401(self):
        return self.response(401, message="Authentification requise : connectez-vous ou fournissez un jeton valide.")

    def response_403(self):
        return self.response(403, message="Votre rôle ne permet pas cette action.")

    def response_404(self):
        return self.response(404, message="Cette ressource n'existe pas ou ne fait pas partie de votre territoire.")

    def erreur(self, exc: ErreurMetier):
        if isinstance(exc, ValidationErreur):
            return self.response(400, message=exc.message, errors=exc.erreurs)
        return self.response(exc.status, message=exc.message)

    def corps(self) -> dict | None:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else None

    def charger(self, model, pk):
        try:
            return get_in_scope_or_404(model, pk)
        except NotFound:
            return None


class CandidatureApi(_FrenchApi):
    resource_name = "candidature"
    class_permission_name = "Candidature"
    method_permission_name = {"liste": "get", "detail": "get", "avis": "avis", "decision": "decision"}
    openapi_spec_tag = "Candidatures coordinateur"

    @expose("/", methods=["GET"])
    @protect()
    def liste(self):
        """Demandes de coordinateur du territoire (filtres : onglet, q, region, departement, avis, tri, ordre,
        page)."""
        filtres = requetes.Filtres.depuis(request.args)
        page = requetes.page(filtres)
        return self.response(200, count=page.total, page=page.numero, pages=page.pages, page_size=page.taille,
                             compteurs=requetes.compteurs(), result=[_resume(c) for c in page.lignes])

    def _charger_candidature(self, pk: int, *, detail: bool = False) -> Candidature | None:
        try:
            return requetes.charger(pk, g.user, detail=detail)
        except NotFound:
            return None

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    def detail(self, pk: int):
        """Une demande, avec les réponses aux formulaires et l'historique."""
        candidature = self._charger_candidature(pk, detail=True)
        if candidature is None:
            return self.response_404()
        return self.response(200, result=_detail(candidature))

    @expose("/<int:pk>/avis", methods=["POST"])
    @protect()
    def avis(self, pk: int):
        """Avis du préfet : {"avis": "favorable" | "defavorable", "commentaire": "…"} (250 caractères au plus)."""
        candidature = self._charger_candidature(pk)
        if candidature is None:
            return self.response_404()
        data = self.corps()
        if data is None:
            return self.response(400, message="Corps JSON attendu.", errors={})
        try:
            workflow.donner_avis(candidature, g.user, data.get("avis"), data.get("commentaire"))
        except ErreurMetier as exc:
            return self.erreur(exc)
        return self.response(200, message="Avis enregistré.", result=_resume(db.session.get(Candidature, pk)))

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    def decision(self, pk: int):
        """Décision de l'ANCT : {"decision": "validee" | "refusee", "commentaire": "…"}."""
        candidature = self._charger_candidature(pk)
        if candidature is None:
            return self.response_404()
        data = self.corps()
        if data is None:
            return self.response(400, message="Corps JSON attendu.", errors={})
        try:
            workflow.decider(candidature, g.user, data.get("decision"), data.get("commentaire") or "")
        except ErreurMetier as exc:
            return self.erreur(exc)
        return self.response(200, message="Décision enregistrée.", result=_resume(db.session.get(Candidature, pk)))


class StructureCoordinateurApi(_FrenchApi):
    """`POST /api/v1/structure/<id>/coordinateur`: attribute the coordinator role (shares the Postes permission)."""

    resource_name = "structure"
    class_permission_name = "Postes"
    method_permission_name = {"attribuer": "attribuer"}
    openapi_spec_tag = "Candidatures coordinateur"

    @expose("/<int:pk>/coordinateur", methods=["POST"])
    @protect()
    def attribuer(self, pk: int):
        """Attribuer le rôle de coordinateur : {"conseiller_id": N}."""
        structure = self.charger(Structure, pk)
        if structure is None:
            return self.response_404()
        data = self.corps()
        if data is None:
            return self.response(400, message="Corps JSON attendu.", errors={})
        conseiller_id = data.get("conseiller_id")
        if isinstance(conseiller_id, bool) or not isinstance(conseiller_id, int):
            return self.response(400, message="Certaines informations sont à corriger.",
                                 errors={"conseiller_id": "Identifiant de conseiller (nombre entier) attendu."})
        conseiller = db.session.get(Conseiller, conseiller_id)
        if conseiller is None or conseiller.structure_id != structure.id:
            return self.response(400, message="Certaines informations sont à corriger.",
                                 errors={"conseiller_id": "Ce conseiller n'a pas de contrat en cours avec votre "
                                                          "structure."})
        try:
            poste = workflow.attribuer_role_coordinateur(structure, conseiller, g.user)
        except ErreurMetier as exc:
            return self.erreur(exc)
        return self.response(200, message=f"{conseiller.nom_complet} est maintenant coordinateur.",
                             result={"conseiller_id": conseiller.id, "candidature_id": poste.id,
                                     "postes_disponibles": workflow.quota(structure.id).disponibles})
