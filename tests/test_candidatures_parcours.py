"""The application journey through the form engine: public application, emailed motivation link,
motivation form, the préfet's list; the dashboard path of a programme structure; flood protection;
every email delivered once to a real SMTP server on loopback."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select
from stdnum import luhn

import config
from app import create_app
from app.candidatures.models import Candidature
from app.extensions import db
from app.formulaires.models import Soumission
from app.mail import deliver_pending
from app.mail.models import OutboxMessage
from app.models import Structure
from app.security import roles
from tests.candidatures_fixtures import make_candidature
from tests.conftest import api_token, csrf_token, login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user
from tests.mail_helpers import SMTPServer


def siret(base: str) -> str:
    """A valid SIRET from 12 digits: SIREN (8 digits + Luhn key), NIC (4 digits + Luhn key of the 13)."""
    base = (base + "0" * 12)[:12]
    siren = base[:8] + luhn.calc_check_digit(base[:8])
    return siren + base[8:] + luhn.calc_check_digit(siren + base[8:])


def candidature_publique(**changes) -> dict:
    data = {
        "type_structure": "privee", "nom": "Maison des habitants MJC", "siret": siret("4242424200001"),
        "adresse": "12 rue des Alpes", "code_postal": "74160", "commune": "Saint-Julien-en-Genevois",
        "contact_prenom": "Jean-Claude", "contact_nom": "Dusse", "contact_fonction": "Directeur",
        "contact_email": "jc.dusse@mjc-exemple.fr", "contact_telephone": "06 12 34 56 78",
        "candidat_identifie": "non", "candidature_coordinateur": "oui", "echelon_coordinateur": "bassin_de_vie",
        "missions_coordinateur": "coordination",
    }
    data.update(changes)
    return data


MOTIVATION = {
    "strategie_inclusion": "Action de coordination territoriale", "dispositif_conseiller_numerique": "jamais",
    "raisons_candidature": "Animer le réseau des médiateurs du Genevois", "coordination_existante": "oui",
    "structures_collaboration": "Mairie, centre social", "positionnement_coordinateur": "Rattaché à la direction",
    "zone_geographique": "Communauté de communes du Genevois", "echelon_geographique": "bassin_de_vie",
    "adhesion_structures": "non",
}


def valeurs_affichees(html: str) -> dict:
    """What a browser would send back unchanged: the text inputs' current values (pre-filled fields)."""
    values = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and value and (kind is None or kind.group(1) in ("text", "email", "tel")):
            values[name.group(1)] = unescape(value.group(1))
    return values


def poster(client, url: str, data: dict, action: str = "deposer"):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**valeurs_affichees(html), **data, "csrf_token": csrf_token(html),
                                  "action": action})


def chemin(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def lien_motivation(message: OutboxMessage) -> str:
    return chemin(re.search(r"https?://\S+/formulaires/remplir/\S+", message.text_body).group(0))


def test_public_application_then_motivation_then_prefet(client):
    page = client.get("/candidater/coordinateur")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Candidater pour un poste de conseiller numérique coordinateur" in html
    assert db.session.scalar(select(func.count(Soumission.id))) == 0  # nothing written on GET

    response = poster(client, "/candidater/coordinateur", candidature_publique())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    structure = db.session.scalar(select(Structure))
    assert (structure.nom, structure.statut, structure.departement_code, structure.region_code) == (
        "Maison des habitants MJC", "candidate", "74", "84")
    assert structure.contact_email == "jc.dusse@mjc-exemple.fr" and structure.type == "privee"
    candidature = db.session.scalar(select(Candidature))
    assert (candidature.statut, candidature.origine, candidature.date_candidature) == ("brouillon", "publique", None)
    [recue] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "candidature_recue"))
    assert recue.subject == "Candidature pour un poste de coordinateur"
    assert recue.recipients == ["jc.dusse@mjc-exemple.fr"]
    assert "Bonjour Jean-Claude" in recue.text_body

    # The personal link opens the motivation form, pre-filled with what is known.
    lien = lien_motivation(recue)
    motivation = client.get(lien)
    assert motivation.status_code == 200
    assert 'value="Maison des habitants MJC"' in motivation.get_data(as_text=True)
    submitted = poster(client, lien, MOTIVATION)
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:3000]
    db.session.expire_all()
    candidature = db.session.get(Candidature, candidature.id)
    assert candidature.statut == "nouvelle" and candidature.date_candidature is not None
    assert [t.evenement for t in candidature.transitions] == ["creation", "motivation"]

    # The préfet of Haute-Savoie finds it, with the answers of both forms as they were asked.
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    login(client, "prefet-74")
    liste = client.get("/candidatures/?onglet=nouvelles&avis=sans").get_data(as_text=True)
    assert "Maison des habitants MJC" in liste and "74160" in liste
    detail = client.get(f"/candidatures/{candidature.id}").get_data(as_text=True)
    assert "Opérez-vous déjà une action de coordination" in detail
    assert "Action de coordination territoriale" in detail
    assert "Candidatez-vous pour un poste de conseiller numérique coordinateur" in detail
    assert "version 1" in detail
    # The API gives the same answers.
    client.get("/logout/")
    api = client.get(f"/api/v1/candidature/{candidature.id}", headers=api_token(client, "prefet-74")).json
    assert [r["formulaire"] for r in api["result"]["reponses"]] == ["candidature-coordinateur",
                                                                     "motivation-coordinateur"]
    motivation = {q["label"]: q["value_text"] for q in api["result"]["reponses"][1]["questions"]}
    assert motivation["Avez-vous mis en place une stratégie d'inclusion numérique ? Si oui, quelles actions "
                      "menez-vous dans ce cadre ?"] == "Action de coordination territoriale"


