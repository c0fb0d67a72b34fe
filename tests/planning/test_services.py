"""The planning rules, called directly: capacity against rooms and the confirmed, promotion on
a raise, cancelling a run, notifying people of a change, courses and their runs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.catalog.models import Audience, Category, Course, Delivery, Level, Venue
from training.catalog.services import RunFilters
from training.enrollment.listings import list_runs
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.enrollment.services import EnrollmentError, enroll_person
from training.extensions import db
from training.notifications.models import Notification
from training.planning.scheduling import ScheduleError
from training.planning.services import (
    PlanningError,
    add_closure,
    archive_course,
    cancel_run,
    create_course,
    create_run,
    delete_course,
    save_plan,
    save_room,
    save_venue,
    update_run,
)
from training.stats.models import Plan
from training.stats.services import Period, figures

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
CONFIRMED, WAITLISTED, CANCELLED = (
    EnrollmentStatus.CONFIRMED,
    EnrollmentStatus.WAITLISTED,
    EnrollmentStatus.CANCELLED,
)


@pytest.fixture
def planner(make_person):
    return make_person(role=Role.STAFF, name="정담당")


@pytest.fixture
def course(planner):
    return create_course(
        actor=planner,
        title="스마트폰 기초",
        category=Category.SMARTPHONE,
        level=Level.BEGINNER,
        audience=Audience.RESIDENT,
        delivery=Delivery.IN_PERSON,
        hours=12,
        completion_threshold=70,
    )


@pytest.fixture
def new_run(planner, course):
    """create_run with a registration window around NOW."""

    def make(**kwargs):
        values = {
            "actor": planner,
            "course": course,
            "capacity": 20,
            "registration_opens_at": NOW - timedelta(days=1),
            "registration_closes_at": NOW + timedelta(days=6),
            "now": NOW,
            **kwargs,
        }
        return create_run(**values)

    return make


@pytest.fixture
def waiting(make_enrollment):
    """Put people on the run's waiting list, in the order given."""

    def add(run, count: int) -> list[Enrollment]:
        return [
            make_enrollment(run, status=WAITLISTED, waitlist_position=position)
            for position in range(1, count + 1)
        ]

    return add


def notified(person) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.person_id == person.id)).all()


def refusal_of(call) -> PlanningError:
    with pytest.raises(PlanningError) as caught:
        call()
    return caught.value


# Creating runs


def test_new_run_takes_next_cohort_number_and_course_completion_rule(new_run):
    first = new_run()
    second = new_run()
    assert (first.number, second.number) == (1, 2)
    assert second.completion_threshold == 70
    # No sessions yet: dated by the close of registration, in Seoul.
    assert second.starts_on == second.ends_on == date(2026, 3, 8)


def test_cohort_number_already_used_is_refused(new_run):
    new_run(number=3)
    assert refusal_of(lambda: new_run(number=3)).code == "number_taken"


def test_capacity_over_room_seats_is_refused(new_run, make_room):
    room = make_room(seats=28)
    refusal = refusal_of(lambda: new_run(room=room, capacity=29))
    assert (refusal.code, refusal.status) == ("over_room_seats", 422)
    assert "28" in refusal.message
    assert new_run(room=room, capacity=28).capacity == 28


def test_raising_capacity_over_room_seats_is_refused(new_run, make_room, planner):
    run = new_run(room=make_room(seats=28), capacity=20)
    refusal = refusal_of(lambda: update_run(run, actor=planner, now=NOW, capacity=30))
    assert refusal.code == "over_room_seats"
    assert run.capacity == 20


def test_online_run_capacity_is_capped_by_the_setting(app, new_run):
    app.config["ONLINE_MAX_CAPACITY"] = 50
    assert refusal_of(lambda: new_run(room=None, capacity=51)).code == "over_room_seats"
    assert new_run(room=None, capacity=50).room is None


def test_online_cap_defaults_to_a_hundred(app):
    assert app.config["ONLINE_MAX_CAPACITY"] == 100


def test_archived_course_refuses_new_runs(new_run, course, planner):
    archive_course(course, actor=planner)
    refusal = refusal_of(new_run)
    assert (refusal.code, refusal.status) == ("course_archived", 409)


def test_resident_cannot_be_the_instructor(new_run, make_person):
    refusal = refusal_of(lambda: new_run(instructor=make_person(role=Role.RESIDENT)))
    assert (refusal.code, refusal.status) == ("invalid_value", 400)
    assert new_run(instructor=make_person(role=Role.INSTRUCTOR)).instructor.role is Role.INSTRUCTOR


# Courses


