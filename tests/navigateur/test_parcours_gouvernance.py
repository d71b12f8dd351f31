"""Issue 5's "Done means", in a real browser: a commune and an EPCI fill their participation forms on the
public pages (the resume link is read from the email delivered to a real SMTP server on loopback);
prefet-38 sees the counters of its Gouvernance page change and reports a gouvernance pressentie with two
recruiting SIRETs; once the deadline has passed (time travel: the milestone is edited in the database),
the page is read-only, the edit screen refuses with a French message, and the REST API answers 409.
Every key page is checked with axe-core and for English words left in the visible text."""

from __future__ import annotations

import re

from sqlalchemy import select
from stdnum import luhn

from app.extensions import db
from app.gouvernances import calendrier
from app.gouvernances.models import GouvernancePressentie
from app.mail import deliver_pending
from app.security import roles
from tests.conftest import api_token
from tests.factories import PASSWORD, make_user
from tests.gouvernances_fixtures import fermer, ouvrir
from tests.mail_helpers import SMTPServer, parts
from tests.navigateur.conftest import assert_accessible, browser_login, screenshot

SIRET_CD38 = "22380001200013"  # Conseil départemental de l'Isère (seed)
SIREN_SMH = "213804214"  # Saint-Martin-d'Hères, one of the sample communes (tests/factories.py)
SIRET_SMH = SIREN_SMH + "0001" + luhn.calc_check_digit(SIREN_SMH + "0001")

ANGLAIS = re.compile(r"\b(Edit|Delete|Search|Records?|Save|Add|Show|List|Back|Home|Logout|Login|Submit|Cancel)\b")
COMPTEURS = ("porteurs", "suggeres-collectivites", "suggeres-structures", "participants-collectivites",
             "participants-structures")


def _accessible_et_francais(page) -> None:
    assert_accessible(page)
    anglais = ANGLAIS.findall(page.inner_text("body"))
    assert not anglais, (page.url, anglais)


def _cocher(page, id_: str) -> None:
    """DSFR draws radios and checkboxes on their label: click the label, as a user does."""
    page.click(f"label[for='{id_}']")
    assert page.is_checked(f"#{id_}"), id_


