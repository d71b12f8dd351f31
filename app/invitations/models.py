"""Invitations: a single-use link that lets a person create its account with a role and a territory."""

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.structures import Structure
from app.models.territoires import Departement, Region
from app.models.utilisateurs import Utilisateur

STATUTS = {"en_attente": "En attente", "acceptee": "Acceptée", "expiree": "Expirée"}


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)  # stored lower-cased
    role: Mapped[str] = mapped_column(String(64), nullable=False)  # a role name of app.security.roles
    departement_code: Mapped[str | None] = mapped_column(ForeignKey("departement.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"), index=True)
    # SHA-256 of the random token sent by email: the token itself is never stored here.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    departement: Mapped[Departement | None] = relationship(lazy="joined")
    region: Mapped[Region | None] = relationship(lazy="joined")
    structure: Mapped[Structure | None] = relationship(lazy="joined")
    user: Mapped[Utilisateur | None] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[Utilisateur | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
        # At most one unused invitation per address: re-inviting replaces it.
        Index("uq_invitation_email_unused", "email", unique=True,
              postgresql_where=text("used_at IS NULL"), sqlite_where=text("used_at IS NULL")),
    )

    def statut_at(self, now) -> str:
        if self.used_at is not None:
            return "acceptee"
        return "expiree" if self.expires_at <= now else "en_attente"

    @property
    def statut(self) -> str:
        return self.statut_at(utcnow())

    @property
    def statut_label(self) -> str:
        return STATUTS[self.statut]

    @property
    def territoire_label(self) -> str:
        if self.region is not None:
            return f"Région {self.region.nom}"
        if self.departement is not None:
            return f"Département {self.departement}"
        if self.structure is not None:
            return str(self.structure)
        return "National"

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"
