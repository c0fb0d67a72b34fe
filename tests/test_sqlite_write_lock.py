"""On SQLite a request that may write holds the write lock only from its first row lock or
write to its commit: its reads before that (the caller's token, the session, the pass) run
while other workers write, and what it reads after the lock is current."""

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select, text

from training.accounts.models import Person
from training.extensions import db
from training.locking import lock_row

pytestmark = pytest.mark.real_commits


@pytest.fixture
def other_worker(database_url):
    """A second connection that refuses to wait for the lock, as a probe of who holds it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the database")
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 0")
    yield connection
    connection.close()


def can_write(connection) -> bool:
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as busy:
        assert "locked" in str(busy)
        return False
    connection.execute("ROLLBACK")
    return True


def add_person(connection, phone: str) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO people (name, phone, birth_year, dong, locale, message_channel, role,"
        " auth_version, is_active, consent_version, consent_method, consented_at, created_at,"
        " pass_version, failed_logins)"
        " VALUES ('홍길동', ?, 1960, '문래동', 'ko', 'sms', 'resident', 1, 1, 'test', 'desk',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 0)",
        (phone,),
    )
    connection.execute("COMMIT")


def people() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_writing_request_reads_without_the_lock_until_it_locks_a_row(
    app, make_person, other_worker
):
    person_id = make_person().id
    db.session.commit()

    with app.test_request_context("/anything", method="POST"):
        assert people() == 1
        assert can_write(other_worker)
        add_person(other_worker, "01099990001")

        lock_row(Person, person_id)

        assert not can_write(other_worker)
        # Read under the lock, the other worker's row is there.
        assert people() == 2
        db.session.commit()
    assert can_write(other_worker)


def test_the_first_write_takes_the_lock(app, make_person, other_worker):
    make_person()
    db.session.commit()

    with app.test_request_context("/anything", method="POST"):
        people()
        assert can_write(other_worker)
        db.session.execute(text("UPDATE people SET dong = '문래동'"))
        assert not can_write(other_worker)
        db.session.rollback()


def test_a_row_lock_written_as_with_for_update_takes_the_lock(app, make_person, other_worker):
    make_person()
    db.session.commit()

    with app.test_request_context("/anything", method="POST"):
        db.session.scalars(select(Person).with_for_update()).all()
        assert not can_write(other_worker)
        db.session.rollback()


def test_work_outside_a_request_takes_the_lock_before_its_first_read(
    app, make_person, other_worker
):
    make_person()
    db.session.commit()

    people()

    assert not can_write(other_worker)
    db.session.rollback()


def test_a_page_that_only_reads_never_takes_the_lock(app, make_person, other_worker):
    make_person()
    db.session.commit()

    with app.test_request_context("/anything", method="GET"):
        people()
        assert can_write(other_worker)
        db.session.rollback()


@pytest.fixture
def writers_queue(database_url):
    """An open file on the writers' queue, as another worker would hold it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the database")
    path = database_url.removeprefix("sqlite:///") + "-writers"
    queue = os.open(path, os.O_RDWR | os.O_CREAT)
    yield queue
    os.close(queue)


def has_turn_free(queue) -> bool:
    try:
        fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(queue, fcntl.LOCK_UN)
    return True


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_writer_holds_the_queue_from_its_lock_to_its_end_and_then_passes_it_on(
    app, make_person, other_worker, writers_queue, end
):
    person_id = make_person().id
    db.session.commit()

    with app.test_request_context("/anything", method="POST"):
        people()
        assert has_turn_free(writers_queue)
        lock_row(Person, person_id)
        assert not has_turn_free(writers_queue)
        getattr(db.session, end)()
        assert has_turn_free(writers_queue)
        assert can_write(other_worker)


def test_a_writer_waits_for_the_turn_of_another_and_goes_on_once_it_is_passed(
    app, make_person, writers_queue
):
    person_id = make_person().id
    db.session.commit()
    fcntl.flock(writers_queue, fcntl.LOCK_EX)
    threading.Timer(0.3, fcntl.flock, (writers_queue, fcntl.LOCK_UN)).start()

    with app.test_request_context("/anything", method="POST"):
        started = time.monotonic()
        lock_row(Person, person_id)
        waited = time.monotonic() - started
        db.session.rollback()

    # Not a speed figure: it shows the lock waited for the queue, then went on.
    assert waited >= 0.25
