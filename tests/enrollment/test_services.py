"""The enrollment rules, called directly: seats, waiting lists, eligibility and lotteries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import has_request_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.catalog.models import Audience, CourseRun, Selection
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import (
    EnrollmentError,
    cancel_enrollment,
    confirm_seat,
    draw_lottery,
    enroll_person,
    enrollments_of,
    lottery_order,
    promote_from_waitlist,
    run_counts,
)
from training.notifications.models import Notification

# conftest's NOW (10:00 in Seoul), around which make_run opens and closes registration.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

AFTER_CLOSE = NOW + timedelta(days=8)


def enroll(run, person, **kwargs):
    return enroll_person(run, person, now=NOW, **kwargs)


def refused_code(run, person, **kwargs) -> str:
    with pytest.raises(EnrollmentError) as caught:
        enroll(run, person, **kwargs)
    return caught.value.code


def fill_with_waitlist(make_run, make_person, waiting: int):
    """A run of two seats, both taken, and `waiting` people queued behind them."""
    run = make_run(capacity=2)
    confirmed = [enroll(run, make_person()) for _ in range(2)]
    queued = [enroll(run, make_person()) for _ in range(waiting)]
    return run, confirmed, queued


def waitlist_of(db, run) -> list[tuple[int, int]]:
    """(enrollment id, position) of the run's waiting list, front first."""
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.waitlist_position)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.WAITLISTED)
        .order_by(Enrollment.waitlist_position)
    ).all()
    return [tuple(row) for row in rows]


@pytest.fixture
def completed_run(make_run, make_enrollment):
    """A run of a new course, held last autumn, which the person completed a month before NOW."""

    def make(person) -> CourseRun:
        run = make_run(starts_on=date(2025, 9, 1))
        make_enrollment(
            run,
            person,
            created_at=NOW - timedelta(days=60),
            confirmed_at=NOW - timedelta(days=60),
            completed_at=NOW - timedelta(days=30),
        )
        return run

    return make


# Outside a request, as the CLI and scheduled jobs call the services (every test here does)


def test_refusal_outside_request_raises_enrollment_error(make_run, make_person):
    assert not has_request_context()
    run = make_run(opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=7))

    assert refused_code(run, make_person()) == "registration_closed"


def test_promotion_outside_request_confirms_first_waitlisted(db, make_run, make_person):
    assert not has_request_context()
    run = make_run(capacity=1)
    holder = make_person()
    seat = enroll(run, holder)
    waiting = enroll(run, make_person())

    cancel_enrollment(seat, actor=holder, now=NOW)

    db.session.refresh(waiting)
    assert waiting.status is EnrollmentStatus.CONFIRMED


# First come, first served


def test_enroll_confirms_while_seats_remain(make_run, make_person):
    run = make_run(capacity=2)

    first = enroll(run, make_person())
    second = enroll(run, make_person())

    assert first.status is EnrollmentStatus.CONFIRMED
    assert second.status is EnrollmentStatus.CONFIRMED
    assert first.confirmed_at == NOW
    assert first.waitlist_position is None
    assert run_counts(run).confirmed == 2


def test_enroll_waitlists_in_arrival_order_when_full(make_run, make_person):
    run, _, queued = fill_with_waitlist(make_run, make_person, waiting=3)

    assert [e.status for e in queued] == [EnrollmentStatus.WAITLISTED] * 3
    assert [e.waitlist_position for e in queued] == [1, 2, 3]
    assert all(e.confirmed_at is None for e in queued)
    counts = run_counts(run)
    assert (counts.confirmed, counts.waitlisted) == (2, 3)


def test_cancel_promotes_first_waitlisted(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=3)
    later = NOW + timedelta(hours=1)

    cancel_enrollment(confirmed[0], actor=confirmed[0].person, now=later)

    db.session.refresh(queued[0])
    assert queued[0].status is EnrollmentStatus.CONFIRMED
    assert queued[0].waitlist_position is None
    assert queued[0].confirmed_at == later
    assert run_counts(run).confirmed == 2


def test_cancel_queues_notification_for_promoted_person(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=2)

    cancel_enrollment(confirmed[0], actor=confirmed[0].person, now=NOW)

    notes = db.session.scalars(select(Notification).where(Notification.kind == "promoted")).all()
    assert [(n.person_id, n.kind) for n in notes] == [(queued[0].person_id, "promoted")]


