"""The whole coordinator call (AAC) in a real browser, as issue 4 "Done means" describes it: a structure
applies on the public page, opens the emailed link (read from a real SMTP server on loopback) and fills
the motivation form; prefet-38 gives an avis; anct validates; the structure activates its account from
the invitation and names a conseiller coordinator. Every expected email arrives once; a préfet of
another département gets 404 on the request typed by hand. Key pages pass axe (WCAG 2.1 A/AA)."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.candidatures.models import Candidature
from app.extensions import db
from app.mail import deliver_pending
from app.models import Conseiller, Structure
from app.security import roles
from tests.factories import PASSWORD, make_conseiller, make_contrat, make_user
from tests.mail_helpers import SMTPServer
from tests.navigateur.conftest import assert_accessible, browser_login, screenshot
from tests.test_candidatures_parcours import siret

NOM = "Maison des habitants de Grenoble"
CONTACT = "jc.dusse@mjc-grenoble.fr"
CONSEILLER = "lea.gislais@conseiller-numerique.fr"


@pytest.fixture
def smtp(app):
    previous = app.config["MAIL_PORT"]
    with SMTPServer() as server:
        app.config["MAIL_PORT"] = server.port
        try:
            yield server
        finally:
            app.config["MAIL_PORT"] = previous


def libere() -> None:
    """End the test thread's transaction, so the live server (SQLite) may write and we read fresh rows."""
    db.session.rollback()


def livrer(smtp, attendus: int, timeout: float = 15.0) -> list:
    libere()
    deliver_pending()
    return smtp.wait_for(attendus, timeout)


def lien(message, motif: str) -> str:
    texte = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"https?://\S+{motif}\S+", texte).group(0)


def cocher(page, champ: str, libelle: str) -> None:
    page.locator(f"#champ-{champ}").get_by_label(libelle, exact=True).check(force=True)


def deconnecter(page) -> None:
    page.goto("/logout/")
    page.wait_for_load_state()


