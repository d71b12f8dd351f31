"""Walks every registered route for every role and fails on any territorial leak.

Out-of-scope data lives in Paris (département 75, région Île-de-France), which no
non-national demo account covers. Each request substitutes out-of-scope ids for the route's
arguments; the response must not contain an out-of-scope marker, and no write may change
out-of-scope rows or create one. New views are picked up automatically from the URL map;
a new scoped model must register its out-of-scope row in OUT_OF_SCOPE below (the test says so).
"""

import re
from collections.abc import Callable

import pytest
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Conseiller, Contrat, Structure
from app.security import roles
from app.security.scope import READ_RULES
from tests.candidatures_fixtures import OUT_OF_SCOPE_CANDIDATURES
from tests.conftest import login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user
from tests.factories_statistiques import hors_perimetre as OUT_OF_SCOPE_STATISTIQUES
from tests.gouvernances_fixtures import OUT_OF_SCOPE_GOUVERNANCES

MARKER = "HORSCHAMPX"  # appears in every out-of-scope row's visible fields
IN_MARKER = "DANSCHAMPX"

# model -> builder(in_scope: bool) returning the row; later modules add theirs here.
OUT_OF_SCOPE: dict[type, Callable] = {
    **OUT_OF_SCOPE_CANDIDATURES,
    **OUT_OF_SCOPE_STATISTIQUES(),
    **OUT_OF_SCOPE_GOUVERNANCES,
}


def _structure(departement: str, tag: str) -> Structure:
    return make_structure(departement, nom=f"Mairie {tag}", contact_email=f"{tag.lower()}@exemple.fr",
                          contact_nom=tag)


def _build_world() -> dict:
    world = {"out": {}, "in": {}}
    out_structure = _structure("75", MARKER)
    in_structure = _structure("38", IN_MARKER)
    out_conseiller = make_conseiller(out_structure, nom=MARKER, email_pro=f"{MARKER.lower()}@cn.fr")
    in_conseiller = make_conseiller(in_structure, nom=IN_MARKER, email_pro=f"{IN_MARKER.lower()}@cn.fr")
    world["out"][Structure] = out_structure
    world["in"][Structure] = in_structure
    world["out"][Conseiller] = out_conseiller
    world["in"][Conseiller] = in_conseiller
    world["out"][Contrat] = make_contrat(out_conseiller, out_structure, motif_renvoi=MARKER)
    world["in"][Contrat] = make_contrat(in_conseiller, in_structure, motif_renvoi=IN_MARKER)
    for model, builder in OUT_OF_SCOPE.items():
        world["out"][model] = builder(out_structure)
    # A national account whose details only ANCT may read.
    make_user(roles.ANCT, f"compte-{MARKER.lower()}")
    world["users"] = {
        "prefet-38": make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38"),
        "prefet-ara": make_user(roles.PREFET_REGION, "prefet-ara", region_code="84"),
        "structure": make_user(roles.STRUCTURE, "structure-in", structure_id=in_structure.id),
        "conseiller": make_user(roles.CONSEILLER, "conseiller-in", conseiller_id=in_conseiller.id),
        "hub": make_user(roles.HUB, "hub-ara", region_code="84"),
    }
    return world


def _snapshot(world) -> dict:
    db.session.expire_all()
    snap = {}
    for model, row in world["out"].items():
        pk = db.inspect(model).primary_key[0]
        fresh = db.session.scalar(select(model).where(pk == getattr(row, pk.key)))
        snap[model.__name__] = None if fresh is None else {
            c.key: getattr(fresh, c.key) for c in db.inspect(model).column_attrs if c.key not in ("updated_at",)
        }
    snap["paris_structures"] = db.session.scalars(select(Structure.id).where(Structure.departement_code == "75")
                                                  .order_by(Structure.id)).all()
    snap["paris_conseillers"] = db.session.scalars(
        select(Conseiller.id).join(Structure).where(Structure.departement_code == "75").order_by(Conseiller.id)).all()
    return snap


SKIP_ENDPOINTS = {"static", "appbuilder.static", "AuthDBView.logout", "LocaleView.index", "UtilView.back",
                  "SecurityApi.login", "SecurityApi.refresh"}


def _view_models() -> dict[str, type]:
    """Endpoint prefix (view class name) -> model, for every FAB view with a datamodel."""
    result = {}
    for view in current_app.appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        if datamodel is not None:
            result[view.__class__.__name__] = datamodel.obj
    return result


def _urls(rule, ids: list) -> list[str]:
    args = [a for a in rule.arguments]
    if not args:
        return [rule.rule]
    urls = []
    for ident in ids:
        values = {}
        for arg in args:
            converter = rule._converters[arg].__class__.__name__
            if arg in ("filename",):
                values[arg] = "x.csv"
            elif arg in ("name",):
                values[arg] = "delete"
            elif arg in ("token",):
                values[arg] = "jeton-invalide"
            elif arg in ("group_by",):
                values[arg] = "x"
            elif arg in ("locale",):
                values[arg] = "fr"
            else:
                values[arg] = ident if converter != "UnicodeConverter" or True else ident
        try:
            urls.append(current_app.url_map.bind("localhost").build(rule.endpoint, values))
        except Exception:
            continue
    return urls


def _assert_no_leak(response, where: str) -> None:
    body = response.get_data(as_text=True)
    assert MARKER not in body and MARKER.lower() not in body, f"fuite de données hors périmètre : {where}"


ROLE_NAMES = ["anonyme", "prefet-38", "prefet-ara", "structure", "conseiller", "hub"]


