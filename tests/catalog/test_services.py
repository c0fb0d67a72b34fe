"""Reading the catalogue, called directly: filters, counts and month bounds."""

from datetime import UTC, date, datetime, timedelta

import pytest

from training.catalog.models import Audience, Room, Selection, Venue
from training.catalog.services import RunFilters
from training.clock import month_bounds
from training.enrollment.listings import get_run_listing, list_runs
from training.enrollment.models import Enrollment, EnrollmentStatus

# conftest's NOW (10:00 in Seoul), around which make_run opens and closes registration.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def add_enrollments(db, make_enrollment):
    """Put `count` new people on the run with a status, as the enrollment rules would leave
    them: the waitlisted at the back of the waiting list."""

    def add(run, status: EnrollmentStatus, count: int) -> None:
        for _ in range(count):
            position = None
            if status is EnrollmentStatus.WAITLISTED:
                position = (
                    db.session.query(Enrollment)
                    .filter_by(run_id=run.id, status=EnrollmentStatus.WAITLISTED)
                    .count()
                    + 1
                )
            make_enrollment(run, status=status, waitlist_position=position)

    return add


def listed_ids(filters: RunFilters, now=NOW) -> list[int]:
    return [listing.run.id for listing in list_runs(filters, now=now)]


# month_bounds


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2025, 12, 15), date(2025, 12, 1), date(2025, 12, 31)),
        (date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 2, 28), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 4, 1), date(2026, 4, 1), date(2026, 4, 30)),
    ],
)
def test_month_bounds_gives_first_and_last_day(day, first, last):
    assert month_bounds(day) == (first, last)


# Filters


def test_list_runs_without_filters_lists_every_run_by_start_date(make_run):
    later = make_run(starts_on=date(2026, 4, 6))
    earlier = make_run(starts_on=date(2026, 3, 2))

    assert listed_ids(RunFilters()) == [earlier.id, later.id]


def test_month_filter_keeps_runs_overlapping_the_month(make_run):
    inside = make_run(starts_on=date(2026, 3, 16), sessions=2)
    from_february = make_run(starts_on=date(2026, 2, 23), sessions=2)  # ends 2 March
    into_april = make_run(starts_on=date(2026, 3, 30), sessions=2)  # ends 6 April
    make_run(starts_on=date(2026, 2, 2), sessions=2)  # ends 9 February
    make_run(starts_on=date(2026, 4, 6), sessions=2)

    ids = listed_ids(RunFilters(month=date(2026, 3, 1)))

    assert sorted(ids) == sorted([inside.id, from_february.id, into_april.id])


def test_month_filter_includes_runs_ending_on_first_day(make_run):
    run = make_run(starts_on=date(2026, 2, 22), sessions=2)  # ends 1 March

    assert listed_ids(RunFilters(month=date(2026, 3, 20))) == [run.id]


def test_venue_filter_keeps_runs_at_that_venue(db, make_run):
    lifelong = make_run()
    startup_venue = Venue(name="창업스마트교육장", address="서울 영등포구 문래동")
    db.session.add(startup_venue)
    db.session.flush()
    startup_room = Room(venue_id=startup_venue.id, name="강의실 1", seats=28)
    db.session.add(startup_room)
    db.session.flush()
    startup = make_run()
    startup.room_id = startup_room.id
    db.session.flush()

    assert listed_ids(RunFilters(venue_id=startup_venue.id)) == [startup.id]
    assert listed_ids(RunFilters(venue_id=lifelong.room.venue_id)) == [lifelong.id]


def test_audience_filter_keeps_runs_for_that_audience(make_run):
    resident = make_run(audience=Audience.RESIDENT)
    staff = make_run(audience=Audience.STAFF)

    assert listed_ids(RunFilters(audience=Audience.STAFF)) == [staff.id]
    assert listed_ids(RunFilters(audience=Audience.RESIDENT)) == [resident.id]


def test_has_seats_filter_drops_full_runs(make_run, add_enrollments):
    full = make_run(capacity=2)
    add_enrollments(full, EnrollmentStatus.CONFIRMED, 2)
    one_left = make_run(capacity=2)
    add_enrollments(one_left, EnrollmentStatus.CONFIRMED, 1)

    assert listed_ids(RunFilters(has_seats=True)) == [one_left.id]


def test_has_seats_ignores_waiting_and_cancelled_people(make_run, add_enrollments):
    run = make_run(capacity=1)
    add_enrollments(run, EnrollmentStatus.CANCELLED, 2)
    add_enrollments(run, EnrollmentStatus.APPLIED, 3)

    assert listed_ids(RunFilters(has_seats=True)) == [run.id]


