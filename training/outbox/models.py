"""The outbox: messages to people, written with the change they tell of and delivered later."""

import enum
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.clock import utcnow
from training.db_types import UTCDateTime, enum_column_type
from training.extensions import db

# A sender that has not recorded an outcome this long after claiming a message is taken to
# have stopped.
STALE_CLAIM = timedelta(minutes=10)


class Channel(enum.Enum):
    SMS = "sms"
    EMAIL = "email"
    # No usable contact: staff phone the person and mark the message done.
    CALL = "call"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {Channel.SMS: _("문자"), Channel.EMAIL: _("이메일"), Channel.CALL: _("전화 안내")}[
            self
        ]


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    # Claimed by a sender; if the sender dies before it records the outcome, nobody can know
    # whether the provider got the message, so it is never sent again without staff deciding.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {
            OutboxStatus.PENDING: _("대기"),
            OutboxStatus.SENDING: _("보내는 중"),
            OutboxStatus.SENT: _("보냄"),
            OutboxStatus.FAILED: _("실패"),
            OutboxStatus.CANCELLED: _("취소"),
        }[self]


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The sender's question, asked every few seconds: what is due?
        Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at"),
        CheckConstraint("(status = 'sending') = (claimed_at IS NOT NULL)", name="claimed"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_runs.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, "outbox_channel"))
    # The phone number or address at the time of the event; cleared when the person is
    # anonymized.
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # The facts the body was written from (course, date, room...): the variables of a
    # registered KakaoTalk template.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Urgent messages (a run cancelled for today) may go out in the quiet hours.
    is_urgent: Mapped[bool] = mapped_column(default=False, server_default="0")
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Staff who phoned the person, for call messages, or who resent a failed one.
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Makes queueing idempotent where the same event can be seen twice (reminders).
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    person = relationship("Person", foreign_keys=[person_id])
    run = relationship("CourseRun")

    def is_stopped(self, now: datetime) -> bool:
        """Whether the sender that claimed the message stopped before it knew the outcome."""
        return self.status is OutboxStatus.SENDING and self.claimed_at < now - STALE_CLAIM
