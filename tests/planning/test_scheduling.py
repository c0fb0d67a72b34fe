"""Sessions from a pattern around holidays and closures, one by one, clashes, copying a term."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from conftest import NOW
from sqlalchemy import func, select

from training.accounts.models import Role
from training.catalog.models import Closure, CourseRun, Session, Venue
from training.checkin.models import Attendance, AttendanceStatus
from training.clock import SEOUL
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.notifications.models import Notification
from training.planning.scheduling import (
    Pattern,
    ScheduleError,
    Skipped,
    add_sessions,
    class_days,
    copy_term,
    move_session,
    refresh_run_dates,
    remove_session,
)


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL).astimezone(UTC)


def weekly(first: date, *weekdays: int, count=None, last=None) -> Pattern:
    return Pattern(
        first_date=first,
        weekdays=weekdays,
        start=time(10),
        end=time(12),
        count=count,
        last_date=last,
    )


@pytest.fixture
def actor(make_person):
    return make_person(role=Role.STAFF, name="정담당")


@pytest.fixture
def blank_run(db, make_run):
    """A run with no sessions yet, as planning.services.create_run leaves it."""

    def make(**kwargs) -> CourseRun:
        run = make_run(sessions=1, **kwargs)
        for session in list(run.sessions):
            db.session.delete(session)
        db.session.flush()
        db.session.refresh(run)
        return run

    return make


def notifications_of(person) -> list[str]:
    return db.session.scalars(
        select(Notification.message).where(Notification.person_id == person.id)
    ).all()


# Holidays and closures


def test_chuseok_2026_is_skipped_with_its_korean_names(app):
    days, skipped = class_days(weekly(date(2026, 9, 21), 1, 2, 3, 4, 5, 6, count=6), venue_id=None)

    assert days == [
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
    ]
    assert skipped == [
        Skipped(date(2026, 9, 24), "추석 전날"),
        Skipped(date(2026, 9, 25), "추석"),
        Skipped(date(2026, 9, 26), "추석 다음날"),
    ]


@pytest.mark.parametrize(
    ("holiday", "name"),
    [
        (date(2026, 3, 2), "삼일절 대체 휴일"),
        (date(2026, 10, 5), "개천절 대체 휴일"),
        (date(2027, 2, 9), "설날 대체 휴일"),
        (date(2027, 10, 11), "한글날 대체 휴일"),
    ],
)
def test_substitute_holidays_are_skipped_and_made_up(app, holiday, name):
    days, skipped = class_days(
        weekly(holiday - timedelta(days=14), holiday.isoweekday(), count=4), venue_id=None
    )

    assert len(days) == 4
    assert holiday not in days
    assert Skipped(holiday, name) in skipped
    assert days[-1] > holiday


def test_count_makes_up_the_skipped_days_after_the_last(app):
    # Thursdays through Chuseok: the 24th is skipped, so the fourth class falls a week later.
    days, skipped = class_days(weekly(date(2026, 9, 10), 4, count=4), venue_id=None)

    assert days == [date(2026, 9, 10), date(2026, 9, 17), date(2026, 10, 1), date(2026, 10, 8)]
    assert skipped == [Skipped(date(2026, 9, 24), "추석 전날")]


def test_last_date_ends_the_series_whatever_is_skipped(app):
    days, skipped = class_days(
        weekly(date(2026, 9, 21), 1, 3, last=date(2026, 10, 7)), venue_id=None
    )

    assert days == [
        date(2026, 9, 21),
        date(2026, 9, 23),
        date(2026, 9, 28),
        date(2026, 9, 30),
        date(2026, 10, 7),
    ]
    assert skipped == [Skipped(date(2026, 10, 5), "개천절 대체 휴일")]


def test_closures_of_the_district_and_of_the_venue_are_skipped(app, db, make_room):
    room = make_room()
    other = Venue(name="다른 교육장", address="서울 영등포구 여의도동")
    db.session.add(other)
    db.session.flush()
    db.session.add_all(
        [
            Closure(day=date(2026, 4, 6), venue_id=None, reason="구청 행사"),
            Closure(day=date(2026, 4, 13), venue_id=room.venue_id, reason="교육장 소독"),
            Closure(day=date(2026, 4, 20), venue_id=other.id, reason="다른 곳 공사"),
        ]
    )
    db.session.flush()

    days, skipped = class_days(weekly(date(2026, 4, 6), 1, count=3), venue_id=room.venue_id)

    assert days == [date(2026, 4, 20), date(2026, 4, 27), date(2026, 5, 4)]
    assert skipped == [
        Skipped(date(2026, 4, 6), "구청 행사"),
        Skipped(date(2026, 4, 13), "교육장 소독"),
    ]


def test_an_online_run_skips_only_district_closures(app, db, make_room):
    room = make_room()
    db.session.add_all(
        [
            Closure(day=date(2026, 4, 6), venue_id=None, reason="구청 행사"),
            Closure(day=date(2026, 4, 13), venue_id=room.venue_id, reason="교육장 소독"),
        ]
    )
    db.session.flush()

    days, _ = class_days(weekly(date(2026, 4, 6), 1, count=2), venue_id=None)

    assert days == [date(2026, 4, 13), date(2026, 4, 20)]


@pytest.mark.parametrize(
    "pattern",
    [
        weekly(date(2026, 4, 6), 1, count=3, last=date(2026, 5, 1)),
        weekly(date(2026, 4, 6), 1),
        weekly(date(2026, 4, 6), count=3),
        weekly(date(2026, 4, 6), 8, count=3),
        weekly(date(2026, 4, 6), 0, count=3),
        weekly(date(2026, 4, 6), 1, count=0),
        weekly(date(2026, 4, 6), 1, count=201),
        weekly(date(2026, 4, 6), 1, last=date(2026, 4, 5)),
        weekly(date(2026, 4, 6), 1, last=date(2027, 4, 8)),
        Pattern(date(2026, 4, 6), (1,), start=time(12), end=time(12), count=3),
        Pattern(date(2026, 4, 6), (1,), start=time(12), end=time(10), count=3),
    ],
)
def test_invalid_patterns_are_refused(app, pattern):
    with pytest.raises(ScheduleError) as refused:
        class_days(pattern, venue_id=None)

    assert refused.value.code == "invalid_pattern"
    assert refused.value.status == 400


# Adding sessions


def test_pattern_adds_sessions_at_seoul_hours_and_sets_the_run_dates(app, actor, blank_run):
    run = blank_run()

    sessions, skipped = add_sessions(
        run, actor=actor, now=NOW, pattern=weekly(date(2026, 9, 17), 4, count=3)
    )

    assert [(s.starts_at, s.ends_at) for s in sessions] == [
        (seoul(day, 10), seoul(day, 12))
        for day in (date(2026, 9, 17), date(2026, 10, 1), date(2026, 10, 8))
    ]
    assert skipped == [Skipped(date(2026, 9, 24), "추석 전날")]
    assert (run.starts_on, run.ends_on) == (date(2026, 9, 17), date(2026, 10, 8))
    assert len(run.sessions) == 3


def test_a_pattern_with_no_class_day_is_refused(app, actor, blank_run):
    with pytest.raises(ScheduleError) as refused:
        add_sessions(
            blank_run(),
            actor=actor,
            now=NOW,
            pattern=weekly(date(2026, 9, 24), 4, 5, last=date(2026, 9, 25)),
        )

    assert refused.value.code == "no_sessions"


def test_adding_to_a_cancelled_run_is_refused(app, actor, blank_run):
    run = blank_run()
    run.cancelled_at, run.cancel_reason = NOW, "강사 사정"

    with pytest.raises(ScheduleError) as refused:
        add_sessions(
            run,
            actor=actor,
            now=NOW,
            times=[(seoul(date(2026, 4, 6), 10), seoul(date(2026, 4, 6), 12))],
        )

    assert refused.value.code == "run_cancelled"


def test_adding_sessions_to_a_run_with_people_tells_each_of_them_once(
    app, actor, blank_run, make_enrollment
):
    run = blank_run()
    confirmed = make_enrollment(run).person
    waiting = make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1).person
    cancelled = make_enrollment(run, status=EnrollmentStatus.CANCELLED).person

    add_sessions(run, actor=actor, now=NOW, pattern=weekly(date(2026, 4, 6), 1, 3, count=4))

    for person in (confirmed, waiting):
        [message] = notifications_of(person)
        assert run.title in message
        assert "4월 6일(월) 10:00" in message
    assert notifications_of(cancelled) == []


def test_room_clash_is_refused_naming_the_other_run(app, actor, make_run, blank_run):
    taken = make_run(starts_on=date(2026, 4, 7), title="엑셀 기초")
    run = blank_run(title="스마트폰 기초")
    run.room_id = taken.room_id

    with pytest.raises(ScheduleError) as refused:
        add_sessions(run, actor=actor, now=NOW, pattern=weekly(date(2026, 4, 6), 1, 2, count=4))

    room = run.room
    assert refused.value.code == "room_busy"
    assert refused.value.status == 409
    assert refused.value.message == (
        f"{room.name}은(는) 2026-04-07 10:00에 '엑셀 기초 1기' 수업이 있습니다."
    )
    assert run.sessions == []


def test_instructor_clash_is_refused_naming_the_other_run(
    app, actor, make_person, make_run, blank_run
):
    teacher = make_person(role=Role.INSTRUCTOR, name="김강사")
    taken = make_run(starts_on=date(2026, 4, 7), title="엑셀 기초")
    taken.instructor_id = teacher.id
    run = blank_run()
    run.instructor_id = teacher.id

    with pytest.raises(ScheduleError) as refused:
        add_sessions(
            run,
            actor=actor,
            now=NOW,
            times=[(seoul(date(2026, 4, 7), 11), seoul(date(2026, 4, 7), 13))],
        )

    assert refused.value.code == "instructor_busy"
    assert refused.value.message == (
        "김강사 강사는 2026-04-07 10:00에 '엑셀 기초 1기' 수업을 맡고 있습니다."
    )


def test_back_to_back_sessions_and_cancelled_runs_do_not_clash(app, actor, make_run, blank_run):
    before = make_run(starts_on=date(2026, 4, 7), sessions=1)
    cancelled = make_run(starts_on=date(2026, 4, 7), sessions=1, session_hour=12)
    cancelled.cancelled_at, cancelled.cancel_reason = NOW, "강사 사정"
    cancelled.room_id = before.room_id
    run = blank_run()
    run.room_id = before.room_id

    sessions, _ = add_sessions(
        run,
        actor=actor,
        now=NOW,
        times=[(seoul(date(2026, 4, 7), 12), seoul(date(2026, 4, 7), 14))],
    )

    assert len(sessions) == 1


def test_two_sessions_of_one_run_at_once_are_refused(app, actor, make_run):
    run = make_run(starts_on=date(2026, 4, 7), sessions=1)

    with pytest.raises(ScheduleError) as refused:
        add_sessions(
            run,
            actor=actor,
            now=NOW,
            times=[(seoul(date(2026, 4, 7), 11), seoul(date(2026, 4, 7), 12))],
        )

    assert refused.value.code == "invalid_pattern"


# Moving and removing


def test_moving_a_session_into_a_clash_is_refused(app, actor, make_run):
    taken = make_run(starts_on=date(2026, 4, 8), sessions=1, title="엑셀 기초")
    run = make_run(starts_on=date(2026, 4, 7), sessions=2)
    run.room_id = taken.room_id
    session = run.sessions[0]

    with pytest.raises(ScheduleError) as refused:
        move_session(
            session,
            actor=actor,
            now=NOW,
            starts_at=seoul(date(2026, 4, 8), 9),
            ends_at=seoul(date(2026, 4, 8), 11),
        )

    assert refused.value.code == "room_busy"
    assert "'엑셀 기초 1기'" in refused.value.message
    assert session.starts_at == seoul(date(2026, 4, 7), 10)


def test_moving_a_session_elsewhere_moves_it_and_tells_the_people(
    app, actor, make_run, make_enrollment
):
    run = make_run(starts_on=date(2026, 4, 7), sessions=2)
    person = make_enrollment(run).person
    first = run.sessions[0]

    move_session(
        first,
        actor=actor,
        now=NOW,
        starts_at=seoul(date(2026, 4, 6), 14),
        ends_at=seoul(date(2026, 4, 6), 16),
    )

    assert (first.starts_at, first.ends_at) == (
        seoul(date(2026, 4, 6), 14),
        seoul(date(2026, 4, 6), 16),
    )
    assert run.starts_on == date(2026, 4, 6)
    [message] = notifications_of(person)
    assert "4월 7일(화) 10:00" in message and "4월 6일(월) 14:00" in message


def test_a_session_may_move_over_its_own_old_hours(app, actor, make_run):
    run = make_run(starts_on=date(2026, 4, 7), sessions=1)
    session = run.sessions[0]

    move_session(
        session,
        actor=actor,
        now=NOW,
        starts_at=seoul(date(2026, 4, 7), 11),
        ends_at=seoul(date(2026, 4, 7), 13),
    )

    assert session.starts_at == seoul(date(2026, 4, 7), 11)


def test_removing_a_session_with_attendance_is_refused(app, db, actor, make_run, make_enrollment):
    run = make_run(starts_on=date(2026, 4, 7), sessions=2)
    enrollment = make_enrollment(run)
    session = run.sessions[0]
    db.session.add(
        Attendance(
            session_id=session.id, enrollment_id=enrollment.id, status=AttendanceStatus.ABSENT
        )
    )
    db.session.flush()

    with pytest.raises(ScheduleError) as refused:
        remove_session(session, actor=actor, now=NOW)

    assert refused.value.code == "session_has_attendance"
    assert db.session.get(Session, session.id) is not None


def test_removing_a_session_keeps_the_run_dates_and_tells_the_people(
    app, db, actor, make_run, make_enrollment
):
    run = make_run(starts_on=date(2026, 4, 7), sessions=3)
    person = make_enrollment(run).person

    remove_session(run.sessions[-1], actor=actor, now=NOW)

    assert len(run.sessions) == 2
    assert run.ends_on == date(2026, 4, 14)
    [message] = notifications_of(person)
    assert "4월 21일(화) 10:00" in message


def test_a_run_without_sessions_is_dated_by_its_registration_close(app, blank_run):
    run = blank_run(closes_at=datetime(2026, 3, 31, 16, 0, tzinfo=UTC))

    refresh_run_dates(run)

    assert (run.starts_on, run.ends_on) == (date(2026, 4, 1), date(2026, 4, 1))


# Copying a term


def test_copy_term_shifts_by_weeks_skips_holidays_and_keeps_the_count(
    app, db, actor, make_person, make_run, make_enrollment
):
    teacher = make_person(role=Role.INSTRUCTOR)
    source = make_run(starts_on=date(2026, 9, 3), sessions=3, capacity=12, min_age=60)
    source.instructor_id = teacher.id
    make_enrollment(source)

    result = copy_term(
        actor=actor,
        now=NOW,
        source_from=date(2026, 9, 1),
        source_to=date(2026, 9, 30),
        shift_weeks=3,
    )

    [copy] = result.runs
    assert (copy.course_id, copy.number) == (source.course_id, 2)
    assert (copy.room_id, copy.instructor_id) == (source.room_id, teacher.id)
    assert (copy.capacity, copy.min_age, copy.selection) == (12, 60, source.selection)
    # Thursdays three weeks on: 24 September is the eve of Chuseok, so one more week is added.
    assert [s.starts_at for s in copy.sessions] == [
        seoul(date(2026, 10, 1), 10),
        seoul(date(2026, 10, 8), 10),
        seoul(date(2026, 10, 15), 10),
    ]
    assert result.skipped == [(copy, Skipped(date(2026, 9, 24), "추석 전날"))]
    assert (copy.starts_on, copy.ends_on) == (date(2026, 10, 1), date(2026, 10, 15))
    assert copy.registration_opens_at == source.registration_opens_at + timedelta(weeks=3)
    assert copy.registration_closes_at == source.registration_closes_at + timedelta(weeks=3)
    assert db.session.scalar(select(func.count()).where(Enrollment.run_id == copy.id)) == 0
    assert result.refused == []


def test_copy_term_numbers_each_copy_after_the_course_last_cohort(app, db, actor, make_run):
    first = make_run(starts_on=date(2026, 4, 7), sessions=2)
    make_run(starts_on=date(2026, 8, 4), sessions=2, course=first.course)
    second_course = make_run(starts_on=date(2026, 4, 9), sessions=2)

    result = copy_term(
        actor=actor,
        now=NOW,
        source_from=date(2026, 4, 1),
        source_to=date(2026, 4, 30),
        shift_weeks=12,
        registration_opens_at=datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
    )

    assert [(run.course_id, run.number) for run in result.runs] == [
        (first.course_id, 3),
        (second_course.course_id, 2),
    ]
    assert {run.registration_opens_at for run in result.runs} == {
        datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    }


def test_copy_term_leaves_out_cancelled_runs_and_archived_courses(app, actor, make_run):
    cancelled = make_run(starts_on=date(2026, 4, 7))
    cancelled.cancelled_at, cancelled.cancel_reason = NOW, "강사 사정"
    archived = make_run(starts_on=date(2026, 4, 8))
    archived.course.is_archived = True
    kept = make_run(starts_on=date(2026, 4, 9))

    result = copy_term(
        actor=actor,
        now=NOW,
        source_from=date(2026, 4, 1),
        source_to=date(2026, 4, 30),
        shift_weeks=12,
    )

    assert [run.course_id for run in result.runs] == [kept.course_id]


def test_copy_term_reports_a_copy_that_would_clash_and_makes_the_others(app, db, actor, make_run):
    clashing = make_run(starts_on=date(2026, 4, 7), title="스마트폰 기초")
    fine = make_run(starts_on=date(2026, 4, 9), title="컴퓨터 기초")
    occupant = make_run(starts_on=date(2026, 6, 30), sessions=1, title="엑셀 기초")
    occupant.room_id = clashing.room_id

    result = copy_term(
        actor=actor,
        now=NOW,
        source_from=date(2026, 4, 1),
        source_to=date(2026, 4, 30),
        shift_weeks=12,
    )

    assert [run.course_id for run in result.runs] == [fine.course_id]
    [(source, message)] = result.refused
    assert source is clashing
    assert "'엑셀 기초 1기'" in message and "2026-06-30 10:00" in message
    assert (
        db.session.scalar(select(func.count()).where(CourseRun.course_id == clashing.course_id))
        == 1
    )


def test_copy_term_refuses_a_shift_of_no_weeks(app, actor):
    with pytest.raises(ScheduleError) as refused:
        copy_term(
            actor=actor,
            now=NOW,
            source_from=date(2026, 4, 1),
            source_to=date(2026, 4, 30),
            shift_weeks=0,
        )

    assert refused.value.code == "invalid_pattern"
