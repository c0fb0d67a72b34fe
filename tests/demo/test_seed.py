"""The demo seed: the 2022 figures of the work report, and an upcoming term ready to try."""

import hashlib
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from conftest import NOW, empty_all_tables
from sqlalchemy import func, select

from training.accounts.models import Person, Role
from training.accounts.services import authenticate
from training.catalog.models import Audience, Course, CourseRun, Selection, Session
from training.checkin.models import ATTENDED_STATUSES, Attendance
from training.clock import SEOUL
from training.demo.seed import SeedError, seed_demo
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.enrollment.services import cancel_enrollment, draw_lottery, enroll_person

DEMO_PHONES = ("01000000001", "01000000002", "01000000003", "01000000004", "01000000005")
FIRST_HALF = (
    datetime.combine(date(2022, 1, 1), time(0), tzinfo=SEOUL),
    datetime.combine(date(2022, 9, 1), time(0), tzinfo=SEOUL),
)
SECOND_HALF = (FIRST_HALF[1], datetime.combine(date(2023, 1, 1), time(0), tzinfo=SEOUL))


def seed(now=NOW) -> str:
    return seed_demo(now=now, echo=lambda line: None)


def runs_by_period(db) -> dict[tuple[Audience, str], list[tuple[int, float]]]:
    """(audience, period) -> [(run id, hours)] for runs whose sessions all lie in 2022's
    January-August or September-December (Seoul time)."""
    spans = defaultdict(list)
    audiences = {}
    for run_id, audience, starts_at, ends_at in db.session.execute(
        select(CourseRun.id, Course.audience, Session.starts_at, Session.ends_at)
        .join(Course, Course.id == CourseRun.course_id)
        .join(Session, Session.run_id == CourseRun.id)
    ):
        spans[run_id].append((starts_at, ends_at))
        audiences[run_id] = audience
    periods = defaultdict(list)
    for run_id, sessions in spans.items():
        first, last = min(s for s, _ in sessions), max(e for _, e in sessions)
        hours = sum((e - s).total_seconds() for s, e in sessions) / 3600
        for name, (start, end) in (("jan-aug", FIRST_HALF), ("sep-dec", SECOND_HALF)):
            if start <= first and last <= end:
                periods[(audiences[run_id], name)].append((run_id, hours))
    return periods


def test_seed_demo_command_prints_working_demo_accounts(runner, db):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "demo1234!" in result.output
    for phone in DEMO_PHONES:
        assert f"{phone[:3]}-{phone[3:7]}-{phone[7:]}" in result.output
    assert authenticate("010-0000-0001", "demo1234!").role is Role.ADMIN
    assert authenticate("010-0000-0004", "demo1234!").role is Role.RESIDENT


def test_2022_programme_matches_the_work_report(db):
    seed()
    periods = runs_by_period(db)
    resident_runs = (
        periods[(Audience.RESIDENT, "jan-aug")] + periods[(Audience.RESIDENT, "sep-dec")]
    )
    staff_runs = periods[(Audience.STAFF, "jan-aug")] + periods[(Audience.STAFF, "sep-dec")]
    first_half_runs = [
        run_id for key in periods if key[1] == "jan-aug" for run_id, _ in periods[key]
    ]

    def trained(audience: Audience, role: Role, attended: bool) -> int:
        run_ids = [run_id for run_id, _ in periods[(audience, "jan-aug")]]
        statement = (
            select(func.count(func.distinct(Enrollment.person_id)))
            .join(Person, Person.id == Enrollment.person_id)
            .where(
                Enrollment.run_id.in_(run_ids),
                Enrollment.status == EnrollmentStatus.CONFIRMED,
                Person.role == role,
            )
        )
        if attended:
            statement = statement.where(
                Enrollment.id.in_(
                    select(Attendance.enrollment_id).where(Attendance.status.in_(ATTENDED_STATUSES))
                )
            )
        return db.session.scalar(statement)

    assert db.session.scalar(select(func.count(Course.id))) == 44
    assert (
        db.session.scalar(
            select(func.count(CourseRun.id)).where(CourseRun.starts_on < date(2023, 1, 1))
        )
        == 152
    )
    assert (len(resident_runs), sum(hours for _, hours in resident_runs)) == (140, 2800)
    assert (len(staff_runs), sum(hours for _, hours in staff_runs)) == (12, 87)
    assert len(periods[(Audience.RESIDENT, "jan-aug")]) == 79
    assert len(periods[(Audience.STAFF, "jan-aug")]) == 3
    assert trained(Audience.RESIDENT, Role.RESIDENT, attended=True) == 1405
    assert trained(Audience.RESIDENT, Role.RESIDENT, attended=False) == 1405
    assert trained(Audience.STAFF, Role.STAFF, attended=True) == 52
    assert trained(Audience.STAFF, Role.STAFF, attended=False) == 52
    courses_held = db.session.scalar(
        select(func.count(func.distinct(CourseRun.course_id))).where(
            CourseRun.id.in_(first_half_runs)
        )
    )
    assert courses_held == 44


