"""Reading the catalogue: runs filtered as people ask, and the venues."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Session,
    Venue,
)
from training.clock import month_bounds, next_month, to_seoul
from training.extensions import db


@dataclass
class RunFilters:
    month: date | None = None
    venue_id: int | None = None
    category: Category | None = None
    level: Level | None = None
    audience: Audience | None = None
    delivery: Delivery | None = None
    # Applied by the enrollment feature's listing, which counts the seats.
    has_seats: bool = False
    open_only: bool = False
    upcoming_only: bool = False
    ended_only: bool = False
    # Residents see only runs that take place: staff lists ask for the others too.
    include_unscheduled: bool = False
    include_cancelled: bool = False


def runs_matching(filters: RunFilters, now: datetime) -> Select:
    """The runs matching the filters (all but has_seats, which needs the seat counts), with
    their course, room, venue, instructor and sessions, in the catalogue's order. Cancelled
    runs and runs without sessions are left out unless the filters include them."""
    statement = (
        select(CourseRun)
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
    if not filters.include_cancelled:
        statement = statement.where(CourseRun.cancelled_at.is_(None))
    if not filters.include_unscheduled:
        statement = statement.where(CourseRun.id.in_(select(Session.run_id)))
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
    if filters.open_only:
        statement = statement.where(
            CourseRun.registration_opens_at <= now, CourseRun.registration_closes_at > now
        )
    return statement


def months_with_runs(now: datetime, limit: int = 12) -> list[date]:
    """The first days of the months, from this one on, in which a run the catalogue lists
    takes place: the month filter offers no month that would find nothing."""
    this_month = to_seoul(now).date().replace(day=1)
    spans = db.session.execute(
        runs_matching(RunFilters(upcoming_only=True), now)
        .with_only_columns(CourseRun.starts_on, CourseRun.ends_on)
        .order_by(None)
        .distinct()
    ).all()
    months = set()
    for starts_on, ends_on in spans:
        month = max(starts_on.replace(day=1), this_month)
        while month <= ends_on and len(months) <= limit * 4:
            months.add(month)
            month = next_month(month)
    return sorted(months)[:limit]


def list_venues() -> list[Venue]:
    return db.session.scalars(select(Venue).order_by(Venue.name)).all()
