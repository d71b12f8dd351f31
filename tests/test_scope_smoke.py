from app.extensions import db
from app.models import Structure
from app.security import roles
from tests.conftest import api_token, login
from tests.factories import make_structure, make_user


def test_prefet_departement_sees_only_its_departement(client):
    isere = make_structure("38", nom="Mairie de Grenoble")
    savoie = make_structure("74", nom="Mairie d'Annecy")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    page = client.get("/structures/list/").get_data(as_text=True)
    assert "Mairie de Grenoble" in page
    assert "Annecy" not in page
    assert client.get(f"/structures/show/{isere.id}").status_code == 200
    assert client.get(f"/structures/show/{savoie.id}").status_code == 404


def test_api_is_scoped(client):
    make_structure("38", nom="Mairie de Grenoble")
    savoie = make_structure("74", nom="Mairie d'Annecy")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    headers = api_token(client, "prefet-38")
    listing = client.get("/api/v1/structure/", headers=headers)
    assert listing.status_code == 200, listing.json
    assert [r["nom"] for r in listing.json["result"]] == ["Mairie de Grenoble"]
    assert client.get(f"/api/v1/structure/{savoie.id}", headers=headers).status_code == 404


def test_territory_search_filters_offer_and_apply_the_territory_only(client):
    make_structure("38", nom="Mairie de Grenoble")
    make_structure("74", nom="Mairie d'Annecy")
    make_structure("75", nom="Mairie de Paris")
    make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")
    login(client, "prefet-ara")
    page = client.get("/structures/list/").get_data(as_text=True)
    # FAB writes each filter's field into its script as JSON (hence the escapes).
    assert '\\u003coption value=\\"38\\"\\u003eIs\\u00e8re (38)' in page
    assert 'value=\\"75\\"' not in page
    assert 'value=\\"84\\"' in page and 'value=\\"11\\"' not in page

    isere = client.get("/structures/list/?_flt_0_departement=38").get_data(as_text=True)
    assert "Mairie de Grenoble" in isere and "Annecy" not in isere
    paris = client.get("/structures/list/?_flt_0_departement=75").get_data(as_text=True)
    assert "Mairie de Paris" not in paris  # a filter never widens the territory


def test_api_pages_follow_a_stable_order(client):
    ids = [make_structure("38", nom=nom).id for nom in ("Zèbre numérique", "Alpha", "Mairie")]
    first = db.session.get(Structure, ids[0])
    first.nom = "Zèbre numérique (renommée)"  # PostgreSQL now stores this row last
    db.session.commit()
    make_user(roles.ANCT, "anct")
    headers = api_token(client, "anct")
    pages = [client.get(f"/api/v1/structure/?q=(page:{n},page_size:2)", headers=headers).json for n in (0, 1)]
    assert pages[0]["ids"] + pages[1]["ids"] == ids
