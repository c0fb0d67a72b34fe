"""Seats under real concurrency: several processes enrolling, cancelling or registering
walk-ins at the same moment, through the API or the services."""

import contextlib
import multiprocessing
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from processes import run_in_processes, run_together
from sqlalchemy import select

from training.accounts.models import Role
from training.accounts.services import issue_token
from training.catalog.models import CourseRun, Session
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.enrollment.services import cancel_enrollment, run_counts
from training.extensions import db

# Other processes must see the data these tests set up.
pytestmark = pytest.mark.real_commits

PROCESSES = 5
SEATS = 5
DEMAND = 4  # N: people per seat
HOLD_SECONDS = 3


@pytest.fixture
def open_run(app, make_run):
    now = datetime.now(UTC)
    run = make_run(
        capacity=SEATS,
        starts_on=date.today() + timedelta(days=14),
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
    )
    db.session.commit()
    return run


def _positions(run_id):
    db.session.expire_all()
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.run_id == run_id)).all()
    confirmed = [e for e in enrollments if e.status is EnrollmentStatus.CONFIRMED]
    waitlisted = sorted(
        e.waitlist_position for e in enrollments if e.status is EnrollmentStatus.WAITLISTED
    )
    return confirmed, waitlisted, enrollments


def test_concurrent_enrollments_never_oversell(app, database_url, open_run, make_person):
    people = [make_person(password=None) for _ in range(SEATS * DEMAND)]
    tokens = [issue_token(person) for person in people]
    db.session.commit()
    run_id = open_run.id
    path = f"/api/v1/runs/{run_id}/enrollments"
    requests = [[] for _ in range(PROCESSES)]
    for index, token in enumerate(tokens):
        requests[index % PROCESSES].append(("POST", path, token, None))

    answers = run_in_processes(database_url, app.instance_path, requests)

    assert sorted(status for status, _ in answers) == [201] * len(tokens)
    confirmed, waitlisted, enrollments = _positions(run_id)
    assert len(confirmed) == SEATS
    assert waitlisted == list(range(1, (DEMAND - 1) * SEATS + 1))
    assert len({e.person_id for e in enrollments}) == len(tokens)


def test_concurrent_cancellations_promote_in_order(app, database_url, open_run, make_person):
    from training.enrollment.services import enroll_person

    people = [make_person(password=None) for _ in range(SEATS * 3)]
    enrollments = [enroll_person(open_run, person) for person in people]
    db.session.commit()
    run_id = open_run.id
    first_waiting = [e.person_id for e in enrollments[SEATS : SEATS * 2]]
    cancellations = [
        [("DELETE", f"/api/v1/enrollments/{e.id}", issue_token(e.person), None)]
        for e in enrollments[:SEATS]
    ]
    # Tokens are rows now: the other processes see only what is committed.
    db.session.commit()

    answers = run_in_processes(database_url, app.instance_path, cancellations)

    assert [status for status, _ in answers] == [200] * SEATS
    confirmed, waitlisted, _ = _positions(run_id)
    assert sorted(e.person_id for e in confirmed) == sorted(first_waiting)
    assert waitlisted == list(range(1, SEATS + 1))


def test_same_person_enrolling_from_many_processes_gets_one_place(
    app, database_url, open_run, make_person
):
    person = make_person(password=None)
    token = issue_token(person)
    db.session.commit()
    run_id = open_run.id
    path = f"/api/v1/runs/{run_id}/enrollments"

    answers = run_in_processes(
        database_url, app.instance_path, [[("POST", path, token, None)] for _ in range(PROCESSES)]
    )

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (PROCESSES - 1)
    refused = [body["error"]["code"] for status, body in answers if status == 409]
    assert set(refused) == {"already_enrolled"}
    _, _, enrollments = _positions(run_id)
    assert len(enrollments) == 1


def _status_in(run_id, person_id):
    return db.session.scalar(
        select(Enrollment.status).where(
            Enrollment.run_id == run_id,
            Enrollment.person_id == person_id,
            Enrollment.status != EnrollmentStatus.CANCELLED,
        )
    )


