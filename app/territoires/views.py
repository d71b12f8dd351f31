"""JSON endpoint of « Rechercher la collectivité », used by the forms (public ones included)."""

from flask import jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.territoires.recherche import LIMITE_DEFAUT, LIMITE_MAX, TYPES, RechercheInvalide, rechercher


def _bad_request(message: str):
    return jsonify(message=message), 400


class TerritoiresView(BaseView):
    """GET /territoires/recherche?q=…&types=commune,epci&departement=38&region=84&limit=10

    Answers ``{"resultats": [{type, code, nom, libelle, departement, region, population}, …]}``,
    best matches first; a wrong parameter gives 400 ``{"message": "…"}`` in French. Granted to
    every role and to the Public role (`Territoires` / `can_search`, app/security/roles.py).
    """

    route_base = "/territoires"
    class_permission_name = "Territoires"
    default_view = "search"

    @expose("/recherche")
    @has_access
    def search(self):  # FAB derives the permission from the name: can_search
        args = request.args
        q = args.get("q")
        if q is None:
            return _bad_request("Le paramètre « q » (texte recherché) est obligatoire.")
        types = args.get("types")
        types = TYPES if types is None else tuple(t for t in types.split(","))
        limit = args.get("limit", str(LIMITE_DEFAUT)).strip()
        if not limit.isdigit() or not 1 <= int(limit) <= LIMITE_MAX:
            return _bad_request(f"Le paramètre « limit » doit être un entier entre 1 et {LIMITE_MAX}.")
        try:
            resultats = rechercher(q, types=types, departement=args.get("departement") or None,
                                   region=args.get("region") or None, limit=int(limit))
        except RechercheInvalide as error:
            return _bad_request(str(error))
        return jsonify(resultats=resultats)


def register_views(app, appbuilder) -> None:
    appbuilder.add_view_no_menu(TerritoiresView)  # JSON « Rechercher la collectivité », no menu entry
