"""Helpers of the form engine tests: small definitions, publishing, filling through the web pages."""

from __future__ import annotations

import re

import yaml
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.formulaires import service
from app.formulaires.models import Soumission
from tests.conftest import csrf_token


def definition(fields: list[dict], *, form_id: str = "essai", sections: list[dict] | None = None, **meta) -> dict:
    """A minimal valid definition with one section holding `fields` (or the given sections)."""
    return {"id": form_id, "title": meta.pop("title", "Formulaire d'essai"),
            "sections": sections or [{"title": "Section", "fields": fields}], **meta}


def publier(defn: dict, par: str = "test") -> object:
    row = service.publier(yaml.safe_dump(defn, allow_unicode=True, sort_keys=False), par=par)
    assert row is not None
    return row


def nouveau(form_id: str = "essai", **kwargs) -> Soumission:
    soumission = service.start_or_resume(form_id, **kwargs)
    db.session.commit()
    return soumission


def chemin(soumission: Soumission, **kwargs) -> str:
    url = service.fill_url(soumission, **kwargs)
    return re.sub(r"^https?://[^/]+", "", url)


def ouvrir(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def poster(client, path: str, data: dict | MultiDict, action: str = "deposer", **kwargs):
    """POST on a fill page with a fresh CSRF token; returns the response."""
    status, html = ouvrir(client, path)
    assert status == 200, html[:2000]
    # Pairs, not a dict: MultiDict would split a (file, name) tuple into two values.
    payload = data.copy() if isinstance(data, MultiDict) else MultiDict(list(data.items()))
    payload["csrf_token"] = csrf_token(html)
    payload.setdefault("action", action)
    return client.post(path, data=payload, **kwargs)


def recharger(soumission: Soumission) -> Soumission:
    db.session.expire_all()
    return db.session.get(Soumission, soumission.id)