@pytest.mark.parametrize("who", ROLE_NAMES)
def test_no_route_leaks_out_of_scope_data(app, client, who):
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; here every write must reach the guard
    try:
        world = _build_world()
        missing = [m.__name__ for m in READ_RULES if m not in world["out"]]
        assert not missing, f"ajoutez une ligne hors périmètre pour {missing} dans OUT_OF_SCOPE"
        if who != "anonyme":
            login(client, world["users"][who].username)
        before = _snapshot(world)
        view_models = _view_models()
        out_ids = {model: db.inspect(model).primary_key[0] for model in world["out"]}
        all_out_ids = sorted({getattr(row, out_ids[m].key) for m, row in world["out"].items()}, key=str)
        visited = 0
        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIP_ENDPOINTS:
                continue
            view_name = rule.endpoint.split(".")[0]
            model = view_models.get(view_name)
            if model is not None and model in world["out"]:
                ids = [getattr(world["out"][model], out_ids[model].key)]
            else:
                ids = all_out_ids
            for url in _urls(rule, ids):
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    if method == "GET":
                        response = client.get(url)
                    elif rule.rule.startswith("/api/"):
                        response = client.open(url, method=method, json={"nom": "PIRATE", "departement": "75",
                                                                         "structure": ids[0]})
                    else:
                        response = client.open(url, method=method, data={"nom": "PIRATE", "departement": "75"})
                    visited += 1
                    assert response.status_code < 500, f"{method} {url} -> {response.status_code}"
                    _assert_no_leak(response, f"{who} {method} {url} ({response.status_code})")
            if who != "anonyme":
                # Logging out through a route would end the walk: re-login if a view did.
                with client.session_transaction() as session:
                    if "_user_id" not in session:
                        login(client, world["users"][who].username)
        assert visited > 100
        assert _snapshot(world) == before, f"{who} a modifié des données hors de son territoire"
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_in_scope_rows_are_visible(client):
    """The walk would pass trivially if everything were denied: the right rows must show."""
    world = _build_world()
    login(client, "prefet-38")
    for url in ("/structures/list/", "/conseillers/list/", "/contrats/list/"):
        assert IN_MARKER.lower() in client.get(url).get_data(as_text=True).lower(), url
    assert client.get(f"/structures/show/{world['in'][Structure].id}").status_code == 200


@pytest.mark.parametrize("payload", [
    {"nom": "Créée hors champ", "type": "commune", "departement": "75", "statut": "validee"},
    {"nom": "Créée hors champ", "type": "commune", "departement": "74", "statut": "validee"},
])
def test_api_creation_outside_territory_is_refused(client, payload):
    from tests.conftest import api_token

    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    headers = api_token(client, "prefet-38")
    response = client.post("/api/v1/structure/", json=payload, headers=headers)
    assert response.status_code in (403, 404, 422), response.json
    assert db.session.scalar(select(Structure).where(Structure.nom == "Créée hors champ")) is None


def test_moving_a_row_out_of_the_territory_is_refused(client):
    from tests.conftest import api_token

    structure = make_structure("38", nom="Mairie de Voiron")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    headers = api_token(client, "prefet-38")
    response = client.put(f"/api/v1/structure/{structure.id}", json={"departement": "74"}, headers=headers)
    assert response.status_code in (403, 404, 422)
    db.session.expire_all()
    assert db.session.get(Structure, structure.id).departement_code == "38"


def test_delete_requires_post_with_csrf(client):
    structure = make_structure("38")
    make_user(roles.ANCT, "admin")
    login(client, "admin")
    client.get(f"/structures/delete/{structure.id}")
    db.session.expire_all()
    assert db.session.get(Structure, structure.id) is not None
    response = client.post(f"/structures/delete/{structure.id}")
    assert response.status_code == 400  # no CSRF token
    assert db.session.get(Structure, structure.id) is not None


def test_no_unexpected_endpoint_is_public(client):
    """Anonymous visitors reach only the login page, public forms and static files."""
    public_prefixes = ("/login", "/static", "/api/v1/security", "/territoires/recherche", "/candidater",
                       "/participer", "/formulaires/remplir", "/invitation", "/lang", "/api/v1/_openapi", "/aide",
                       # published content for the public audience (app/contenus), by design
                       "/api/v1/page/", "/api/v1/document/", "/api/v1/faq/", "/api/v1/actualite/")
    allowed = []
    for rule in current_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint in SKIP_ENDPOINTS:
            continue
        response = client.get(rule.rule)
        if response.status_code == 200 and not rule.rule.startswith(public_prefixes):
            allowed.append(rule.rule)
    assert allowed in ([], ["/"]) or re.fullmatch(r"\[.*\]", str(allowed)) is None, allowed
    assert not [u for u in allowed if u != "/"], f"pages accessibles sans connexion : {allowed}"


def test_write_guard_refuses_out_of_scope_changes_from_any_code_path(app):
    """The before_flush guard: a workflow function acting for a préfet cannot write elsewhere."""
    from flask import g

    from app.security.scope import OutOfScope

    autre = make_structure("74", nom="Mairie d'Annecy")
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    with app.test_request_context("/"):
        g.user = prefet
        db.session.add(Structure(nom="Nouvelle", type="commune", departement_code="74", region_code="84"))
        with pytest.raises(OutOfScope):
            db.session.flush()
        db.session.rollback()
        structure = db.session.get(Structure, autre.id)
        structure.nom = "Renommée par un préfet voisin"
        with pytest.raises(OutOfScope):
            db.session.flush()
        db.session.rollback()
        db.session.add(Structure(nom="Dans son département", type="commune", departement_code="38", region_code="84"))
        db.session.commit()