def test_parcours_complet_aac(page, smtp):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    make_user(roles.ANCT, "anct")
    libere()

    # 1. Public application, no account.
    page.goto("/candidater/coordinateur")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Candidater")
    assert_accessible(page, "candidature publique")
    cocher(page, "type_structure", "Une structure privée (associations, entreprise de l'ESS, fondations)")
    page.fill("#nom", NOM)
    page.fill("#siret", siret("4242424200001"))
    page.fill("#adresse", "12 rue des Alpes")
    page.fill("#code_postal", "38000")
    page.fill("#commune", "Grenoble")
    page.fill("#contact_prenom", "Jean-Claude")
    page.fill("#contact_nom", "Dusse")
    page.fill("#contact_fonction", "Directeur")
    page.fill("#contact_email", CONTACT)
    page.fill("#contact_telephone", "06 12 34 56 78")
    cocher(page, "candidat_identifie", "Non")
    cocher(page, "candidature_coordinateur", "Oui")
    cocher(page, "echelon_coordinateur", "Bassin de vie (commune, intercommunalité, groupement d'intercommunalités)")
    cocher(page, "missions_coordinateur", "effectuera uniquement des missions de coordination")
    screenshot(page, "aac-1-candidature-publique")
    page.get_by_role("button", name="Déposer le formulaire").click()
    page.wait_for_load_state()
    assert page.locator("#resume-erreurs").count() == 0, page.locator("#resume-erreurs").inner_text()

    # 2. The emailed link, read from the SMTP server, opens the motivation form (pre-filled).
    [recue] = livrer(smtp, 1)
    assert recue["Subject"] == "Candidature pour un poste de coordinateur"
    page.goto(lien(recue, "/formulaires/remplir/"))
    assert page.locator("#structure_nom").input_value() == NOM
    assert_accessible(page, "formulaire de motivation")
    page.fill("#strategie_inclusion", "Action de coordination territoriale")
    cocher(page, "dispositif_conseiller_numerique", "Ma structure n'a jamais bénéficié du dispositif Conseiller numérique")
    page.fill("#raisons_candidature", "Animer le réseau des médiateurs de la métropole")
    cocher(page, "coordination_existante", "Oui")
    page.fill("#structures_collaboration", "Mairie, centre social")  # shown once « Oui » is checked
    page.fill("#positionnement_coordinateur", "Rattaché à la direction")
    page.fill("#zone_geographique", "Grenoble-Alpes-Métropole")
    cocher(page, "echelon_geographique", "Bassin de vie (commune, intercommunalité, groupement d'intercommunalités)")
    cocher(page, "adhesion_structures", "Oui")
    screenshot(page, "aac-2-formulaire-motivation")
    page.get_by_role("button", name="Déposer le formulaire").click()
    page.wait_for_load_state()
    assert page.get_by_text("Formulaire déposé le").is_visible()
    libere()
    candidature_id, statut = db.session.execute(select(Candidature.id, Candidature.statut)).one()
    assert statut == "nouvelle"
    libere()

    # 3. prefet-38 finds it and gives a favourable avis through the confirmation step.
    browser_login(page, "prefet-38", PASSWORD)
    page.goto("/candidatures/")
    assert page.get_by_role("heading", name="Demandes de coordinateur à traiter").is_visible()
    assert page.get_by_role("cell", name="38000").is_visible()
    assert_accessible(page, "liste préfet")
    screenshot(page, "aac-3-liste-prefet")
    page.get_by_role("link", name=f"Détails de la candidature de {NOM}").click()
    page.wait_for_load_state()
    detail_url = page.url
    assert detail_url.endswith(f"/candidatures/{candidature_id}")
    assert page.get_by_text("Action de coordination territoriale").is_visible()
    assert_accessible(page, "détails")
    screenshot(page, "aac-4-details")
    page.get_by_role("link", name="Avis favorable").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Confirmer l'avis").is_visible()
    page.get_by_label("Commentaire").fill("Acteur reconnu du territoire")
    assert_accessible(page, "confirmation de l'avis")
    screenshot(page, "aac-5-confirmation-avis")
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre avis favorable").is_visible()
    assert page.get_by_text("Acteur reconnu du territoire", exact=True).is_visible()
    assert page.get_by_role("link", name="Avis favorable").count() == 0  # given once
    deconnecter(page)

    # 4. ANCT validates.
    browser_login(page, "anct", PASSWORD)
    page.goto(f"/candidatures/?q={candidature_id}")
    page.get_by_role("link", name=f"Détails de la candidature de {NOM}").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Valider", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"La candidature de {NOM} est validée").is_visible()
    deconnecter(page)

    # 5. The structure activates its account from the invitation, then names a coordinator.
    messages = livrer(smtp, 4)
    invitation = next(m for m in messages if m["Subject"] == "Bienvenue sur votre tableau de pilotage")
    structure_id = db.session.scalar(select(Structure.id).where(Structure.nom == NOM))
    structure = db.session.get(Structure, structure_id)
    conseiller = make_conseiller(structure, prenom="Léa", nom="Gislais", email_pro=CONSEILLER)
    make_contrat(conseiller, structure, date_debut=date.today() - timedelta(days=30),
                 date_fin=date.today() + timedelta(days=300))
    conseiller_id = conseiller.id
    libere()
    page.goto(lien(invitation, "/invitation/"))
    page.fill("#first_name", "Jean-Claude")
    page.fill("#last_name", "Dusse")
    page.fill("#password", PASSWORD)
    page.fill("#confirmation", PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre compte est créé").is_visible()
    screenshot(page, "aac-6-tableau-de-bord-structure")
    page.goto("/postes/")
    page.get_by_label("Conseiller").select_option(str(conseiller_id))
    page.get_by_role("button", name="Attribuer un rôle de coordinateur").click()
    page.wait_for_load_state()
    assert page.get_by_text("Léa Gislais est maintenant coordinateur").is_visible()
    screenshot(page, "aac-7-postes")
    libere()
    assert db.session.get(Conseiller, conseiller_id).est_coordinateur
    libere()

    # 6. Every expected email once, to the right people; a second delivery sends nothing again.
    livrer(smtp, 5)
    livrer(smtp, 6, timeout=1)  # a second run sends nothing again
    received = smtp.received
    par_sujet = {r.message["Subject"]: r.rcpt_tos for r in received}
    assert sorted(r.message["Subject"] for r in received) == sorted(par_sujet), "un courriel reçu deux fois"
    assert par_sujet == {
        "Candidature pour un poste de coordinateur": [CONTACT],
        f"Demande de coordinateur validée — {NOM}": ["prefet-38@exemple.fr"],
        "Votre demande de poste de coordinateur est validée": [CONTACT],
        "Bienvenue sur votre tableau de pilotage": [CONTACT],
        "Bienvenue parmi les coordinateurs": [CONSEILLER],
    }

    # 7. A préfet of another département types the request's URL by hand: 404.
    deconnecter(page)
    browser_login(page, "prefet-74", PASSWORD)
    response = page.goto(detail_url)
    assert response.status == 404
    assert page.get_by_text(NOM).count() == 0
