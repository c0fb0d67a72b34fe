"""Two application servers on one database and one Redis behave as one: real gunicorn
servers, two workers each, answering real HTTP on two loopback ports.

The servers trust one proxy, as they do behind the production nginx, so each resident comes
from an address of their own (X-Forwarded-For) and the rate limits count per person, as
they would on the street. Limits are kept in Redis database REDIS_DB under a key prefix of
the module's own, whose keys are deleted at the end (not the whole database: another
pytest-xdist worker may be running these tests too); the tests are skipped when Redis is
not running."""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select

from tests.hardening.redis_store import redis_or_skip
from training.accounts.models import Role
from training.catalog.models import Session
from training.checkin.models import Attendance
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.passes.tokens import pass_token_for

# The servers must see the data these tests set up.
pytestmark = pytest.mark.real_commits

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_DB = 7
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
SECRET_KEY = "test"  # the test app's, so that passes signed here are genuine there
PASSWORD = "password123"  # make_person's
LOGIN_LIMIT = 5
SEATS = 12
RESIDENTS = 60
TRAINEES = 24
OUTSIDERS = 4
START_SECONDS = 40
REQUEST_SECONDS = 60


def _delete_keys(store: redis.Redis, prefix: str) -> None:
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_environment(database_url: str, outbox: Path) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRAINING_")}
    environment.update(
        TRAINING_DATABASE_URL=database_url,
        TRAINING_SECRET_KEY=SECRET_KEY,
        TRAINING_RATELIMIT="on",
        TRAINING_RATELIMIT_STORAGE_URL=REDIS_URL,
        TRAINING_TRUSTED_PROXIES="1",
        TRAINING_OUTBOX_FILE=str(outbox),
    )
    return environment


def _wait_until_answering(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn at {base_url} stopped:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/api/v1/venues", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn at {base_url} did not answer in {START_SECONDS} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def servers(_app, database_url, tmp_path_factory):
    """The base URLs of two gunicorn servers of two workers each, on the test database (its
    tables made by ``_app``) and one Redis; the log-in limit is LOGIN_LIMIT a minute."""
    store = redis_or_skip(REDIS_URL)
    prefix = f"two-servers-{uuid.uuid4().hex}"
    folder = tmp_path_factory.mktemp("servers")
    environment = _server_environment(database_url, folder / "outbox.log")
    # No environment variable sets the log-in limit: the factory takes it as configuration.
    overrides = {"RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute", "RATELIMIT_KEY_PREFIX": prefix}
    started = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = folder / f"gunicorn-{name}.log"
            with log.open("w") as output:
                process = subprocess.Popen(
                    [
                        GUNICORN,
                        "--workers=2",
                        f"--bind=127.0.0.1:{port}",
                        f"training:create_app({overrides!r})",
                    ],
                    cwd=ROOT,
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, f"http://127.0.0.1:{port}", log))
        for process, base_url, log in started:
            _wait_until_answering(process, base_url, log)
        yield [base_url for _, base_url, _ in started]
    finally:
        for process, _, _ in started:
            _stop(process)
        _delete_keys(store, prefix)
        store.close()


@pytest.fixture
def http():
    with httpx.Client(timeout=REQUEST_SECONDS) as client:
        yield client


def _address(number: int) -> str:
    """A client address of its own for each person (198.51.100.0/24, 198.51.101.0/24)."""
    return f"198.51.{100 + number // 250}.{number % 250 + 1}"


def _call(http, base_url, method, path, *, address, token=None, body=None):
    headers = {"X-Forwarded-For": address}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = http.request(method, base_url + path, json=body, headers=headers)
    # Whatever answered (a worker's crash page, say) is shown by the assertion that fails.
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    return response.status_code, response.json() if is_json else {"text": response.text}


