"""Enrollments: a person's place (or wish for one) in a course run."""

import enum
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.accounts.models import Person
from training.catalog.models import CourseRun
from training.clock import utcnow
from training.db_types import UTCDateTime, enum_column_type
from training.extensions import db


class EnrollmentStatus(enum.Enum):
    APPLIED = "applied"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {
            EnrollmentStatus.APPLIED: _("신청(추첨 대기)"),
            EnrollmentStatus.CONFIRMED: _("수강 확정"),
            EnrollmentStatus.WAITLISTED: _("대기"),
            EnrollmentStatus.CANCELLED: _("취소"),
        }[self]


ACTIVE_STATUSES = (
    EnrollmentStatus.APPLIED,
    EnrollmentStatus.CONFIRMED,
    EnrollmentStatus.WAITLISTED,
)


class CompletionOverride(enum.Enum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class Channel(enum.Enum):
    WEB = "web"
    DESK = "desk"
    API = "api"


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint(
            "(status = 'waitlisted' AND waitlist_position >= 1)"
            " OR (status <> 'waitlisted' AND waitlist_position IS NULL)",
            name="waitlist_position",
        ),
        # A status carries the moment it was reached: the no-show rule and the statistics
        # read these timestamps, so the database refuses a status without one.
        CheckConstraint("status <> 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_at"),
        CheckConstraint(
            "(status = 'cancelled' AND cancelled_at IS NOT NULL)"
            " OR (status <> 'cancelled' AND cancelled_at IS NULL)",
            name="cancelled_at",
        ),
        CheckConstraint("cancelled_by_id IS NULL OR cancelled_at IS NOT NULL", name="cancelled_by"),
        # Seat counts and rosters: a run's enrollments of one status (or, as a prefix, all).
        Index("ix_enrollments_run_id_status", "run_id", "status"),
        # One live enrollment per person and run; cancelled ones stay as history.
        Index(
            "uq_enrollments_active_person",
            "run_id",
            "person_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index(
            "uq_enrollments_waitlist_position",
            "run_id",
            "waitlist_position",
            unique=True,
            sqlite_where=text("waitlist_position IS NOT NULL"),
            postgresql_where=text("waitlist_position IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column_type(EnrollmentStatus, "enrollment_status")
    )
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, "channel"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Staff may grant or withdraw completion against the attendance rule, with a reason.
    completion_override: Mapped[CompletionOverride | None] = mapped_column(
        enum_column_type(CompletionOverride, "completion_override")
    )
    completion_reason: Mapped[str | None] = mapped_column(String(200))

    run: Mapped[CourseRun] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
