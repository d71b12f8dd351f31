"""Signed, expiring links to fill a submission (itsdangerous): never a guessable id in a URL.

A token carries the submission id, a fragment of its random access key (rotating the key revokes
every link) and an expiry:
- an explicit `expires_at`: the link stops working at that moment;
- none: the link follows the form's closing date — it lets the respondent fill in while the form is
  open, then read the answers for FORMULAIRES_LIEN_LECTURE_APRES_CLOTURE more (drafts stay readable);
  a form without closing date: FORMULAIRES_LIEN_VALIDITE after issue.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.formulaires.calendrier import format_paris, maintenant
from app.formulaires.models import Soumission

SALT = "formulaires.remplir.v1"
KEY_FRAGMENT = 16


class LienInvalide(Exception):
    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.message = message
        self.status = status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _config_delta(name: str, default: timedelta) -> timedelta:
    value = current_app.config.get(name, default)
    return value if isinstance(value, timedelta) else timedelta(days=int(value))


def creer(soumission: Soumission, expires_at: datetime | None = None) -> str:
    if soumission.id is None:
        db.session.flush()
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValueError("expires_at doit être un datetime avec fuseau horaire (UTC de préférence)")
    payload = {
        "s": soumission.id,
        "k": soumission.cle_acces[:KEY_FRAGMENT],
        "e": int(expires_at.timestamp()) if expires_at else None,
    }
    return _serializer().dumps(payload)


def verifier(token: str, now: datetime | None = None) -> Soumission:
    """The submission a token opens, or LienInvalide (404 tampered/unknown, 410 expired)."""
    from app.formulaires.service import closing_datetime  # service imports this module

    now = now or maintenant()
    invalid = LienInvalide("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier, "
                           "ou demandez un nouveau lien.")
    max_age = _config_delta("FORMULAIRES_LIEN_DUREE_MAX", timedelta(days=400))
    try:
        payload, issued = _serializer().loads(token, max_age=int(max_age.total_seconds()), return_timestamp=True)
    except SignatureExpired as exc:
        raise LienInvalide("Ce lien a expiré. Demandez un nouveau lien.", 410) from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) or not isinstance(payload.get("k"), str):
        raise invalid
    soumission = db.session.get(Soumission, payload["s"])
    if soumission is None or not hmac.compare_digest(soumission.cle_acces[:KEY_FRAGMENT], payload["k"]):
        raise invalid
    expiry = payload.get("e")
    if isinstance(expiry, int):
        limit = datetime.fromtimestamp(expiry, UTC)
    else:
        closes_at = closing_datetime(soumission.form_id)
        if closes_at is not None:
            limit = closes_at + _config_delta("FORMULAIRES_LIEN_LECTURE_APRES_CLOTURE", timedelta(days=30))
        else:
            limit = issued.astimezone(UTC) + _config_delta("FORMULAIRES_LIEN_VALIDITE", timedelta(days=90))
    if now > limit:
        raise LienInvalide(f"Ce lien a expiré le {format_paris(limit)} (heure de Paris). "
                           "Demandez un nouveau lien.", 410)
    return soumission