def test_course_without_code_gets_the_next_generated_one(planner, course):
    second = create_course(
        actor=planner,
        title="컴퓨터 기초",
        category=Category.COMPUTER,
        level=Level.BEGINNER,
        audience=Audience.RESIDENT,
        delivery=Delivery.IN_PERSON,
    )
    assert (course.code, second.code) == ("C1", "C2")


def test_course_with_runs_cannot_be_deleted(new_run, course, planner):
    new_run()
    refusal = refusal_of(lambda: delete_course(course, actor=planner))
    assert (refusal.code, refusal.status) == ("course_has_runs", 409)
    assert db.session.get(Course, course.id) is not None


def test_course_without_runs_is_deleted(course, planner):
    delete_course(course, actor=planner)
    assert db.session.get(Course, course.id) is None


# Capacity of a run with people


def test_lowering_capacity_below_confirmed_is_refused_with_the_count(
    make_run, make_enrollment, planner
):
    run = make_run(capacity=5)
    for _ in range(4):
        make_enrollment(run)
    refusal = refusal_of(lambda: update_run(run, actor=planner, now=NOW, capacity=3))
    assert (refusal.code, refusal.status) == ("below_confirmed", 422)
    assert "4명" in refusal.message
    assert update_run(run, actor=planner, now=NOW, capacity=4).capacity == 4


def test_raising_capacity_confirms_the_waiting_list_in_order(
    make_run, make_enrollment, waiting, planner
):
    run = make_run(capacity=1)
    make_enrollment(run)
    first, second, third = waiting(run, 3)
    update_run(run, actor=planner, now=NOW, capacity=3)
    db.session.refresh(third)
    assert [e.status for e in (first, second, third)] == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert third.waitlist_position == 1
    assert [n.kind for n in notified(first.person)] == ["promoted"]


# Cancelling a run


def test_cancelling_a_run_cancels_and_notifies_everyone(
    make_run, make_enrollment, waiting, planner
):
    run = make_run(capacity=1)
    seated = make_enrollment(run)
    (queued,) = waiting(run, 1)
    cancel_run(run, actor=planner, reason="강사 사정", now=NOW)
    assert run.is_cancelled and run.cancel_reason == "강사 사정"
    for enrollment in (seated, queued):
        assert enrollment.status is CANCELLED
        assert enrollment.cancelled_by_id == planner.id
        assert enrollment.waitlist_position is None
        (note,) = notified(enrollment.person)
        assert note.kind == "run_cancelled" and "강사 사정" in note.message


def test_cancelled_run_no_longer_counts_in_statistics(make_run, make_enrollment, planner):
    kept = make_run()
    cancelled = make_run()
    make_enrollment(cancelled)
    before = figures(MARCH)
    assert (before.runs_held, before.hours) == (2, 12.0)
    cancel_run(cancelled, actor=planner, reason="신청자 부족", now=NOW)
    after = figures(MARCH)
    assert (after.runs_held, after.hours) == (1, kept.total_hours)


def test_cancelling_needs_a_reason(make_run, planner):
    run = make_run()
    refusal = refusal_of(lambda: cancel_run(run, actor=planner, reason="  ", now=NOW))
    assert (refusal.code, refusal.status) == ("reason_required", 400)
    assert not run.is_cancelled


def test_cancelled_run_cannot_be_changed_or_cancelled_again(make_run, planner):
    run = make_run()
    cancel_run(run, actor=planner, reason="폐강", now=NOW)
    assert refusal_of(lambda: cancel_run(run, actor=planner, reason="또", now=NOW)).code == (
        "run_cancelled"
    )
    assert refusal_of(lambda: update_run(run, actor=planner, now=NOW, capacity=3)).code == (
        "run_cancelled"
    )


def test_enrolling_in_a_cancelled_run_is_refused(make_run, make_person, planner):
    run = make_run()
    cancel_run(run, actor=planner, reason="폐강", now=NOW)
    with pytest.raises(EnrollmentError) as caught:
        enroll_person(run, make_person(), now=NOW)
    assert caught.value.code == "run_cancelled"


def test_catalogue_leaves_out_cancelled_and_unscheduled_runs(make_run, new_run, planner):
    held = make_run()
    cancelled = make_run()
    cancel_run(cancelled, actor=planner, reason="폐강", now=NOW)
    unscheduled = new_run()
    assert [listing.run.id for listing in list_runs(RunFilters(), now=NOW)] == [held.id]
    everything = RunFilters(include_cancelled=True, include_unscheduled=True)
    listed = {listing.run.id for listing in list_runs(everything, now=NOW)}
    assert listed == {held.id, cancelled.id, unscheduled.id}


