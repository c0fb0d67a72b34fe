"""The no-show bar: people who missed a run's first session, or cancelled too late, wait a
while before enrolling again."""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from training import audit
from training.accounts.models import Person
from training.catalog.models import Session
from training.checkin.models import ATTENDED_STATUSES, Attendance
from training.clock import to_seoul
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.notifications import tell


def apply_no_show_rule(session: Session, absent: list[Enrollment], *, now: datetime) -> None:
    """Bar people who missed the first session, or cancelled too late, from new enrollments."""
    config = current_app.config
    until = now + timedelta(days=config["NO_SHOW_BAR_DAYS"])
    late_cancel_from = session.starts_at - timedelta(days=config["NO_SHOW_CANCEL_DAYS"])
    attended = select(Attendance.enrollment_id).where(
        Attendance.session_id == session.id, Attendance.status.in_(ATTENDED_STATUSES)
    )
    late_cancellations = db.session.scalars(
        select(Enrollment).where(
            Enrollment.run_id == session.run_id,
            Enrollment.status == EnrollmentStatus.CANCELLED,
            Enrollment.confirmed_at.is_not(None),
            # Two full days ahead is in time; anything later, even during the session, is not.
            Enrollment.cancelled_at > late_cancel_from,
            Enrollment.id.not_in(attended),
            # Cancelled by the person; a cancellation by staff is the office's doing.
            Enrollment.cancelled_by_id == Enrollment.person_id,
        )
    ).all()
    title = session.run.title
    for enrollment in [*absent, *late_cancellations]:
        person = enrollment.person
        if person.barred_until is not None and person.barred_until >= until:
            continue
        person.barred_until = until
        person.barred_run_id = session.run_id
        person.barred_reason = _(
            "%(title)s 첫 수업에 연락 없이 나오지 않아 %(until)s까지 새 수강신청이 제한됩니다.",
            title=title,
            until=to_seoul(until).strftime("%Y-%m-%d"),
        )
        tell(person, "no_show", run=session.run, now=now, until=until.isoformat())
        audit.record(None, "person.bar", person, until=until.isoformat(), run_id=session.run_id)
    db.session.flush()


def withdraw_no_show_bar(session: Session, person: Person, *, actor: Person) -> None:
    """An absence from a run's first session was corrected: the bar it caused goes too."""
    if person.barred_until is not None and person.barred_run_id == session.run_id:
        lift_bar(person, actor=actor)


def lift_bar(person: Person, *, actor: Person) -> None:
    """Staff lift a no-show bar."""
    previous = person.barred_until
    person.barred_until = None
    person.barred_reason = None
    person.barred_run_id = None
    db.session.flush()
    audit.record(actor, "person.unbar", person, previous=previous.isoformat() if previous else None)
