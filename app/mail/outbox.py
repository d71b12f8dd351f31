"""Outbox implementation: render and queue in the business transaction, deliver after commit.

See the package docstring (`app/mail/__init__.py`) for the contract other modules rely on.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

import flask_mail
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, has_app_context
from jinja2 import TemplateNotFound
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from app.extensions import db, mail
from app.mail.models import (
    FAILED,
    PENDING,
    RECIPIENT_SEPARATOR,
    SENDING,
    SENT,
    OutboxMessage,
)
from app.models.base import utcnow

log = logging.getLogger(__name__)

# Set in `session.info` by `send_email` (and `requeue_failed`): the next commit wakes the deliverer.
WAKE_FLAG = "outbox_wake"
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")
DEFAULT_LEASE_SECONDS = 300
DEFAULT_RETRY_BASE_SECONDS = 60
DEFAULT_RETRY_MAX_DELAY_SECONDS = 6 * 3600
DEFAULT_DELIVERY_LIMIT = 1000


# --- Rendering --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def render_email(template: str, **context) -> RenderedEmail:
    """Render `emails/<template>.txt` (+ `.html` when it exists) with the app's Jinja environment."""
    if not TEMPLATE_NAME.match(template):
        raise ValueError(f"invalid email template name: {template!r}")
    env = current_app.jinja_env
    context = {
        "app_name": current_app.config.get("APP_NAME", ""),
        "base_url": current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "support_email": current_app.config.get("SUPPORT_EMAIL", ""),
        **context,
    }
    text_template = env.get_template(f"emails/{template}.txt")
    subject_block = text_template.blocks.get("subject")
    if subject_block is None:
        raise ValueError(f"emails/{template}.txt has no {{% block subject %}}")
    subject = " ".join("".join(subject_block(text_template.new_context(context))).split())
    if not subject:
        raise ValueError(f"emails/{template}.txt renders an empty subject")
    if len(subject) > 500:
        raise ValueError(f"emails/{template}.txt renders a subject longer than 500 characters")
    text = _tidy_text(text_template.render(context))
    try:
        html_template = env.get_template(f"emails/{template}.html")
    except TemplateNotFound:
        html = None
    else:
        html = html_template.render({**context, "subject": subject})
    return RenderedEmail(subject=subject, text=text, html=html)


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def public_url(endpoint: str, **values) -> str:
    """Absolute URL of an endpoint for emails (no request needed): PUBLIC_BASE_URL + path."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


# --- Queueing -------------------------------------------------------------------------------

def normalize_recipients(to: str | list[str]) -> list[str]:
    """Plain addresses only ("nom@domaine.fr"), syntax checked, duplicates removed, order kept."""
    addresses = [to] if isinstance(to, str) else list(to)
    result: list[str] = []
    for raw in addresses:
        address = (raw or "").strip()
        if not address:
            continue
        try:
            validate_email(address, check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError as error:
            raise ValueError(f"invalid recipient address {address!r}: {error}") from error
        if address.lower() not in {a.lower() for a in result}:
            result.append(address)
    if not result:
        raise ValueError("send_email needs at least one recipient")
    return result


def send_email(to: str | list[str], template: str, *, key: str | None = None, **context) -> OutboxMessage:
    """Queue an email in the current session (no commit): the caller's commit writes it atomically.

    With `key`, a second call for the same key returns the existing message and adds nothing.
    """
    if key is not None:
        if not key or len(key) > 200:
            raise ValueError("idempotency key must be 1 to 200 characters")
        existing = _find_by_key(db.session, key)
        if existing is not None:
            return existing
    recipients = normalize_recipients(to)
    rendered = render_email(template, **context)
    now = utcnow()
    message = OutboxMessage(
        to=RECIPIENT_SEPARATOR.join(recipients),
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        template=template,
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        idempotency_key=key,
    )
    db.session.add(message)
    db.session.info[WAKE_FLAG] = True
    return message


def _find_by_key(session, key: str) -> OutboxMessage | None:
    for obj in session.new:
        if isinstance(obj, OutboxMessage) and obj.idempotency_key == key:
            return obj
    with session.no_autoflush:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


def requeue_failed(ids: list[int]) -> int:
    """Put failed messages back in the queue (attempts reset). Caller commits; delivery follows."""
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount:
        db.session.info[WAKE_FLAG] = True
    return result.rowcount


# --- Wake-up after commit -------------------------------------------------------------------

def _after_commit(session: Session) -> None:
    if not session.info.pop(WAKE_FLAG, False) or not has_app_context():
        return
    try:
        wake_delivery(current_app._get_current_object())
    except Exception:  # the business change is committed: never fail the caller for an email
        log.exception("outbox: could not trigger delivery (the periodic sweep will catch up)")


def _after_rollback(session: Session) -> None:
    session.info.pop(WAKE_FLAG, None)


def wake_delivery(app: Flask) -> None:
    """Celery task when a broker is configured, otherwise a background thread (if enabled)."""
    if app.config.get("CELERY_BROKER_URL"):
        from app.tasks import enqueue_delivery

        try:
            enqueue_delivery(app)
            return
        except Exception as error:
            log.warning("outbox: broker unreachable (%s)", error)
    if app.config.get("OUTBOX_DELIVER_AFTER_COMMIT"):
        _BackgroundDeliverer.for_app(app).kick()


class _BackgroundDeliverer:
    """One delivery thread at a time per application; a wake-up during a run triggers one more run."""

    _registry_lock = threading.Lock()

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.running = False
        self.again = False

    @classmethod
    def for_app(cls, app: Flask) -> _BackgroundDeliverer:
        with cls._registry_lock:
            deliverer = app.extensions.get("outbox_deliverer")
            if deliverer is None:
                deliverer = app.extensions["outbox_deliverer"] = cls(app)
            return deliverer

    def kick(self) -> None:
        with self.lock:
            if self.running:
                self.again = True
                return
            self.running = True
        threading.Thread(target=self._run, name="outbox-delivery", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    deliver_pending()
            except Exception:
                log.exception("outbox: background delivery failed")
            with self.lock:
                if not self.again:
                    self.running = False
                    return
                self.again = False


if not event.contains(Session, "after_commit", _after_commit):
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)


# --- Delivery -------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    smtp_unreachable: bool = False

    @property
    def processed(self) -> int:
        return self.sent + self.retried + self.failed

    def as_dict(self) -> dict:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed,
                "smtp_unreachable": self.smtp_unreachable}

    def __str__(self) -> str:
        text = (f"{self.sent} courriel(s) envoyé(s), {self.retried} à réessayer plus tard, "
                f"{self.failed} en échec définitif.")
        if self.smtp_unreachable:
            text += " Serveur SMTP injoignable : envoi suspendu jusqu'au prochain passage."
        return text


@dataclass(frozen=True)
class _Claim:
    id: int
    attempts: int  # after the claim: also the fencing token of this claim
    to: str
    subject: str
    text_body: str
    html_body: str | None
    created_at: object


class _SMTPUnreachable(Exception):
    pass


def deliver_pending(limit: int = DEFAULT_DELIVERY_LIMIT) -> DeliveryReport:
    """Send every due message (at most `limit`), one claim at a time. Safe to run concurrently.

    A claim is a conditional UPDATE (pending or lease-expired, and due -> sending with a lease);
    on PostgreSQL candidates are also locked with FOR UPDATE SKIP LOCKED so workers do not wait
    on each other. No database transaction stays open while talking to the SMTP server.
    """
    report = DeliveryReport()
    with Session(db.engine, expire_on_commit=False) as session:
        _fail_exhausted(session)
        connection = None
        try:
            while report.processed < limit:
                claim = _claim_next(session)
                if claim is None:
                    break
                error = None
                try:
                    if connection is None:
                        connection = _open_connection()
                    connection.send(_build_message(claim))
                except _SMTPUnreachable as exc:
                    error = str(exc)
                    report.smtp_unreachable = True
                except Exception as exc:  # any SMTP or network error: retry later
                    error = _describe(exc)
                    _close(connection)
                    connection = None
                outcome = _finish(session, claim, error)
                setattr(report, outcome, getattr(report, outcome) + 1)
                if report.smtp_unreachable:
                    break  # leave the others pending and due: their turn comes at the next run
        finally:
            _close(connection)
    if report.processed:
        log.info("outbox: %s", report)
    return report


def _config_seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=float(current_app.config.get(name, default)))


def _max_attempts() -> int:
    return int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", 8))


def _fail_exhausted(session: Session) -> None:
    """Messages out of attempts whose last claim was interrupted (crash) go to failed."""
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state.in_((PENDING, SENDING)), OutboxMessage.next_attempt_at <= now,
               OutboxMessage.attempts >= _max_attempts())
        .values(state=FAILED, last_error="Envoi interrompu : nombre maximal de tentatives atteint.")
    )
    session.commit()


def _claim_next(session: Session) -> _Claim | None:
    now = utcnow()
    due = and_(
        or_(OutboxMessage.state == PENDING, OutboxMessage.state == SENDING),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts < _max_attempts(),
    )
    candidates = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    postgresql = session.get_bind().dialect.name == "postgresql"
    candidates = candidates.limit(1).with_for_update(skip_locked=True) if postgresql else candidates.limit(10)
    lease_end = now + _config_seconds("OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    try:
        while True:
            message_ids = session.scalars(candidates).all()
            if not message_ids:
                session.commit()
                return None
            for message_id in message_ids:
                # The claim itself: only one deliverer can move this row from due to "sending".
                claimed = session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, due)
                    .values(state=SENDING, attempts=OutboxMessage.attempts + 1, next_attempt_at=lease_end)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed == 1:
                    row = session.execute(
                        select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.to, OutboxMessage.subject,
                               OutboxMessage.text_body, OutboxMessage.html_body, OutboxMessage.created_at)
                        .where(OutboxMessage.id == message_id)
                    ).one()
                    session.commit()
                    return _Claim(*row)
            session.commit()  # every candidate was taken by another deliverer: look again
    except Exception:
        session.rollback()
        raise


def _finish(session: Session, claim: _Claim, error: str | None) -> str:
    """Record the outcome, only if this claim still holds the row. Returns the report counter."""
    now = utcnow()
    if error is None:
        values, outcome = {"state": SENT, "sent_at": now}, "sent"
    elif claim.attempts >= _max_attempts():
        values, outcome = {"state": FAILED, "last_error": error}, "failed"
    else:
        values, outcome = {"state": PENDING, "last_error": error,
                           "next_attempt_at": now + retry_delay(claim.attempts)}, "retried"
    updated = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claim.id, OutboxMessage.state == SENDING,
               OutboxMessage.attempts == claim.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if updated != 1:
        log.warning("outbox: message %s: claim lost before its outcome (%s) was recorded", claim.id, outcome)
    return outcome


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2×base, 4×base… capped."""
    base = _config_seconds("OUTBOX_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS)
    cap = _config_seconds("OUTBOX_RETRY_MAX_DELAY_SECONDS", DEFAULT_RETRY_MAX_DELAY_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), cap)