def test_cancel_confirmed_renumbers_waitlist_without_gaps(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=4)

    cancel_enrollment(confirmed[1], actor=confirmed[1].person, now=NOW)

    assert waitlist_of(db, run) == [(queued[1].id, 1), (queued[2].id, 2), (queued[3].id, 3)]


def test_cancel_waitlisted_closes_gap(db, make_run, make_person):
    run, _, queued = fill_with_waitlist(make_run, make_person, waiting=4)

    cancel_enrollment(queued[1], actor=queued[1].person, now=NOW)

    assert waitlist_of(db, run) == [(queued[0].id, 1), (queued[2].id, 2), (queued[3].id, 3)]
    assert run_counts(run).confirmed == 2


def test_cancel_waitlisted_promotes_nobody(db, make_run, make_person):
    run, _, queued = fill_with_waitlist(make_run, make_person, waiting=2)

    cancel_enrollment(queued[0], actor=queued[0].person, now=NOW)

    db.session.refresh(queued[1])
    assert queued[1].status is EnrollmentStatus.WAITLISTED
    assert (
        db.session.scalars(select(Notification).where(Notification.kind == "promoted")).all() == []
    )


def test_cancel_marks_enrollment_cancelled(make_run, make_person):
    run = make_run()
    person = make_person()
    enrollment = enroll(run, person)

    cancelled = cancel_enrollment(enrollment, actor=person, now=NOW)

    assert cancelled.status is EnrollmentStatus.CANCELLED
    assert cancelled.cancelled_at == NOW
    assert cancelled.cancelled_by_id == person.id
    assert run_counts(run).confirmed == 0


def test_cancel_twice_is_refused(make_run, make_person):
    run = make_run()
    person = make_person()
    enrollment = enroll(run, person)
    cancel_enrollment(enrollment, actor=person, now=NOW)

    with pytest.raises(EnrollmentError) as caught:
        cancel_enrollment(enrollment, actor=person, now=NOW)

    assert caught.value.code == "not_cancellable"


def test_cancel_after_run_ended_is_refused(make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16), sessions=1)
    person = make_person()
    enrollment = enroll(run, person)

    with pytest.raises(EnrollmentError) as caught:
        cancel_enrollment(enrollment, actor=person, now=NOW + timedelta(days=30))

    assert caught.value.code == "not_cancellable"
    assert enrollment.status is EnrollmentStatus.CONFIRMED


def test_cancel_by_staff_writes_audit_entry(db, make_run, make_person):
    run = make_run()
    person = make_person()
    staff = make_person(role=Role.STAFF)
    enrollment = enroll(run, person)

    cancel_enrollment(enrollment, actor=staff, now=NOW)

    entries = db.session.scalars(select(AuditEntry)).all()
    assert [(e.action, e.actor_id, e.subject_id) for e in entries] == [
        ("enrollment.cancel", staff.id, enrollment.id)
    ]


def test_cancel_by_staff_records_the_reason(db, make_run, make_person):
    run = make_run()
    enrollment = enroll(run, make_person())

    cancel_enrollment(
        enrollment, actor=make_person(role=Role.STAFF), now=NOW, reason="  본인 전화 요청 "
    )

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.cancel"))
    assert entry.detail["reason"] == "본인 전화 요청"


# Once classes have begun

FIRST_CLASS = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # make_run's first session, 10:00 Seoul


def test_resident_can_cancel_until_the_first_class_begins(make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16))
    person = make_person()
    enrollment = enroll(run, person)

    cancel_enrollment(enrollment, actor=person, now=FIRST_CLASS - timedelta(minutes=1))

    assert enrollment.status is EnrollmentStatus.CANCELLED


def test_resident_cannot_cancel_once_the_first_class_has_begun(db, make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16))
    run.room.venue.phone = "02-2670-1234"
    person = make_person()
    enrollment = enroll(run, person)

    with pytest.raises(EnrollmentError) as caught:
        cancel_enrollment(enrollment, actor=person, now=FIRST_CLASS)

    assert caught.value.code == "run_started"
    assert "전화" in caught.value.message
    assert "02-2670-1234" in caught.value.message
    assert enrollment.status is EnrollmentStatus.CONFIRMED


def test_started_refusal_without_a_venue_phone_says_to_call_the_centre(make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16))
    person = make_person()
    enrollment = enroll(run, person)

    with pytest.raises(EnrollmentError) as caught:
        cancel_enrollment(enrollment, actor=person, now=FIRST_CLASS + timedelta(days=1))

    assert caught.value.message == (
        "수업이 이미 시작되어 온라인으로는 취소할 수 없습니다. 교육장에 전화해 주세요."
    )


