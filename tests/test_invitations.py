"""Invitations: ANCT invites préfets (form or CSV), the person activates its account from the email."""

import html as html_module
import re
import threading
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.invitations import (
    Invitation,
    InvitationError,
    InvitationInvalide,
    accept_invitation,
    create_invitation,
)
from app.invitations.service import hash_token
from app.mail import OutboxMessage, deliver_pending
from app.models import Utilisateur
from app.models.base import utcnow
from app.security import roles
from tests.conftest import csrf_token, login
from tests.factories import make_structure, make_user
from tests.mail_helpers import SMTPServer, free_port, parts

PASSWORD = "une phrase de passe assez longue"
LINK = re.compile(r"http://localhost(/invitation/[A-Za-z0-9_\-]+)")


@pytest.fixture
def mail_port(app):
    saved = app.config["MAIL_PORT"]
    yield lambda port: app.config.__setitem__("MAIL_PORT", port)
    app.config["MAIL_PORT"] = saved


@pytest.fixture
def smtp(mail_port):
    with SMTPServer() as server:
        mail_port(server.port)
        yield server


@pytest.fixture
def anct(client):
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    return client


def _text(response) -> str:
    """The page as a person reads it (HTML entities such as &#39; decoded)."""
    return html_module.unescape(response.get_data(as_text=True))


def _invite_by_form(client, **data):
    page = _text(client.get("/invitations/add"))
    return client.post("/invitations/add", data={"csrf_token": csrf_token(page), **data})


def _link_from_outbox(email: str) -> str:
    db.session.expire_all()
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == email)
                                 .order_by(OutboxMessage.id.desc())).first()
    return LINK.search(message.text_body).group(1)


def _accept(client, link, **overrides):
    page = client.get(link)
    assert page.status_code == 200, _text(page)
    data = {"csrf_token": csrf_token(_text(page)), "first_name": "Claire", "last_name": "Préfète",
            "password": PASSWORD, "confirmation": PASSWORD, **overrides}
    return client.post(link, data=data)


def _logout(client):
    client.get("/logout/")


def _users(email: str) -> int:
    return db.session.scalar(select(func.count(Utilisateur.id)).where(Utilisateur.email == email))


def _invitation(email: str) -> Invitation:
    db.session.expire_all()
    return db.session.scalars(select(Invitation).where(Invitation.email == email)
                              .order_by(Invitation.id.desc())).first()


# --- the whole journey -------------------------------------------------------------------------------

def test_invited_prefet_receives_a_working_link_and_sees_only_its_departement(anct, smtp):
    make_structure("38", nom="Mairie de Grenoble")
    make_structure("74", nom="Mairie d'Annecy")

    response = _invite_by_form(anct, email="Claire.Prefete@Isere.gouv.fr", departement="38", region="")
    assert response.status_code == 302
    listing = _text(anct.get(response.headers["Location"]))
    assert "Invitation envoyée à claire.prefete@isere.gouv.fr" in listing
    assert "Département Isère (38)" in listing and "En attente" in listing

    invitation = _invitation("claire.prefete@isere.gouv.fr")
    assert invitation.role == roles.PREFET_DEPARTEMENT and invitation.departement_code == "38"
    assert invitation.region_code is None and invitation.used_at is None
    assert timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=7)
    assert invitation.invited_by.username == "anct"

    assert deliver_pending().sent == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["claire.prefete@isere.gouv.fr"]
    mail = received.message
    assert mail["Subject"] == "Bienvenue sur votre tableau de pilotage"
    text, html = parts(mail)
    assert "Profil : Préfet de département" in text and "Territoire : Département Isère (38)" in text
    assert "ne peut servir qu'une seule fois" in text
    link = LINK.search(text).group(1)
    assert f'href="http://localhost{link}"' in html
    token = link.rsplit("/", 1)[1]
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash

    _logout(anct)
    page = anct.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Activer votre compte" in _text(page)
    assert "claire.prefete@isere.gouv.fr" in _text(page)

    response = _accept(anct, link)
    assert response.status_code == 302
    home = _text(anct.get(response.headers["Location"]))
    assert "Votre compte est créé" in home and "Bienvenue, Claire" in home  # signed in

    user = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "claire.prefete@isere.gouv.fr"))
    assert [r.name for r in user.roles] == [roles.PREFET_DEPARTEMENT]
    assert (user.departement_code, user.region_code, user.structure_id) == ("38", None, None)
    assert _invitation("claire.prefete@isere.gouv.fr").used_at is not None
    assert _invitation("claire.prefete@isere.gouv.fr").user_id == user.id

    _logout(anct)
    login(anct, "claire.prefete@isere.gouv.fr", PASSWORD)
    structures = _text(anct.get("/structures/list/"))
    assert "Mairie de Grenoble" in structures and "Annecy" not in structures


