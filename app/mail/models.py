"""The transactional outbox: one row per email to send, written in the business transaction."""

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

PENDING = "pending"
SENDING = "sending"  # claimed by a deliverer until `next_attempt_at` (the lease)
SENT = "sent"
FAILED = "failed"

STATES = {
    PENDING: "En attente",
    SENDING: "En cours d'envoi",
    SENT: "Envoyé",
    FAILED: "En échec",
}

RECIPIENT_SEPARATOR = ", "


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One or more plain addresses, "a@exemple.fr, b@exemple.fr" (see `recipients`).
    to: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Pending: not before this time (retry backoff). Sending: the claim's lease ends at this time.
    next_attempt_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # The business event this message belongs to: one message per key, ever.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_outbox_message_idempotency_key"),
        Index("ix_outbox_message_due", "state", "next_attempt_at"),
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="ck_outbox_message_state"),
        CheckConstraint("attempts >= 0", name="ck_outbox_message_attempts"),
    )

    @property
    def recipients(self) -> list[str]:
        return [address.strip() for address in self.to.split(",") if address.strip()]

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.template} {self.state}>"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