def _contexte(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context


def _compteurs(page) -> dict[str, int]:
    return {nom: int(page.locator(f"#compteur-{nom}").inner_text()) for nom in COMPTEURS}


def _lien_recu(app, smtp: SMTPServer, adresse: str) -> str:
    """Deliver the outbox to the loopback SMTP server and read the resume link in the email to `adresse`."""
    deliver_pending()
    for message in smtp.messages:
        if message["To"] == adresse:
            texte, _ = parts(message)
            lien = re.search(r"https?://\S+/participer/[^/\s]+/", texte)
            assert lien, texte
            assert lien[0].startswith(app.config["PUBLIC_BASE_URL"])
            return lien[0]
    raise AssertionError(f"aucun courriel pour {adresse} : {[m['To'] for m in smtp.messages]}")


def _commencer(context, persona: str, nom: str, email: str, capture: str | None = None) -> None:
    visiteur = context.new_page()
    visiteur.goto("/participer/")
    if capture:
        screenshot(visiteur, capture)
        _accessible_et_francais(visiteur)
    _cocher(visiteur, f"persona-{persona}")
    visiteur.fill("#nom", nom)
    visiteur.fill("#email", email)
    visiteur.click("#bouton-commencer")
    visiteur.wait_for_url(re.compile(r"/participer/[^/]+/$"))
    assert "Un lien pour le reprendre" in visiteur.inner_text("body")
    visiteur.close()


def _contact_politique(page) -> None:
    page.fill("#politique_prenom", "Claire")
    page.fill("#politique_nom", "Durand")
    page.fill("#politique_fonction", "Maire")
    page.fill("#politique_email", "claire.durand@mairie.fr")


def _choisir_collectivite(page, recherche: str, choix: str) -> None:
    page.fill("#recherche", recherche)
    page.click("#bouton-rechercher")
    _cocher(page, f"collectivite-{choix}")
    _contact_politique(page)
    page.click("#bouton-enregistrer")


def _envoyer(page) -> None:
    page.click("#bouton-envoyer")
    page.wait_for_selector("#formulaire-envoye")
    assert "Votre formulaire a bien été envoyé" in page.inner_text("body")


def test_commune_epci_prefet_et_echeance(app, browser, live_server, page):
    ouvrir(calendrier.PARTICIPATION)
    ouvrir(calendrier.GOUVERNANCES_PRESSENTIES)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")

    # prefet-38 opens its Gouvernance page: nothing yet.
    browser_login(page, "prefet-38", PASSWORD)
    page.goto("/gouvernance/")
    assert page.url.endswith("/gouvernance/departement/38")
    assert _compteurs(page) == dict.fromkeys(COMPTEURS, 0)
    assert "Proposition modifiable jusqu'au" in page.locator("#echeance-pressenties").inner_text()

    visiteurs = _contexte(browser, live_server)
    api = _contexte(browser, live_server)
    mail_port = app.config["MAIL_PORT"]
    try:
        with SMTPServer() as smtp:
            app.config["MAIL_PORT"] = smtp.port

            # A commune participates; it resumes its form from the emailed link (no session needed).
            _commencer(visiteurs, "commune", "Claire Durand", "mairie@smh.fr", capture="participation-debut")
            commune = _contexte(browser, live_server).new_page()
            commune.goto(_lien_recu(app, smtp, "mairie@smh.fr"))
            commune.click("#continuer")
            commune.wait_for_url(re.compile(r"/collectivite$"))
            _accessible_et_francais(commune)
            _choisir_collectivite(commune, "Saint-Martin", "commune-38421")
            commune.wait_for_url(re.compile(r"/recapitulatif$"))
            assert "Saint-Martin-d'Hères" in commune.locator("#resume-formulaire").inner_text()
            screenshot(commune, "participation-recapitulatif")
            _accessible_et_francais(commune)
            _envoyer(commune)
            commune.context.close()

            # An EPCI leads a roadmap: two communes of its perimeter, one partner structure.
            _commencer(visiteurs, "epci", "Marc Porteur", "porteur@metro.fr")
            epci = _contexte(browser, live_server).new_page()
            epci.goto(_lien_recu(app, smtp, "porteur@metro.fr"))
            epci.click("#continuer")
            epci.wait_for_url(re.compile(r"/intention$"))
            _cocher(epci, "intention-porter")
            epci.click("#bouton-enregistrer")
            epci.wait_for_url(re.compile(r"/collectivite$"))
            _choisir_collectivite(epci, "Grenoble", "epci-200040715")
            epci.wait_for_url(re.compile(r"/perimetre$"))
            for liste in epci.locator("#membres details:not([open]) > summary").all():
                liste.click()  # communes grouped under their EPCI are folded
            _cocher(epci, "membre-commune-38185")
            _cocher(epci, "membre-commune-38421")
            _accessible_et_francais(epci)
            epci.click("#bouton-enregistrer")
            epci.wait_for_url(re.compile(r"/contacts-membres$"))
            epci.click("#bouton-passer")
            epci.wait_for_url(re.compile(r"/partenaires$"))
            epci.fill("#partenaire_nom", "Emmaüs Connect")
            epci.fill("#partenaire_contact_prenom", "Léa")
            epci.fill("#partenaire_contact_nom", "Martin")
            epci.fill("#partenaire_contact_email", "lea@emmaus-connect.org")
            epci.click("#bouton-ajouter-partenaire")
            assert "Emmaüs Connect" in epci.locator("#partenaires").inner_text()
            _accessible_et_francais(epci)
            epci.click("#bouton-continuer")
            epci.wait_for_url(re.compile(r"/recapitulatif$"))
            resume = epci.locator("#resume-formulaire").inner_text()
            assert "Grenoble" in resume and "Saint-Martin-d'Hères" in resume and "Emmaüs Connect" in resume
            _envoyer(epci)
            epci.context.close()

            # Both got their confirmation email.
            deliver_pending()
            sujets = {(m["To"], m["Subject"]) for m in smtp.messages}
            assert {("mairie@smh.fr", "Votre formulaire de participation a bien été envoyé"),
                    ("porteur@metro.fr", "Votre formulaire de participation a bien été envoyé")} <= sujets
    finally:
        app.config["MAIL_PORT"] = mail_port
        visiteurs.close()

    # The counters of prefet-38 have changed.
    page.reload()
    assert _compteurs(page) == {"porteurs": 1, "suggeres-collectivites": 2, "suggeres-structures": 1,
                                "participants-collectivites": 1, "participants-structures": 0}
    screenshot(page, "gouvernance-departement")
    _accessible_et_francais(page)

    # prefet-38 reports a gouvernance pressentie with two recruiting SIRETs.
    page.click("#remonter-gouvernance")
    page.wait_for_url(re.compile(r"/gouvernance/departement/38/remonter$"))
    screenshot(page, "pressentie-formulaire")
    _accessible_et_francais(page)
    page.get_by_role("button", name="+ Ajouter une collectivité/structure recruteuse").click()
    page.wait_for_selector("#structures_recruteuses-1-siret")
    page.get_by_label("EPCI ou groupement de communes").check()
    page.fill("#porteur_collectivite__recherche", "Grenoble")
    page.get_by_label(re.compile("^Grenoble-Alpes-Métropole")).check()
    page.fill("#structures_recruteuses-0-siret", SIRET_CD38)
    page.fill("#structures_recruteuses-1-siret", SIRET_SMH)
    page.fill("#note_contexte", "La métropole porte la feuille de route.")
    page.click("#bouton-enregistrer-pressentie")
    page.wait_for_url(re.compile(r"/gouvernance/departement/38#gouvernance-\d+$"))

    db.session.expire_all()
    gp_id = db.session.scalar(select(GouvernancePressentie.id))
    db.session.rollback()  # release the read (SQLite) while the live server works
    carte = page.locator(f"#gouvernance-{gp_id}")
    assert re.fullmatch(r"Déposée le \d{2}/\d{2}/\d{4}.* par Prénom prefet-38",
                        carte.locator(f"#gouvernance-{gp_id}-depot").inner_text().strip())
    assert carte.locator(f"#gouvernance-{gp_id}-sirets li").all_inner_texts() == [SIRET_CD38, SIRET_SMH]
    assert "Grenoble-Alpes-Métropole" in carte.inner_text()
    carte.scroll_into_view_if_needed()
    screenshot(page, "gouvernance-carte")

    # prefet-38 opens the edit screen, then the deadline passes before it saves.
    page.click(f"#modifier-{gp_id}")
    page.wait_for_url(re.compile(rf"/gouvernance/pressentie/{gp_id}/modifier$"))
    page.fill("#note_contexte", "Changement après la date limite.")
    headers = api_token(app.test_client(), "prefet-38")

    fermer(calendrier.GOUVERNANCES_PRESSENTIES)  # time travel: the milestone passed a minute ago

    with page.expect_response(lambda r: r.url.endswith(f"/pressentie/{gp_id}/modifier")
                              and r.request.method == "POST") as envoi:
        page.click("#bouton-enregistrer-pressentie")
    assert envoi.value.status == 409
    assert "La date limite est dépassée" in page.inner_text("body")

    # The page is read-only: no button to report, edit or delete.
    page.goto("/gouvernance/departement/38")
    assert "Proposition close depuis le" in page.locator("#echeance-pressenties").inner_text()
    assert page.locator("#remonter-gouvernance").count() == 0
    assert page.locator(f"#modifier-{gp_id}").count() == 0
    assert page.locator(f"#supprimer-{gp_id}").count() == 0
    assert page.locator(f"#gouvernance-{gp_id}-sirets li").all_inner_texts() == [SIRET_CD38, SIRET_SMH]
    screenshot(page, "gouvernance-lecture-seule")
    _accessible_et_francais(page)

    # Typing the edit URL by hand is refused too, in French.
    reponse = page.goto(f"/gouvernance/pressentie/{gp_id}/modifier")
    assert reponse.status == 409
    assert "La date limite est dépassée" in page.inner_text("body")
    assert page.locator("#form-pressentie").count() == 0

    # And through the REST API, with a JWT.
    try:
        refus = api.request.put(f"/api/v1/gouvernance/{gp_id}", headers=headers, data={
            "perimetre": "departemental", "porteur": "departement:38", "sirets_recruteurs": [SIRET_CD38],
            "note_contexte": "Changement"})
        assert refus.status == 409, refus.text()
        assert "date limite est dépassée" in refus.json()["message"]
        assert api.request.delete(f"/api/v1/gouvernance/{gp_id}", headers=headers).status == 409
    finally:
        api.close()

    db.session.expire_all()
    gp = db.session.get(GouvernancePressentie, gp_id)
    assert gp.perimetre == "epci" and gp.sirets_recruteurs == [SIRET_CD38, SIRET_SMH]
    assert gp.modifie_le is None and gp.supprimee_le is None
    db.session.rollback()

    # The département dashboard counts the gouvernance and the two forms.
    page.goto("/tableau-de-bord/")
    assert page.url.endswith("/tableau-de-bord/departement/38")
    assert page.locator("#valeur-gouvernances").inner_text() == "1"
    assert page.locator("#valeur-participations").inner_text() == "2"
    screenshot(page, "tableau-de-bord")
    _accessible_et_francais(page)
