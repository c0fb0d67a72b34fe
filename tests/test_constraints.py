"""The database itself refuses a status without the moment that records it, and a delete
follows each foreign key's ON DELETE rule: history stays, who-did-it goes blank, pure
children go with their parent."""

from datetime import timedelta

import pytest
from conftest import NOW
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from training.accounts.models import Person, Role
from training.catalog.models import CourseRun, Selection, Session
from training.certificates.models import Certificate
from training.checkin.models import Attendance, AttendanceStatus
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.notifications.models import Notification

CONFIRMED = EnrollmentStatus.CONFIRMED
CANCELLED = EnrollmentStatus.CANCELLED
APPLIED = EnrollmentStatus.APPLIED
WAITLISTED = EnrollmentStatus.WAITLISTED


def refused(db, change) -> bool:
    """Whether the database refuses the change; either way the test's session goes on."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def run(make_run):
    return make_run()


@pytest.fixture
def staff_member(make_person):
    return make_person(role=Role.STAFF)


@pytest.mark.parametrize(
    ("columns", "is_refused"),
    [
        ({"status": CONFIRMED}, True),
        ({"status": CONFIRMED, "confirmed_at": NOW}, False),
        ({"status": CANCELLED}, True),
        ({"status": CANCELLED, "cancelled_at": NOW}, False),
        # A confirmed place that was given up keeps both moments.
        ({"status": CANCELLED, "confirmed_at": NOW, "cancelled_at": NOW}, False),
        ({"status": APPLIED, "cancelled_at": NOW}, True),
        ({"status": WAITLISTED, "waitlist_position": 1, "cancelled_by_id": "person"}, True),
        ({"status": APPLIED}, False),
    ],
    ids=[
        "confirmed-without-confirmed_at",
        "confirmed",
        "cancelled-without-cancelled_at",
        "cancelled",
        "cancelled-after-confirmation",
        "applied-with-cancelled_at",
        "cancelled_by-without-cancelled_at",
        "applied",
    ],
)
def test_enrollment_status_needs_its_moment(db, run, make_person, columns, is_refused):
    person = make_person()
    if columns.get("cancelled_by_id") == "person":
        columns = {**columns, "cancelled_by_id": person.id}
    enrollment = Enrollment(run_id=run.id, person_id=person.id, channel=Channel.WEB, **columns)

    assert refused(db, lambda: db.session.add(enrollment)) is is_refused


@pytest.mark.parametrize(
    ("status", "is_refused"),
    [
        (AttendanceStatus.PRESENT, True),
        (AttendanceStatus.LATE, True),
        (AttendanceStatus.ABSENT, False),
        (AttendanceStatus.EXCUSED, False),
    ],
    ids=lambda value: getattr(value, "value", None),
)
def test_attendance_present_or_late_needs_checked_in_at(
    db, run, make_enrollment, status, is_refused
):
    enrollment = make_enrollment(run)
    mark = Attendance(session_id=run.sessions[0].id, enrollment_id=enrollment.id, status=status)

    assert refused(db, lambda: db.session.add(mark)) is is_refused


def test_attendance_present_with_checked_in_at_is_accepted(db, run, make_enrollment):
    enrollment = make_enrollment(run)
    mark = Attendance(
        session_id=run.sessions[0].id,
        enrollment_id=enrollment.id,
        status=AttendanceStatus.PRESENT,
        checked_in_at=NOW,
    )

    assert not refused(db, lambda: db.session.add(mark))


@pytest.mark.parametrize(
    ("columns", "is_refused"),
    [
        ({"revoked_at": NOW}, True),
        ({"revoked_reason": "착오"}, True),
        ({"revoked_at": NOW, "revoked_reason": "착오"}, False),
        ({"revoked_by_id": "staff"}, True),
        ({"reissue_count": 1}, True),
        ({"last_reissued_at": NOW}, True),
        ({"reissue_count": 1, "last_reissued_at": NOW}, False),
    ],
    ids=[
        "revoked-without-reason",
        "reason-without-revocation",
        "revoked",
        "revoked_by-without-revoked_at",
        "reissued-without-moment",
        "moment-without-reissue",
        "reissued",
    ],
)
def test_certificate_revocation_and_reissue_need_their_details(
    db, run, make_enrollment, staff_member, columns, is_refused
):
    if columns.get("revoked_by_id") == "staff":
        columns = {**columns, "revoked_by_id": staff_member.id}
    certificate = Certificate(
        serial="YDP-2026-00001",
        year=2026,
        number=1,
        enrollment_id=make_enrollment(run, completed_at=NOW).id,
        **columns,
    )

    assert refused(db, lambda: db.session.add(certificate)) is is_refused


def test_session_closed_by_needs_closed_at(db, run, staff_member):
    session = run.sessions[0]

    def close_without_moment():
        session.closed_by_id = staff_member.id

    assert refused(db, close_without_moment)


def test_drawn_lottery_keeps_its_seed(db, make_run):
    run = make_run(selection=Selection.LOTTERY)

    def drawn_without_seed():
        run.lottery_drawn_at = NOW

    def drawn_with_seed():
        run.lottery_drawn_at, run.lottery_seed = NOW, 42

    assert refused(db, drawn_without_seed)
    assert not refused(db, drawn_with_seed)


def test_first_come_run_cannot_be_drawn(db, run):
    def drawn():
        run.lottery_drawn_at, run.lottery_seed = NOW, 42

    assert refused(db, drawn)


def test_lottery_drawn_by_needs_drawn_at(db, make_run, staff_member):
    run = make_run(selection=Selection.LOTTERY)

    def drawn_by_without_moment():
        run.lottery_drawn_by_id = staff_member.id

    assert refused(db, drawn_by_without_moment)


def _count(db, model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_deleting_a_run_without_enrollments_takes_its_sessions(db, run):
    run_id = run.id
    db.session.execute(delete(CourseRun).where(CourseRun.id == run_id))

    assert _count(db, Session, Session.run_id == run_id) == 0


def test_deleting_a_run_with_enrollments_is_refused(db, run, make_enrollment):
    make_enrollment(run)

    assert refused(db, lambda: db.session.execute(delete(CourseRun).where(CourseRun.id == run.id)))


def test_deleting_marked_sessions_or_enrollments_is_refused(db, run, make_enrollment):
    enrollment = make_enrollment(run)
    session = run.sessions[0]
    db.session.add(
        Attendance(
            session_id=session.id,
            enrollment_id=enrollment.id,
            status=AttendanceStatus.PRESENT,
            checked_in_at=NOW,
        )
    )
    db.session.flush()

    assert refused(db, lambda: db.session.execute(delete(Session).where(Session.id == session.id)))
    assert refused(
        db, lambda: db.session.execute(delete(Enrollment).where(Enrollment.id == enrollment.id))
    )


def test_deleting_an_enrollment_with_a_certificate_is_refused(db, run, make_enrollment):
    enrollment = make_enrollment(run, completed_at=NOW)
    db.session.add(
        Certificate(serial="YDP-2026-00001", year=2026, number=1, enrollment_id=enrollment.id)
    )
    db.session.flush()

    assert refused(
        db, lambda: db.session.execute(delete(Enrollment).where(Enrollment.id == enrollment.id))
    )


def test_deleting_a_person_with_enrollments_is_refused(db, run, make_enrollment, make_person):
    person = make_person()
    make_enrollment(run, person)

    assert refused(db, lambda: db.session.execute(delete(Person).where(Person.id == person.id)))


def test_deleting_a_staff_member_blanks_what_they_did_and_drops_their_notifications(
    db, run, make_enrollment, make_person, staff_member
):
    enrollment = make_enrollment(
        run, status=CANCELLED, cancelled_by_id=staff_member.id, cancelled_at=NOW - timedelta(days=1)
    )
    enrollment.created_by_id = staff_member.id
    attended = make_enrollment(run)
    mark = Attendance(
        session_id=run.sessions[0].id,
        enrollment_id=attended.id,
        status=AttendanceStatus.LATE,
        checked_in_at=NOW,
        recorded_by_id=staff_member.id,
    )
    notice = Notification(person_id=staff_member.id, kind="test", message="안내")
    db.session.add_all([mark, notice])
    db.session.flush()

    db.session.execute(delete(Person).where(Person.id == staff_member.id))

    cancelled = db.session.execute(
        select(Enrollment.created_by_id, Enrollment.cancelled_by_id, Enrollment.cancelled_at).where(
            Enrollment.id == enrollment.id
        )
    ).one()
    assert cancelled == (None, None, NOW - timedelta(days=1))
    assert (
        db.session.scalar(select(Attendance.recorded_by_id).where(Attendance.id == mark.id)) is None
    )
    assert _count(db, Notification, Notification.id == notice.id) == 0
