"""Two members of staff booking the same room, or the same instructor, for two runs at the same
moment, from separate processes: one booking is kept, the other refused."""

import contextlib
import multiprocessing
import threading
from datetime import UTC, date, datetime, time

import pytest
from processes import run_together
from sqlalchemy import func, select

from training.accounts.models import Role
from training.catalog.models import CourseRun, Session
from training.extensions import db
from training.planning.scheduling import at_seoul

# Other processes must see the data these tests set up.
pytestmark = pytest.mark.real_commits

HOLD_SECONDS = 3
DAY = date(2026, 4, 7)


def _add_and_hold(app, item):
    """Add a session to a run, then keep the transaction open until the other process has
    done its part too (or plainly waits for this one's locks), so that both have read the
    room's and the instructor's sessions before either commits; answers "added" or the
    refusal's code."""
    from training.accounts.models import Person
    from training.planning.scheduling import ScheduleError, add_sessions

    run_id, actor_id, barrier = item
    starts_at, ends_at = at_seoul(DAY, time(10)), at_seoul(DAY, time(12))
    with app.app_context():
        actor = db.session.get(Person, actor_id)
        try:
            add_sessions(
                db.session.get(CourseRun, run_id),
                actor=actor,
                now=datetime.now(UTC),
                times=[(starts_at, ends_at)],
            )
        except ScheduleError as refusal:
            db.session.rollback()
            answer = refusal.code
        else:
            answer = "added"
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=HOLD_SECONDS)
        db.session.commit()
    return answer


def _book_together(app, database_url, runs, actor):
    barrier = multiprocessing.get_context("spawn").Barrier(len(runs))
    return run_together(
        _add_and_hold,
        database_url,
        app.instance_path,
        [[(run.id, actor.id, barrier)] for run in runs],
    )


def _sessions_on_the_day(run_ids) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(Session)
        .where(
            Session.run_id.in_(run_ids),
            Session.starts_at == at_seoul(DAY, time(10)),
        )
    )


@pytest.fixture
def two_runs(make_run, make_person):
    """Two runs, each with one class a week before DAY, and a member of staff."""
    first = make_run(starts_on=date(2026, 3, 31), sessions=1, title="스마트폰 기초")
    second = make_run(
        starts_on=date(2026, 3, 31), sessions=1, title="키오스크 활용", session_hour=14
    )
    return first, second, make_person(role=Role.STAFF)


def test_two_runs_booked_into_one_room_at_once_get_one_booking(app, database_url, two_runs):
    first, second, actor = two_runs
    second.room_id = first.room_id
    db.session.commit()
    run_ids = [first.id, second.id]

    answers = _book_together(app, database_url, [first, second], actor)

    assert sorted(answers) == ["added", "room_busy"]
    assert _sessions_on_the_day(run_ids) == 1


def test_one_instructor_booked_for_two_runs_at_once_gets_one_booking(
    app, database_url, two_runs, make_person
):
    first, second, actor = two_runs
    teacher = make_person(role=Role.INSTRUCTOR)
    first.instructor_id = second.instructor_id = teacher.id
    db.session.commit()
    run_ids = [first.id, second.id]

    answers = _book_together(app, database_url, [first, second], actor)

    assert sorted(answers) == ["added", "instructor_busy"]
    assert _sessions_on_the_day(run_ids) == 1