def test_staff_can_cancel_a_started_run_for_someone_with_the_reason_kept(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=1)
    staff = make_person(role=Role.STAFF)

    cancel_enrollment(confirmed[0], actor=staff, now=FIRST_CLASS, reason="입원으로 수강 불가")

    db.session.refresh(queued[0])
    assert confirmed[0].status is EnrollmentStatus.CANCELLED
    assert queued[0].status is EnrollmentStatus.CONFIRMED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.cancel"))
    assert entry.detail["reason"] == "입원으로 수강 불가"


# Registration window and duplicates


def test_enroll_before_registration_opens_is_refused(make_run, make_person):
    run = make_run(opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=7))

    assert refused_code(run, make_person()) == "registration_closed"


def test_enroll_after_registration_closes_is_refused(make_run, make_person):
    run = make_run(opens_at=NOW - timedelta(days=7), closes_at=NOW - timedelta(seconds=1))

    assert refused_code(run, make_person()) == "registration_closed"


def test_enroll_at_closing_moment_is_refused(make_run, make_person):
    run = make_run(opens_at=NOW - timedelta(days=7), closes_at=NOW)

    assert refused_code(run, make_person()) == "registration_closed"


def test_enroll_at_opening_moment_is_accepted(make_run, make_person):
    run = make_run(opens_at=NOW, closes_at=NOW + timedelta(days=7))

    assert enroll(run, make_person()).status is EnrollmentStatus.CONFIRMED


def test_enroll_twice_is_refused(make_run, make_person):
    run = make_run()
    person = make_person()
    enroll(run, person)

    assert refused_code(run, person) == "already_enrolled"


def test_enroll_twice_while_waitlisted_is_refused(make_run, make_person):
    run, _, queued = fill_with_waitlist(make_run, make_person, waiting=1)

    assert refused_code(run, queued[0].person) == "already_enrolled"


def test_enroll_again_after_cancelling_is_allowed(make_run, make_person):
    run = make_run()
    person = make_person()
    first = enroll(run, person)
    cancel_enrollment(first, actor=person, now=NOW)

    second = enroll(run, person)

    assert second.id != first.id
    assert second.status is EnrollmentStatus.CONFIRMED
    assert run_counts(run).confirmed == 1


def test_enrollments_of_lists_newest_runs_first_with_cancelled_ones(make_run, make_person):
    person = make_person()
    march = make_run(starts_on=date(2026, 3, 16))
    april = make_run(starts_on=date(2026, 4, 6))
    in_march = enroll(march, person)
    cancel_enrollment(in_march, actor=person, now=NOW)
    in_april = enroll(april, person)
    enroll(april, make_person())

    assert [e.id for e in enrollments_of(person)] == [in_april.id, in_march.id]


# Eligibility


def test_staff_run_refuses_resident(make_run, make_person):
    run = make_run(audience=Audience.STAFF)

    assert refused_code(run, make_person(role=Role.RESIDENT)) == "not_eligible"


def test_staff_run_accepts_staff(make_run, make_person):
    run = make_run(audience=Audience.STAFF)

    assert enroll(run, make_person(role=Role.STAFF)).status is EnrollmentStatus.CONFIRMED


def test_resident_run_refuses_staff_account(make_run, make_person):
    run = make_run(audience=Audience.RESIDENT)

    assert refused_code(run, make_person(role=Role.STAFF)) == "not_eligible"


def test_resident_run_refuses_outside_district_when_district_only(app, make_run, make_person):
    app.config["DISTRICT_ONLY"] = True
    run = make_run()

    assert refused_code(run, make_person(dong="구외")) == "not_eligible"


def test_resident_run_accepts_outside_district_when_not_district_only(app, make_run, make_person):
    app.config["DISTRICT_ONLY"] = False
    run = make_run()

    assert enroll(run, make_person(dong="구외")).status is EnrollmentStatus.CONFIRMED


def test_inactive_account_is_refused(make_run, make_person):
    run = make_run()
    person = make_person()
    person.is_active = False

    assert refused_code(run, person) == "account_inactive"


@pytest.mark.parametrize("birth_year", [1960, 1950])
def test_min_age_accepts_at_and_above_the_edge(make_run, make_person, birth_year):
    run = make_run(starts_on=date(2026, 3, 16), min_age=66)

    assert enroll(run, make_person(birth_year=birth_year)).status is EnrollmentStatus.CONFIRMED


def test_min_age_refuses_one_year_younger(make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16), min_age=66)

    assert refused_code(run, make_person(birth_year=1961)) == "not_eligible"