def test_link_is_single_use(client, smtp):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    link = _link_from_outbox("prefet@isere.gouv.fr")
    assert _accept(client, link).status_code == 302
    _logout(client)

    again = client.get(link)
    assert again.status_code == 410
    assert "Ce lien d'invitation a déjà servi" in _text(again)
    replay = client.post(link, data={"first_name": "X", "last_name": "Y", "password": PASSWORD,
                                     "confirmation": PASSWORD, "csrf_token": csrf_token(
                                         _text(client.get("/login/")))})
    assert replay.status_code == 410
    assert _users("prefet@isere.gouv.fr") == 1


def test_concurrent_acceptances_create_one_account(app):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    token = _link_from_outbox("prefet@isere.gouv.fr").rsplit("/", 1)[1]
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        with app.app_context():
            barrier.wait()
            try:
                accept_invitation(token, first_name="Claire", last_name="Préfète", password=PASSWORD)
                outcomes.append("ok")
            except (InvitationInvalide, InvitationError) as error:
                outcomes.append(type(error).__name__)
            except Exception as error:  # a unique constraint can also stop the loser: no second account
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes.count("ok") == 1, outcomes
    db.session.expire_all()
    assert _users("prefet@isere.gouv.fr") == 1


def test_expired_link_shows_a_clear_page_and_creates_no_account(client, smtp):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    link = _link_from_outbox("prefet@isere.gouv.fr")
    page = _text(client.get(link))  # still valid: take the form's CSRF token
    db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))  # 7 days later
    db.session.commit()

    response = client.get(link)
    assert response.status_code == 410
    assert "Ce lien d'invitation a expiré" in _text(response)
    posted = client.post(link, data={"csrf_token": csrf_token(page), "first_name": "Claire", "last_name": "P",
                                     "password": PASSWORD, "confirmation": PASSWORD})
    assert posted.status_code == 410
    assert _users("prefet@isere.gouv.fr") == 0


def test_unknown_link(client):
    response = client.get("/invitation/nimporte-quoi")
    assert response.status_code == 404
    assert "Ce lien d'invitation n'est pas valide" in _text(response)


def test_accept_form_errors_are_french_and_keep_what_was_typed(client):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    link = _link_from_outbox("prefet@isere.gouv.fr")

    short = _accept(client, link, password="trop court", confirmation="trop court")
    body = _text(short)
    assert short.status_code == 200
    assert "Le mot de passe doit compter au moins 12 caractères" in body
    assert 'value="Claire"' in body and 'value="Préfète"' in body
    assert 'aria-invalid="true"' in body

    different = _accept(client, link, confirmation=PASSWORD + " bis")
    assert "Les deux mots de passe ne sont pas identiques." in _text(different)

    empty = _accept(client, link, first_name="")
    assert "Indiquez votre prénom." in _text(empty)
    assert _users("prefet@isere.gouv.fr") == 0
    assert _invitation("prefet@isere.gouv.fr").used_at is None


def test_accept_form_requires_the_csrf_token(client):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    link = _link_from_outbox("prefet@isere.gouv.fr")
    client.get(link)
    data = {"first_name": "Claire", "last_name": "P", "password": PASSWORD, "confirmation": PASSWORD}
    assert client.post(link, data=data).status_code == 400
    assert client.post(link, data={**data, "csrf_token": "faux"}).status_code == 400
    assert _users("prefet@isere.gouv.fr") == 0
    assert _invitation("prefet@isere.gouv.fr").used_at is None


# --- inviting ------------------------------------------------------------------------------------------

def test_reinviting_replaces_the_pending_invitation(client, smtp):
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    first_link = _link_from_outbox("prefet@isere.gouv.fr")
    create_invitation("Prefet@Isere.gouv.fr", roles.PREFET_REGION, region_code="84")
    db.session.commit()
    second_link = _link_from_outbox("prefet@isere.gouv.fr")
    assert first_link != second_link
    assert db.session.scalar(select(func.count(Invitation.id))) == 1
    assert deliver_pending().sent == 2  # each invitation had its own email

    assert client.get(first_link).status_code == 404
    assert _accept(client, second_link).status_code == 302
    user = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "prefet@isere.gouv.fr"))
    assert [r.name for r in user.roles] == [roles.PREFET_REGION] and user.region_code == "84"


