"""Closing a session: everyone not checked in is marked absent, and a first session's
absentees are barred."""

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from training import audit
from training.accounts.models import Person
from training.catalog.models import Session
from training.checkin.models import Attendance, AttendanceStatus, CheckInMethod
from training.checkin.noshow import apply_no_show_rule
from training.checkin.scans import CheckInError
from training.clock import utcnow
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.enrollment.services import confirmed_in_name_order
from training.extensions import db
from training.locking import lock_row


def close_session(session: Session, *, actor: Person, now: datetime | None = None) -> int:
    """Mark everyone not checked in absent, and apply the no-show rule on a first session.

    Returns how many were marked absent."""
    now = now or utcnow()
    session = lock_row(Session, session.id)
    if session.closed_at is not None:
        raise CheckInError("already_closed", _("이미 마감한 수업입니다."))
    marked = db.session.execute(
        select(Attendance.enrollment_id).where(Attendance.session_id == session.id)
    ).scalars()
    done = set(marked)
    absent = []
    for enrollment in confirmed_in_name_order(session.run_id):
        if enrollment.id in done:
            continue
        db.session.add(
            Attendance(
                session_id=session.id,
                enrollment_id=enrollment.id,
                status=AttendanceStatus.ABSENT,
                recorded_at=now,
                recorded_by_id=actor.id,
                method=CheckInMethod.CLOSING,
            )
        )
        absent.append(enrollment)
    session.closed_at = now
    session.closed_by_id = actor.id
    db.session.flush()
    audit.record(actor, "session.close", session, absent=len(absent))
    if current_app.config["NO_SHOW_RULE"] and _is_first_session(session):
        # Everyone absent counts, whether marked at closing or by hand before it.
        absentees = db.session.scalars(
            select(Enrollment)
            .join(Attendance, Attendance.enrollment_id == Enrollment.id)
            .where(
                Attendance.session_id == session.id,
                Attendance.status == AttendanceStatus.ABSENT,
                Enrollment.status == EnrollmentStatus.CONFIRMED,
            )
        ).all()
        apply_no_show_rule(session, absentees, now=now)
    return len(absent)


def _is_first_session(session: Session) -> bool:
    first = db.session.scalar(
        select(Session.id)
        .where(Session.run_id == session.run_id)
        .order_by(Session.starts_at)
        .limit(1)
    )
    return first == session.id
