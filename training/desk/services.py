"""What the desk reads: its lists of runs, and a run's enrollments grouped by status."""

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from training.catalog.models import Course, CourseRun
from training.catalog.services import RunFilters, runs_matching
from training.enrollment.listings import RunListing
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db

ENDED_PAGE_SIZE = 20
# "스마트폰 기초 3기" is how the desk names a run: a query may end with its cohort number.
_COHORT = re.compile(r"^(?P<title>.*?)\s*(?P<number>\d{1,4})\s*기$")


@dataclass(frozen=True)
class RunPage:
    """One page of the desk's runs with their counts."""

    listings: list[RunListing]
    page: int
    pages: int
    total: int


def desk_runs(*, ended: bool, now: datetime, query: str = "", page: int = 1) -> RunPage:
    """The runs under way or to come, all of them in the catalogue's order; or the ended
    ones, the most recently ended first, ENDED_PAGE_SIZE a page. ``query`` keeps the runs
    whose title holds it."""
    statement = _titled(
        runs_matching(
            RunFilters(upcoming_only=not ended, ended_only=ended, include_unscheduled=True), now
        ),
        query,
    )
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if not ended:
        return RunPage(_with_counts(db.session.scalars(statement).unique().all()), 1, 1, total)
    pages = max(1, math.ceil(total / ENDED_PAGE_SIZE))
    page = min(max(page, 1), pages)
    statement = (
        statement.order_by(None)
        .order_by(CourseRun.ends_on.desc(), Course.title, CourseRun.number)
        .offset((page - 1) * ENDED_PAGE_SIZE)
        .limit(ENDED_PAGE_SIZE)
    )
    return RunPage(_with_counts(db.session.scalars(statement).unique().all()), page, pages, total)


def _titled(statement: Select, query: str) -> Select:
    query = query.strip()
    if not query:
        return statement
    cohort = _COHORT.match(query)
    if cohort is not None:
        statement = statement.where(CourseRun.number == int(cohort["number"]))
        query = cohort["title"]
    if query:
        statement = statement.where(Course.title.icontains(query, autoescape=True))
    return statement


def _with_counts(runs: list[CourseRun]) -> list[RunListing]:
    """The runs with their live counts, in one query whatever their number."""
    counts = {
        (run_id, status): count
        for run_id, status, count in db.session.execute(
            select(Enrollment.run_id, Enrollment.status, func.count())
            .where(Enrollment.run_id.in_([run.id for run in runs]))
            .group_by(Enrollment.run_id, Enrollment.status)
        )
    }
    return [
        RunListing(
            run,
            counts.get((run.id, EnrollmentStatus.CONFIRMED), 0),
            counts.get((run.id, EnrollmentStatus.WAITLISTED), 0),
            counts.get((run.id, EnrollmentStatus.APPLIED), 0),
        )
        for run in runs
    ]


def enrollments_by_status(run_id: int) -> dict[str, list[Enrollment]]:
    """Every enrollment of the run by status value: the waiting list in order, the rest in
    the order they came."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run_id)
        .options(joinedload(Enrollment.person))
        .order_by(Enrollment.waitlist_position.nulls_first(), Enrollment.created_at)
    ).all()
    groups = {status.value: [] for status in EnrollmentStatus}
    for enrollment in enrollments:
        groups[enrollment.status.value].append(enrollment)
    return groups