@pytest.mark.parametrize("birth_year", [1960, 1970])
def test_max_age_accepts_at_and_below_the_edge(make_run, make_person, birth_year):
    run = make_run(starts_on=date(2026, 3, 16), max_age=66)

    assert enroll(run, make_person(birth_year=birth_year)).status is EnrollmentStatus.CONFIRMED


def test_max_age_refuses_one_year_older(make_run, make_person):
    run = make_run(starts_on=date(2026, 3, 16), max_age=66)

    assert refused_code(run, make_person(birth_year=1959)) == "not_eligible"


def test_age_is_counted_from_the_year_the_run_starts(make_run, make_person):
    # Born 1961: 65 in 2026 but 66 in a run starting in January 2027.
    run = make_run(starts_on=date(2027, 1, 11), min_age=66)

    assert enroll(run, make_person(birth_year=1961)).status is EnrollmentStatus.CONFIRMED


# How many at once, repeats and clashes


def runs_at_different_hours(make_run, count: int):
    """Runs that do not clash: the same days, two-hour sessions three hours apart."""
    return [make_run(capacity=5, session_hour=9 + 3 * i) for i in range(count)]


def test_enrollment_beyond_active_limit_is_refused(app, make_run, make_person):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 2
    person = make_person()
    first, second, third = runs_at_different_hours(make_run, 3)
    enroll(first, person)
    enroll(second, person)

    assert refused_code(third, person) == "too_many_enrollments"


def test_active_limit_counts_waitlisted_enrollments(app, make_run, make_person):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 2
    person = make_person()
    full = make_run(capacity=1, session_hour=9)
    other = make_run(capacity=5, session_hour=12)
    third = make_run(capacity=5, session_hour=15)
    enroll(full, make_person())
    assert enroll(full, person).status is EnrollmentStatus.WAITLISTED
    enroll(other, person)

    assert refused_code(third, person) == "too_many_enrollments"


def test_active_limit_ignores_cancelled_enrollments(app, make_run, make_person):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 1
    person = make_person()
    first, second = runs_at_different_hours(make_run, 2)
    cancel_enrollment(enroll(first, person), actor=person, now=NOW)

    assert enroll(second, person).status is EnrollmentStatus.CONFIRMED


def test_active_limit_ignores_runs_that_have_ended(app, make_run, make_person, make_enrollment):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 1
    person = make_person()
    ended = make_run(starts_on=date(2026, 2, 2), sessions=2)  # ended 9 February
    make_enrollment(ended, person, confirmed_at=NOW - timedelta(days=40))

    assert enroll(make_run(), person).status is EnrollmentStatus.CONFIRMED


def test_active_limit_counts_run_ending_today_in_seoul(app, db, make_run, make_person):
    # 16:00 UTC on 1 March is 01:00 on 2 March in Seoul: a run ending 1 March has ended.
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 1
    person = make_person()
    ending = make_run(starts_on=date(2026, 2, 22), sessions=2)  # ends 1 March
    seoul_small_hours = NOW.replace(day=1, hour=16)
    enroll_person(ending, person, now=seoul_small_hours)

    other = make_run(session_hour=14)

    assert enroll_person(other, person, now=seoul_small_hours).status is (
        EnrollmentStatus.CONFIRMED
    )


def test_zero_active_limit_means_no_limit(app, make_run, make_person):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 0
    person = make_person()
    runs = runs_at_different_hours(make_run, 4)

    enrollments = [enroll(run, person) for run in runs]

    assert [e.status for e in enrollments] == [EnrollmentStatus.CONFIRMED] * 4


def test_enroll_after_completing_same_course_is_refused(app, make_run, make_person, completed_run):
    app.config["BLOCK_REPEAT_COMPLETION"] = True
    person = make_person()
    later = make_run(course=completed_run(person).course)

    assert refused_code(later, person) == "already_completed"


def test_enroll_after_completing_same_course_allowed_when_not_blocked(
    app, make_run, make_person, completed_run
):
    app.config["BLOCK_REPEAT_COMPLETION"] = False
    person = make_person()
    later = make_run(course=completed_run(person).course)

    assert enroll(later, person).status is EnrollmentStatus.CONFIRMED


def test_completing_another_course_does_not_block(app, make_run, make_person, completed_run):
    app.config["BLOCK_REPEAT_COMPLETION"] = True
    person = make_person()
    completed_run(person)

    assert enroll(make_run(), person).status is EnrollmentStatus.CONFIRMED