def test_2022_attendance_and_completion_are_consistent(db):
    seed()
    runs = db.session.scalars(select(CourseRun).where(CourseRun.starts_on < date(2023, 1, 1))).all()
    runs_by_id = {run.id: run for run in runs}
    sessions_of = {run.id: {s.id for s in run.sessions} for run in runs}
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.run_id.in_(sessions_of))
    ).all()
    marks = defaultdict(dict)
    for mark in db.session.scalars(select(Attendance)):
        marks[mark.enrollment_id][mark.session_id] = mark
    statuses = {e.status for e in enrollments}

    assert statuses == {EnrollmentStatus.CONFIRMED, EnrollmentStatus.CANCELLED}
    for enrollment in enrollments:
        mine = marks[enrollment.id]
        if enrollment.status is EnrollmentStatus.CANCELLED:
            assert enrollment.cancelled_at is not None and not mine
            continue
        assert enrollment.confirmed_at is not None
        assert set(mine) == sessions_of[enrollment.run_id]
        attended = sum(m.status in ATTENDED_STATUSES for m in mine.values())
        assert attended >= 1
        assert all(
            (m.checked_in_at is not None) == (m.status in ATTENDED_STATUSES) for m in mine.values()
        )
        completed = attended * 100 >= 80 * len(mine)
        run_end = runs_by_id[enrollment.run_id].sessions[-1].ends_at
        assert enrollment.completed_at == (run_end if completed else None)
    for run in runs:
        confirmed = sum(
            e.run_id == run.id and e.status is EnrollmentStatus.CONFIRMED for e in enrollments
        )
        assert 12 <= confirmed <= run.capacity
        assert run.room is None or run.capacity <= run.room.seats
        assert run.registration_closes_at < run.sessions[0].starts_at


def test_upcoming_term_has_open_full_and_drawable_runs(db):
    seed()
    today = NOW.astimezone(SEOUL).date()
    runs = db.session.scalars(select(CourseRun).where(CourseRun.starts_on > today)).all()
    counts = defaultdict(lambda: defaultdict(int))
    waiting = defaultdict(list)
    for run_id, status, position in db.session.execute(
        select(Enrollment.run_id, Enrollment.status, Enrollment.waitlist_position)
    ):
        counts[run_id][status] += 1
        if position is not None:
            waiting[run_id].append(position)
    first_come = [r for r in runs if r.selection is Selection.FIRST_COME]
    open_with_seats = [
        r
        for r in first_come
        if r.registration_is_open(NOW) and counts[r.id][EnrollmentStatus.CONFIRMED] < r.capacity
    ]
    full = [
        r
        for r in first_come
        if r.registration_is_open(NOW) and counts[r.id][EnrollmentStatus.CONFIRMED] == r.capacity
    ]
    drawable = [
        r
        for r in runs
        if r.is_lottery
        and r.registration_closes_at <= NOW
        and r.lottery_drawn_at is None
        and counts[r.id][EnrollmentStatus.APPLIED] > r.capacity
    ]

    assert len(runs) >= 12
    assert all(
        today + timedelta(days=14) <= r.starts_on <= today + timedelta(days=56) for r in runs
    )
    assert open_with_seats
    # Empty waiting list: a newcomer who applies is first in line.
    assert len(full) == 1 and waiting[full[0].id] == []
    assert len(drawable) == 1 and drawable[0].starts_on >= today + timedelta(days=14)
    assert any(r.min_age == 55 for r in runs)
    assert any(r.room_id is None for r in runs)
    assert any(r.registration_opens_at > NOW for r in runs)


def test_demo_scenario_waitlist_promotion_and_draw(db, make_person):
    seed()
    resident = db.session.scalar(select(Person).where(Person.phone == "01000000004"))
    staff = db.session.scalar(select(Person).where(Person.phone == "01000000002"))
    seat = db.session.scalar(
        select(Enrollment)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(
            Enrollment.person_id == resident.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            CourseRun.starts_on > date(2023, 1, 1),
        )
    )
    full_run = seat.run
    newcomer = make_person(phone="01100000001")

    late = enroll_person(full_run, newcomer, now=NOW)
    position_on_enrolling = late.waitlist_position
    cancel_enrollment(seat, actor=resident, now=NOW)

    assert position_on_enrolling == 1
    assert late.status is EnrollmentStatus.CONFIRMED
    assert late.waitlist_position is None

    ready = db.session.scalar(
        select(CourseRun).where(
            CourseRun.selection == Selection.LOTTERY,
            CourseRun.lottery_drawn_at.is_(None),
            CourseRun.registration_closes_at <= NOW,
            CourseRun.starts_on > date(2023, 1, 1),
        )
    )
    drawn = draw_lottery(ready, actor=staff, seed=7, now=NOW)

    confirmed = [e for e in drawn if e.status is EnrollmentStatus.CONFIRMED]
    assert len(confirmed) == ready.capacity
    assert sorted(e.waitlist_position for e in drawn if e not in confirmed) == list(
        range(1, len(drawn) - ready.capacity + 1)
    )