def test_a_programme_structure_is_told_to_use_its_dashboard(client):
    make_structure("38", nom="Mairie de Grenoble", siret=siret("2138018500001"), statut="validee")
    response = poster(client, "/candidater/coordinateur", candidature_publique(siret=siret("2138018500001")))
    assert response.status_code == 422
    assert "Coordination territoriale" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Candidature.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(Structure.id))) == 1
    # Nothing submitted. (On SQLite the engine's empty draft may survive the rollback: pysqlite commits a
    # savepoint released at the start of a transaction — reported, outside this package.)
    assert db.session.scalar(select(func.count(Soumission.id)).where(Soumission.statut == "soumise")) == 0


def test_one_open_application_per_siret_and_a_refused_structure_may_apply_again(client):
    data = candidature_publique()
    assert poster(client, "/candidater/coordinateur", data).status_code == 302
    again = poster(client, "/candidater/coordinateur", data)
    assert again.status_code == 422 and "déjà en cours" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Candidature.id))) == 1
    # Once refused (structure "refus coordinateur"), the same SIRET may apply again.
    db.session.execute(Candidature.__table__.update().values(statut="refusee"))
    db.session.execute(Structure.__table__.update().values(statut="refus_coordinateur"))
    db.session.commit()
    assert poster(client, "/candidater/coordinateur", data).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Structure.statut)) == "candidate"
    assert db.session.scalar(select(func.count(Candidature.id))) == 2


def test_invalid_application_is_not_stored(client):
    response = poster(client, "/candidater/coordinateur", candidature_publique(siret="12345678901234", nom=""))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Structure.id))) == 0


def test_dashboard_motivation_for_a_programme_structure(client):
    structure = make_structure("38", nom="Mairie de Voiron", siret=siret("2138056300001"))
    make_user(roles.STRUCTURE, "structure-voiron", structure_id=structure.id)
    login(client, "structure-voiron")
    html = client.get("/coordination/recrutement").get_data(as_text=True)
    assert "Compléter le formulaire de motivation" in html
    response = client.post("/coordination/recrutement/motivation", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    lien = chemin(response.headers["Location"])
    assert lien.startswith("/formulaires/remplir/")
    form = client.get(lien).get_data(as_text=True)
    assert 'value="Mairie de Voiron"' in form
    # Coming back resumes the same draft rather than opening a second request.
    html = client.get("/coordination/recrutement").get_data(as_text=True)
    assert "Reprendre le formulaire de motivation" in html
    token = csrf_token(html)
    again = client.post("/coordination/recrutement/motivation", data={"csrf_token": token})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Candidature.id))) == 1
    assert poster(client, lien, {**MOTIVATION, "contact_prenom": "Léa", "contact_nom": "Gislais",
                                 "contact_email": "lea@voiron.fr"}).status_code == 302
    db.session.expire_all()
    candidature = db.session.scalar(select(Candidature))
    assert candidature.statut == "nouvelle" and candidature.origine == "tableau_de_pilotage"
    html = client.get("/coordination/recrutement").get_data(as_text=True)
    assert "en cours d'instruction" in html
    assert "Compléter le formulaire de motivation</button>" not in html  # no second request while one is open
    refused = client.post("/coordination/recrutement/motivation", data={"csrf_token": token})
    assert refused.status_code == 409 and "déjà été transmis" in refused.get_data(as_text=True)


