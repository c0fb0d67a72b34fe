"""Reading the catalogue: runs with their seat counts, filtered, in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Venue,
)
from training.clock import month_bounds, to_seoul, utcnow
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db


@dataclass
class RunFilters:
    month: date | None = None
    venue_id: int | None = None
    category: Category | None = None
    level: Level | None = None
    audience: Audience | None = None
    delivery: Delivery | None = None
    has_seats: bool = False
    open_only: bool = False
    upcoming_only: bool = False
    ended_only: bool = False


@dataclass
class RunListing:
    """A run with its live counts, as the catalogue shows it."""

    run: CourseRun
    confirmed: int
    waitlisted: int
    applied: int

    @property
    def seats_left(self) -> int:
        return max(self.run.capacity - self.confirmed, 0)

    def registration_state(self, now: datetime) -> str:
        """One of upcoming, open, closed."""
        if now < self.run.registration_opens_at:
            return "upcoming"
        if now < self.run.registration_closes_at:
            return "open"
        return "closed"


def _count_of(status: EnrollmentStatus):
    return (
        select(func.count(Enrollment.id))
        .where(Enrollment.run_id == CourseRun.id, Enrollment.status == status)
        .correlate(CourseRun)
        .scalar_subquery()
    )


def list_runs(
    filters: RunFilters, now: datetime | None = None, limit: int | None = None
) -> list[RunListing]:
    """Runs matching the filters, with counts, the first `limit` of them if given; two queries
    whatever the number of runs."""
    now = now or utcnow()
    confirmed = _count_of(EnrollmentStatus.CONFIRMED)
    waitlisted = _count_of(EnrollmentStatus.WAITLISTED)
    applied = _count_of(EnrollmentStatus.APPLIED)
    statement = (
        select(CourseRun, confirmed, waitlisted, applied)
        .join(CourseRun.course)
        .outerjoin(CourseRun.room)
        .outerjoin(Room.venue)
        .options(
            contains_eager(CourseRun.course),
            contains_eager(CourseRun.room).contains_eager(Room.venue),
            joinedload(CourseRun.instructor),
            selectinload(CourseRun.sessions),
        )
        .order_by(CourseRun.starts_on, Course.title, CourseRun.number)
    )
    if filters.month is not None:
        first, last = month_bounds(filters.month)
        statement = statement.where(CourseRun.starts_on <= last, CourseRun.ends_on >= first)
    if filters.upcoming_only:
        statement = statement.where(CourseRun.ends_on >= to_seoul(now).date())
    if filters.ended_only:
        statement = statement.where(CourseRun.ends_on < to_seoul(now).date())
    if filters.venue_id is not None:
        statement = statement.where(Room.venue_id == filters.venue_id)
    for column, value in (
        (Course.category, filters.category),
        (Course.level, filters.level),
        (Course.audience, filters.audience),
        (Course.delivery, filters.delivery),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.has_seats:
        statement = statement.where(CourseRun.capacity > confirmed)
    if filters.open_only:
        statement = statement.where(
            CourseRun.registration_opens_at <= now, CourseRun.registration_closes_at > now
        )
    if limit is not None:
        # Every join above is to one row, so a limit on rows is a limit on runs.
        statement = statement.limit(limit)
    rows = db.session.execute(statement).unique().all()
    return [RunListing(run, c, w, a) for run, c, w, a in rows]


def get_run_listing(run_id: int) -> RunListing | None:
    """One run with its counts, or None."""
    confirmed = _count_of(EnrollmentStatus.CONFIRMED)
    waitlisted = _count_of(EnrollmentStatus.WAITLISTED)
    applied = _count_of(EnrollmentStatus.APPLIED)
    row = (
        db.session.execute(
            select(CourseRun, confirmed, waitlisted, applied)
            .where(CourseRun.id == run_id)
            .options(
                joinedload(CourseRun.course),
                joinedload(CourseRun.room).joinedload(Room.venue),
                joinedload(CourseRun.instructor),
                selectinload(CourseRun.sessions),
            )
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    return RunListing(*row)


def list_venues() -> list[Venue]:
    return db.session.scalars(select(Venue).order_by(Venue.name)).all()
