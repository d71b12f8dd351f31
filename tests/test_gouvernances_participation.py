"""« Participer à l'élaboration des feuilles de route »: the rules, the public pages, the emails, the digest."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.gouvernances import participation as regles
from app.gouvernances.erreurs import EcheanceDepassee, EtatInvalide, ValidationErreur
from app.gouvernances.models import Participation, ParticipationDigestLigne, participation_clause
from app.mail import OutboxMessage, deliver_pending
from app.security import roles
from app.security.scope import Scope
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.gouvernances_fixtures import (
    CONTACT_POLITIQUE,
    SIRET_A,
    commune_participe,
    epci_porte,
    fermer,
    ouvrir,
)
from tests.mail_helpers import SMTPServer


@pytest.fixture(autouse=True)
def _ouvert():
    ouvrir()


def _messages(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                   .order_by(OutboxMessage.id)))


# --- start, link ------------------------------------------------------------------------------------

def test_start_emails_a_personal_link_whose_secret_is_not_stored():
    p, jeton = regles.commencer("commune", "Claire Durand", "Claire.Durand@Mairie.fr")
    assert p.statut == "brouillon" and p.intention == "participer"  # a commune can only participate
    assert jeton not in p.jeton_hash and regles.par_jeton(jeton).id == p.id
    [message] = _messages("participation_lien")
    assert message.to == "Claire.Durand@mairie.fr"
    assert f"/participer/{jeton}/" in message.text_body
    assert "Participer à l'élaboration des feuilles de route" in message.subject


def test_start_refuses_unknown_persona_and_bad_email():
    with pytest.raises(ValidationErreur) as exc:
        regles.commencer("prefecture", "", "pas-un-email")
    assert set(exc.value.erreurs) == {"persona", "nom", "email"}
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_lost_link_rotates_the_secret_and_emails_the_new_one():
    p, ancien = regles.commencer("epci", "Marc", "marc@metro.fr")
    assert regles.renvoyer_lien("marc@metro.fr") == 1
    assert regles.par_jeton(ancien) is None
    [_, nouveau] = _messages("participation_lien")
    jeton = re.search(r"/participer/([^/\s]+)/", nouveau.text_body)[1]
    assert regles.par_jeton(jeton).id == p.id
    assert regles.renvoyer_lien("inconnu@exemple.fr") == 0  # same answer on the page: no enumeration


# --- who may lead, what is asked -------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["commune", "structure"])
def test_only_region_departement_and_epci_may_lead(persona):
    p, _ = regles.commencer(persona, "X", "x@exemple.fr")
    with pytest.raises(ValidationErreur) as exc:
        regles.choisir_intention(p, "porter")
    assert "Seuls un conseil régional, un conseil départemental ou un EPCI" in exc.value.erreurs["intention"][0]
    # The database refuses it too, whatever the code path.
    p.intention = "porter"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("persona", ["conseil_regional", "conseil_departemental", "epci"])
def test_region_departement_and_epci_choose_to_lead_or_participate(persona):
    p, _ = regles.commencer(persona, "X", "x@exemple.fr")
    assert p.intention is None
    regles.choisir_intention(p, "porter")
    assert p.intention == "porter"
    regles.choisir_intention(p, "participer")
    assert p.intention == "participer"


def test_the_collectivite_must_be_of_the_persona_type():
    p, _ = regles.commencer("epci", "X", "x@exemple.fr")
    with pytest.raises(ValidationErreur):
        regles.choisir_collectivite(p, "commune:38185")
    with pytest.raises(ValidationErreur):
        regles.choisir_collectivite(p, "epci:999999999")
    regles.choisir_collectivite(p, "epci:200040715")
    assert p.collectivite_nom == "Grenoble-Alpes-Métropole" and p.departement_code is None
    d, _ = regles.commencer("conseil_departemental", "Y", "y@exemple.fr")
    regles.choisir_collectivite(d, "departement:38")
    assert (d.collectivite_nom, d.departement_code, d.region_code) == ("Conseil départemental — Isère", "38", "84")


def test_contact_politique_required_with_function_contact_technique_optional():
    p, _ = regles.commencer("commune", "X", "x@exemple.fr")
    regles.choisir_collectivite(p, "commune:38185")
    with pytest.raises(ValidationErreur) as exc:
        regles.enregistrer_contacts(p, {"politique_prenom": "Claire", "politique_nom": "Durand",
                                        "politique_email": "claire@mairie.fr"})
    assert list(exc.value.erreurs) == ["politique_fonction"]
    with pytest.raises(ValidationErreur) as exc:  # a technical contact started must be complete
        regles.enregistrer_contacts(p, {**CONTACT_POLITIQUE, "technique_prenom": "Ali"})
    assert {"technique_nom", "technique_email"} <= set(exc.value.erreurs)
    regles.enregistrer_contacts(p, CONTACT_POLITIQUE)
    assert [c.role for c in p.contacts] == ["politique"]
    assert regles.manques(p) == []


def test_structure_siret_or_no_siret_departement_and_one_contact():
    p, _ = regles.commencer("structure", "X", "x@exemple.fr")
    base = {"structure_nom": "Association Connectée", "departement": "38", "contact_prenom": "Léa",
            "contact_nom": "Martin", "contact_email": "lea@asso.fr"}
    with pytest.raises(ValidationErreur) as exc:
        regles.enregistrer_structure(p, base)
    assert "Pas de SIRET" in exc.value.erreurs["siret"][0]
    with pytest.raises(ValidationErreur) as exc:
        regles.enregistrer_structure(p, {**base, "siret": "22380001200012"})
    assert "clé de contrôle" in exc.value.erreurs["siret"][0]
    with pytest.raises(ValidationErreur) as exc:
        regles.enregistrer_structure(p, {**base, "sans_siret": "1", "departement": "99"})
    assert "departement" in exc.value.erreurs
    regles.enregistrer_structure(p, {**base, "siret": "213 801 855 00015"})  # spaces are fine
    assert (p.structure_siret, p.departement_code, p.region_code) == (SIRET_A, "38", "84")
    regles.enregistrer_structure(p, {**base, "sans_siret": "1"})
    assert p.structure_siret is None and p.structure_sans_siret
    assert p.contact("structure").email == "lea@asso.fr"


# --- porter: perimeter, contacts, partners -----------------------------------------------------------

def test_perimeter_members_outside_the_territory_are_marked():
    p, _ = regles.commencer("epci", "X", "x@exemple.fr")
    regles.choisir_intention(p, "porter")
    regles.choisir_collectivite(p, "epci:200040715")
    offered = regles.territoire_propose(p)
    assert {(o["type"], o["code"]) for o in offered} == {("commune", "38185"), ("commune", "38421")}
    regles.definir_perimetre(p, ["commune:38185", "commune:38421"])
    regles.ajouter_membre(p, "commune:74010")  # Annecy: another EPCI
    regles.ajouter_membre(p, "departement:38")
    horst = {m.code: m.hors_territoire for m in p.membres}
    assert horst == {"38185": False, "38421": False, "74010": True, "38": True}
    with pytest.raises(ValidationErreur):
        regles.ajouter_membre(p, "epci:200040715")  # itself
    # Unchecking removes, the other members keep their contact.
    regles.enregistrer_contacts_membres(p, {f"membre-{p.membres[0].id}_prenom": "Eric",
                                            f"membre-{p.membres[0].id}_nom": "Piolle",
                                            f"membre-{p.membres[0].id}_email": "maire@grenoble.fr"})
    regles.definir_perimetre(p, ["commune:38185", "commune:74010"])
    assert {m.code: m.contact_email for m in p.membres} == {"38185": "maire@grenoble.fr", "74010": ""}


def test_departement_porteur_is_offered_its_epcis_with_their_communes():
    p, _ = regles.commencer("conseil_departemental", "X", "x@exemple.fr")
    regles.choisir_intention(p, "porter")
    regles.choisir_collectivite(p, "departement:38")
    [groupe] = regles.territoire_propose(p)
    assert groupe["code"] == "200040715" and {c["code"] for c in groupe["communes"]} == {"38185", "38421"}
    assert not regles.hors_territoire("departement", "38", "epci", "200040715")
    assert regles.hors_territoire("departement", "38", "epci", "200066793")
    assert not regles.hors_territoire("region", "84", "commune", "74010")
    assert regles.hors_territoire("region", "84", "commune", "39300")


def test_contacts_of_members_are_optional_but_checked():
    p, _ = regles.commencer("epci", "X", "x@exemple.fr")
    regles.choisir_intention(p, "porter")
    regles.choisir_collectivite(p, "epci:200040715")
    regles.definir_perimetre(p, ["commune:38185"])
    membre = p.membres[0]
    with pytest.raises(ValidationErreur) as exc:
        regles.enregistrer_contacts_membres(p, {f"membre-{membre.id}_prenom": "Eric",
                                                f"membre-{membre.id}_email": "faux"})
    assert f"membre-{membre.id}_email" in exc.value.erreurs
    regles.passer_contacts_membres(p)
    assert p.etape_contacts_membres_faite


def test_porter_needs_a_perimeter_before_sending():
    p, _ = regles.commencer("epci", "X", "x@exemple.fr")
    regles.choisir_intention(p, "porter")
    regles.choisir_collectivite(p, "epci:200040715")
    regles.enregistrer_contacts(p, CONTACT_POLITIQUE)
    with pytest.raises(ValidationErreur) as exc:
        regles.envoyer(p)
    assert "périmètre" in " ".join(exc.value.erreurs["formulaire"])
    assert p.statut == "brouillon"


# --- sending, frozen, cancel and restart ---------------------------------------------------------------

def test_a_sent_form_is_frozen_and_confirmed_by_email():
    p = commune_participe()
    assert p.statut == "envoye" and p.envoye_le is not None
    [confirmation] = _messages("participation_envoyee")
    assert confirmation.to == "mairie@exemple.fr"
    assert "Commune de Saint-Martin-d'Hères" in confirmation.text_body
    for action in (lambda: regles.enregistrer_contacts(p, CONTACT_POLITIQUE),
                   lambda: regles.choisir_collectivite(p, "commune:38185"), lambda: regles.envoyer(p)):
        with pytest.raises(EtatInvalide) as exc:
            action()
        assert "ne peut plus être modifié" in exc.value.message
    assert len(_messages("participation_envoyee")) == 1


def test_cancel_and_restart_opens_a_copy_and_the_cancelled_form_no_longer_counts():
    p = epci_porte()
    nouveau, jeton = regles.annuler_et_recommencer(p)
    assert p.statut == "annule" and p.annule_le is not None
    assert nouveau.statut == "brouillon" and nouveau.remplace_id == p.id
    assert [(m.type, m.code) for m in nouveau.membres] == [(m.type, m.code) for m in p.membres]
    assert [s.nom for s in nouveau.partenaires] == [s.nom for s in p.partenaires]
    assert regles.par_jeton(jeton).id == nouveau.id
    envoyes = db.session.scalar(select(func.count()).select_from(Participation).where(Participation.statut == "envoye"))
    assert envoyes == 0
    with pytest.raises(EtatInvalide):
        regles.annuler_et_recommencer(p)
    regles.choisir_intention(nouveau, "participer")  # the copy is editable, and can be sent again
    regles.envoyer(nouveau)
    assert nouveau.statut == "envoye" and nouveau.membres == []


def test_after_the_deadline_nothing_changes():
    p, _ = regles.commencer("commune", "X", "x@exemple.fr")
    regles.choisir_collectivite(p, "commune:38185")
    fermer()
    for action in (lambda: regles.enregistrer_contacts(p, CONTACT_POLITIQUE), lambda: regles.envoyer(p),
                   lambda: regles.annuler_et_recommencer(p),
                   lambda: regles.commencer("commune", "Y", "y@exemple.fr")):
        with pytest.raises(EcheanceDepassee):
            action()
    assert p.statut == "brouillon"
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


# --- which préfets see a form ----------------------------------------------------------------------------

def _visibles(departement: str) -> set[int]:
    return set(db.session.scalars(select(Participation.id).where(
        participation_clause(Scope(departements=frozenset({departement}))))))


def test_a_form_concerns_its_departement_its_region_an_epci_with_a_commune_in_it_a_commune_in_it():
    commune = commune_participe("38185", "a@exemple.fr")  # Grenoble, Isère
    annecy = commune_participe("74010", "b@exemple.fr")  # Annecy, Haute-Savoie
    epci = epci_porte()  # Grenoble-Alpes-Métropole
    region, _ = regles.commencer("conseil_regional", "R", "r@exemple.fr")
    regles.choisir_collectivite(region, "region:84")
    jura, _ = regles.commencer("conseil_departemental", "J", "j@exemple.fr")
    regles.choisir_collectivite(jura, "departement:39")
    structure, _ = regles.commencer("structure", "S", "s@exemple.fr")
    regles.enregistrer_structure(structure, {"structure_nom": "Asso", "sans_siret": "1", "departement": "38",
                                             "contact_prenom": "A", "contact_nom": "B", "contact_email": "c@d.fr"})
    assert _visibles("38") == {commune.id, epci.id, region.id, structure.id}
    assert _visibles("74") == {annecy.id, region.id}
    assert _visibles("39") == {jura.id}
    assert regles.departements_concernes(region) == {"38", "74", "26", "42"}
    assert regles.departements_concernes(epci) == {"38"}
    regional = set(db.session.scalars(select(Participation.id).where(
        participation_clause(Scope(regions=frozenset({"84"}))))))
    assert regional == {commune.id, annecy.id, epci.id, region.id, structure.id}


# --- daily digest to the préfets -------------------------------------------------------------------------

def test_daily_digest_lists_each_form_once_per_departement():
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    commune = commune_participe("38421")
    region, _ = regles.commencer("conseil_regional", "R", "r@exemple.fr")
    regles.choisir_intention(region, "participer")
    regles.choisir_collectivite(region, "region:84")
    regles.enregistrer_contacts(region, CONTACT_POLITIQUE)
    regles.envoyer(region)
    brouillon, _ = regles.commencer("commune", "Z", "z@exemple.fr")

    assert regles.envoyer_digest_prefets() == 2
    digests = _messages("participations_digest_prefets")
    par_destinataire = {m.to: m for m in digests}
    assert set(par_destinataire) == {"prefet-38@exemple.fr", "prefet-74@exemple.fr"}
    isere = par_destinataire["prefet-38@exemple.fr"]
    assert "2 nouveaux formulaires" in isere.subject and "Isère (38)" in isere.subject
    assert "Commune de Saint-Martin-d'Hères" in isere.text_body and "Conseil régional" in isere.text_body
    assert "/gouvernance/departement/38" in isere.text_body
    assert "Saint-Martin" not in par_destinataire["prefet-74@exemple.fr"].text_body
    # Nothing new: nothing sent; a new form goes in the next digest only.
    assert regles.envoyer_digest_prefets() == 0
    commune_participe("38185", "grenoble@exemple.fr")
    assert regles.envoyer_digest_prefets() == 1
    lignes = db.session.execute(select(ParticipationDigestLigne.participation_id, ParticipationDigestLigne.departement_code)
                                ).all()
    assert len(lignes) == len(set(lignes)) == 4
    assert (commune.id, "38") in lignes and (region.id, "74") in lignes and brouillon.id not in {i for i, _ in lignes}


def test_digest_waits_for_a_prefet_and_runs_from_the_cli(app):
    commune_participe("39300")  # Jura: no préfet account yet
    assert regles.envoyer_digest_prefets() == 0
    make_user(roles.PREFET_DEPARTEMENT, "prefet-39", departement_code="39")
    result = app.test_cli_runner().invoke(args=["gouvernances", "digest"])
    assert result.exit_code == 0 and "1 récapitulatif" in result.output
    assert len(_messages("participations_digest_prefets")) == 1


def test_digest_is_scheduled_daily_by_celery_beat(app):
    from app.tasks import _settings

    settings = _settings(app)
    entree = settings["beat_schedule"]["gouvernances-digest-participations"]
    assert entree["task"] == "app.gouvernances.tasks.digest_participations"
    assert "app.gouvernances.tasks" in settings["include"]
    from app.gouvernances.tasks import digest_participations

    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    commune_participe()
    assert digest_participations.run() == 1


# --- the public pages ---------------------------------------------------------------------------------------

def _post(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def _jeton(response) -> str:
    return re.search(r"/participer/([^/]+)/", response.headers["Location"])[1]


def test_public_pages_a_commune_fills_and_sends_its_form(client):
    accueil = client.get("/participer/")
    assert accueil.status_code == 200
    html = accueil.get_data(as_text=True)
    assert "Participer à l'élaboration des feuilles de route" in html and 'id="persona-commune"' in html
    assert "dsfr.min.css" in html  # the public DSFR layout
    # No CSRF token: refused.
    assert client.post("/participer/", data={"persona": "commune", "nom": "A", "email": "a@b.fr"}).status_code == 400
    response = _post(client, "/participer/", {"persona": "commune", "nom": "Claire Durand", "email": "mairie@smh.fr"})
    assert response.status_code == 302
    jeton = _jeton(response)
    formulaire = client.get(f"/participer/{jeton}/")
    assert formulaire.headers["Referrer-Policy"] == "no-referrer" and "no-store" in formulaire.headers["Cache-Control"]
    url = f"/participer/{jeton}/collectivite"
    # Server-side search (works without JavaScript), then choose and give the contact.
    recherche = _post(client, url, {"action": "chercher", "recherche": "saint martin d heres"})
    assert 'value="commune:38421"' in recherche.get_data(as_text=True)
    incomplet = _post(client, url, {"action": "enregistrer", "collectivite": "commune:38421", "politique_prenom": "Claire"})
    assert incomplet.status_code == 400
    assert "Indiquez la fonction du contact." in incomplet.get_data(as_text=True)
    ok = _post(client, url, {"action": "enregistrer", "collectivite": "commune:38421", **CONTACT_POLITIQUE})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/recapitulatif")
    recap = client.get(f"/participer/{jeton}/recapitulatif").get_data(as_text=True)
    assert "Commune de Saint-Martin-d&#39;Hères" in recap and 'id="bouton-envoyer"' in recap
    envoi = _post(client, f"/participer/{jeton}/envoyer", {}, page_url=f"/participer/{jeton}/recapitulatif")
    assert envoi.status_code == 302
    page = client.get(f"/participer/{jeton}/").get_data(as_text=True)
    assert "Formulaire envoyé le" in page
    # Frozen: a later post is refused with a French message, nothing changes.
    refus = _post(client, url, {"action": "enregistrer", "collectivite": "commune:38185", **CONTACT_POLITIQUE})
    assert refus.status_code == 409
    db.session.expire_all()
    p = db.session.scalar(select(Participation))
    assert p.collectivite_code == "38421" and p.statut == "envoye"
    assert len(_messages("participation_envoyee")) == 1


def test_public_pages_an_epci_leads_a_roadmap(client):
    response = _post(client, "/participer/", {"persona": "epci", "nom": "Marc", "email": "marc@metro.fr"})
    jeton = _jeton(response)
    assert _post(client, f"/participer/{jeton}/intention", {"intention": "porter"}).headers["Location"].endswith(
        "/collectivite")
    response = _post(client, f"/participer/{jeton}/collectivite", {
        "action": "enregistrer", "collectivite": "epci:200040715", **CONTACT_POLITIQUE,
        "dispositifs_existants": "CRTE signé en 2022"})
    assert response.headers["Location"].endswith("/perimetre")
    perimetre = client.get(f"/participer/{jeton}/perimetre").get_data(as_text=True)
    assert 'id="membre-commune-38185"' in perimetre and 'id="membre-commune-38421"' in perimetre
    # Add a collectivité outside the territory through the search, keeping the boxes checked.
    _post(client, f"/participer/{jeton}/perimetre", {"action": "chercher", "recherche": "annecy",
                                                    "membres": "commune:38185"})
    ajout = _post(client, f"/participer/{jeton}/perimetre", {"action": "ajouter:commune:74010",
                                                            "membres": ["commune:38185", "commune:38421"]})
    assert ajout.status_code == 302
    page = client.get(f"/participer/{jeton}/perimetre").get_data(as_text=True)
    assert 'id="hors-territoire-commune-74010"' in page
    _post(client, f"/participer/{jeton}/perimetre", {"action": "enregistrer",
                                                    "membres": ["commune:38185", "commune:38421", "commune:74010"]})
    passer = _post(client, f"/participer/{jeton}/contacts-membres", {"action": "passer"})
    assert passer.headers["Location"].endswith("/partenaires")
    partenaire = _post(client, f"/participer/{jeton}/partenaires", {
        "action": "ajouter", "partenaire_nom": "Emmaüs Connect", "partenaire_siret": "",
        "partenaire_contact_prenom": "Léa", "partenaire_contact_nom": "Martin",
        "partenaire_contact_email": "lea@emmaus-connect.org"})
    assert partenaire.status_code == 302
    _post(client, f"/participer/{jeton}/envoyer", {}, page_url=f"/participer/{jeton}/recapitulatif")
    db.session.expire_all()
    p = db.session.scalar(select(Participation))
    assert p.statut == "envoye" and p.intention == "porter" and p.dispositifs_existants == "CRTE signé en 2022"
    assert {(m.code, m.hors_territoire) for m in p.membres} == {("38185", False), ("38421", False), ("74010", True)}
    assert [s.nom for s in p.partenaires] == ["Emmaüs Connect"]


def test_public_pages_cancel_and_restart(client):
    p = commune_participe()
    _, jeton = regles.annuler_et_recommencer(p)  # to get a known link, then cancel again through the page
    page = client.get(f"/participer/{jeton}/annuler")
    assert page.status_code == 200
    sans_confirmation = client.post(f"/participer/{jeton}/annuler",
                                    data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert sans_confirmation.status_code == 400
    response = _post(client, f"/participer/{jeton}/annuler", {"confirmation": "oui"})
    assert response.status_code == 302
    nouveau_jeton = _jeton(response)
    assert nouveau_jeton != jeton
    assert "annulé" in client.get(f"/participer/{jeton}/").get_data(as_text=True)
    assert client.get("/participer/jeton-inconnu/").status_code == 404


def test_public_pages_are_read_only_after_the_deadline(client):
    p, jeton = regles.commencer("commune", "X", "x@exemple.fr")
    fermer()
    page = client.get(f"/participer/{jeton}/collectivite").get_data(as_text=True)
    assert "La date limite est dépassée" in page and 'id="bouton-enregistrer"' not in page
    assert "Le formulaire est clos" in client.get("/participer/").get_data(as_text=True)
    refus = _post(client, f"/participer/{jeton}/collectivite",
                  {"action": "enregistrer", "collectivite": "commune:38185", **CONTACT_POLITIQUE})
    assert refus.status_code == 409
    db.session.expire_all()
    assert db.session.get(Participation, p.id).collectivite_code is None


def test_lost_link_page_answers_the_same_whatever_the_address(client):
    regles.commencer("commune", "X", "x@exemple.fr")
    for email in ("x@exemple.fr", "personne@exemple.fr"):
        response = _post(client, "/participer/lien", {"email": email})
        assert response.status_code == 302
        assert "Si des formulaires sont associés" in client.get("/participer/lien").get_data(as_text=True)
    assert len(_messages("participation_lien")) == 2  # the start, then one new link


def test_confirmation_is_delivered_by_smtp(app):
    commune_participe(email="mairie@smh.fr")
    with SMTPServer() as smtp:
        app.config["MAIL_PORT"] = smtp.port
        try:
            deliver_pending()
        finally:
            app.config["MAIL_PORT"] = 1
        sujets = {r.message["Subject"]: r for r in smtp.received}
    recu = sujets["Votre formulaire de participation a bien été envoyé"]
    assert recu.rcpt_tos == ["mairie@smh.fr"]
    assert "Commune de Saint-Martin-d'Hères" in recu.message.get_body(("plain",)).get_content()


def test_public_start_is_rate_limited_per_address(app):
    import config
    from app import create_app

    class Limitee(config.TestConfig):
        RATELIMIT_ENABLED = True
        PARTICIPATION_RATE_LIMIT = "2 per minute"
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    seconde = create_app(Limitee)
    try:
        client = seconde.test_client()
        with seconde.app_context():
            ouvrir()
            statuts = [_post(client, "/participer/", {"persona": "commune", "nom": "", "email": "x"}).status_code
                       for _ in range(2)]
            assert statuts == [400, 400]
            bloque = _post(client, "/participer/", {"persona": "commune", "nom": "A", "email": "a@exemple.fr"})
            assert bloque.status_code == 429
            assert client.get("/participer/").status_code == 200  # reading stays possible
            assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    finally:
        with seconde.app_context():
            db.session.remove()
            db.engine.dispose()


def test_perimeter_lookups_do_not_grow_with_its_communes():
    """Reads only: SQLite writes each new member with its own INSERT."""
    from tests.test_requetes import count_statements

    def perimetre(communes: list[str]) -> int:
        p, _ = regles.commencer("conseil_regional", "X", "x@exemple.fr")
        regles.choisir_intention(p, "porter")
        regles.choisir_collectivite(p, "region:84")
        with count_statements() as statements:
            regles.definir_perimetre(p, [f"commune:{c}" for c in communes])
        assert len(p.membres) == len(communes)
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    assert perimetre(["38185"]) == perimetre(["38185", "38421", "74010", "26362", "42218"])
