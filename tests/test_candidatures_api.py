"""REST API of the coordinator call: same rules, same scope, 400/401/403/404/409 with French messages."""

from datetime import date, timedelta

import pytest

from app.candidatures import workflow
from app.candidatures.models import Candidature
from app.extensions import db
from app.models import Conseiller
from app.security import roles
from tests.candidatures_fixtures import at, make_candidature
from tests.conftest import api_token, login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


@pytest.fixture
def monde():
    s38 = make_structure("38", nom="Mairie de Voiron", code_postal="38500")
    s74 = make_structure("74", nom="MJC d'Annecy", code_postal="74000")
    c38 = make_candidature(s38, date_candidature=at(2023, 9, 19))
    c74 = make_candidature(s74, date_candidature=at(2023, 8, 8))
    brouillon = make_candidature(make_structure("38", nom="Brouillon"), "brouillon")
    users = {
        "prefet-38": make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38"),
        "prefet-ara": make_user(roles.PREFET_REGION, "prefet-ara", region_code="84"),
        "anct": make_user(roles.ANCT, "anct"),
        "structure": make_user(roles.STRUCTURE, "structure-38", structure_id=s38.id),
        "bdt": make_user(roles.BANQUE_DES_TERRITOIRES, "bdt"),
    }
    return {"s38": s38, "s74": s74, "c38": c38, "c74": c74, "brouillon": brouillon, "u": users}


