"""Attendance: one mark per enrollment and class session."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.catalog.models import Session
from training.clock import utcnow
from training.db_types import UTCDateTime, enum_column_type
from training.enrollment.models import Enrollment
from training.extensions import db


class CheckInMethod(enum.Enum):
    SCANNER = "scanner"
    CAMERA = "camera"
    MANUAL = "manual"
    SELF = "self"
    CLOSING = "closing"


class AttendanceStatus(enum.Enum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


ATTENDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class Attendance(db.Model):
    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("session_id", "enrollment_id", name="uq_attendances_session_enrollment"),
        # Present or late means someone saw the person arrive, at a time the sheet prints.
        CheckConstraint(
            "status NOT IN ('present', 'late') OR checked_in_at IS NOT NULL", name="checked_in_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="RESTRICT"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column_type(AttendanceStatus, "attendance_status")
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    method: Mapped[CheckInMethod | None] = mapped_column(
        enum_column_type(CheckInMethod, "check_in_method")
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    # The person's age band in the session's year, kept when the person is anonymized so that
    # statistics by age stay as they were.
    age_band: Mapped[str | None] = mapped_column(String(20))

    session: Mapped[Session] = relationship()
    enrollment: Mapped[Enrollment] = relationship()


class SelfCheckInFailures(db.Model):
    """Wrong self check-in codes a person typed for a session: after a few, that session's
    self check-in is closed to them and the instructor checks them in at the door."""

    __tablename__ = "self_checkin_failures"
    __table_args__ = (
        UniqueConstraint("person_id", "session_id", name="uq_self_checkin_failures_person_session"),
        CheckConstraint("failures >= 0", name="failures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