def test_demo_resident_runs_never_clash_with_other_upcoming_runs(db):
    seed()
    today = NOW.astimezone(SEOUL).date()
    demo_people = select(Person.id).where(Person.phone.in_(DEMO_PHONES))
    mine = db.session.scalars(
        select(Enrollment.run_id).where(
            Enrollment.person_id.in_(demo_people),
            Enrollment.status == EnrollmentStatus.CONFIRMED,
        )
    ).all()
    sessions = db.session.execute(
        select(Session.run_id, Session.starts_at, Session.ends_at)
        .join(CourseRun, CourseRun.id == Session.run_id)
        .join(Course, Course.id == CourseRun.course_id)
        .where(CourseRun.starts_on > today, Course.audience == Audience.RESIDENT)
    ).all()
    demo_sessions = [s for s in sessions if s.run_id in mine]

    assert demo_sessions
    clashes = [
        (s.run_id, d.run_id)
        for s in sessions
        for d in demo_sessions
        if s.run_id != d.run_id and s.starts_at < d.ends_at and d.starts_at < s.ends_at
    ]
    assert clashes == []


def test_seeding_twice_without_force_fails_and_changes_nothing(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = table_counts(db)
    db.session.close()

    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code != 0
    assert "--force" in result.output
    assert table_counts(db) == before
    with pytest.raises(SeedError):
        seed()


def table_counts(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Person, Course, CourseRun, Session, Enrollment, Attendance)
    )


def digest_of_2022(db) -> str:
    """A fingerprint of every 2022 run: course, number, sessions, trainees and their marks."""
    lines = []
    runs = db.session.scalars(
        select(CourseRun)
        .join(Course, Course.id == CourseRun.course_id)
        .where(CourseRun.starts_on < date(2023, 1, 1))
        .order_by(Course.code, CourseRun.number)
    ).all()
    phones = dict(db.session.execute(select(Person.id, Person.phone)).all())
    marks = defaultdict(list)
    for enrollment_id, starts_at, status in db.session.execute(
        select(Attendance.enrollment_id, Session.starts_at, Attendance.status).join(
            Session, Session.id == Attendance.session_id
        )
    ):
        marks[enrollment_id].append((starts_at.isoformat(), status.value))
    enrollments = defaultdict(list)
    for e in db.session.scalars(select(Enrollment)):
        enrollments[e.run_id].append(
            (phones[e.person_id], e.status.value, str(e.completed_at), sorted(marks[e.id]))
        )
    for run in runs:
        sessions = [(s.starts_at.isoformat(), s.ends_at.isoformat()) for s in run.sessions]
        lines.append(
            repr((run.course.code, run.number, run.capacity, sessions, sorted(enrollments[run.id])))
        )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_2022_part_is_the_same_on_every_seed(db):
    seed()
    first = digest_of_2022(db)
    db.session.close()
    empty_all_tables()

    # A later day moves the upcoming term but must not touch 2022.
    seed(now=NOW + timedelta(days=40))

    assert digest_of_2022(db) == first


def test_force_adds_the_demo_beside_other_data_but_never_twice(db, make_person):
    make_person(phone="01100000002")

    seed_demo(now=NOW, echo=lambda line: None, force=True)

    assert db.session.scalar(select(func.count(Course.id))) == 44
    assert db.session.scalar(select(func.count(Person.id)).where(Person.phone == "01000000004"))
    with pytest.raises(SeedError, match="already there"):
        seed_demo(now=NOW, echo=lambda line: None, force=True)


def test_demo_has_a_class_in_progress_for_the_demo_instructor(db):
    from training.checkin.rosters import roster, sessions_today_for
    from training.checkin.scans import check_in_window

    seed()
    instructor = db.session.scalar(select(Person).where(Person.phone == "01000000003"))
    live = [s for s in sessions_today_for(instructor, NOW) if s.starts_at <= NOW <= s.ends_at]

    assert len(live) == 1
    opens, closes = check_in_window(live[0])
    assert opens <= NOW <= closes
    lines = roster(live[0])
    assert lines and all(line.attendance is None for line in lines)
    assert any(line.enrollment.person.phone == "01000000004" for line in lines)
    assert len(lines) < live[0].run.capacity