def test_invite_form_errors_next_to_fields_and_values_kept(anct):
    make_user(roles.PREFET_DEPARTEMENT, "deja", departement_code="38")

    both = _invite_by_form(anct, email="nouveau@isere.gouv.fr", departement="38", region="84")
    body = _text(both)
    assert both.status_code == 200
    assert "Choisissez soit un département, soit une région, pas les deux." in body
    assert 'value="nouveau@isere.gouv.fr"' in body
    assert re.search(r'<option selected value="38">|<option value="38" selected>', body)

    neither = _invite_by_form(anct, email="nouveau@isere.gouv.fr", departement="", region="")
    assert "Choisissez un département (préfet de département) ou une région" in _text(neither)

    bad = _invite_by_form(anct, email="pas-une-adresse", departement="38", region="")
    assert "Adresse électronique invalide." in _text(bad)

    unknown = _invite_by_form(anct, email="nouveau@isere.gouv.fr", departement="99", region="")
    assert "Département inconnu." in _text(unknown)

    existing = _invite_by_form(anct, email="deja@exemple.fr", departement="38", region="")
    assert "Un compte existe déjà pour l'adresse deja@exemple.fr." in _text(existing)

    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_region_invitation_gives_a_prefet_de_region(anct, smtp):
    make_structure("38", nom="Mairie de Grenoble")
    make_structure("39", nom="Mairie de Lons")
    assert _invite_by_form(anct, email="prefet@ara.gouv.fr", departement="", region="84").status_code == 302
    deliver_pending()
    text, _ = parts(smtp.messages[0])
    assert "Profil : Préfet de région" in text and "Territoire : Région Auvergne-Rhône-Alpes" in text
    _logout(anct)
    assert _accept(anct, LINK.search(text).group(1)).status_code == 302
    structures = _text(anct.get("/structures/list/"))
    assert "Mairie de Grenoble" in structures and "Lons" not in structures


def test_structure_accounts_use_the_same_mechanism(client, smtp):
    mine = make_structure("38", nom="Mairie de Vizille")
    make_structure("38", nom="Mairie de Vif")
    with pytest.raises(InvitationError, match="Choisissez la structure"):
        create_invitation("contact@vizille.fr", roles.STRUCTURE)
    with pytest.raises(InvitationError, match="Structure 999999 inconnue"):
        create_invitation("contact@vizille.fr", roles.STRUCTURE, structure_id=999999)
    with pytest.raises(InvitationError, match="ne porte pas ce type de territoire"):
        create_invitation("contact@vizille.fr", roles.STRUCTURE, structure_id=mine.id, departement_code="38")
    with pytest.raises(InvitationError, match="Département « 99 » inconnu"):
        create_invitation("p@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="99")

    invitation = create_invitation("contact@vizille.fr", roles.STRUCTURE, structure_id=mine.id)
    db.session.commit()
    assert invitation.territoire_label == f"Mairie de Vizille (ID {mine.id})"
    deliver_pending()
    text, _ = parts(smtp.messages[0])
    assert "Profil : Structure" in text
    assert _accept(client, LINK.search(text).group(1)).status_code == 302
    user = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "contact@vizille.fr"))
    assert [r.name for r in user.roles] == [roles.STRUCTURE] and user.structure_id == mine.id
    structures = _text(client.get("/structures/list/"))
    assert "Mairie de Vizille" in structures and "Mairie de Vif" not in structures


def test_smtp_down_at_invitation_time_then_up_delivers_once(anct, mail_port):
    port = free_port()  # nothing listens
    mail_port(port)
    assert _invite_by_form(anct, email="prefet@isere.gouv.fr", departement="38", region="").status_code == 302
    report = deliver_pending()
    assert report.retried == 1 and report.smtp_unreachable
    invitation = _invitation("prefet@isere.gouv.fr")
    assert invitation is not None and invitation.used_at is None  # the invitation is there all the same

    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with SMTPServer(port=port) as smtp:
        assert deliver_pending().sent == 1
        assert deliver_pending().processed == 0
        assert len(smtp.messages) == 1
        link = LINK.search(parts(smtp.messages[0])[0]).group(1)
    _logout(anct)
    assert _accept(anct, link).status_code == 302


# --- CSV import -------------------------------------------------------------------------------------------

def _upload(client, content: bytes, filename: str = "prefets.csv"):
    page = _text(client.get("/invitations/importer"))
    return client.post("/invitations/importer", data={
        "csrf_token": csrf_token(page), "fichier": (BytesIO(content), filename)},
        content_type="multipart/form-data")


def test_csv_import_invites_everyone(anct, smtp):
    content = ("\ufeffEmail;Département/Région;Code\r\n"
               "prefet.isere@isere.gouv.fr;Département;38\r\n"
               "prefet.corse@corse-du-sud.gouv.fr;departement;2a\r\n"
               "\r\n"
               "prefet.ara@ara.gouv.fr;RÉGION;84\r\n"
               "prefet.idf@idf.gouv.fr;Region;11\r\n").encode("utf-8")
    response = _upload(anct, content)
    assert response.status_code == 302, _text(response)
    assert "4 invitation(s) envoyée(s)." in _text(anct.get(response.headers["Location"]))
    invitations = {i.email: i for i in db.session.scalars(select(Invitation))}
    assert invitations["prefet.isere@isere.gouv.fr"].departement_code == "38"
    assert invitations["prefet.corse@corse-du-sud.gouv.fr"].departement_code == "2A"
    assert invitations["prefet.ara@ara.gouv.fr"].role == roles.PREFET_REGION
    assert invitations["prefet.idf@idf.gouv.fr"].region_code == "11"
    assert deliver_pending().sent == 4
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(invitations)


