"""The outbox: emails written with the business change, delivered once to a real SMTP server."""

import re
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader, TemplateNotFound
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.mail import FAILED, PENDING, SENDING, SENT, OutboxMessage, deliver_pending, send_email
from app.mail import outbox as outbox_module
from app.models import Structure
from app.models.base import utcnow
from app.security import roles
from tests.conftest import csrf_token, login
from tests.factories import make_structure, make_user
from tests.mail_helpers import SMTPServer, free_port, parts

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def test_templates(app):
    """Test-only email templates (tests/templates/emails), next to the application's."""
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([original, FileSystemLoader(str(TEMPLATES))])
    app.jinja_env.cache.clear()
    yield
    app.jinja_env.loader = original
    app.jinja_env.cache.clear()


@pytest.fixture
def config(app):
    """Change app.config for one test; restored afterwards."""
    saved = {}

    def set_(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key, _MISSING))
            app.config[key] = value

    yield set_
    for key, value in saved.items():
        if value is _MISSING:
            app.config.pop(key, None)
        else:
            app.config[key] = value


_MISSING = object()


@pytest.fixture
def smtp(config):
    with SMTPServer() as server:
        config(MAIL_PORT=server.port)
        yield server


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def _message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _make_due(message_id: int) -> None:
    """Time travel: the retry delay of this message is over."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _queue(n: int = 1, **context) -> list[int]:
    ids = []
    for i in range(n):
        message = send_email(f"destinataire{i}@exemple.fr", "essai", nom=context.get("nom", "Élodie"),
                             numero=i + 1)
        db.session.flush()
        ids.append(message.id)
    db.session.commit()
    return ids


# --- rendering and delivery ----------------------------------------------------------------------

def test_message_written_with_the_business_change_and_delivered_in_french_utf8(smtp):
    structure = Structure(nom="Mairie de Vif", type="commune", code_postal="38450", departement_code="38",
                          region_code="84")
    db.session.add(structure)
    message = send_email(["camille@exemple.fr", "dominique@exemple.fr"], "essai", nom="Élodie Noël",
                         numero=42)
    assert smtp.messages == []  # nothing leaves before the commit
    db.session.commit()

    stored = _message(message.id)
    assert stored.state == PENDING
    assert stored.subject == "Accusé de réception : dossier « Élodie Noël »"
    assert stored.recipients == ["camille@exemple.fr", "dominique@exemple.fr"]
    assert "Accusé de réception" not in stored.text_body  # the subject block is not printed in the body

    report = deliver_pending()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)

    [received] = smtp.received
    assert sorted(received.rcpt_tos) == ["camille@exemple.fr", "dominique@exemple.fr"]
    mail = received.message
    assert mail["Subject"] == "Accusé de réception : dossier « Élodie Noël »"
    assert mail["From"].addresses[0].display_name == "Pilotage France Numérique Ensemble"
    assert mail["From"].addresses[0].addr_spec == "ne-pas-repondre@anct.gouv.fr"
    assert mail["To"] is not None and "camille@exemple.fr" in str(mail["To"])
    assert mail["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(rf"<outbox\.{message.id}\.\d{{14}}@anct\.gouv\.fr>", mail["Message-ID"])
    assert mail.is_multipart()  # Flask-Mail: multipart/mixed around the text/html alternative
    text, html = parts(mail)
    assert mail.get_body(("plain",)).get_content_charset() == "utf-8"
    assert "Bonjour Élodie Noël," in text
    assert "l'avis du préfet — nous vous écrirons" in text
    assert "Agence nationale de la cohésion des territoires" in text  # shared text layout
    assert "<html lang=\"fr\">" in html and "République<br>française" in html  # shared HTML layout
    assert "<title>Accusé de réception : dossier « Élodie Noël »</title>" in html
    assert "Bonjour Élodie Noël," in html and "<strong>42</strong>" in html

    stored = _message(message.id)
    assert stored.state == SENT and stored.attempts == 1 and stored.sent_at is not None
    assert db.session.scalar(select(Structure).where(Structure.nom == "Mairie de Vif")) is not None


def test_html_is_escaped_and_text_only_templates_are_allowed(smtp):
    send_email("a@exemple.fr", "essai", nom="<script>alert(1)</script>", numero=1)
    send_email("b@exemple.fr", "texte_seul")
    db.session.commit()
    deliver_pending()
    by_recipient = {r.rcpt_tos[0]: r.message for r in smtp.received}
    _, html = parts(by_recipient["a@exemple.fr"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    text, html = parts(by_recipient["b@exemple.fr"])
    assert html is None and "Rien à signaler." in text


def test_send_email_refuses_bad_input(app):
    with pytest.raises(ValueError):
        send_email("pas-une-adresse", "essai", nom="x", numero=1)
    with pytest.raises(ValueError):
        send_email([], "essai", nom="x", numero=1)
    with pytest.raises(ValueError):
        send_email("a@exemple.fr", "../secret", nom="x", numero=1)
    with pytest.raises(TemplateNotFound):
        send_email("a@exemple.fr", "inexistant")
    assert _count() == 0


def test_idempotency_key_gives_one_message_per_business_event(smtp):
    first = send_email("camille@exemple.fr", "essai", key="demande-validee:7", nom="Camille", numero=7)
    again = send_email("camille@exemple.fr", "essai", key="demande-validee:7", nom="Camille", numero=7)
    assert again is first  # same transaction, not flushed yet
    db.session.commit()
    later = send_email("camille@exemple.fr", "essai", key="demande-validee:7", nom="Camille", numero=7)
    assert later.id == first.id and not db.session.new
    db.session.commit()
    other = send_email("camille@exemple.fr", "essai", key="demande-validee:8", nom="Camille", numero=8)
    db.session.commit()
    assert other.id != first.id
    assert _count() == 2
    deliver_pending()
    deliver_pending()
    assert len(smtp.messages) == 2


def test_business_rollback_leaves_no_message(smtp):
    db.session.add(Structure(nom="Mairie annulée", type="commune", departement_code="38", region_code="84"))
    send_email("camille@exemple.fr", "essai", nom="Camille", numero=1)
    db.session.rollback()
    assert _count() == 0
    assert deliver_pending().processed == 0
    assert smtp.messages == []
    assert db.session.scalar(select(Structure).where(Structure.nom == "Mairie annulée")) is None


# --- failures, retries, exactly once --------------------------------------------------------------

def test_smtp_down_then_up_delivers_exactly_once(config):
    port = free_port()  # nothing listens there yet
    config(MAIL_PORT=port)
    make_structure("38", nom="Mairie de Voiron")
    [message_id] = _queue(1)

    report = deliver_pending()
    assert report.retried == 1 and report.smtp_unreachable
    failed = _message(message_id)
    assert failed.state == PENDING and failed.attempts == 1
    assert "Connexion au serveur SMTP" in failed.last_error
    assert failed.next_attempt_at > utcnow()  # backoff
    # The business change is committed and stays, whatever happens to the email.
    assert db.session.scalar(select(Structure).where(Structure.nom == "Mairie de Voiron")) is not None

    with SMTPServer(port=port) as smtp:
        assert deliver_pending().processed == 0  # not due yet: the backoff is respected
        _make_due(message_id)
        assert deliver_pending().sent == 1
        assert deliver_pending().processed == 0
        assert len(smtp.messages) == 1
    delivered = _message(message_id)
    assert delivered.state == SENT and delivered.attempts == 2


def test_concurrent_deliverers_never_send_a_message_twice(app, smtp):
    ids = _queue(40)
    barrier = threading.Barrier(3)
    reports, errors = [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(deliver_pending())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(r.sent for r in reports) == 40
    received = smtp.messages
    assert len(received) == 40
    assert len({m["Message-ID"] for m in received}) == 40
    db.session.expire_all()
    states = db.session.execute(select(OutboxMessage.state, OutboxMessage.attempts)
                                .where(OutboxMessage.id.in_(ids))).all()
    assert set(states) == {(SENT, 1)}


def test_backoff_then_failed_with_last_error_then_requeued(app, client, config):
    port = free_port()
    config(MAIL_PORT=port, OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_BASE_SECONDS=60)
    [message_id] = _queue(1)

    before = utcnow()
    deliver_pending()
    first = _message(message_id)
    assert first.state == PENDING and first.attempts == 1
    assert timedelta(seconds=59) <= first.next_attempt_at - before <= timedelta(seconds=62)

    _make_due(message_id)
    before = utcnow()
    deliver_pending()
    second = _message(message_id)
    assert second.attempts == 2
    assert timedelta(seconds=119) <= second.next_attempt_at - before <= timedelta(seconds=122)

    _make_due(message_id)
    report = deliver_pending()
    assert report.failed == 1
    final = _message(message_id)
    assert final.state == FAILED and final.attempts == 3
    assert "Connexion au serveur SMTP" in final.last_error

    _make_due(message_id)
    assert deliver_pending().processed == 0  # failed is final

    # ANCT: Administration → Courriels → "Renvoyer".
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    listing = client.get("/courriels/list/")
    page = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "Renvoyer" in page and "En échec" in page
    response = client.post("/courriels/action_post", data={
        "action": "renvoyer", "rowid": [str(message_id)], "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    requeued = _message(message_id)
    assert requeued.state == PENDING and requeued.attempts == 0
    with SMTPServer(port=port) as smtp:
        assert deliver_pending().sent == 1
        assert len(smtp.messages) == 1
    assert _message(message_id).state == SENT


def test_renvoyer_ignores_messages_that_did_not_fail(client, smtp):
    [message_id] = _queue(1)
    deliver_pending()
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    page = client.get(f"/courriels/show/{message_id}").get_data(as_text=True)
    assert "Accusé de réception" in page and "Envoyé" in page
    response = client.post("/courriels/action_post", data={
        "action": "renvoyer", "rowid": [str(message_id)], "csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "seuls les courriels en échec peuvent être renvoyés" in response.get_data(as_text=True)
    assert _message(message_id).state == SENT
    assert deliver_pending().processed == 0 and len(smtp.messages) == 1


def test_a_claim_interrupted_by_a_crash_is_taken_again_after_its_lease(smtp):
    [message_id] = _queue(1)
    # A worker claimed it, then died before sending: the row is "sending" with a lease.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(state=SENDING, attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert deliver_pending().processed == 0  # the lease still holds: nobody else sends it
    _make_due(message_id)  # the lease is over
    assert deliver_pending().sent == 1
    assert len(smtp.messages) == 1
    message = _message(message_id)
    assert message.state == SENT and message.attempts == 2


def test_an_expired_claim_cannot_overwrite_the_new_claims_outcome(app, smtp):
    [message_id] = _queue(1)
    with Session(db.engine) as session:
        slow = outbox_module._claim_next(session)
        _make_due(message_id)  # the slow worker's lease ends
        fast = outbox_module._claim_next(session)
        assert fast.id == slow.id and fast.attempts == slow.attempts + 1
        outbox_module._finish(session, fast, None)
        outbox_module._finish(session, slow, "SMTPServerDisconnected : trop tard")
    message = _message(message_id)
    assert message.state == SENT and message.last_error is None


def test_exhausted_interrupted_claims_end_failed(config, smtp):
    config(OUTBOX_MAX_ATTEMPTS=2)
    [message_id] = _queue(1)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(state=SENDING, attempts=2, next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_pending().processed == 0
    message = _message(message_id)
    assert message.state == FAILED and "nombre maximal de tentatives" in message.last_error
    assert smtp.messages == []


# --- triggers: after commit, CLI, Celery -----------------------------------------------------------

def test_cli_deliver(app, config):
    port = free_port()
    config(MAIL_PORT=port)
    _queue(2)
    runner = app.test_cli_runner()
    down = runner.invoke(args=["outbox", "deliver"])
    assert down.exit_code == 1
    assert "Serveur SMTP injoignable" in down.output
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with SMTPServer(port=port) as smtp:
        result = runner.invoke(args=["outbox", "deliver"])
        assert result.exit_code == 0, result.output
        assert "2 courriel(s) envoyé(s), 0 à réessayer plus tard, 0 en échec définitif." in result.output
        again = runner.invoke(args=["outbox", "deliver"])
        assert "0 courriel(s) envoyé(s)" in again.output
        assert len(smtp.messages) == 2


def test_commit_wakes_a_background_delivery_thread(app, config, smtp):
    config(OUTBOX_DELIVER_AFTER_COMMIT=True)
    send_email("camille@exemple.fr", "essai", nom="Camille", numero=1)
    db.session.rollback()  # rolled back: nothing to wake, nothing sent
    send_email("dominique@exemple.fr", "essai", nom="Dominique", numero=2)
    db.session.commit()
    received = smtp.wait_for(1)
    assert [m["To"] for m in received] == ["dominique@exemple.fr"]
    _wait_background_idle(app)
    assert _count() == 1


def _wait_background_idle(app, timeout: float = 10) -> None:
    deliverer = app.extensions.get("outbox_deliverer")
    deadline = time.monotonic() + timeout
    while deliverer is not None and deliverer.running and time.monotonic() < deadline:
        time.sleep(0.05)


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(),
                    reason="Redis n'écoute pas sur 127.0.0.1:6379 : le chemin Celery ne peut pas être prouvé ici.")
def test_celery_worker_delivers_after_commit_through_redis(app, config, smtp):
    from celery.contrib.testing.worker import start_worker

    from app.tasks import celery_for

    queue = f"pilotage-test-outbox-{uuid.uuid4().hex}"  # Redis is shared: a queue of our own
    config(CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_TASK_DEFAULT_QUEUE=queue,
           CELERY_WORKER_ENABLE_REMOTE_CONTROL=False, OUTBOX_DELIVER_AFTER_COMMIT=False)
    celery = celery_for(app)
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            send_email("camille@exemple.fr", "essai", nom="Camille", numero=1)
            db.session.commit()  # after commit: the task is published to Redis, the worker delivers
            received = smtp.wait_for(1, timeout=30)
            assert [m["To"] for m in received] == ["camille@exemple.fr"]
        assert _message(db.session.scalar(select(OutboxMessage.id))).state == SENT
        assert celery.conf.beat_schedule["outbox-sweep"]["schedule"] == 60.0
    finally:
        app.extensions.pop("celery", None)
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, db=0)
        celery.pool.force_close_all()  # no pooled producer left to declare the queue again
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)


# --- admin screen ------------------------------------------------------------------------------------

def test_outbox_screen_is_for_anct_only(client, smtp):
    [message_id] = _queue(1)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    assert client.get("/courriels/list/").status_code == 403
    assert client.get(f"/courriels/show/{message_id}").status_code == 403
    assert "Courriels" not in client.get("/").get_data(as_text=True)

    client.get("/logout/")
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    home = client.get("/").get_data(as_text=True)
    assert "Administration" in home and "/courriels/list/" in home
    listing = client.get("/courriels/list/").get_data(as_text=True)
    assert "Accusé de réception" in listing and "destinataire0@exemple.fr" in listing
    assert client.get("/courriels/add").status_code == 404  # read only: no such route
    assert client.get(f"/courriels/edit/{message_id}").status_code == 404
