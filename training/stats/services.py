"""Statistics for any period, computed in SQL: runs held, people trained, hours and more.

Every figure is defined in training.stats.definitions; a run counts once, in the period in
which its last session falls."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, distinct, extract, func, literal, select

from training.accounts.models import Person
from training.catalog.models import Audience, Course, CourseRun, Room, Session, Venue
from training.checkin.models import ATTENDED_STATUSES, Attendance, AttendanceStatus
from training.clock import month_bounds
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def months(cls, start: date, end: date) -> "Period":
        """From the first day of start's month to the last day of end's month."""
        return cls(month_bounds(start)[0], month_bounds(end)[1])

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m} ~ {self.last:%Y-%m}"


@dataclass
class Figures:
    runs_held: int = 0
    trainees: int = 0
    person_sessions: int = 0
    hours: float = 0.0
    courses: int = 0
    expected_marks: int = 0
    confirmed: int = 0
    completed: int = 0
    attendance_rate: float = 0.0
    completion_rate: float = 0.0

    def as_dict(self) -> dict:
        return {
            "runs_held": self.runs_held,
            "trainees": self.trainees,
            "person_sessions": self.person_sessions,
            "hours": self.hours,
            "courses": self.courses,
            "attendance_rate": self.attendance_rate,
            "completion_rate": self.completion_rate,
        }


@dataclass
class Breakdown:
    """One dimension's rows: label -> figures (people-level dimensions carry people only)."""

    name: str
    rows: list[tuple[str, Figures]] = field(default_factory=list)


def session_hours():
    """Hours of one session, in SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Session.ends_at - Session.starts_at) / 3600.0
    return (func.julianday(Session.ends_at) - func.julianday(Session.starts_at)) * 24.0


def held_runs(period: Period, audience: Audience | None):
    """The ids of runs whose last day falls in the period, that have sessions and were not
    cancelled: every figure counts only these."""
    statement = (
        select(CourseRun.id)
        .join(Course, Course.id == CourseRun.course_id)
        .where(
            CourseRun.ends_on >= period.first,
            CourseRun.ends_on <= period.last,
            CourseRun.id.in_(select(Session.run_id)),
            CourseRun.cancelled_at.is_(None),
        )
    )
    if audience is not None:
        statement = statement.where(Course.audience == audience)
    return statement


def latest_run_end(today: date) -> date | None:
    """The last day of the latest run held (by held_runs' rules) up to today, or None."""
    return db.session.scalar(
        select(func.max(CourseRun.ends_on)).where(
            CourseRun.ends_on <= today,
            CourseRun.id.in_(select(Session.run_id)),
            CourseRun.cancelled_at.is_(None),
        )
    )


def figures(period: Period, audience: Audience | None = None) -> Figures:
    """The headline figures for a period, residents, staff or both."""
    rows = _grouped(period, audience, group=None)
    return rows.get(None, Figures())


def _rates(result: Figures) -> Figures:
    result.attendance_rate = (
        round(result.person_sessions / result.expected_marks, 4) if result.expected_marks else 0.0
    )
    result.completion_rate = (
        round(result.completed / result.confirmed, 4) if result.confirmed else 0.0
    )
    return result


def _grouped(period: Period, audience: Audience | None, group) -> dict:
    """Figures per value of a run-level grouping column (None: one total row)."""
    runs = held_runs(period, audience).subquery()
    key = group if group is not None else literal(None)

    def keyed(statement):
        return statement.group_by(key) if group is not None else statement

    base_run = (
        select(CourseRun.id)
        .join(runs, runs.c.id == CourseRun.id)
        .join(Course, Course.id == CourseRun.course_id)
        .outerjoin(Room, Room.id == CourseRun.room_id)
        .outerjoin(Venue, Venue.id == Room.venue_id)
    )
    results: dict = {}

    def result_for(value) -> Figures:
        return results.setdefault(value, Figures())

    run_rows = db.session.execute(
        keyed(
            base_run.with_only_columns(
                key,
                func.count(distinct(CourseRun.id)),
                func.count(distinct(CourseRun.course_id)),
            )
        )
    )
    for value, runs_held, courses in run_rows:
        result_for(value).runs_held = runs_held
        result_for(value).courses = courses
    hour_rows = db.session.execute(
        keyed(
            base_run.join(Session, Session.run_id == CourseRun.id).with_only_columns(
                key, func.coalesce(func.sum(session_hours()), 0)
            )
        )
    )
    for value, hours in hour_rows:
        result_for(value).hours = round(float(hours), 2)
    attended = and_(
        Attendance.status.in_(ATTENDED_STATUSES),
        Enrollment.status == EnrollmentStatus.CONFIRMED,
    )
    people_rows = db.session.execute(
        keyed(
            base_run.join(Enrollment, Enrollment.run_id == CourseRun.id)
            .join(Attendance, Attendance.enrollment_id == Enrollment.id)
            .where(attended)
            .with_only_columns(
                key, func.count(distinct(Enrollment.person_id)), func.count(Attendance.id)
            )
        )
    )
    for value, trainees, person_sessions in people_rows:
        result_for(value).trainees = trainees
        result_for(value).person_sessions = person_sessions
    confirmed = base_run.join(Enrollment, Enrollment.run_id == CourseRun.id).where(
        Enrollment.status == EnrollmentStatus.CONFIRMED
    )
    enrollment_rows = db.session.execute(
        keyed(
            confirmed.with_only_columns(
                key,
                func.count(Enrollment.id),
                func.count(Enrollment.completed_at),
            )
        )
    )
    for value, confirmed_count, completed in enrollment_rows:
        result_for(value).confirmed = confirmed_count
        result_for(value).completed = completed
    expected_rows = db.session.execute(
        keyed(
            confirmed.join(Session, Session.run_id == CourseRun.id).with_only_columns(
                key, func.count()
            )
        )
    )
    for value, expected in expected_rows:
        result_for(value).expected_marks = expected
    excused_rows = db.session.execute(
        keyed(
            confirmed.join(Attendance, Attendance.enrollment_id == Enrollment.id)
            .where(Attendance.status == AttendanceStatus.EXCUSED)
            .with_only_columns(key, func.count())
        )
    )
    for value, excused in excused_rows:
        result_for(value).expected_marks -= excused
    return {value: _rates(result) for value, result in results.items()}


RUN_DIMENSIONS = {
    "venue": lambda: func.coalesce(Venue.name, "온라인"),
    "room": lambda: func.coalesce(Venue.name + " " + Room.name, "온라인"),
    "course": lambda: Course.title,
    "category": lambda: Course.category,
    "delivery": lambda: Course.delivery,
    "month": None,
}


def breakdown(period: Period, audience: Audience | None, dimension: str) -> Breakdown:
    """Figures per venue, room, course, category, delivery or month (by the run's end)."""
    if dimension == "month":
        if db.session.get_bind().dialect.name == "postgresql":
            column = func.to_char(CourseRun.ends_on, "YYYY-MM")
        else:
            column = func.strftime("%Y-%m", CourseRun.ends_on)
    else:
        column = RUN_DIMENSIONS[dimension]()
    rows = _grouped(period, audience, group=column)
    result = Breakdown(dimension)
    for value in sorted(rows, key=lambda v: str(v)):
        label = value.value if hasattr(value, "value") else str(value)
        result.rows.append((label, rows[value]))
    return result


AGE_BANDS = (
    (0, 39, "39세 이하"),
    (40, 49, "40대"),
    (50, 59, "50대"),
    (60, 69, "60대"),
    (70, 200, "70세 이상"),
)


def age_band(age: int) -> str | None:
    """The band of an age (counted by year), as the statistics label it."""
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), None)