def test_enroll_in_overlapping_run_is_refused(make_run, make_person):
    person = make_person()
    enroll(make_run(starts_on=date(2026, 3, 16), session_hour=10), person)
    clashing = make_run(starts_on=date(2026, 3, 16), session_hour=11)

    assert refused_code(clashing, person) == "schedule_conflict"


def test_enroll_in_adjacent_run_is_accepted(make_run, make_person):
    person = make_person()
    enroll(make_run(starts_on=date(2026, 3, 16), session_hour=10), person)
    adjacent = make_run(starts_on=date(2026, 3, 16), session_hour=12)

    assert enroll(adjacent, person).status is EnrollmentStatus.CONFIRMED


def test_waitlisted_place_does_not_clash(make_run, make_person):
    person = make_person()
    full = make_run(capacity=1)
    enroll(full, make_person())
    assert enroll(full, person).status is EnrollmentStatus.WAITLISTED

    assert enroll(make_run(), person).status is EnrollmentStatus.CONFIRMED


def test_promotion_skips_person_confirmed_in_overlapping_run(db, make_run, make_person):
    run = make_run(capacity=1)
    holder = make_person()
    busy = make_person()
    next_in_line = make_person()
    seat = enroll(run, holder)
    busy_place = enroll(run, busy)
    next_place = enroll(run, next_in_line)
    enroll(make_run(capacity=1), busy)  # same days and hours

    cancel_enrollment(seat, actor=holder, now=NOW)

    db.session.refresh(busy_place)
    db.session.refresh(next_place)
    assert next_place.status is EnrollmentStatus.CONFIRMED
    assert busy_place.status is EnrollmentStatus.WAITLISTED
    assert waitlist_of(db, run) == [(busy_place.id, 1)]


def skipped_entries(db) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "enrollment.promotion_skipped")
    ).all()


def test_promotion_records_why_a_person_was_passed_over(db, make_run, make_person):
    run = make_run(capacity=1)
    holder = make_person()
    seat = enroll(run, holder)
    busy_place = enroll(run, make_person())
    enroll(run, make_person())
    enroll(make_run(capacity=1), busy_place.person)  # same days and hours

    cancel_enrollment(seat, actor=holder, now=NOW)

    [entry] = skipped_entries(db)
    assert (entry.actor_id, entry.subject_id) == (None, busy_place.id)
    assert entry.detail["code"] == "schedule_conflict"
    assert entry.detail["source"] == "waiting_list"


def test_promotion_passes_over_a_person_barred_since_they_queued(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=2)
    barred, next_in_line = queued
    barred.person.barred_until = NOW + timedelta(days=30)

    cancel_enrollment(confirmed[0], actor=confirmed[0].person, now=NOW)

    db.session.refresh(barred)
    db.session.refresh(next_in_line)
    assert next_in_line.status is EnrollmentStatus.CONFIRMED
    assert waitlist_of(db, run) == [(barred.id, 1)]
    assert [e.detail["code"] for e in skipped_entries(db)] == ["barred"]


def test_promotion_fills_every_free_seat_past_the_refused(db, make_run, make_person):
    run = make_run(capacity=2)
    seats = [enroll(run, make_person()) for _ in range(2)]
    queued = [enroll(run, make_person()) for _ in range(4)]
    queued[0].person.barred_until = NOW + timedelta(days=30)
    queued[2].person.barred_until = NOW + timedelta(days=30)
    run.capacity = 4  # two seats more, as staff would give

    promoted = promote_from_waitlist(run, now=NOW)

    assert [e.id for e in promoted] == [queued[1].id, queued[3].id]
    assert waitlist_of(db, run) == [(queued[0].id, 1), (queued[2].id, 2)]
    assert run_counts(run).confirmed == len(seats) + 2


# Confirming a seat: the one path for every way a seat is given


def test_confirm_seat_gives_a_new_person_a_seat_through_the_channel(make_run, make_person):
    run = make_run(capacity=1)
    staff = make_person(role=Role.STAFF)
    person = make_person()

    enrollment = confirm_seat(run, person, now=NOW, actor=staff, channel=Channel.DESK)

    assert (enrollment.status, enrollment.channel) == (EnrollmentStatus.CONFIRMED, Channel.DESK)
    assert (enrollment.confirmed_at, enrollment.created_by_id) == (NOW, staff.id)


