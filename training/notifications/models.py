"""Notifications queued for a person, shown on their page until read."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from training.clock import utcnow
from training.db_types import UTCDateTime
from training.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # Every page shows the person's unread notifications; read ones pile up unseen.
        Index(
            "ix_notifications_unread",
            "person_id",
            "created_at",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
