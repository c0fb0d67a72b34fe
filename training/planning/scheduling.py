"""Class sessions: generated from a weekly pattern around holidays and closures, added, moved
and removed one by one, copied into a new term; a room or an instructor is never booked twice.

A change locks the run, then its room, then its instructor, always in this order: two staff
booking the same room (or instructor) for two runs at once are served one after the other, and
the second sees the first's sessions before it checks for a clash.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from training import audit
from training.accounts.models import Person
from training.catalog.models import Closure, Course, CourseRun, Room, Session
from training.checkin.models import Attendance
from training.clock import SEOUL, to_seoul
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.planning.services import notify_run_change

MAX_COUNT = 200
# A pattern with a last date spans one year at most; one with a count looks this far ahead at
# a time for its days.
SPAN = timedelta(days=366)
MAX_SHIFT_WEEKS = 104


class ScheduleError(RuleError):
    """A schedule change was refused."""


@dataclass(frozen=True)
class Pattern:
    """Weekly classes: on the ISO weekdays (1 = Monday) from first_date, count sessions or up to
    last_date, from start to end (Seoul time)."""

    first_date: date
    weekdays: tuple[int, ...]
    start: time
    end: time
    count: int | None = None
    last_date: date | None = None


@dataclass(frozen=True)
class Skipped:
    """A day the pattern passed over, and why (the holiday's or the closure's name)."""

    day: date
    reason: str


@dataclass
class CopyResult:
    """What copy_term made, the days it skipped per new run, and the source runs it refused."""

    runs: list[CourseRun] = field(default_factory=list)
    skipped: list[tuple[CourseRun, Skipped]] = field(default_factory=list)
    refused: list[tuple[CourseRun, str]] = field(default_factory=list)


@lru_cache(maxsize=32)
def public_holidays(year: int) -> dict[date, str]:
    """Korean public holidays of a year, substitute and election days included, by Korean
    name."""
    # The package follows the law (new substitute-holiday rules, election days) upstream.
    return dict(holidays.country_holidays("KR", years=year, language="ko"))


def days_off(first: date, last: date, *, venue_id: int | None) -> dict[date, str]:
    """Public holidays (substitute holidays included) and closures of the venue or of the whole
    district between two dates, each with its name."""
    off = {}
    for year in range(first.year, last.year + 1):
        off.update(
            (day, name) for day, name in public_holidays(year).items() if first <= day <= last
        )
    venues = [Closure.venue_id.is_(None)]
    if venue_id is not None:
        venues.append(Closure.venue_id == venue_id)
    closures = db.session.execute(
        select(Closure.day, Closure.reason)
        .where(Closure.day.between(first, last), or_(*venues))
        .order_by(Closure.venue_id.is_(None))
    )
    for day, reason in closures:
        off.setdefault(day, reason)
    return off


def _invalid(message: str) -> ScheduleError:
    return ScheduleError("invalid_pattern", message, 400)


def _check_pattern(pattern: Pattern) -> None:
    if (pattern.count is None) == (pattern.last_date is None):
        raise _invalid(_("수업 횟수와 마지막 날 중 하나만 정해 주세요."))
    if not pattern.weekdays or any(day not in range(1, 8) for day in pattern.weekdays):
        raise _invalid(_("수업 요일을 하나 이상 골라 주세요."))
    if pattern.end <= pattern.start:
        raise _invalid(_("끝나는 시각은 시작 시각보다 늦어야 합니다."))
    if pattern.count is not None and not 1 <= pattern.count <= MAX_COUNT:
        raise _invalid(_("수업 횟수는 1회에서 %(most)d회까지입니다.", most=MAX_COUNT))
    if pattern.last_date is not None and not (
        pattern.first_date <= pattern.last_date <= pattern.first_date + SPAN
    ):
        raise _invalid(_("마지막 날은 첫날부터 1년 안이어야 합니다."))


def class_days(pattern: Pattern, *, venue_id: int | None) -> tuple[list[date], list[Skipped]]:
    """The pattern's class days and the days it skips for holidays and closures (with a count,
    skipped days are made up after the last one)."""
    _check_pattern(pattern)
    return _working_days(
        pattern.first_date,
        set(pattern.weekdays),
        count=pattern.count,
        last_date=pattern.last_date,
        venue_id=venue_id,
    )


def _working_days(first: date, weekdays, *, count, last_date, venue_id):
    days: list[date] = []
    skipped: list[Skipped] = []
    start = first
    while True:
        end = last_date or start + SPAN
        off = days_off(start, end, venue_id=venue_id)
        for offset in range((end - start).days + 1):
            day = start + timedelta(days=offset)
            if day.isoweekday() not in weekdays:
                continue
            if day in off:
                skipped.append(Skipped(day, off[day]))
                continue
            days.append(day)
            if len(days) == count:
                return days, skipped
        if last_date is not None:
            return days, skipped
        start = end + timedelta(days=1)


def at_seoul(day: date, clock: time) -> datetime:
    """A Seoul wall-clock time on a day, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SEOUL).astimezone(UTC)


