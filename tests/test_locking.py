"""lock_row reads the row's columns afresh under the lock, keeps what was loaded with the row
before it, and does not read a row its transaction already holds."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from training.catalog.models import CourseRun
from training.extensions import db
from training.locking import lock_row

pytestmark = pytest.mark.real_commits


def test_a_row_locked_after_it_was_read_has_what_others_committed_meanwhile(
    app, make_open_run, statements
):
    run_id = make_open_run(capacity=10).id
    db.session.commit()
    # In a request, as on SQLite only a request reads before it takes the write lock.
    with app.test_request_context("/anything", method="POST"):
        run = db.session.scalars(
            select(CourseRun)
            .where(CourseRun.id == run_id)
            .options(selectinload(CourseRun.sessions))
        ).one()
        sessions = list(run.sessions)
        with db.engine.begin() as other:
            other.execute(update(CourseRun).where(CourseRun.id == run_id).values(capacity=3))

        statements.clear()
        locked = lock_row(CourseRun, run_id)

        assert locked is run and locked.capacity == 3
        assert locked.sessions == sessions
        assert len([s for s in statements if s.startswith("SELECT")]) == 1, statements
        db.session.rollback()


def test_a_row_locked_twice_in_a_transaction_is_read_once(app, make_open_run, statements):
    run_id = make_open_run().id
    db.session.commit()
    statements.clear()

    first = lock_row(CourseRun, run_id)
    first.capacity = 7
    second = lock_row(CourseRun, run_id)

    assert second is first and second.capacity == 7
    assert len([s for s in statements if s.startswith("SELECT")]) == 1, statements
    db.session.rollback()


def test_a_new_transaction_locks_and_reads_the_row_again(app, make_open_run, statements):
    run_id = make_open_run().id
    db.session.commit()
    lock_row(CourseRun, run_id)
    db.session.commit()
    statements.clear()

    lock_row(CourseRun, run_id)

    assert len([s for s in statements if s.startswith("SELECT")]) == 1, statements
    db.session.rollback()


def test_a_missing_row_is_none(app):
    assert lock_row(CourseRun, 987654) is None
    db.session.rollback()