def test_list_is_scoped_and_paginated(client, monde):
    headers = api_token(client, "prefet-38")
    response = client.get("/api/v1/candidature/", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert [r["structure"]["nom"] for r in body["result"]] == ["Mairie de Voiron"]
    assert body["count"] == 1 and body["page_size"] == 50 and body["compteurs"]["toutes"] == 1
    assert body["result"][0]["date_candidature"].startswith("2023-09-19")
    national = client.get("/api/v1/candidature/?avis=sans&tri=cp&ordre=desc",
                          headers=api_token(client, "anct")).json
    assert [r["structure"]["code_postal"] for r in national["result"]] == ["74000", "38500"]


def test_detail_includes_history_and_is_404_out_of_scope(client, monde):
    headers = api_token(client, "prefet-38")
    response = client.get(f"/api/v1/candidature/{monde['c38'].id}", headers=headers)
    assert response.status_code == 200
    result = response.json["result"]
    assert result["structure"]["contact"]["email"] == monde["s38"].contact_email
    assert result["reponses"] == [] and result["historique"][0]["evenement"] == "creation"
    for ident in (monde["c74"].id, monde["brouillon"].id, 999999):
        missing = client.get(f"/api/v1/candidature/{ident}", headers=headers)
        assert missing.status_code == 404
        assert missing.json["message"] == "Cette ressource n'existe pas ou ne fait pas partie de votre territoire."


def test_avis_through_the_api(client, monde):
    headers = api_token(client, "prefet-38")
    url = f"/api/v1/candidature/{monde['c38'].id}/avis"

    bad = client.post(url, json={"avis": "super", "commentaire": ""}, headers=headers)
    assert bad.status_code == 400
    assert bad.json["errors"] == {"avis": "Choisissez un avis favorable ou défavorable.",
                                  "commentaire": "Le commentaire est obligatoire."}
    long = client.post(url, json={"avis": "favorable", "commentaire": "x" * 251}, headers=headers)
    assert long.status_code == 400 and "250 caractères" in long.json["errors"]["commentaire"]
    assert client.post(url, data="pas du json", headers=headers).status_code == 400
    assert client.post(url, json={"avis": "favorable", "commentaire": 12}, headers=headers).status_code == 400

    ok = client.post(url, json={"avis": "favorable", "commentaire": "Projet solide"}, headers=headers)
    assert ok.status_code == 200 and ok.json["result"]["avis"] == "favorable"

    again = client.post(url, json={"avis": "defavorable", "commentaire": "Non"},
                        headers=api_token(client, "prefet-ara"))
    assert again.status_code == 409 and "déjà été donné" in again.json["message"]

    out = client.post(f"/api/v1/candidature/{monde['c74'].id}/avis",
                      json={"avis": "favorable", "commentaire": "x"}, headers=headers)
    assert out.status_code == 404
    db.session.expire_all()
    assert db.session.get(Candidature, monde["c74"].id).avis is None


def test_avis_wrong_role_is_403(client, monde):
    for who in ("structure", "bdt"):
        response = client.post(f"/api/v1/candidature/{monde['c38'].id}/avis",
                               json={"avis": "favorable", "commentaire": "x"},
                               headers=api_token(client, monde["u"][who].username))
        assert response.status_code == 403
        assert response.json["message"] == "Votre rôle ne permet pas cette action."
    # ANCT has every permission but is no préfet: the rule says no.
    anct = client.post(f"/api/v1/candidature/{monde['c38'].id}/avis", json={"avis": "favorable", "commentaire": "x"},
                       headers=api_token(client, "anct"))
    assert anct.status_code == 403 and "préfet" in anct.json["message"]


def test_decision_anct_only(client, monde):
    url = f"/api/v1/candidature/{monde['c38'].id}/decision"
    prefet = client.post(url, json={"decision": "validee"}, headers=api_token(client, "prefet-38"))
    assert prefet.status_code == 403
    headers = api_token(client, "anct")
    bad = client.post(url, json={"decision": "oui"}, headers=headers)
    assert bad.status_code == 400 and "decision" in bad.json["errors"]
    ok = client.post(url, json={"decision": "validee", "commentaire": "Bon projet"}, headers=headers)
    assert ok.status_code == 200 and ok.json["result"]["statut"] == "validee"
    assert ok.json["result"]["poste"] == "vacant"
    again = client.post(url, json={"decision": "refusee"}, headers=headers)
    assert again.status_code == 409 and "déjà été validée" in again.json["message"]
    brouillon = client.post(f"/api/v1/candidature/{monde['brouillon'].id}/decision", json={"decision": "validee"},
                            headers=headers)
    assert brouillon.status_code == 409


def test_writes_need_a_token_not_a_cookie(client, monde):
    """The API is exempt from CSRF: a browser session alone must not be able to write through it."""
    login(client, "prefet-38")
    assert client.get(f"/api/v1/candidature/{monde['c38'].id}").status_code == 200  # reading with the session
    response = client.post(f"/api/v1/candidature/{monde['c38'].id}/avis",
                           json={"avis": "favorable", "commentaire": "CSRF"})
    assert response.status_code == 401
    db.session.expire_all()
    assert db.session.get(Candidature, monde["c38"].id).avis is None


def test_anonymous_gets_401(client, monde):
    assert client.get("/api/v1/candidature/").status_code == 401


def _en_poste(structure, **fields):
    conseiller = make_conseiller(structure, **fields)
    make_contrat(conseiller, structure, date_debut=date.today() - timedelta(days=30),
                 date_fin=date.today() + timedelta(days=300))
    return conseiller


def test_structure_attributes_coordinator_role(client, monde):
    s38 = monde["s38"]
    workflow.decider(monde["c38"], monde["u"]["anct"], "validee")
    alice, bob = _en_poste(s38, prenom="Alice"), _en_poste(s38, prenom="Bob")
    url = f"/api/v1/structure/{s38.id}/coordinateur"
    headers = api_token(client, "structure-38")

    assert client.post(url, json={"conseiller_id": "abc"}, headers=headers).status_code == 400
    ailleurs = _en_poste(monde["s74"])
    wrong = client.post(url, json={"conseiller_id": ailleurs.id}, headers=headers)
    assert wrong.status_code == 400 and "contrat en cours" in wrong.json["errors"]["conseiller_id"]

    ok = client.post(url, json={"conseiller_id": alice.id}, headers=headers)
    assert ok.status_code == 200, ok.json
    assert ok.json["result"]["postes_disponibles"] == 0
    db.session.expire_all()
    assert db.session.get(Conseiller, alice.id).est_coordinateur

    quota = client.post(url, json={"conseiller_id": bob.id}, headers=headers)
    assert quota.status_code == 409 and "plus de poste de coordinateur disponible" in quota.json["message"]

    other = client.post(f"/api/v1/structure/{monde['s74'].id}/coordinateur", json={"conseiller_id": ailleurs.id},
                        headers=headers)
    assert other.status_code == 404
    prefet = client.post(url, json={"conseiller_id": bob.id}, headers=api_token(client, "prefet-38"))
    assert prefet.status_code == 403
