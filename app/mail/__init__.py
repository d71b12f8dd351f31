"""Emails through a transactional outbox.

Sending an email is part of a business change::

    from app.mail import send_email

    demande.statut = "validee"
    send_email(structure.contact_email, "demande_validee", key=f"demande-validee:{demande.id}",
               demande=demande, structure=structure)
    db.session.commit()   # the business change and the email are written together, or neither

`send_email(to, template, *, key=None, **context) -> OutboxMessage` renders the templates now,
adds an `OutboxMessage` row to the current SQLAlchemy session and does NOT commit. If the caller
rolls back, no email exists. `to` is one address or a list of plain addresses
("prenom.nom@exemple.fr", no display names). With `key` (max 200 characters, e.g.
"invitation:<id>", "avis:<demande id>"), a second call with the same key returns the existing
message and adds nothing: a business event never produces two emails (a unique constraint on the
key backs this up against concurrent transactions: the second commit fails).

Template convention (`app/templates/emails/`):

- `<template>.txt` is required. It extends `emails/base.txt` and defines
  `{% block subject %}…{% endblock %}` (one line, whitespace collapsed, max 500 characters) and
  `{% block body %}…{% endblock %}`. The subject block is rendered on its own; the base layout
  does not print it, so it never shows in the body.
- `<template>.html` is optional but expected for every user-facing email. It extends
  `emails/base.html` (shared layout, inline styles, `lang="fr"`) and defines
  `{% block body %}`; the rendered subject is available as `{{ subject }}`. HTML is autoescaped,
  plain text is not.
- Context: whatever the caller passes, plus `app_name`, `base_url` (PUBLIC_BASE_URL) and
  `support_email`; Jinja globals and filters of the app apply (`date_fr`, `config`). Build links
  with `public_url(endpoint, **values)` (absolute, from PUBLIC_BASE_URL, no request needed) and
  pass them in the context. Text is French, written for the recipient.

Delivery happens after the commit that wrote the messages (an SQLAlchemy `after_commit` hook,
triggered by a flag `send_email` sets on the session):

- with `CELERY_BROKER_URL`, the Celery task `deliver_outbox` (`app/tasks.py`) is enqueued, and
  Celery beat sweeps due messages every minute (`celery -A app.tasks worker` / `beat`);
- without a broker and with `OUTBOX_DELIVER_AFTER_COMMIT` (False in TestConfig), a background
  thread of the web process delivers; `flask --app app outbox deliver` (cron, every minute)
  catches up retries and anything left behind.

Each message is claimed before sending (conditional UPDATE pending/due -> sending with a lease
of OUTBOX_LEASE_SECONDS, plus FOR UPDATE SKIP LOCKED on PostgreSQL), so concurrent deliverers
never send the same message; a deliverer that dies mid-send leaves the row claimable again once
the lease ends (the only case where a message can be sent twice: the SMTP server accepted it but
the worker died before recording it; the Message-ID is stable so clients can spot the duplicate).
Failures are retried with exponential backoff (OUTBOX_RETRY_BASE_SECONDS × 2^(n-1), capped at
OUTBOX_RETRY_MAX_DELAY_SECONDS) until OUTBOX_MAX_ATTEMPTS, then the message is `failed` with its
`last_error`; ANCT re-queues it from Administration → Courriels ("Renvoyer"). A failed email
never undoes the business change: it was committed before delivery started.

Tests: TestConfig delivers nothing by itself (no broker, no thread, MAIL_PORT=1). Assert on the
`OutboxMessage` rows, or start an SMTP server (see `tests/mail_helpers.py`), set
`app.config["MAIL_PORT"]` and call `deliver_pending()`.
"""

from app.mail.models import FAILED, PENDING, SENDING, SENT, OutboxMessage
from app.mail.outbox import (
    DeliveryReport,
    deliver_pending,
    public_url,
    render_email,
    requeue_failed,
    send_email,
)

__all__ = [
    "FAILED", "PENDING", "SENDING", "SENT", "DeliveryReport", "OutboxMessage", "deliver_pending",
    "public_url", "render_email", "requeue_failed", "send_email",
]