def _at_once(calls):
    """Run every call in a thread of its own, released together; their answers in order."""
    answers = [None] * len(calls)
    errors = []
    barrier = threading.Barrier(len(calls))

    def work(index, call):
        try:
            barrier.wait(timeout=REQUEST_SECONDS)
            answers[index] = call()
        except Exception as error:  # noqa: BLE001  (reported below, with the others)
            errors.append(error)

    threads = [threading.Thread(target=work, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return answers


def _tokens(http, servers, phones, first_address=0):
    """A bearer token for each phone, by POST /api/v1/auth/token on either server, each
    person from their own address."""

    def get_token(number, phone):
        status, body = _call(
            http,
            servers[number % 2],
            "POST",
            "/api/v1/auth/token",
            address=_address(first_address + number),
            body={"phone": phone, "password": PASSWORD},
        )
        assert status == 200, body
        return body["token"]

    return _at_once(
        [lambda n=number, p=phone: get_token(n, p) for number, phone in enumerate(phones)]
    )


def test_registration_rush_across_two_servers_sells_each_seat_once(
    servers, http, make_open_run, make_person
):
    run = make_open_run(capacity=SEATS)
    phones = [make_person().phone for _ in range(RESIDENTS)]
    db.session.commit()
    run_id = run.id
    db.session.close()
    tokens = _tokens(http, servers, phones)
    path = f"/api/v1/runs/{run_id}/enrollments"

    answers = _at_once(
        [
            lambda n=number, t=token: _call(
                http, servers[n % 2], "POST", path, address=_address(n), token=t
            )
            for number, token in enumerate(tokens)
        ]
    )

    assert [status for status, _ in answers] == [201] * RESIDENTS, answers
    said = Counter(body["status"] for _, body in answers)
    assert said == {"confirmed": SEATS, "waitlisted": RESIDENTS - SEATS}
    told_places = sorted(b["waitlist_position"] for _, b in answers if b["waitlist_position"])
    assert told_places == list(range(1, RESIDENTS - SEATS + 1))
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.run_id == run_id)).all()
    confirmed = [e for e in enrollments if e.status is EnrollmentStatus.CONFIRMED]
    places = sorted(
        e.waitlist_position for e in enrollments if e.status is EnrollmentStatus.WAITLISTED
    )
    assert len(confirmed) == SEATS
    assert places == list(range(1, RESIDENTS - SEATS + 1))
    assert len(enrollments) == len({e.person_id for e in enrollments}) == RESIDENTS


def test_check_in_burst_across_two_servers_records_each_person_once(
    app, servers, http, make_open_run, make_person, make_enrollment
):
    instructor = make_person(role=Role.INSTRUCTOR, name="김강사")
    run = make_open_run(capacity=TRAINEES, sessions=1)
    run.instructor_id = instructor.id
    now = datetime.now(UTC)
    session = Session(
        run_id=run.id, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
    )
    db.session.add(session)
    enrollments = [make_enrollment(run) for _ in range(TRAINEES)]
    trainees = [enrollment.person for enrollment in enrollments]
    outsiders = [make_person() for _ in range(OUTSIDERS)]
    assert app.config["SECRET_KEY"] == SECRET_KEY
    passes = [pass_token_for(person) for person in trainees + outsiders]
    db.session.commit()
    session_id, instructor_phone = session.id, instructor.phone
    enrollment_ids = [enrollment.id for enrollment in enrollments]
    db.session.close()
    [token] = _tokens(http, servers, [instructor_phone], first_address=RESIDENTS)
    path = f"/api/v1/sessions/{session_id}/checkins"
    # Each pass read by two scanners at each server's door, all at once.
    scans = [(number, server) for number in range(len(passes)) for server in (0, 1, 0, 1)]

    answers = _at_once(
        [
            lambda n=number, s=server: _call(
                http,
                servers[s],
                "POST",
                path,
                address=_address(RESIDENTS),
                token=token,
                body={"token": passes[n]},
            )
            for number, server in scans
        ]
    )

    by_pass = defaultdict(list)
    for (number, _), (status, body) in zip(scans, answers, strict=True):
        by_pass[number].append((status, body.get("result")))
    for number in range(TRAINEES):
        created = [result for status, result in by_pass[number] if status == 201]
        assert len(created) == 1 and created[0] in ("present", "late"), by_pass[number]
        assert sorted(by_pass[number])[:3] == [(200, "already")] * 3, by_pass[number]
    for number in range(TRAINEES, TRAINEES + OUTSIDERS):
        assert [status for status, _ in by_pass[number]] == [404] * 4, by_pass[number]
    attendances = db.session.scalars(
        select(Attendance).where(Attendance.session_id == session_id)
    ).all()
    assert sorted(a.enrollment_id for a in attendances) == sorted(enrollment_ids)


def test_log_in_limit_is_counted_across_both_servers(app, servers, http):
    # Wrong passwords for numbers nobody holds: no account is locked, only the limit answers.
    def wrong_log_in(number, address):
        status, _ = _call(
            http,
            servers[number % 2],
            "POST",
            "/api/v1/auth/token",
            address=address,
            body={"phone": f"010-5555-{number:04d}", "password": "wrong-password"},
        )
        return status

    refused = [wrong_log_in(number, "203.0.113.7") for number in range(LOGIN_LIMIT)]
    assert all(status != 429 and status < 500 for status in refused), refused

    assert wrong_log_in(LOGIN_LIMIT, "203.0.113.7") == 429
    assert wrong_log_in(LOGIN_LIMIT + 1, "203.0.113.7") == 429
    assert wrong_log_in(LOGIN_LIMIT + 2, "203.0.113.8") != 429