def test_confirm_seat_moves_the_queue_up_behind_a_confirmed_place(db, make_run, make_person):
    run, confirmed, queued = fill_with_waitlist(make_run, make_person, waiting=3)
    run.capacity = 3

    confirm_seat(run, queued[1], now=NOW, actor=None)

    assert queued[1].status is EnrollmentStatus.CONFIRMED
    assert queued[1].waitlist_position is None
    assert waitlist_of(db, run) == [(queued[0].id, 1), (queued[2].id, 2)]


def test_confirm_seat_in_a_full_run_is_refused(make_run, make_person):
    run, _, queued = fill_with_waitlist(make_run, make_person, waiting=1)

    with pytest.raises(EnrollmentError) as caught:
        confirm_seat(run, queued[0], now=NOW, actor=None)

    assert caught.value.code == "run_full"
    assert queued[0].status is EnrollmentStatus.WAITLISTED


def test_confirm_seat_refuses_a_person_confirmed_at_the_same_hours(make_run, make_person):
    person = make_person()
    enroll(make_run(), person)

    with pytest.raises(EnrollmentError) as caught:
        confirm_seat(make_run(), person, now=NOW, actor=person)

    assert caught.value.code == "schedule_conflict"


def test_confirm_seat_does_not_count_a_queued_place_against_the_limit(app, make_run, make_person):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 2
    person = make_person()
    full = make_run(capacity=1, session_hour=9)
    enroll(full, make_person())
    waiting = enroll(full, person)
    enroll(make_run(session_hour=12), person)
    full.capacity = 2

    assert confirm_seat(full, waiting, now=NOW, actor=None).status is EnrollmentStatus.CONFIRMED


def test_staff_override_lets_refused_rules_pass_and_records_them(
    db, make_run, make_person, make_enrollment
):
    person = make_person()
    person.barred_until = NOW + timedelta(days=30)
    make_enrollment(make_run(), person)  # same days and hours
    staff = make_person(role=Role.STAFF)

    enrollment = confirm_seat(
        make_run(), person, now=NOW, actor=staff, override_reason=" 담당자 확인 "
    )

    assert enrollment.status is EnrollmentStatus.CONFIRMED
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "enrollment.rule_override")
    ).all()
    assert entry.actor_id == staff.id
    assert entry.detail["codes"] == ["barred", "schedule_conflict"]
    assert entry.detail["reason"] == "담당자 확인"


def test_override_without_refusal_records_nothing(db, make_run, make_person):
    staff = make_person(role=Role.STAFF)

    confirm_seat(make_run(), make_person(), now=NOW, actor=staff, override_reason="혹시 몰라")

    assert db.session.scalars(select(AuditEntry)).all() == []


def test_override_cannot_make_room_in_a_full_run(make_run, make_person):
    run = make_run(capacity=1)
    enroll(run, make_person())
    person = make_person()
    person.barred_until = NOW + timedelta(days=30)

    with pytest.raises(EnrollmentError) as caught:
        confirm_seat(
            run, person, now=NOW, actor=make_person(role=Role.STAFF), override_reason="예외"
        )

    assert caught.value.code == "run_full"


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.RESIDENT])
def test_override_by_someone_not_staff_is_refused(make_run, make_person, role):
    person = make_person()
    person.barred_until = NOW + timedelta(days=30)

    with pytest.raises(EnrollmentError) as caught:
        confirm_seat(
            make_run(), person, now=NOW, actor=make_person(role=role), override_reason="예외"
        )

    assert (caught.value.code, caught.value.status) == ("override_not_allowed", 403)


def test_override_reason_over_200_characters_is_refused(make_run, make_person):
    person = make_person()
    person.barred_until = NOW + timedelta(days=30)

    with pytest.raises(EnrollmentError) as caught:
        confirm_seat(
            make_run(),
            person,
            now=NOW,
            actor=make_person(role=Role.STAFF),
            override_reason="가" * 201,
        )

    assert caught.value.code == "reason_too_long"


# Staff enrolling someone


def test_staff_enrolling_someone_else_writes_audit_entry(db, make_run, make_person):
    run = make_run()
    person = make_person()
    staff = make_person(role=Role.STAFF)

    enrollment = enroll(run, person, actor=staff, channel=Channel.DESK)

    entries = db.session.scalars(select(AuditEntry)).all()
    assert [(e.action, e.actor_id, e.subject_id) for e in entries] == [
        ("enrollment.create", staff.id, enrollment.id)
    ]
    assert entries[0].detail["person_id"] == person.id
    assert enrollment.created_by_id == staff.id
    assert enrollment.channel is Channel.DESK


