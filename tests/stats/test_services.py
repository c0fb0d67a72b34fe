"""Each statistic's definition (training.stats.definitions) on small hand-made data."""

from datetime import UTC, date, datetime

import pytest

from tests.stats import attendance
from training.catalog.models import Audience, Room, Venue
from training.checkin.models import AttendanceStatus
from training.enrollment.models import EnrollmentStatus
from training.stats.models import Plan
from training.stats.services import (
    Period,
    breakdown,
    figures,
    people_breakdown,
    plan_against_actual,
    report_lines,
)

PRESENT, LATE, ABSENT, EXCUSED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)
MARCH = Period(date(2022, 3, 1), date(2022, 3, 31))
APRIL = Period(date(2022, 4, 1), date(2022, 4, 30))
SPRING = Period.months(date(2022, 3, 1), date(2022, 4, 1))
YEAR = Period(date(2022, 1, 1), date(2022, 12, 31))


@pytest.fixture
def mark(db):
    """Attendance marks for an enrollment, one per session in order (None: no mark)."""

    def add(enrollment, *statuses):
        sessions = sorted(enrollment.run.sessions, key=lambda s: s.starts_at)
        for session, status in zip(sessions, statuses, strict=False):
            if status is not None:
                db.session.add(attendance(session, enrollment, status))
        db.session.flush()

    return add


@pytest.fixture
def other_venue_room(db):
    venue = Venue(name="문래동 주민센터", address="서울 영등포구 문래동")
    db.session.add(venue)
    db.session.flush()
    room = Room(venue_id=venue.id, name="2층 교육실", seats=20)
    db.session.add(room)
    db.session.flush()
    return room


# Runs held and hours ------------------------------------------------------------------------


def test_run_spanning_two_months_counts_once_in_the_month_it_ends(make_run):
    make_run(starts_on=date(2022, 3, 23), sessions=3)  # 3-23, 3-30, 4-06

    march, april, spring = figures(MARCH), figures(APRIL), figures(SPRING)

    assert (march.runs_held, march.hours) == (0, 0.0)
    assert (april.runs_held, april.hours) == (1, 6.0)
    assert (spring.runs_held, spring.hours) == (1, 6.0)


def test_hours_are_the_sum_of_every_session(make_run):
    make_run(starts_on=date(2022, 3, 2), sessions=4)
    make_run(starts_on=date(2022, 3, 3), sessions=2)

    assert figures(MARCH).hours == 12.0


def test_a_period_without_runs_gives_zeros(make_run):
    make_run(starts_on=date(2022, 5, 2), sessions=2)

    result = figures(MARCH)

    assert result.as_dict() == {
        "runs_held": 0,
        "trainees": 0,
        "person_sessions": 0,
        "hours": 0.0,
        "courses": 0,
        "attendance_rate": 0.0,
        "completion_rate": 0.0,
    }


# Trainees and person-sessions ---------------------------------------------------------------


def test_person_in_two_runs_is_one_trainee_with_both_runs_sessions(
    make_run, make_person, make_enrollment, mark
):
    first = make_run(starts_on=date(2022, 3, 2), sessions=2)
    second = make_run(starts_on=date(2022, 3, 3), sessions=3)
    person = make_person()
    mark(make_enrollment(first, person), PRESENT, PRESENT)
    mark(make_enrollment(second, person), PRESENT, LATE, ABSENT)

    result = figures(MARCH)

    assert result.trainees == 1
    assert result.person_sessions == 4


def test_late_counts_as_attended(make_run, make_enrollment, mark):
    run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    mark(make_enrollment(run), LATE, ABSENT)

    result = figures(MARCH)

    assert (result.trainees, result.person_sessions) == (1, 1)


def test_cancelled_enrollment_counts_nowhere_even_with_attendance(make_run, make_enrollment, mark):
    run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    mark(make_enrollment(run), PRESENT, PRESENT)
    cancelled = make_enrollment(run, status=EnrollmentStatus.CANCELLED)
    mark(cancelled, PRESENT, EXCUSED)

    result = figures(MARCH)

    assert result.trainees == 1
    assert result.person_sessions == 2
    assert result.confirmed == 1
    assert result.expected_marks == 2
    assert result.attendance_rate == 1.0


