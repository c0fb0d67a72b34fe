"""Fixtures for the check-in tests: an instructor, their run, people enrolled in it, logged-in
clients and a session in progress by the real clock for the routes and the API.

Built only on the shared fixtures ``db``, ``app``, ``make_person`` and ``make_run``."""

from datetime import UTC, datetime, timedelta

import pytest

from training.accounts.models import Person, Role
from training.accounts.services import issue_token
from training.catalog.models import CourseRun, Session
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus


@pytest.fixture
def instructor(make_person) -> Person:
    return make_person(role=Role.INSTRUCTOR, name="김강사")


@pytest.fixture
def other_instructor(make_person) -> Person:
    return make_person(role=Role.INSTRUCTOR, name="이강사")


@pytest.fixture
def staff_member(make_person) -> Person:
    return make_person(role=Role.STAFF, name="정담당")


@pytest.fixture
def run(make_run, instructor) -> CourseRun:
    """A run `instructor` teaches: three weekly sessions from Monday 2026-03-16, 10:00-12:00
    in Seoul, five seats."""
    run = make_run(capacity=5)
    run.instructor_id = instructor.id
    return run


@pytest.fixture
def first_session(run) -> Session:
    return run.sessions[0]


@pytest.fixture
def enroll(db, make_person):
    """Put an Enrollment row in the table (a new person when none is given), skipping the
    enrollment rules; other columns may be given as keywords."""

    def make(
        run: CourseRun,
        person: Person | None = None,
        status: EnrollmentStatus = EnrollmentStatus.CONFIRMED,
        **columns,
    ) -> Enrollment:
        person = person or make_person()
        columns.setdefault(
            "waitlist_position", 1 if status is EnrollmentStatus.WAITLISTED else None
        )
        # The database refuses a confirmed or cancelled enrollment without its moment.
        if status is EnrollmentStatus.CONFIRMED:
            columns.setdefault("confirmed_at", datetime.now(UTC))
        elif status is EnrollmentStatus.CANCELLED:
            columns.setdefault("cancelled_at", datetime.now(UTC))
        enrollment = Enrollment(
            run_id=run.id,
            person_id=person.id,
            status=status,
            channel=Channel.WEB,
            created_by_id=person.id,
            **columns,
        )
        db.session.add(enrollment)
        db.session.flush()
        return enrollment

    return make


@pytest.fixture
def make_live_session(db, make_run):
    """A session of a new run that began five minutes ago by the real clock and lasts two
    hours: the run's first session, so check-in is open now."""

    def make(instructor: Person | None, title: str = "스마트폰 기초", capacity: int = 5) -> Session:
        now = datetime.now(UTC)
        run = make_run(
            capacity=capacity, title=title, starts_on=(now + timedelta(days=7)).date(), sessions=1
        )
        run.instructor_id = instructor.id if instructor else None
        session = Session(
            run_id=run.id,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
        )
        db.session.add(session)
        db.session.flush()
        return session

    return make


@pytest.fixture
def live_session(make_live_session, instructor) -> Session:
    return make_live_session(instructor)


@pytest.fixture
def login(client_for):
    """A new test client logged in as the person (the shared client_for)."""
    return client_for


@pytest.fixture
def bearer():
    """The Authorization header of an API token for the person."""

    def make(person: Person) -> dict:
        return {"Authorization": f"Bearer {issue_token(person)}"}

    return make


@pytest.fixture
def enrollment(db, live_session, enroll, make_person):
    """A person confirmed in the live session's run, committed."""
    enrollment = enroll(live_session.run, make_person(name="박출석"))
    db.session.commit()
    return enrollment


@pytest.fixture
def student(enrollment):
    return enrollment.person
