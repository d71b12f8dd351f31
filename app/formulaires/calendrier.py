"""Opening and closing dates of a form: the ONLY place they are read and enforced.

The definition carries the official calendar (`opens_at` / `closes_at`, Europe/Paris local time,
"YYYY-MM-DDTHH:MM"; a time without seconds includes the whole minute: 23:59 closes at 23:59:59).
The configuration `FORMULAIRES_CALENDRIER` may override it per form id ("*" for every form), e.g.
`{"motivation-coordinateur": {"closes_at": "2026-12-31T23:59"}}`; a `null` value removes the limit.
A package owning a campaign calendar may also give a form its dates (`register_provider`); the
configuration still wins. The override is a deployment decision (demo, tests, an extended deadline): the published versions
stay as they were asked. The dates of the form's *current* version apply to all its submissions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

PARIS = ZoneInfo("Europe/Paris")
_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


class DateInvalide(ValueError):
    pass


def parse_paris(value: str, *, fin: bool = False) -> datetime:
    """'2023-12-10T23:59' (Paris) -> aware UTC datetime; `fin` makes a minute inclusive."""
    if not isinstance(value, str) or not _FORMAT.fullmatch(value):
        raise DateInvalide(f"« {value} » : date et heure attendues au format AAAA-MM-JJTHH:MM (heure de Paris).")
    try:
        local = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DateInvalide(f"« {value} » n'est pas une date valide.") from exc
    if fin and len(value) == 16:
        local += timedelta(seconds=59, microseconds=999999)
    return local.replace(tzinfo=PARIS).astimezone(UTC)


def format_paris(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


@dataclass(frozen=True)
class Fenetre:
    opens_at: datetime | None
    closes_at: datetime | None
    surchargee: bool = False

    def pas_encore_ouverte(self, now: datetime) -> bool:
        return self.opens_at is not None and now < self.opens_at

    def close(self, now: datetime) -> bool:
        return self.closes_at is not None and now > self.closes_at

    def message(self, now: datetime) -> str | None:
        """Why nothing can be saved now, in French; None when the form is open."""
        if self.pas_encore_ouverte(now):
            return (f"Ce formulaire ouvrira le {format_paris(self.opens_at)} (heure de Paris) : "
                    "il n'est pas encore possible d'y répondre.")
        if self.close(now):
            return (f"La date limite de dépôt est dépassée : ce formulaire était ouvert jusqu'au "
                    f"{format_paris(self.closes_at)} (heure de Paris). Il ne peut plus être modifié ni déposé ; "
                    "les réponses déjà enregistrées restent consultables.")
        return None


def _override(form_id: str) -> dict:
    if not has_app_context():
        return {}
    table = current_app.config.get("FORMULAIRES_CALENDRIER") or {}
    merged = dict(table.get("*") or {})
    merged.update(table.get(form_id) or {})
    return merged


_PROVIDERS: dict[str, Callable[[], dict]] = {}


def register_provider(form_id: str, provider: Callable[[], dict]) -> None:
    """Let the package that owns a campaign calendar give a form its dates (e.g. milestones ANCT edits).

    `provider()` returns {"opens_at": aware datetime | None, "closes_at": aware datetime | None}
    (a missing key keeps the definition's date). The configuration override still wins.
    """
    _PROVIDERS[form_id] = provider


def fenetre(form_id: str, definition: dict) -> Fenetre:
    values: dict[str, datetime | None] = {
        "opens_at": parse_paris(definition["opens_at"]) if definition.get("opens_at") else None,
        "closes_at": parse_paris(definition["closes_at"], fin=True) if definition.get("closes_at") else None,
    }
    provider = _PROVIDERS.get(form_id)
    surchargee = False
    if provider is not None and has_app_context():
        given = provider() or {}
        for key in values:
            if key in given:
                values[key] = given[key]
                surchargee = True
    override = _override(form_id)
    for key in values:
        if key in override:
            value = override[key]
            values[key] = parse_paris(value, fin=key == "closes_at") if value else None
            surchargee = True
    return Fenetre(opens_at=values["opens_at"], closes_at=values["closes_at"], surchargee=surchargee)


def maintenant() -> datetime:
    return datetime.now(UTC)