def test_csv_from_excel_cp1252_with_commas(anct):
    content = "email,Departement/Region,code\nprefet@jura.gouv.fr,Département,39\n".encode("cp1252")
    assert _upload(anct, content).status_code == 302
    assert _invitation("prefet@jura.gouv.fr").departement_code == "39"


def test_csv_with_a_wrong_line_imports_nothing_and_says_where(anct):
    make_user(roles.PREFET_DEPARTEMENT, "deja", departement_code="38")
    content = ("email;Département/Région;code\n"
               "prefet.isere@isere.gouv.fr;Département;38\n"      # line 2: fine
               "prefet.inconnu@gouv.fr;Département;99\n"          # line 3: unknown département
               "pas-une-adresse;Région;84\n"                      # line 4: bad email
               "prefet.isere@isere.gouv.fr;Département;38\n"      # line 5: duplicate of line 2
               "deja@exemple.fr;Département;38\n"                 # line 6: already has an account
               "prefet.commune@gouv.fr;Commune;38\n"              # line 7: neither département nor région
               "prefet.region@gouv.fr;Région;12\n"                # line 8: unknown région
               ).encode()
    response = _upload(anct, content)
    body = _text(response)
    assert response.status_code == 200
    assert "Aucune invitation n'a été envoyée : 6 erreur(s)" in body
    assert "Ligne 3 : département « 99 » inconnu." in body
    assert "Ligne 4 : adresse électronique invalide (« pas-une-adresse »)." in body
    assert "Ligne 5 : l'adresse prefet.isere@isere.gouv.fr figure déjà ligne 2." in body
    assert "Ligne 6 : un compte existe déjà pour deja@exemple.fr." in body
    assert "Ligne 7 : la colonne « Département/Région » doit valoir « Département » ou « Région »" in body
    assert "Ligne 8 : région « 12 » inconnue." in body
    assert "Ligne 2" not in body
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_csv_file_level_errors(anct):
    missing = _text(_upload(anct, b"adresse;code\nprefet@isere.gouv.fr;38\n"))
    assert "Colonne(s) manquante(s) : « email », « Département/Région »" in missing
    header_only = _text(_upload(anct, b"email;D\xc3\xa9partement/R\xc3\xa9gion;code\n"))
    assert "Le fichier ne contient aucune invitation" in header_only
    not_csv = _text(_upload(anct, b"x", filename="prefets.xlsx"))
    assert "Le fichier doit être au format CSV" in not_csv
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


# --- who may do what --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, territory", [
    (roles.PREFET_DEPARTEMENT, {"departement_code": "38"}),
    (roles.PREFET_REGION, {"region_code": "84"}),
    (roles.STRUCTURE, {}),
    (roles.BANQUE_DES_TERRITOIRES, {}),
])
def test_admin_screens_are_forbidden_to_non_anct(client, role, territory):
    invitation = create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    make_user(role, "quelquun", **territory)
    login(client, "quelquun")
    for url in ("/invitations/list/", "/invitations/add", "/invitations/importer",
                f"/invitations/show/{invitation.id}", "/courriels/list/"):
        assert client.get(url).status_code == 403, url
    assert "/invitations/list/" not in _text(client.get("/"))


def test_admin_screens_send_anonymous_visitors_to_login(client):
    for url in ("/invitations/list/", "/invitations/add", "/invitations/importer", "/courriels/list/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.headers["Location"], url


def test_anct_menu_and_reinvite_action(anct, smtp):
    home = _text(anct.get("/"))
    assert "Administration" in home and "/invitations/list/" in home and "/courriels/list/" in home
    assert home.count("Administration") == 1  # one menu: FAB's users and roles beside ours
    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38")
    db.session.commit()
    old_link = _link_from_outbox("prefet@isere.gouv.fr")
    invitation = _invitation("prefet@isere.gouv.fr")
    page = _text(anct.get("/invitations/list/"))
    response = anct.post("/invitations/action_post", data={
        "action": "reinviter", "rowid": [str(invitation.id)], "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "1 nouvelle(s) invitation(s) envoyée(s)." in _text(anct.get("/invitations/list/"))
    new_link = _link_from_outbox("prefet@isere.gouv.fr")
    assert new_link != old_link
    assert deliver_pending().sent == 2
    _logout(anct)
    assert anct.get(old_link).status_code == 404
    assert anct.get(new_link).status_code == 200