def test_motivation_of_a_decided_request_cannot_be_resubmitted(client):
    from app.candidatures import workflow
    from app.formulaires import service

    structure = make_structure("38")
    candidature = make_candidature(structure, "brouillon")
    soumission = workflow._motivation(candidature)
    db.session.commit()
    db.session.execute(Candidature.__table__.update().values(statut="refusee"))
    db.session.commit()
    lien = chemin(service.fill_url(soumission))
    response = poster(client, lien, {**MOTIVATION, "structure_nom": "X", "structure_siret": siret("2138056300001"),
                                     "contact_prenom": "A", "contact_nom": "B", "contact_email": "a@b.fr"})
    assert response.status_code == 422 and "déjà été transmis" in response.get_data(as_text=True)


def test_csrf_is_required_on_the_public_page(client):
    response = client.post("/candidater/coordinateur", data={**candidature_publique(), "action": "deposer"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Structure.id))) == 0


@pytest.fixture
def limited_app(app):
    class Limited(config.TestConfig):
        RATELIMIT_ENABLED = True
        CANDIDATURE_PUBLIQUE_RATE_LIMIT = "3 per minute"
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    second = create_app(Limited)
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def test_public_page_is_rate_limited(limited_app):
    client = limited_app.test_client()
    with limited_app.app_context():
        statuses = [poster(client, "/candidater/coordinateur", {"nom": f"Flood {i}"}).status_code
                    for i in range(3)]
        assert statuses == [422, 422, 422]
        blocked = poster(client, "/candidater/coordinateur", candidature_publique())
        assert blocked.status_code == 429
        assert "Trop de" in blocked.get_data(as_text=True)
        # The engine's generic route of the same form shares the counter.
        generic = poster(client, "/formulaires/commencer/candidature-coordinateur", candidature_publique())
        assert generic.status_code == 429
        assert client.get("/candidater/coordinateur").status_code == 200  # reading stays possible
        assert db.session.scalar(select(func.count(Structure.id))) == 0


def test_every_email_of_the_journey_is_delivered_once(app, client):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    anct = make_user(roles.ANCT, "anct")
    assert poster(client, "/candidater/coordinateur", candidature_publique()).status_code == 302
    recue = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "candidature_recue"))
    assert poster(client, lien_motivation(recue), MOTIVATION).status_code == 302

    from app.candidatures import workflow

    workflow.envoyer_digest_prefets()
    candidature = db.session.scalar(select(Candidature))
    workflow.donner_avis(candidature, db.session.scalar(select(type(anct)).where(type(anct).username == "prefet-74")),
                         "favorable", "Acteur reconnu du territoire")
    workflow.decider(db.session.get(Candidature, candidature.id), anct, "validee")
    # The structure (its account from the invitation) names a conseiller it employs coordinator.
    structure = db.session.scalar(select(Structure))
    compte = make_user(roles.STRUCTURE, "structure-mjc", structure_id=structure.id)
    conseiller = make_conseiller(structure, prenom="Léa", email_pro="lea@conseiller-numerique.fr")
    make_contrat(conseiller, structure, date_debut=date.today() - timedelta(days=30),
                 date_fin=date.today() + timedelta(days=300))
    workflow.attribuer_role_coordinateur(structure, conseiller, compte)

    previous_port = app.config["MAIL_PORT"]
    with SMTPServer() as smtp:
        app.config["MAIL_PORT"] = smtp.port
        try:
            deliver_pending()
            deliver_pending()  # a second run sends nothing again
            workflow.envoyer_digest_prefets()
            deliver_pending()
        finally:
            app.config["MAIL_PORT"] = previous_port
        received = smtp.received
    subjects = sorted(r.message["Subject"] for r in received)
    assert subjects == sorted([
        "Candidature pour un poste de coordinateur",
        "1 nouvelle demande de coordinateur à examiner — Haute-Savoie (74)",
        "Bienvenue sur votre tableau de pilotage",
        "Demande de coordinateur validée — Maison des habitants MJC",
        "Votre demande de poste de coordinateur est validée",
        "Bienvenue parmi les coordinateurs",
    ]), subjects
    assert len(subjects) == len(set(subjects))  # each once
    by_subject = {r.message["Subject"]: r for r in received}
    assert by_subject["Candidature pour un poste de coordinateur"].rcpt_tos == ["jc.dusse@mjc-exemple.fr"]
    assert by_subject["Demande de coordinateur validée — Maison des habitants MJC"].rcpt_tos == [
        "prefet-74@exemple.fr"]
    body = by_subject["Candidature pour un poste de coordinateur"].message.get_body(("plain",)).get_content()
    assert "/formulaires/remplir/" in body
    assert by_subject["Bienvenue parmi les coordinateurs"].rcpt_tos == ["lea@conseiller-numerique.fr"]
    assert by_subject["Bienvenue sur votre tableau de pilotage"].rcpt_tos == ["jc.dusse@mjc-exemple.fr"]