# Changes told to the people of a run


def test_room_change_notifies_confirmed_and_waiting_people_once_each(
    make_run, make_enrollment, make_room, waiting, make_person, planner
):
    run = make_run(capacity=1)
    seated = make_enrollment(run)
    (queued,) = waiting(run, 1)
    make_enrollment(run, status=CANCELLED)
    bystander = make_person()
    room = make_room()
    update_run(run, actor=planner, now=NOW, room=room)
    assert run.room_id == room.id
    for enrollment in (seated, queued):
        (note,) = notified(enrollment.person)
        assert note.kind == "room_changed" and room.name in note.message
    assert notified(bystander) == []


def test_change_without_a_new_room_notifies_nobody(make_run, make_enrollment, planner):
    run = make_run(capacity=2)
    seated = make_enrollment(run)
    update_run(run, actor=planner, now=NOW, room=run.room, max_age=80)
    assert notified(seated.person) == []


def test_room_busy_at_the_run_sessions_is_refused_naming_the_other_run(
    make_run, make_enrollment, planner
):
    busy = make_run(title="엑셀 기초")
    run = make_run()
    seated = make_enrollment(run)
    own_room = run.room
    with pytest.raises(ScheduleError) as caught:
        update_run(run, actor=planner, now=NOW, room=busy.room)
    assert caught.value.code == "room_busy" and busy.title in caught.value.message
    assert run.room_id == own_room.id
    assert notified(seated.person) == []


def test_instructor_busy_at_the_run_sessions_is_refused(make_run, make_person, planner):
    teacher = make_person(role=Role.INSTRUCTOR, name="김강사")
    busy = make_run()
    update_run(busy, actor=planner, now=NOW, instructor=teacher)
    run = make_run()
    with pytest.raises(ScheduleError) as caught:
        update_run(run, actor=planner, now=NOW, instructor=teacher)
    assert caught.value.code == "instructor_busy"
    assert run.instructor_id is None


# Eligibility set on the run


def test_run_open_beyond_the_district_takes_other_residents(make_run, make_person):
    outsider = make_person(dong="서울 밖")
    closed = make_run()
    with pytest.raises(EnrollmentError) as caught:
        enroll_person(closed, outsider, now=NOW)
    assert caught.value.code == "not_eligible"
    open_run = make_run()
    open_run.is_district_only = False
    assert enroll_person(open_run, outsider, now=NOW).status is CONFIRMED


# Venues and rooms


def test_venue_phone_left_blank_is_kept_as_none(planner):
    venue = save_venue(None, actor=planner, name="새 교육장", address="영등포로 1", phone=" ")
    assert db.session.get(Venue, venue.id).phone is None


def test_room_seats_cannot_fall_below_a_coming_run_capacity(make_run, planner):
    run = make_run(capacity=20)
    room = run.room
    refusal = refusal_of(
        lambda: save_room(room, actor=planner, venue=room.venue, name=room.name, seats=15, now=NOW)
    )
    assert refusal.code == "over_room_seats" and run.title in refusal.message
    assert save_room(room, actor=planner, venue=room.venue, name=room.name, seats=20, now=NOW)


# Plans and closure days


def test_saving_a_plan_twice_keeps_one_plan_with_the_new_figures(planner, count_rows):
    save_plan(actor=planner, year=2027, audience=Audience.RESIDENT, runs=140, hours=1800)
    plan = save_plan(actor=planner, year=2027, audience=Audience.RESIDENT, runs=150, hours=2000)
    assert (plan.runs, plan.hours) == (150, 2000.0)
    assert count_rows(Plan) == 1


def test_a_day_closed_everywhere_cannot_be_closed_twice(planner):
    add_closure(actor=planner, day=date(2027, 5, 1), venue=None, reason="구청 행사")
    refusal = refusal_of(
        lambda: add_closure(actor=planner, day=date(2027, 5, 1), venue=None, reason="다시")
    )
    assert refusal.code == "invalid_value"


def test_the_page_of_a_cancelled_run_says_so_and_offers_no_enrollment(client, staff, make_open_run):
    run = make_open_run()
    cancel_run(run, actor=staff, reason="강사 사정", now=datetime.now(UTC))
    db.session.commit()

    html = client.get(f"/runs/{run.id}").get_data(as_text=True)

    assert "폐강된 강좌입니다. 사유: 강사 사정" in html
    assert f"/runs/{run.id}/enroll" not in html
    assert "전화나 방문으로도 신청할 수 있습니다" not in html
