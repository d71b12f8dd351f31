"""REST API of the gouvernances pressenties: /api/v1/gouvernance/.

    GET    /api/v1/gouvernance/?departement=38&region=84&perimetre=epci&page=0&page_size=50
    GET    /api/v1/gouvernance/<id>
    POST   /api/v1/gouvernance/         {"departement": "38", "perimetre": "departemental",
                                         "porteur": {"type": "departement", "code": "38"},
                                         "sirets_recruteurs": ["22380001200013"], "note_contexte": "<p>…</p>"}
    PUT    /api/v1/gouvernance/<id>     same fields (the département never changes)
    DELETE /api/v1/gouvernance/<id>     soft delete

Same rules as the screens (app.gouvernances.pressenties): 400 with French messages per field
({"message", "erreurs": {champ: [messages]}}), 403 (role or territory), 404 (absent, deleted or out of
scope: indistinguishable), 409 (deadline passed). Reads are scoped like everything else.
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import BaseApi, expose
from flask_appbuilder.security.decorators import protect
from sqlalchemy import func, select

from app.extensions import db
from app.gouvernances import calendrier, pressenties
from app.gouvernances.erreurs import ErreurGouvernance, ValidationErreur
from app.gouvernances.models import PERIMETRES, GouvernancePressentie
from app.views.base import SessionReadsOnly


def _erreur(exc: ErreurGouvernance):
    body = {"message": exc.message}
    if isinstance(exc, ValidationErreur):
        body["erreurs"] = pressenties.erreurs_api(exc.erreurs)
    return body, exc.status


class GouvernanceApi(SessionReadsOnly, BaseApi):
    resource_name = "gouvernance"
    class_permission_name = "Gouvernance"
    method_permission_name = {"liste": "get", "detail": "get", "creer": "post", "modifier_api": "put",
                              "supprimer_api": "delete"}
    openapi_spec_tag = "Gouvernances pressenties"

    def _json(self):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValidationErreur({"_": ["Un objet JSON est attendu (Content-Type: application/json)."]},
                                   "Un objet JSON est attendu.")
        return data

    def _repondre(self, body: dict, status: int = 200):
        return self.response(status, **body)

    @expose("/", methods=["GET"])
    @protect()
    def liste(self):
        """Gouvernances pressenties of the user's territory (filters: departement, region, perimetre)."""
        query = pressenties.actives()
        args = request.args
        if args.get("departement"):
            query = query.where(GouvernancePressentie.departement_code == args["departement"][:3].upper())
        if args.get("region"):
            query = query.where(GouvernancePressentie.region_code == args["region"][:3])
        if args.get("perimetre"):
            if args["perimetre"] not in PERIMETRES:
                return self.response_400(message="Périmètre inconnu : epci, departemental, regional ou autre.")
            query = query.where(GouvernancePressentie.perimetre == args["perimetre"])
        try:
            page = max(0, int(args.get("page", 0)))
            taille = min(100, max(1, int(args.get("page_size", 50))))
        except ValueError:
            return self.response_400(message="« page » et « page_size » sont des entiers.")
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        lignes = db.session.scalars(query.offset(page * taille).limit(taille)).all()
        limite = calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES)
        return self.response(200, count=total, result=[pressenties.en_dict(gp, limite=limite) for gp in lignes])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    def detail(self, pk: int):
        try:
            gp = pressenties.charger(pk)
        except ErreurGouvernance as exc:
            return self._repondre(*_erreur(exc))
        return self.response(200, id=gp.id, result=pressenties.en_dict(gp))

    @expose("/", methods=["POST"])
    @protect()
    def creer(self):
        try:
            data = self._json()
            departement = data.pop("departement", None)
            if not isinstance(departement, str) or not departement.strip():
                raise ValidationErreur({"departement": ["Indiquez le département (code, par exemple « 38 »)."]})
            from app.models.territoires import Departement

            code = departement.strip().upper()[:3]
            if db.session.get(Departement, code) is None:
                raise ValidationErreur({"departement": ["Département inconnu."]})
            pressenties.verifier_ecriture(g.user, code)  # 403 before looking at the content
            gp = pressenties.remonter(code, g.user, pressenties.brut_depuis_json(data))
        except ErreurGouvernance as exc:
            db.session.rollback()
            return self._repondre(*_erreur(exc))
        return self.response(201, id=gp.id, result=pressenties.en_dict(gp))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    def modifier_api(self, pk: int):
        try:
            gp = pressenties.charger(pk)
            data = self._json()
            departement = data.pop("departement", None)
            pressenties.verifier_ecriture(g.user, gp.departement_code)
            if departement is not None and str(departement).upper() != gp.departement_code:
                raise ValidationErreur({"departement": ["Le département d'une gouvernance pressentie ne change pas."]})
            gp = pressenties.modifier(gp, g.user, pressenties.brut_depuis_json(data))
        except ErreurGouvernance as exc:
            db.session.rollback()
            return self._repondre(*_erreur(exc))
        return self.response(200, id=gp.id, result=pressenties.en_dict(gp))

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    def supprimer_api(self, pk: int):
        try:
            gp = pressenties.charger(pk)
            pressenties.supprimer(gp, g.user)
        except ErreurGouvernance as exc:
            db.session.rollback()
            return self._repondre(*_erreur(exc))
        return self.response(200, message="Gouvernance pressentie supprimée.")