def test_waitlisted_and_applied_people_are_not_counted(make_run, make_enrollment, mark):
    run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    make_enrollment(run, status=EnrollmentStatus.APPLIED)
    make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)

    result = figures(MARCH)

    assert (result.trainees, result.confirmed, result.expected_marks) == (0, 0, 0)
    assert result.runs_held == 1


def test_confirmed_person_who_never_came_is_no_trainee_but_is_expected(
    make_run, make_enrollment, mark
):
    run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    mark(make_enrollment(run), PRESENT, PRESENT)
    make_enrollment(run)  # confirmed, no marks at all
    mark(make_enrollment(run), ABSENT, ABSENT)

    result = figures(MARCH)

    assert result.trainees == 1
    assert result.confirmed == 3
    assert result.expected_marks == 6
    assert result.attendance_rate == pytest.approx(2 / 6, abs=1e-4)


# Rates ------------------------------------------------------------------------------------


def test_excused_absence_is_left_out_of_the_attendance_rate(make_run, make_enrollment, mark):
    run = make_run(starts_on=date(2022, 3, 2), sessions=3)
    mark(make_enrollment(run), PRESENT, EXCUSED, ABSENT)

    result = figures(MARCH)

    assert result.expected_marks == 2
    assert result.attendance_rate == 0.5
    assert result.person_sessions == 1


def test_completion_rate_is_completed_over_confirmed(make_run, make_enrollment):
    run = make_run(starts_on=date(2022, 3, 2), sessions=1)
    make_enrollment(run, completed_at=datetime(2022, 3, 3, tzinfo=UTC))
    make_enrollment(run)
    make_enrollment(
        run, status=EnrollmentStatus.CANCELLED, completed_at=datetime(2022, 3, 3, tzinfo=UTC)
    )

    result = figures(MARCH)

    assert (result.completed, result.confirmed) == (1, 2)
    assert result.completion_rate == 0.5


# Audience and courses -----------------------------------------------------------------------


@pytest.fixture
def residents_and_staff(make_run, make_person, make_enrollment, mark):
    resident_run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    staff_run = make_run(starts_on=date(2022, 3, 4), sessions=1, audience=Audience.STAFF)
    both = make_person()
    mark(make_enrollment(resident_run, both), PRESENT, PRESENT)
    mark(make_enrollment(resident_run), PRESENT, ABSENT)
    mark(make_enrollment(staff_run, both), PRESENT)
    return resident_run, staff_run


def test_audience_filter_separates_residents_and_staff(residents_and_staff):
    residents = figures(MARCH, Audience.RESIDENT)
    staff = figures(MARCH, Audience.STAFF)
    everyone = figures(MARCH, None)

    assert (residents.runs_held, residents.trainees, residents.person_sessions) == (1, 2, 3)
    assert (residents.hours, staff.hours, everyone.hours) == (4.0, 2.0, 6.0)
    assert (staff.runs_held, staff.trainees, staff.person_sessions) == (1, 1, 1)
    # The person in both counts once when both audiences are taken together.
    assert (everyone.runs_held, everyone.trainees, everyone.person_sessions) == (2, 2, 4)


def test_courses_are_distinct_courses_of_the_runs_held(make_run):
    first = make_run(starts_on=date(2022, 3, 2), sessions=1)
    make_run(starts_on=date(2022, 3, 9), sessions=1, course=first.course)
    make_run(starts_on=date(2022, 3, 10), sessions=1, title="키오스크")
    make_run(starts_on=date(2022, 5, 10), sessions=1, title="유튜브")  # not held in March

    result = figures(MARCH)

    assert (result.runs_held, result.courses) == (3, 2)


# Breakdowns -------------------------------------------------------------------------------


