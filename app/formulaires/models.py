"""Form definitions as immutable versions, and the answers (submissions) pinned to one version."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

STATUT_BROUILLON = "brouillon"
STATUT_SOUMISE = "soumise"
STATUTS_SOUMISSION = {STATUT_BROUILLON: "Brouillon", STATUT_SOUMISE: "Déposée"}


class VersionImmuable(Exception):
    """A published version is never modified: publish a new one instead."""


class FormVersion(db.Model):
    """One published version of a form definition. Never updated nor deleted once published."""

    __tablename__ = "formulaire_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict] = mapped_column(JSON, nullable=False)
    # The text as published (YAML with its comments), shown again when an admin edits the form.
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # sha256 of the canonical JSON of the definition (without its version number): unchanged = same hash.
    empreinte: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    __table_args__ = (
        UniqueConstraint("form_id", "version", name="uq_formulaire_version"),
        CheckConstraint("version >= 1", name="ck_formulaire_version_positive"),
    )

    @property
    def titre(self) -> str:
        return self.definition.get("title", self.form_id)

    def __str__(self) -> str:
        return f"{self.titre} (version {self.version})"


def _cle_acces() -> str:
    return secrets.token_urlsafe(24)


class Soumission(db.Model):
    """A respondent's answers to one form version: a draft ('brouillon'), then submitted ('soumise')."""

    __tablename__ = "formulaire_soumission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("formulaire_version.id"), nullable=False, index=True)
    form_id: Mapped[str] = mapped_column(String(100), nullable=False)
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default=STATUT_BROUILLON)
    reponses: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    soumise_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respondent_email: Mapped[str | None] = mapped_column(String(320))
    respondent_user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    objet_type: Mapped[str | None] = mapped_column(String(50))
    objet_id: Mapped[int | None] = mapped_column(Integer)
    # Random secret carried by the signed fill link: rotating it revokes every link to this submission.
    cle_acces: Mapped[str] = mapped_column(String(64), nullable=False, default=_cle_acces)

    form_version: Mapped[FormVersion] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'soumise')", name="ck_formulaire_soumission_statut"),
        CheckConstraint("statut = 'brouillon' OR soumise_le IS NOT NULL", name="ck_formulaire_soumission_date"),
        Index("ix_formulaire_soumission_form_statut", "form_id", "statut"),
        Index("ix_formulaire_soumission_objet", "objet_type", "objet_id"),
        # One open draft per (form, business object).
        Index(
            "uq_formulaire_soumission_brouillon_objet",
            "form_id", "objet_type", "objet_id",
            unique=True,
            sqlite_where=text("statut = 'brouillon' AND objet_id IS NOT NULL"),
            postgresql_where=text("statut = 'brouillon' AND objet_id IS NOT NULL"),
        ),
    )

    @property
    def version(self) -> int:
        return self.form_version.version

    @property
    def est_soumise(self) -> bool:
        return self.statut == STATUT_SOUMISE

    @property
    def statut_label(self) -> str:
        return STATUTS_SOUMISSION.get(self.statut, self.statut)

    def __str__(self) -> str:
        return f"Réponse n° {self.id} — {self.form_id} v{self.form_version.version if self.form_version else '?'}"


@event.listens_for(FormVersion, "before_update")
def _refuse_version_update(mapper, connection, target) -> None:
    raise VersionImmuable("Une version publiée ne se modifie pas : publiez une nouvelle version.")


@event.listens_for(FormVersion, "before_delete")
def _refuse_version_delete(mapper, connection, target) -> None:
    raise VersionImmuable("Une version publiée ne se supprime pas.")