def _shown(moment: datetime) -> str:
    return to_seoul(moment).strftime("%Y-%m-%d %H:%M")


def _overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end


def _find_clash(
    intervals, *, room_id, instructor_id, exclude_run_id, ignore_session_ids=()
) -> ScheduleError | None:
    if not intervals or (room_id is None and instructor_id is None):
        return None
    earliest = min(start for start, _end in intervals)
    latest = max(end for _start, end in intervals)
    for kind, column, owner_id in (
        ("room", CourseRun.room_id, room_id),
        ("instructor", CourseRun.instructor_id, instructor_id),
    ):
        if owner_id is None:
            continue
        statement = (
            select(Session)
            .join(CourseRun, Session.run_id == CourseRun.id)
            .where(
                column == owner_id,
                # A cancelled run keeps its sessions on record but holds nobody's time.
                CourseRun.cancelled_at.is_(None),
                Session.starts_at < latest,
                Session.ends_at > earliest,
            )
            .order_by(Session.starts_at)
        )
        if exclude_run_id is not None:
            statement = statement.where(CourseRun.id != exclude_run_id)
        if ignore_session_ids:
            statement = statement.where(Session.id.not_in(list(ignore_session_ids)))
        for other in db.session.scalars(statement):
            if any(
                _overlaps(start, end, other.starts_at, other.ends_at) for start, end in intervals
            ):
                return _clash_error(kind, owner_id, other)
    return None


def _clash_error(kind: str, owner_id: int, other: Session) -> ScheduleError:
    when, title = _shown(other.starts_at), other.run.title
    if kind == "room":
        room = db.session.get(Room, owner_id)
        return ScheduleError(
            "room_busy",
            _(
                "%(room)s은(는) %(when)s에 '%(run)s' 수업이 있습니다.",
                room=room.name,
                when=when,
                run=title,
            ),
            409,
        )
    instructor = db.session.get(Person, owner_id)
    return ScheduleError(
        "instructor_busy",
        _(
            "%(name)s 강사는 %(when)s에 '%(run)s' 수업을 맡고 있습니다.",
            name=instructor.name,
            when=when,
            run=title,
        ),
        409,
    )


def check_clashes(
    run: CourseRun,
    intervals: list[tuple[datetime, datetime]],
    *,
    room_id: int | None,
    instructor_id: int | None,
    ignore_session_ids=(),
) -> None:
    """Refuse (room_busy, instructor_busy) when another run's session in the room, or taught by
    the instructor, overlaps one of the intervals; the caller holds the room and instructor
    locks."""
    clash = _find_clash(
        intervals,
        room_id=room_id,
        instructor_id=instructor_id,
        exclude_run_id=run.id,
        ignore_session_ids=ignore_session_ids,
    )
    if clash is not None:
        raise clash


def _check_own_overlaps(run: CourseRun, intervals, *, ignore_session_id=None) -> None:
    # Two sessions of one run at once would be one class counted twice.
    taken = [
        (s.starts_at, s.ends_at)
        for s in db.session.scalars(select(Session).where(Session.run_id == run.id))
        if s.id != ignore_session_id
    ]
    for start, end in sorted(intervals):
        for other_start, other_end in taken:
            if _overlaps(start, end, other_start, other_end):
                raise ScheduleError(
                    "invalid_pattern",
                    _("%(when)s에 이 과정의 수업이 이미 있습니다.", when=_shown(other_start)),
                    400,
                )
        taken.append((start, end))


def _lock_for_change(run: CourseRun) -> CourseRun:
    run = lock_row(CourseRun, run.id)
    if run.is_cancelled:
        raise ScheduleError("run_cancelled", _("취소된 과정은 일정을 바꿀 수 없습니다."), 409)
    if run.room_id is not None:
        lock_row(Room, run.room_id)
    if run.instructor_id is not None:
        lock_row(Person, run.instructor_id)
    return run


def _check_times(intervals) -> None:
    for start, end in intervals:
        if start.tzinfo is None or end.tzinfo is None:
            raise _invalid(_("수업 시각에 시간대가 없습니다."))
        if end <= start:
            raise _invalid(_("끝나는 시각은 시작 시각보다 늦어야 합니다."))


