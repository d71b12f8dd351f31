"""Who reads which content: the reader's audiences, and the one clause every page and API applies."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import and_

from app.contenus.models import AUDIENCE_BITS, TOUTES_AUDIENCES
from app.models.base import utcnow
from app.security import roles

# Role -> audience it reads besides « public ». Hubs animate the coordinators' network with the préfets.
AUDIENCE_DES_ROLES = {
    roles.PREFET_DEPARTEMENT: "prefet",
    roles.PREFET_REGION: "prefet",
    roles.HUB: "prefet",
    roles.STRUCTURE: "structure",
    roles.CONSEILLER: "conseiller",
}


def audiences_de(user) -> int:
    """Bit mask of the audiences a user reads; anonymous visitors read public content only."""
    mask = AUDIENCE_BITS["public"]
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return mask
    for role in user.roles:
        if role.name == roles.ANCT:
            return TOUTES_AUDIENCES
        audience = AUDIENCE_DES_ROLES.get(role.name)
        if audience:
            mask |= AUDIENCE_BITS[audience]
    return mask


def lecteur():
    return g.get("user") if has_request_context() else None


def visible(model, mask: int | None = None):
    """Published, publication date reached, and meant for one of the reader's audiences."""
    mask = audiences_de(lecteur()) if mask is None else mask
    return and_(model.statut == "publie", model.publie_le.isnot(None), model.publie_le <= utcnow(),
                model.audiences_mask.op("&")(mask) != 0)
