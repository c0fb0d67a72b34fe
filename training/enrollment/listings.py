"""The catalogue with seat counts: runs and their live enrollments, in a fixed number of
queries whatever the number of runs."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from training.catalog.models import CourseRun
from training.catalog.services import RunFilters, runs_matching
from training.clock import utcnow
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db


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


def _counted(statement):
    return statement.add_columns(
        _count_of(EnrollmentStatus.CONFIRMED),
        _count_of(EnrollmentStatus.WAITLISTED),
        _count_of(EnrollmentStatus.APPLIED),
    )


def list_runs(
    filters: RunFilters, now: datetime | None = None, limit: int | None = None
) -> list[RunListing]:
    """Runs matching the filters, with counts, the first `limit` of them if given; two queries
    whatever the number of runs."""
    now = now or utcnow()
    statement = _counted(runs_matching(filters, now))
    if filters.has_seats:
        # A seat one cannot apply for is no use to the reader: only runs taking sign-ups now.
        statement = statement.where(
            CourseRun.capacity > _count_of(EnrollmentStatus.CONFIRMED),
            CourseRun.registration_opens_at <= now,
            CourseRun.registration_closes_at > now,
        )
    if limit is not None:
        # Every join is to one row, so a limit on rows is a limit on runs.
        statement = statement.limit(limit)
    rows = db.session.execute(statement).unique().all()
    return [RunListing(*row) for row in rows]


def get_run_listing(run_id: int, now: datetime | None = None) -> RunListing | None:
    """One run with its counts, or None; a cancelled or unscheduled run too, for whoever
    follows a link to it."""
    filters = RunFilters(include_unscheduled=True, include_cancelled=True)
    statement = _counted(runs_matching(filters, now or utcnow()))
    row = db.session.execute(statement.where(CourseRun.id == run_id)).unique().first()
    return RunListing(*row) if row is not None else None