def add_sessions(
    run: CourseRun,
    *,
    actor,
    now: datetime,
    pattern: Pattern | None = None,
    times: list[tuple[datetime, datetime]] | None = None,
) -> tuple[list[Session], list[Skipped]]:
    """Add sessions from a pattern or at the given times, refused on any clash; the run's people
    are told."""
    if (pattern is None) == (times is None):
        raise _invalid(_("수업 규칙과 수업 시각 중 하나만 정해 주세요."))
    run = _lock_for_change(run)
    skipped: list[Skipped] = []
    if pattern is not None:
        venue_id = run.room.venue_id if run.room is not None else None
        days, skipped = class_days(pattern, venue_id=venue_id)
        intervals = [(at_seoul(day, pattern.start), at_seoul(day, pattern.end)) for day in days]
    else:
        intervals = list(times)
        _check_times(intervals)
    if not intervals:
        raise ScheduleError("no_sessions", _("정한 기간에 수업할 수 있는 날이 없습니다."), 400)
    _check_own_overlaps(run, intervals)
    check_clashes(run, intervals, room_id=run.room_id, instructor_id=run.instructor_id)
    sessions = [Session(run_id=run.id, starts_at=start, ends_at=end) for start, end in intervals]
    db.session.add_all(sessions)
    db.session.flush()
    refresh_run_dates(run)
    audit.record(
        actor,
        "sessions_added",
        run,
        sessions=[_shown(start) for start, _end in intervals],
        skipped=[{"date": s.day.isoformat(), "reason": s.reason} for s in skipped],
    )
    notify_run_change(
        run,
        "sessions_added",
        now=now,
        count=len(sessions),
        added=[start.isoformat() for start, _end in intervals],
    )
    return sessions, skipped


def _check_unmarked(session: Session, message: str) -> None:
    if db.session.scalar(select(exists().where(Attendance.session_id == session.id))):
        raise ScheduleError("session_has_attendance", message, 409)


def move_session(
    session: Session, *, actor, now: datetime, starts_at: datetime, ends_at: datetime
) -> Session:
    """Move one session to new times, refused on a clash or once attendance is marked; the
    run's people are told."""
    run = _lock_for_change(session.run)
    session = lock_row(Session, session.id)
    _check_times([(starts_at, ends_at)])
    _check_unmarked(session, _("출석 기록이 있는 수업은 옮길 수 없습니다."))
    _check_own_overlaps(run, [(starts_at, ends_at)], ignore_session_id=session.id)
    check_clashes(
        run,
        [(starts_at, ends_at)],
        room_id=run.room_id,
        instructor_id=run.instructor_id,
        ignore_session_ids=(session.id,),
    )
    before = session.starts_at
    session.starts_at, session.ends_at = starts_at, ends_at
    db.session.flush()
    refresh_run_dates(run)
    audit.record(
        actor,
        "session_moved",
        run,
        session_id=session.id,
        old=_shown(before),
        new=_shown(starts_at),
    )
    notify_run_change(
        run,
        "session_moved",
        now=now,
        urgent=_today(now, before, starts_at),
        old=before.isoformat(),
        new=starts_at.isoformat(),
    )
    return session


def remove_session(session: Session, *, actor, now: datetime) -> None:
    """Remove one session, refused once attendance is marked; the run's people are told."""
    run = _lock_for_change(session.run)
    session = lock_row(Session, session.id)
    _check_unmarked(session, _("출석 기록이 있는 수업은 지울 수 없습니다."))
    when = session.starts_at
    db.session.delete(session)
    db.session.flush()
    refresh_run_dates(run)
    audit.record(actor, "session_removed", run, session_id=session.id, when=_shown(when))
    notify_run_change(
        run, "session_removed", now=now, urgent=_today(now, when), when=when.isoformat()
    )


def _today(now: datetime, *moments: datetime) -> bool:
    # A change to today's class is told at any hour: people may be on their way.
    today = to_seoul(now).date()
    return any(to_seoul(moment).date() == today for moment in moments)


def refresh_run_dates(run: CourseRun) -> None:
    """Keep the run's first and last dates those of its sessions (the registration's closing
    day while it has none)."""
    first, last = db.session.execute(
        select(func.min(Session.starts_at), func.max(Session.starts_at)).where(
            Session.run_id == run.id
        )
    ).one()
    if first is None:
        first = last = run.registration_closes_at
    run.starts_on, run.ends_on = to_seoul(first).date(), to_seoul(last).date()
    db.session.expire(run, ["sessions"])
    db.session.flush()


