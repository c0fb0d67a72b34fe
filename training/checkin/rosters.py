"""Who runs which session, today's sessions, and a session's roster with its counts."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from training.accounts.models import Person, Role
from training.catalog.models import CourseRun, Session
from training.checkin.models import Attendance, AttendanceStatus
from training.checkin.selfcheckin import locked_person_ids
from training.clock import seoul_day_bounds, utcnow
from training.enrollment.models import Enrollment
from training.enrollment.services import confirmed_in_name_order
from training.extensions import db


def can_run_session(person: Person, session: Session) -> bool:
    """Staff run every session; an instructor only those of their own runs."""
    if person.is_staff:
        return True
    return person.role is Role.INSTRUCTOR and session.run.instructor_id == person.id


def sessions_today_for(person: Person, now: datetime | None = None) -> list[Session]:
    """The sessions an instructor teaches today, or every session today for staff."""
    now = now or utcnow()
    start, end = seoul_day_bounds(now)
    statement = (
        select(Session)
        .join(CourseRun, CourseRun.id == Session.run_id)
        .where(Session.starts_at < end, Session.ends_at > start)
        .options(joinedload(Session.run).joinedload(CourseRun.course))
        .order_by(Session.starts_at)
    )
    if not person.is_staff:
        statement = statement.where(CourseRun.instructor_id == person.id)
    return db.session.scalars(statement).all()


@dataclass
class RosterLine:
    enrollment: Enrollment
    attendance: Attendance | None
    # Too many wrong self check-in codes: the instructor checks this person in at the door.
    is_self_check_in_locked: bool = False


def roster(session: Session) -> list[RosterLine]:
    """Everyone confirmed in the session's run, with their mark if any, by name."""
    marks = {
        a.enrollment_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    locked = locked_person_ids(session)
    return [
        RosterLine(e, marks.get(e.id), is_self_check_in_locked=e.person_id in locked)
        for e in confirmed_in_name_order(session.run_id)
    ]


def counts(lines: list[RosterLine]) -> dict[str, int]:
    """Present, late, absent, excused and expected, for the live counter."""
    result = {status.value: 0 for status in AttendanceStatus}
    for line in lines:
        if line.attendance is not None:
            result[line.attendance.status.value] += 1
    result["expected"] = len(lines)
    return result
