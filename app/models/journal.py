"""Append-only journals: who exported what."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ExportLog(db.Model):
    __tablename__ = "export_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    export: Mapped[str] = mapped_column(String(100), nullable=False)
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    filtres: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