def test_enrolling_oneself_writes_no_audit_entry(db, make_run, make_person):
    enroll(make_run(), make_person())

    assert db.session.scalars(select(AuditEntry)).all() == []


# Lotteries


def lottery_run(make_run, make_person, applicants: int, capacity: int = 2):
    run = make_run(capacity=capacity, selection=Selection.LOTTERY)
    applications = [enroll(run, make_person()) for _ in range(applicants)]
    return run, applications


def test_lottery_enroll_takes_an_application(make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=3, capacity=1)

    assert [e.status for e in applications] == [EnrollmentStatus.APPLIED] * 3
    assert [e.waitlist_position for e in applications] == [None] * 3
    assert applications[0].confirmed_at is None
    counts = run_counts(run)
    assert (counts.confirmed, counts.waitlisted, counts.applied) == (0, 0, 3)


def test_draw_before_registration_closes_is_refused(make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)

    with pytest.raises(EnrollmentError) as caught:
        draw_lottery(run, actor=make_person(role=Role.STAFF), seed=1, now=NOW)

    assert caught.value.code == "registration_open"
    assert run.lottery_drawn_at is None


def test_draw_twice_is_refused(make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)
    staff = make_person(role=Role.STAFF)
    draw_lottery(run, actor=staff, seed=1, now=AFTER_CLOSE)

    with pytest.raises(EnrollmentError) as caught:
        draw_lottery(run, actor=staff, seed=2, now=AFTER_CLOSE)

    assert caught.value.code == "lottery_already_drawn"
    assert run.lottery_seed == 1


def test_draw_on_first_come_run_is_refused(make_run, make_person):
    run = make_run(selection=Selection.FIRST_COME)

    with pytest.raises(EnrollmentError) as caught:
        draw_lottery(run, actor=make_person(role=Role.STAFF), seed=1, now=AFTER_CLOSE)

    assert caught.value.code == "not_lottery"


def test_draw_confirms_capacity_and_waitlists_rest_in_drawn_order(db, make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=6, capacity=2)
    expected = lottery_order([(e.id, True) for e in applications], seed=42)

    drawn = draw_lottery(run, actor=make_person(role=Role.STAFF), seed=42, now=AFTER_CLOSE)

    assert [e.id for e in drawn] == expected
    winners = db.session.scalars(
        select(Enrollment.id).where(
            Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED
        )
    ).all()
    assert sorted(winners) == sorted(expected[:2])
    assert waitlist_of(db, run) == [(eid, n) for n, eid in enumerate(expected[2:], start=1)]
    counts = run_counts(run)
    assert (counts.confirmed, counts.waitlisted, counts.applied) == (2, 4, 0)


def test_draw_with_fewer_applicants_than_seats_confirms_all(db, make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=2, capacity=5)

    draw_lottery(run, actor=make_person(role=Role.STAFF), seed=7, now=AFTER_CLOSE)

    counts = run_counts(run)
    assert (counts.confirmed, counts.waitlisted, counts.applied) == (2, 0, 0)


def test_draw_puts_district_residents_first(app, db, make_run, make_person):
    app.config["DISTRICT_ONLY"] = False
    run = make_run(capacity=2, selection=Selection.LOTTERY)
    outsiders = [enroll(run, make_person(dong="구외")) for _ in range(4)]
    residents = [enroll(run, make_person(dong="문래동")) for _ in range(2)]

    draw_lottery(run, actor=make_person(role=Role.STAFF), seed=3, now=AFTER_CLOSE)

    for enrollment in residents + outsiders:
        db.session.refresh(enrollment)
    assert [e.status for e in residents] == [EnrollmentStatus.CONFIRMED] * 2
    assert [e.status for e in outsiders] == [EnrollmentStatus.WAITLISTED] * 4


def test_draw_records_seed_time_and_drawer(make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)
    staff = make_person(role=Role.STAFF)

    draw_lottery(run, actor=staff, seed=12345, now=AFTER_CLOSE)

    assert run.lottery_seed == 12345
    assert run.lottery_drawn_at == AFTER_CLOSE
    assert run.lottery_drawn_by_id == staff.id


def test_draw_writes_audit_entry(db, make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)
    staff = make_person(role=Role.STAFF)

    drawn = draw_lottery(run, actor=staff, seed=99, now=AFTER_CLOSE)

    entries = db.session.scalars(select(AuditEntry)).all()
    assert [(e.action, e.actor_id, e.subject_id) for e in entries] == [
        ("lottery.draw", staff.id, run.id)
    ]
    assert entries[0].detail["seed"] == 99
    assert entries[0].detail["order"] == [e.id for e in drawn]