def people_breakdown(period: Period, audience: Audience | None, dimension: str) -> Breakdown:
    """Trainees and person-sessions per dong or age band.

    Age is counted by year in the year the run ended, the year it is counted in: for a period
    within one calendar year that is the period's year. An anonymized person's marks carry
    the band they had then, their birth year being gone."""
    runs = held_runs(period, audience).subquery()
    if dimension == "age_band":
        age = extract("year", CourseRun.ends_on) - Person.birth_year
        computed = case(*[(age.between(low, high), label) for low, high, label in AGE_BANDS])
        column = func.coalesce(Attendance.age_band, computed)
    else:
        column = Person.dong
    statement = (
        select(column, func.count(distinct(Person.id)), func.count(Attendance.id))
        .select_from(Attendance)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(runs, runs.c.id == Enrollment.run_id)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Attendance.status.in_(ATTENDED_STATUSES),
            Enrollment.status == EnrollmentStatus.CONFIRMED,
        )
        .group_by(column)
        .order_by(column)
    )
    result = Breakdown(dimension)
    for label, trainees, person_sessions in db.session.execute(statement):
        result.rows.append((label, Figures(trainees=trainees, person_sessions=person_sessions)))
    return result


def report_lines(period: Period) -> list[str]:
    """The district's own wording, ready to paste into a report."""
    residents = figures(period, Audience.RESIDENT)
    staff = figures(period, Audience.STAFF)
    both = figures(period, None)
    return [
        "구민 정보화교육 운영 - 교육횟수/인원: "
        f"{residents.runs_held:,}회 / {residents.trainees:,}명",
        f"직원 정보화교육 운영 - 교육횟수/인원: {staff.runs_held:,}회 / {staff.trainees:,}명",
        f"교육과정: {both.courses:,}개 과정",
    ]


@dataclass
class PlanLine:
    audience: Audience
    planned_runs: int | None
    planned_hours: float | None
    runs_held: int
    hours: float


def plan_against_actual(year: int) -> list[PlanLine]:
    """Each audience's plan for the year beside what was held so far."""
    from training.stats.models import Plan

    plans = {p.audience: p for p in db.session.scalars(select(Plan).where(Plan.year == year))}
    period = Period(date(year, 1, 1), date(year, 12, 31))
    lines = []
    for audience in Audience:
        actual = figures(period, audience)
        plan = plans.get(audience)
        lines.append(
            PlanLine(
                audience,
                plan.runs if plan else None,
                plan.hours if plan else None,
                actual.runs_held,
                actual.hours,
            )
        )
    return lines


BREAKDOWNS = ("month", "venue", "room", "course", "category", "delivery")
PEOPLE_BREAKDOWNS = ("age_band", "dong")


@dataclass
class StatsReport:
    """Everything the page and the exports show for one period and audience."""

    period: Period
    audience: Audience | None
    totals: dict[str, Figures]
    breakdowns: list[Breakdown]
    lines: list[str]
    plan: list[PlanLine]


def build_report(period: Period, audience: Audience | None) -> StatsReport:
    """The full report: totals by audience, every breakdown, the report lines, the plan."""
    totals = {
        "resident": figures(period, Audience.RESIDENT),
        "staff": figures(period, Audience.STAFF),
        "all": figures(period, None),
    }
    breakdowns = [breakdown(period, audience, name) for name in BREAKDOWNS]
    breakdowns += [people_breakdown(period, audience, name) for name in PEOPLE_BREAKDOWNS]
    return StatsReport(
        period=period,
        audience=audience,
        totals=totals,
        breakdowns=breakdowns,
        lines=report_lines(period),
        plan=plan_against_actual(period.last.year),
    )