def test_open_only_keeps_runs_open_for_registration_now(make_run):
    open_run = make_run(opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=1))
    make_run(opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=7))
    make_run(opens_at=NOW - timedelta(days=7), closes_at=NOW)

    assert listed_ids(RunFilters(open_only=True)) == [open_run.id]


def test_open_only_includes_run_opening_this_moment(make_run):
    run = make_run(opens_at=NOW, closes_at=NOW + timedelta(days=7))

    assert listed_ids(RunFilters(open_only=True)) == [run.id]


def test_upcoming_only_drops_runs_that_have_ended(make_run):
    make_run(starts_on=date(2026, 2, 2), sessions=2)  # ended 9 February
    ends_today = make_run(starts_on=date(2026, 2, 23), sessions=2)  # ends 2 March
    later = make_run(starts_on=date(2026, 3, 16))

    assert listed_ids(RunFilters(upcoming_only=True)) == [ends_today.id, later.id]


def test_upcoming_only_uses_seoul_date(make_run):
    # 16:00 UTC on 1 March is already 2 March in Seoul.
    make_run(starts_on=date(2026, 2, 22), sessions=2)  # ends 1 March
    seoul_morning = NOW.replace(day=1, hour=16)

    assert listed_ids(RunFilters(upcoming_only=True), now=seoul_morning) == []


def test_filters_combine(make_run):
    wanted = make_run(audience=Audience.STAFF, starts_on=date(2026, 3, 16))
    make_run(audience=Audience.RESIDENT, starts_on=date(2026, 3, 16))
    make_run(audience=Audience.STAFF, starts_on=date(2026, 5, 4))

    filters = RunFilters(audience=Audience.STAFF, month=date(2026, 3, 1))

    assert listed_ids(filters) == [wanted.id]


# Counts


def test_list_runs_counts_each_live_status(make_run, add_enrollments):
    run = make_run(capacity=2)
    add_enrollments(run, EnrollmentStatus.CONFIRMED, 2)
    add_enrollments(run, EnrollmentStatus.WAITLISTED, 3)
    add_enrollments(run, EnrollmentStatus.CANCELLED, 4)

    (listing,) = list_runs(RunFilters(), now=NOW)

    assert (listing.confirmed, listing.waitlisted, listing.applied) == (2, 3, 0)
    assert listing.seats_left == 0


def test_list_runs_counts_lottery_applications(make_run, add_enrollments):
    run = make_run(capacity=5, selection=Selection.LOTTERY)
    add_enrollments(run, EnrollmentStatus.APPLIED, 4)

    (listing,) = list_runs(RunFilters(), now=NOW)

    assert (listing.confirmed, listing.waitlisted, listing.applied) == (0, 0, 4)
    assert listing.seats_left == 5


def test_list_runs_counts_each_run_separately(make_run, add_enrollments):
    first = make_run(capacity=3, starts_on=date(2026, 3, 9))
    second = make_run(capacity=3, starts_on=date(2026, 3, 16))
    add_enrollments(first, EnrollmentStatus.CONFIRMED, 1)
    add_enrollments(second, EnrollmentStatus.CONFIRMED, 3)

    listings = list_runs(RunFilters(), now=NOW)

    assert [(item.run.id, item.confirmed, item.seats_left) for item in listings] == [
        (first.id, 1, 2),
        (second.id, 3, 0),
    ]


def test_get_run_listing_counts_one_run(make_run, add_enrollments):
    run = make_run(capacity=2)
    add_enrollments(run, EnrollmentStatus.CONFIRMED, 2)
    add_enrollments(run, EnrollmentStatus.WAITLISTED, 1)

    listing = get_run_listing(run.id)

    assert (listing.run.id, listing.confirmed, listing.waitlisted) == (run.id, 2, 1)


def test_get_run_listing_of_missing_run_is_none(make_run):
    make_run()

    assert get_run_listing(999_999) is None


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (NOW - timedelta(days=8), "upcoming"),
        (NOW - timedelta(days=7), "open"),
        (NOW + timedelta(days=7) - timedelta(seconds=1), "open"),
        (NOW + timedelta(days=7), "closed"),
    ],
)
def test_registration_state_follows_the_window(make_run, now, state):
    run = make_run()  # open NOW-7d .. NOW+7d

    assert get_run_listing(run.id).registration_state(now) == state