@pytest.fixture
def two_venues_two_months(make_run, make_enrollment, make_person, mark, other_venue_room, db):
    march_run = make_run(starts_on=date(2022, 3, 2), sessions=2)
    april_run = make_run(starts_on=date(2022, 3, 23), sessions=3)  # ends in April
    elsewhere = make_run(starts_on=date(2022, 4, 5), sessions=1)
    elsewhere.room_id = other_venue_room.id
    db.session.flush()
    regular = make_person(name="김영수", birth_year=1950, dong="문래동")
    mark(make_enrollment(march_run, regular), PRESENT, LATE)
    mark(make_enrollment(april_run, regular), PRESENT, ABSENT, PRESENT)
    mark(make_enrollment(elsewhere, make_person(birth_year=1985, dong="당산2동")), PRESENT)
    mark(make_enrollment(elsewhere, make_person(birth_year=1965, dong="문래동")), EXCUSED)
    return march_run, april_run, elsewhere


ADDITIVE = ("runs_held", "hours", "person_sessions", "confirmed", "expected_marks")


@pytest.mark.parametrize("dimension", ["venue", "month", "room", "course", "delivery"])
def test_run_breakdowns_add_up_to_the_totals(two_venues_two_months, dimension):
    total = figures(SPRING)

    rows = breakdown(SPRING, None, dimension).rows

    for name in ADDITIVE:
        assert sum(getattr(f, name) for _, f in rows) == getattr(total, name), name


def test_breakdown_by_venue(two_venues_two_months):
    rows = dict(breakdown(SPRING, None, "venue").rows)

    assert set(rows) == {"평생스마트교육장", "문래동 주민센터"}
    assert (rows["평생스마트교육장"].runs_held, rows["평생스마트교육장"].hours) == (2, 10.0)
    assert (rows["문래동 주민센터"].runs_held, rows["문래동 주민센터"].trainees) == (1, 1)


def test_breakdown_by_month_puts_runs_in_the_month_they_end(two_venues_two_months):
    rows = breakdown(SPRING, None, "month").rows

    assert [label for label, _ in rows] == ["2022-03", "2022-04"]
    march, april = (f for _, f in rows)
    assert (march.runs_held, march.hours, march.person_sessions) == (1, 4.0, 2)
    assert (april.runs_held, april.hours, april.person_sessions) == (2, 8.0, 3)


def test_people_breakdown_by_age_band(two_venues_two_months):
    rows = {label: f for label, f in people_breakdown(SPRING, None, "age_band").rows}

    # Ages at the end of 2022: 72, 37; the 57-year-old was only excused, so not a trainee.
    assert {label: (f.trainees, f.person_sessions) for label, f in rows.items()} == {
        "70세 이상": (1, 4),
        "39세 이하": (1, 1),
    }


def test_people_breakdown_by_dong_adds_up_to_the_trainees(two_venues_two_months):
    rows = {label: f for label, f in people_breakdown(SPRING, None, "dong").rows}

    assert {label: f.trainees for label, f in rows.items()} == {"문래동": 1, "당산2동": 1}
    assert sum(f.trainees for f in rows.values()) == figures(SPRING).trainees
    assert sum(f.person_sessions for f in rows.values()) == figures(SPRING).person_sessions


# Report lines and the plan ------------------------------------------------------------------


def test_report_lines_in_the_districts_wording(residents_and_staff, make_run):
    make_run(starts_on=date(2022, 3, 16), sessions=1, course=residents_and_staff[0].course)

    assert report_lines(MARCH) == [
        "구민 정보화교육 운영 - 교육횟수/인원: 2회 / 2명",
        "직원 정보화교육 운영 - 교육횟수/인원: 1회 / 1명",
        "교육과정: 2개 과정",
    ]


def test_plan_against_actual_sets_the_plan_beside_what_was_held(residents_and_staff, db):
    db.session.add(Plan(year=2022, audience=Audience.RESIDENT, runs=140, hours=2800))
    db.session.flush()

    lines = {line.audience: line for line in plan_against_actual(2022)}

    resident, staff = lines[Audience.RESIDENT], lines[Audience.STAFF]
    assert (resident.planned_runs, resident.planned_hours) == (140, 2800)
    assert (resident.runs_held, resident.hours) == (1, 4.0)
    assert (staff.planned_runs, staff.planned_hours) == (None, None)
    assert (staff.runs_held, staff.hours) == (1, 2.0)