def test_draw_records_staff_note_in_the_audit_entry(db, make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)

    draw_lottery(
        run, actor=make_person(role=Role.STAFF), seed=5, now=AFTER_CLOSE, reason="신청자 2명 참관"
    )

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.draw"))
    assert entry.detail["reason"] == "신청자 2명 참관"


def test_draw_notifies_every_applicant(db, make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=4)

    draw_lottery(run, actor=make_person(role=Role.STAFF), seed=5, now=AFTER_CLOSE)

    notes = db.session.scalars(select(Notification)).all()
    assert sorted(n.person_id for n in notes) == sorted(e.person_id for e in applications)
    assert {n.kind for n in notes} <= {"lottery_won", "lottery_waitlisted"}


def test_draw_without_seed_picks_and_records_one(make_run, make_person):
    run, _ = lottery_run(make_run, make_person, applicants=3)

    draw_lottery(run, actor=make_person(role=Role.STAFF), now=AFTER_CLOSE)

    assert run.lottery_seed is not None


def test_cancel_after_draw_promotes_from_lottery_waitlist(db, make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=5, capacity=2)
    drawn = draw_lottery(run, actor=make_person(role=Role.STAFF), seed=8, now=AFTER_CLOSE)
    winner, first_waiting, second_waiting = drawn[0], drawn[2], drawn[3]
    later = AFTER_CLOSE + timedelta(hours=1)

    cancel_enrollment(winner, actor=winner.person, now=later)

    db.session.refresh(first_waiting)
    assert first_waiting.status is EnrollmentStatus.CONFIRMED
    assert first_waiting.confirmed_at == later
    assert waitlist_of(db, run) == [(second_waiting.id, 1), (drawn[4].id, 2)]


def test_draw_waitlists_a_refused_winner_in_drawn_order_and_records_why(db, make_run, make_person):
    run, applications = lottery_run(make_run, make_person, applicants=4, capacity=2)
    order = lottery_order([(e.id, True) for e in applications], seed=11)
    by_id = {e.id: e for e in applications}
    first_drawn = by_id[order[0]]
    enroll(make_run(capacity=1), first_drawn.person)  # same days and hours

    draw_lottery(run, actor=make_person(role=Role.STAFF), seed=11, now=AFTER_CLOSE)

    winners = db.session.scalars(
        select(Enrollment.id).where(
            Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED
        )
    ).all()
    assert sorted(winners) == sorted(order[1:3])
    assert waitlist_of(db, run) == [(order[0], 1), (order[3], 2)]
    [entry] = skipped_entries(db)
    assert (entry.subject_id, entry.detail["code"], entry.detail["source"]) == (
        first_drawn.id,
        "schedule_conflict",
        "lottery",
    )


def test_lottery_order_is_reproducible_for_the_same_seed():
    applications = [(i, True) for i in range(1, 21)]

    assert lottery_order(applications, seed=2026) == lottery_order(applications, seed=2026)


def test_lottery_order_does_not_depend_on_input_order():
    applications = [(i, True) for i in range(1, 21)]

    assert lottery_order(applications, seed=2026) == lottery_order(
        list(reversed(applications)), seed=2026
    )


def test_lottery_order_differs_for_another_seed():
    applications = [(i, True) for i in range(1, 21)]

    first = lottery_order(applications, seed=1)
    second = lottery_order(applications, seed=2)

    assert sorted(first) == sorted(second) == list(range(1, 21))
    assert first != second


def test_lottery_order_puts_priority_entries_first():
    applications = [(i, i % 3 == 0) for i in range(1, 31)]
    priority = {i for i, has_priority in applications if has_priority}

    order = lottery_order(applications, seed=11)

    assert set(order[: len(priority)]) == priority
    assert sorted(order) == list(range(1, 31))


# The database's own guard


def test_database_refuses_second_active_enrollment_for_same_person(
    db, make_run, make_person, make_enrollment
):
    run = make_run()
    person = make_person()
    enroll(run, person)

    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_enrollment(run, person, confirmed_at=NOW)

    assert run_counts(run).confirmed == 1


def test_database_allows_new_enrollment_beside_cancelled_one(
    db, make_run, make_person, make_enrollment
):
    run = make_run()
    person = make_person()
    cancel_enrollment(enroll(run, person), actor=person, now=NOW)

    with db.session.begin_nested():
        make_enrollment(run, person, confirmed_at=NOW)

    assert run_counts(run).confirmed == 1