def _cancel_and_hold(app, item):
    """Cancel a seat, then keep the transaction open until the other process has done its
    part too (or plainly waits for this one's locks), so both read before either commits."""
    enrollment_id, barrier = item
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        cancel_enrollment(enrollment, actor=enrollment.person)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=HOLD_SECONDS)
        db.session.commit()
    return enrollment_id


def test_cancellations_in_two_overlapping_runs_confirm_the_waiting_person_once(
    app, database_url, make_open_run, make_person, make_enrollment
):
    # Both runs meet at the same hours and are full; the same person waits first in both,
    # and someone else waits behind them in the second.
    first, second = make_open_run(capacity=1), make_open_run(capacity=1)
    seats = [make_enrollment(first).id, make_enrollment(second).id]
    waiting = make_person()
    for run in (first, second):
        make_enrollment(run, waiting, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    behind = make_enrollment(second, status=EnrollmentStatus.WAITLISTED, waitlist_position=2)
    db.session.commit()
    first_id, second_id, waiting_id, behind_id = first.id, second.id, waiting.id, behind.person_id
    barrier = multiprocessing.get_context("spawn").Barrier(2)

    run_together(
        _cancel_and_hold, database_url, app.instance_path, [[(seat, barrier)] for seat in seats]
    )

    db.session.expire_all()
    places = [_status_in(first_id, waiting_id), _status_in(second_id, waiting_id)]
    assert sorted(place.value for place in places) == ["confirmed", "waitlisted"]
    if places[1] is EnrollmentStatus.WAITLISTED:
        # Passed over in the second run, keeping their place; the next in line took the seat.
        assert _status_in(second_id, behind_id) is EnrollmentStatus.CONFIRMED
    else:
        # Passed over in the first run, whose seat stays free: nobody else waits there.
        assert run_counts(db.session.get(CourseRun, first_id)).confirmed == 0


def _walk_in_or_enroll_and_hold(app, item):
    """Take a seat at the door or on the web, then hold the transaction as above; answers
    "confirmed" or the refusal's code."""
    from training.accounts.models import Person
    from training.checkin.scans import add_walk_in
    from training.enrollment.services import enroll_person
    from training.errors import RuleError

    kind, target_id, person_id, staff_id, barrier = item
    with app.app_context():
        person = db.session.get(Person, person_id)
        try:
            if kind == "walk_in":
                staff = db.session.get(Person, staff_id)
                add_walk_in(db.session.get(Session, target_id), person, actor=staff)
            else:
                enroll_person(db.session.get(CourseRun, target_id), person)
        except RuleError as refusal:
            db.session.rollback()
            answer = refusal.code
        else:
            answer = "confirmed"
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=HOLD_SECONDS)
        db.session.commit()
    return answer


def test_walk_in_and_web_enrollment_at_the_same_hours_confirm_one_seat(
    app, database_url, make_run, make_person
):
    # One run meets now, where staff register the person at the door; the other meets at
    # the same hours and takes enrollments on the web: the person may hold only one seat.
    now = datetime.now(UTC)
    door, web = (
        make_run(
            capacity=5,
            sessions=1,
            starts_on=date.today() + timedelta(days=7),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        for _ in range(2)
    )
    live = [
        Session(
            run_id=run.id, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
        )
        for run in (door, web)
    ]
    db.session.add_all(live)
    person, staff = make_person(), make_person(role=Role.STAFF)
    db.session.commit()
    barrier = multiprocessing.get_context("spawn").Barrier(2)

    answers = run_together(
        _walk_in_or_enroll_and_hold,
        database_url,
        app.instance_path,
        [
            [("walk_in", live[0].id, person.id, staff.id, barrier)],
            [("enroll", web.id, person.id, None, barrier)],
        ],
    )

    assert sorted(answers) == ["confirmed", "schedule_conflict"]
    db.session.expire_all()
    confirmed = db.session.scalars(
        select(Enrollment).where(
            Enrollment.person_id == person.id, Enrollment.status == EnrollmentStatus.CONFIRMED
        )
    ).all()
    assert len(confirmed) == 1
