"""Seats under real concurrency: several processes enrolling through the API at once."""

import multiprocessing
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from training.accounts.services import issue_token
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db

PROCESSES = 5
SEATS = 5
DEMAND = 4  # N: people per seat


def _worker(database_url, instance_path, requests, barrier, results):
    """One process: its own app and connections; waits for the others, then fires."""
    from training import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "RATELIMIT": False,
            "TESTING": True,
        }
    )
    app.instance_path = instance_path
    client = app.test_client()
    barrier.wait(timeout=60)
    for method, path, token in requests:
        response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
        results.put((response.status_code, response.get_json()))


def _run_in_processes(database_url, instance_path, requests_per_process):
    # This process must hold no transaction (on SQLite, no lock) while the others run.
    db.session.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(requests_per_process))
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(database_url, instance_path, requests, barrier, results)
        )
        for requests in requests_per_process
    ]
    for process in processes:
        process.start()
    expected = sum(len(requests) for requests in requests_per_process)
    answers = [results.get(timeout=120) for _ in range(expected)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return answers


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
        requests[index % PROCESSES].append(("POST", path, token))

    answers = _run_in_processes(database_url, app.instance_path, requests)

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
        [("DELETE", f"/api/v1/enrollments/{e.id}", issue_token(e.person))]
        for e in enrollments[:SEATS]
    ]

    answers = _run_in_processes(database_url, app.instance_path, cancellations)

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

    answers = _run_in_processes(
        database_url, app.instance_path, [[("POST", path, token)] for _ in range(PROCESSES)]
    )

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (PROCESSES - 1)
    refused = [body["error"]["code"] for status, body in answers if status == 409]
    assert set(refused) == {"already_enrolled"}
    _, _, enrollments = _positions(run_id)
    assert len(enrollments) == 1