# --- Flask-Mail plumbing --------------------------------------------------------------------

class _Connection(flask_mail.Connection):
    """Flask-Mail connection with a socket timeout (MAIL_TIMEOUT); Flask-Mail has none."""

    def configure_host(self):
        state = self.mail
        timeout = float(current_app.config.get("MAIL_TIMEOUT", 10))
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        try:
            host = smtp_class(state.server, state.port, timeout=timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise _SMTPUnreachable(
                f"Connexion au serveur SMTP {state.server}:{state.port} impossible : {error}"
            ) from error
        try:
            host.set_debuglevel(int(state.debug))
            if state.use_tls:
                host.starttls()
            if state.username and state.password:
                host.login(state.username, state.password)
        except Exception:
            host.close()
            raise
        return host


def _open_connection() -> _Connection:
    # Read the configuration now (not at init_app time) so MAIL_* changes apply without restart.
    # Delivery is explicit: MAIL_SUPPRESS_SEND only when set, never implied by TESTING.
    config = current_app.config
    state = mail.init_mail(config, debug=config.get("MAIL_DEBUG", 0))
    state.suppress = bool(config.get("MAIL_SUPPRESS_SEND", False))
    connection = _Connection(state)
    connection.host = None if state.suppress else connection.configure_host()
    connection.num_emails = 0
    return connection


def _close(connection: _Connection | None) -> None:
    if connection is None or connection.host is None:
        return
    try:
        connection.host.quit()
    except Exception:
        try:
            connection.host.close()
        except Exception:
            pass


def _build_message(claim: _Claim) -> flask_mail.Message:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = flask_mail.Message(
        subject=claim.subject,
        recipients=[a.strip() for a in claim.to.split(",") if a.strip()],
        body=claim.text_body,
        html=claim.html_body,
        sender=sender,
        charset="utf-8",
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # Stable across retries, so a receiving system can recognise a duplicate after a crash.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    created = claim.created_at.strftime("%Y%m%d%H%M%S") if claim.created_at else "0"
    message.msgId = f"<outbox.{claim.id}.{created}@{domain}>"
    return message


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        text = f"Refus du serveur SMTP ({error.smtp_code}) : {detail}"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "Destinataires refusés : " + ", ".join(
            f"{address} ({code})" for address, (code, _) in error.recipients.items()
        )
    else:
        text = f"{type(error).__name__} : {error}"
    return text[:2000]
