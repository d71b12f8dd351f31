"""`/api/v1/cra/`: a conseiller records its own reports (POST); reports are read within the scope (GET)."""

from __future__ import annotations

from flask import g, request

from app.extensions import db
from app.models import Conseiller
from app.statistiques import agregats
from app.statistiques.dimensions import themes_codes
from app.statistiques.importer import communes_connues
from app.statistiques.models import Cra
from app.statistiques.saisie import CraInvalide, valider
from app.views.base import ModelInterface, ScopedModelRestApi

LOT_MAX = 500


def utilisateur_courant():
    """The caller: FAB's g.user, or the user of the verified bearer token."""
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    from flask_jwt_extended import get_current_user

    try:
        return get_current_user()
    except RuntimeError:
        return None


def _json(cra: dict, ident: int) -> dict:
    result = {k: v for k, v in cra.items() if k not in ("themes",)}
    result["date"] = cra["date"].isoformat()
    result["themes"] = themes_codes(cra["themes"])
    result["id"] = ident
    return result


class CraApi(ScopedModelRestApi):
    resource_name = "cra"
    class_permission_name = "Cra"
    datamodel = ModelInterface(Cra)
    include_route_methods = {"get", "get_list", "post"}
    list_columns = ["id", "date", "canal", "activite", "nb_participants", "duree", "themes_codes",
                    "commune.code", "conseiller.id", "structure.id"]
    show_columns = list_columns + [f"age_{c}" for c in ("moins_12", "12_18", "18_35", "35_60", "plus_60")] + [
        f"statut_{c}" for c in ("etudiant", "sans_emploi", "en_emploi", "retraite", "heterogene")] + ["source",
                                                                                                    "created_at"]
    add_columns = ["date"]
    order_columns = ["id", "date"]
    search_columns = ["date", "canal", "activite", "duree"]
    base_order = ("date", "desc")

    def post_headless(self):
        """One report (an object) or several (a list, at most 500): all recorded, or none."""
        user = utilisateur_courant()
        if not getattr(user, "conseiller_id", None):
            return self.response(403, message="Seul un conseiller numérique dépose ses comptes rendus d'activité.")
        if not request.is_json:
            return self.response_400(message="Corps JSON attendu.")
        payload = request.get_json(silent=True)
        lot = payload if isinstance(payload, list) else [payload]
        if not lot or len(lot) > LOT_MAX or not all(isinstance(p, dict) for p in lot):
            return self.response_400(message=f"Un objet ou une liste de 1 à {LOT_MAX} objets est attendu.")
        conseiller = db.session.get(Conseiller, user.conseiller_id)
        if conseiller is None or conseiller.structure_id is None:
            return self.response(409, message="Votre compte n'est rattaché à aucune structure : "
                                              "contactez le support.")
        rapports, erreurs = [], {}
        valides = []
        for index, donnees in enumerate(lot):
            try:
                valides.append((index, valider(donnees)))
            except CraInvalide as exc:
                erreurs[str(index) if isinstance(payload, list) else "cra"] = exc.erreurs
        communes = communes_connues({cra["commune_code"] for _, cra in valides if cra["commune_code"]})
        for index, cra in valides:
            if cra["commune_code"] and cra["commune_code"] not in communes:
                erreurs[str(index) if isinstance(payload, list) else "cra"] = {"commune_code": "Commune inconnue."}
                continue
            cra.update(conseiller_id=conseiller.id, structure_id=conseiller.structure_id, source="api")
            rapports.append(cra)
        if erreurs:
            messages = erreurs if isinstance(payload, list) else erreurs["cra"]
            return self.response_400(message=messages)
        ids = agregats.enregistrer(rapports, retourner_ids=True)
        db.session.commit()
        results = [_json(c, i) for c, i in zip(rapports, ids, strict=True)]
        if isinstance(payload, list):
            return self.response(201, result=results)
        return self.response(201, id=results[0]["id"], result=results[0])
