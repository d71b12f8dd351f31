"""Issue 5's "Done means", without a browser: a commune and an EPCI fill their forms through the public
pages; prefet-38's counters change; prefet-38 reports a gouvernance pressentie with two recruiting
SIRETs; once the deadline has passed (time travel: the milestone is edited), editing is refused in the
screens and through the API."""

import re

from sqlalchemy import select

from app.extensions import db
from app.gouvernances import calendrier
from app.gouvernances.models import GouvernancePressentie
from app.security import roles
from tests.conftest import api_token, csrf_token, login
from tests.factories import make_user
from tests.gouvernances_fixtures import CONTACT_POLITIQUE, SIRET_A, SIRET_CD38, fermer, ouvrir


def _post(client, url, data, page_url=None):
    page = client.get(page_url or url)
    assert page.status_code == 200, (url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def _commencer(client, persona, nom, email) -> str:
    response = _post(client, "/participer/", {"persona": persona, "nom": nom, "email": email})
    assert response.status_code == 302
    return re.search(r"/participer/([^/]+)/", response.headers["Location"])[1]


def _compteurs(client) -> dict[str, int]:
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    return {k: int(v) for k, v in re.findall(r'<dd id="compteur-([a-z-]+)">(\d+)</dd>', page)}


def test_done_means(app):
    ouvrir(calendrier.PARTICIPATION)
    ouvrir(calendrier.GOUVERNANCES_PRESSENTIES)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    prefet = app.test_client()
    login(prefet, "prefet-38")
    avant = _compteurs(prefet)
    assert avant == {"porteurs": 0, "suggeres-collectivites": 0, "suggeres-structures": 0,
                     "participants-collectivites": 0, "participants-structures": 0}

    # A commune participates (each visitor in its own application context, as separate requests would be).
    commune = app.test_client()
    with app.app_context():
        jeton = _commencer(commune, "commune", "Claire Durand", "mairie@smh.fr")
        _post(commune, f"/participer/{jeton}/collectivite",
              {"action": "enregistrer", "collectivite": "commune:38421", **CONTACT_POLITIQUE})
        assert _post(commune, f"/participer/{jeton}/envoyer", {},
                     f"/participer/{jeton}/recapitulatif").status_code == 302

    # An EPCI leads a roadmap with two communes and one partner structure.
    epci = app.test_client()
    with app.app_context():
        jeton = _commencer(epci, "epci", "Marc Porteur", "porteur@metro.fr")
        _post(epci, f"/participer/{jeton}/intention", {"intention": "porter"})
        _post(epci, f"/participer/{jeton}/collectivite",
              {"action": "enregistrer", "collectivite": "epci:200040715", **CONTACT_POLITIQUE})
        _post(epci, f"/participer/{jeton}/perimetre", {"action": "enregistrer",
                                                      "membres": ["commune:38185", "commune:38421"]})
        _post(epci, f"/participer/{jeton}/contacts-membres", {"action": "passer"})
        _post(epci, f"/participer/{jeton}/partenaires", {
            "action": "ajouter", "partenaire_nom": "Emmaüs Connect", "partenaire_contact_prenom": "Léa",
            "partenaire_contact_nom": "Martin", "partenaire_contact_email": "lea@emmaus-connect.org"})
        assert _post(epci, f"/participer/{jeton}/envoyer", {},
                     f"/participer/{jeton}/recapitulatif").status_code == 302

    assert _compteurs(prefet) == {"porteurs": 1, "suggeres-collectivites": 2, "suggeres-structures": 1,
                                  "participants-collectivites": 1, "participants-structures": 0}

    # prefet-38 reports a gouvernance pressentie with two recruiting SIRETs.
    url = "/gouvernance/departement/38/remonter"
    response = _post(prefet, url, {"action": "deposer", "perimetre": "epci", "porteur_collectivite": "epci:200040715",
                                   "structures_recruteuses-0-siret": SIRET_CD38,
                                   "structures_recruteuses-1-siret": SIRET_A,
                                   "note_contexte": "La métropole porte la feuille de route."})
    assert response.status_code == 302
    gp = db.session.scalar(select(GouvernancePressentie))
    assert gp.sirets_recruteurs == [SIRET_CD38, SIRET_A]
    page = prefet.get("/gouvernance/departement/38").get_data(as_text=True)
    assert "Proposition modifiable jusqu&#39;au" in page and f'id="modifier-{gp.id}"' in page
    jeton_csrf = csrf_token(prefet.get(f"/gouvernance/pressentie/{gp.id}/modifier").get_data(as_text=True))
    with app.app_context():
        headers = api_token(app.test_client(), "prefet-38")

    # Time travel: the milestone has passed.
    fermer(calendrier.GOUVERNANCES_PRESSENTIES)
    page = prefet.get("/gouvernance/departement/38").get_data(as_text=True)
    assert "Proposition close depuis le" in page and f'id="modifier-{gp.id}"' not in page
    refus = prefet.post(f"/gouvernance/pressentie/{gp.id}/modifier",
                        data={"csrf_token": jeton_csrf, "action": "deposer", "perimetre": "departemental",
                              "porteur_collectivite": "departement:38", "structures_recruteuses-0-siret": SIRET_A,
                              "note_contexte": "Changement"})
    assert refus.status_code == 409 and "La date limite est dépassée" in refus.get_data(as_text=True)
    api = app.test_client()
    with app.app_context():
        refus_api = api.put(f"/api/v1/gouvernance/{gp.id}", headers=headers,
                            json={"perimetre": "departemental", "porteur": "departement:38",
                                  "sirets_recruteurs": [SIRET_A], "note_contexte": "Changement"})
        assert refus_api.status_code == 409 and "date limite est dépassée" in refus_api.json["message"]
        assert api.delete(f"/api/v1/gouvernance/{gp.id}", headers=headers).status_code == 409
    db.session.expire_all()
    gp = db.session.get(GouvernancePressentie, gp.id)
    assert gp.perimetre == "epci" and gp.modifie_le is None and gp.supprimee_le is None