def copy_term(
    *,
    actor,
    now: datetime,
    source_from: date,
    source_to: date,
    shift_weeks: int,
    registration_opens_at: datetime | None = None,
) -> CopyResult:
    """Copy every run that starts between two dates into new cohorts shift_weeks later, on the
    same weekdays and hours; holidays and closures are skipped and made up at the end, nobody is
    enrolled, and a copy that would clash is refused and reported."""
    if source_to < source_from:
        raise _invalid(_("복사할 기간의 끝이 시작보다 빠릅니다."))
    if not 1 <= shift_weeks <= MAX_SHIFT_WEEKS:
        raise _invalid(_("옮길 주 수는 1주에서 %(most)d주까지입니다.", most=MAX_SHIFT_WEEKS))
    sources = db.session.scalars(
        select(CourseRun)
        .join(Course, CourseRun.course_id == Course.id)
        .where(
            CourseRun.cancelled_at.is_(None),
            Course.is_archived.is_(False),
            CourseRun.starts_on.between(source_from, source_to),
            exists().where(Session.run_id == CourseRun.id),
        )
        .order_by(CourseRun.starts_on, Course.title, CourseRun.number)
    ).all()
    # Every room before any instructor, each in id order: the order add_sessions keeps, so a
    # copy and a booking (or two copies) never wait on each other's locks.
    for room_id in sorted({s.room_id for s in sources if s.room_id is not None}):
        lock_row(Room, room_id)
    for person_id in sorted({s.instructor_id for s in sources if s.instructor_id is not None}):
        lock_row(Person, person_id)
    result = CopyResult()
    shift = timedelta(weeks=shift_weeks)
    for source in sources:
        venue_id = source.room.venue_id if source.room is not None else None
        intervals, skipped = _shifted_sessions(source.sessions, shift, venue_id=venue_id)
        opens = registration_opens_at or source.registration_opens_at + shift
        closes = source.registration_closes_at + shift
        refusal = _find_clash(
            intervals,
            room_id=source.room_id,
            instructor_id=source.instructor_id,
            exclude_run_id=None,
        )
        if refusal is None and opens >= closes:
            refusal = _invalid(
                _("접수 시작(%(opens)s)이 마감보다 늦습니다.", opens=_shown(registration_opens_at))
            )
        if refusal is not None:
            result.refused.append((source, refusal.message))
            continue
        run = _copy_run(source, intervals, opens=opens, closes=closes)
        audit.record(actor, "run_copied", run, source_run_id=source.id, shift_weeks=shift_weeks)
        result.runs.append(run)
        result.skipped.extend((run, skip) for skip in skipped)
    return result


def _shifted_sessions(sessions, shift: timedelta, *, venue_id):
    # Shift in Seoul wall-clock time, so a class at 10:00 stays at 10:00.
    local = [(to_seoul(s.starts_at), to_seoul(s.ends_at)) for s in sessions]
    hours = {start.isoweekday(): (start.time(), end.time()) for start, end in reversed(local)}
    planned = [(start.date() + shift, start.time(), end.time()) for start, end in local]
    last = max(day for day, _start, _end in planned)
    off = days_off(min(day for day, _s, _e in planned), last, venue_id=venue_id)
    kept = [(day, start, end) for day, start, end in planned if day not in off]
    skipped = [Skipped(day, off[day]) for day, _start, _end in planned if day in off]
    if skipped:
        extra, more_skipped = _working_days(
            last + timedelta(days=1),
            set(hours),
            count=len(skipped),
            last_date=None,
            venue_id=venue_id,
        )
        kept.extend((day, *hours[day.isoweekday()]) for day in extra)
        skipped.extend(more_skipped)
    intervals = [(at_seoul(day, start), at_seoul(day, end)) for day, start, end in kept]
    return intervals, skipped


def _copy_run(source: CourseRun, intervals, *, opens: datetime, closes: datetime) -> CourseRun:
    number = (
        db.session.scalar(
            select(func.max(CourseRun.number)).where(CourseRun.course_id == source.course_id)
        )
        + 1
    )
    run = CourseRun(
        course_id=source.course_id,
        number=number,
        room_id=source.room_id,
        instructor_id=source.instructor_id,
        capacity=source.capacity,
        starts_on=to_seoul(intervals[0][0]).date(),
        ends_on=to_seoul(intervals[-1][0]).date(),
        registration_opens_at=opens,
        registration_closes_at=closes,
        selection=source.selection,
        completion_threshold=source.completion_threshold,
        is_late_attended=source.is_late_attended,
        lates_per_absence=source.lates_per_absence,
        is_excused_left_out=source.is_excused_left_out,
        min_age=source.min_age,
        max_age=source.max_age,
        is_district_only=source.is_district_only,
    )
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        Session(run_id=run.id, starts_at=start, ends_at=end) for start, end in intervals
    )
    db.session.flush()
    refresh_run_dates(run)
    return run
