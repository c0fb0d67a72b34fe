"""Check-in rules: windows, lateness, idempotent scans, walk-ins, closing and no-shows."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from training import audit
from training.accounts.models import Person, Role
from training.catalog.models import CourseRun, Session
from training.checkin.models import (
    ATTENDED_STATUSES,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
)
from training.clock import seoul_day_bounds, to_seoul, utcnow
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import QUEUED_STATUSES, EnrollmentError, confirm_seat
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.notifications import queue_notification
from training.passes.tokens import PassError, read_pass_token


class CheckInError(RuleError):
    """A check-in was refused; the message is safe to show at the door."""

    def __init__(self, code: str, message: str, status: int = 409, person: Person | None = None):
        super().__init__(code, message, status)
        self.person = person


@dataclass
class CheckInResult:
    """What the door screen shows: present, late or already (with the first time)."""

    result: str
    attendance: Attendance
    person: Person
    created: bool


def can_run_session(person: Person, session: Session) -> bool:
    """Staff run every session; an instructor only those of their own runs."""
    if person.is_staff:
        return True
    return person.role is Role.INSTRUCTOR and session.run.instructor_id == person.id


def check_in_window(session: Session) -> tuple[datetime, datetime]:
    """When the door is open for this session."""
    before = timedelta(minutes=current_app.config["CHECKIN_OPENS_MINUTES_BEFORE"])
    return session.starts_at - before, session.ends_at


def status_at(session: Session, moment: datetime) -> AttendanceStatus:
    """Present, or late when more than the grace period after the start."""
    grace = timedelta(minutes=current_app.config["CHECKIN_LATE_AFTER_MINUTES"])
    if moment > session.starts_at + grace:
        return AttendanceStatus.LATE
    return AttendanceStatus.PRESENT


def person_for_pass(token: str) -> Person:
    """The holder of a genuine, current pass; CheckInError otherwise."""
    try:
        person_id, version = read_pass_token(token, current_app.config["SECRET_KEY"])
    except PassError:
        raise CheckInError("invalid_pass", _("올바른 출석 패스가 아닙니다."), status=400) from None
    person = db.session.get(Person, person_id)
    if person is None or version > person.pass_version:
        raise CheckInError("invalid_pass", _("올바른 출석 패스가 아닙니다."), status=400)
    if version < person.pass_version or not person.is_active:
        raise CheckInError(
            "revoked_pass",
            _("다시 발급되어 더는 쓸 수 없는 패스입니다. 새 패스를 보여 주세요."),
            status=403,
            person=person,
        )
    return person


def check_in_by_pass(
    session: Session,
    token: str,
    *,
    actor: Person,
    method: CheckInMethod,
    scanned_at: datetime | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Check in the holder of a scanned pass."""
    person = person_for_pass(token)
    return record_check_in(
        session, person, actor=actor, method=method, scanned_at=scanned_at, now=now
    )


def confirmed_enrollment(session: Session, person: Person) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.run_id == session.run_id,
            Enrollment.person_id == person.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
        )
    )


def record_check_in(
    session: Session,
    person: Person,
    *,
    actor: Person,
    method: CheckInMethod,
    scanned_at: datetime | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Mark a person present or late; a second scan says when the first one was.

    ``scanned_at`` is when a scan kept offline was made; it decides lateness and must lie in
    the check-in window and not in the future."""
    now = now or utcnow()
    moment = scanned_at or now
    skew = timedelta(seconds=current_app.config["CHECKIN_CLOCK_SKEW_SECONDS"])
    opens, closes = check_in_window(session)
    if moment > now + skew or not opens <= moment <= closes:
        raise CheckInError(
            "outside_window",
            _(
                "출석 확인 시간이 아닙니다. (%(opens)s ~ %(closes)s)",
                opens=to_seoul(opens).strftime("%H:%M"),
                closes=to_seoul(closes).strftime("%H:%M"),
            ),
            person=person,
        )
    enrollment = confirmed_enrollment(session, person)
    if enrollment is None:
        raise CheckInError(
            "not_enrolled",
            _("%(name)s님은 이 강좌의 수강생이 아닙니다.", name=person.name),
            status=404,
            person=person,
        )
    existing = _attendance(session, enrollment)
    if existing is None:
        attendance = Attendance(
            session_id=session.id,
            enrollment_id=enrollment.id,
            status=status_at(session, moment),
            checked_in_at=moment,
            recorded_at=now,
            recorded_by_id=actor.id,
            method=method,
        )
        try:
            # Two scanners may read the same pass at the same moment: the unique constraint
            # keeps one record, and the loser reports the winner's time.
            with db.session.begin_nested():
                db.session.add(attendance)
        except IntegrityError:
            existing = _attendance(session, enrollment)
        else:
            if method is CheckInMethod.MANUAL:
                # A tap on a name is the instructor's word, not a pass: keep it on record.
                audit.record(
                    actor,
                    "attendance.change",
                    attendance,
                    before=None,
                    after=attendance.status.value,
                    reason="manual",
                    person_id=person.id,
                )
            return CheckInResult(attendance.status.value, attendance, person, created=True)
    if existing.status in ATTENDED_STATUSES:
        return CheckInResult("already", existing, person, created=False)
    # Marked absent or excused before the person arrived (or before an offline scan was
    # sent): the scan wins, and the change is on record.
    before = existing.status.value
    existing.status = status_at(session, moment)
    existing.checked_in_at = moment
    existing.recorded_at = now
    existing.recorded_by_id = actor.id
    existing.method = method
    db.session.flush()
    audit.record(
        actor,
        "attendance.change",
        existing,
        before=before,
        after=existing.status.value,
        reason="scan",
    )
    _withdraw_no_show_bar(session, person, actor=actor)
    return CheckInResult(existing.status.value, existing, person, created=False)


def add_walk_in(
    session: Session,
    person: Person,
    *,
    actor: Person,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Staff enroll a person at the door while a seat is free, and check them in.

    The enrollment rules apply as they do online; staff may let a refused one pass by giving
    a reason."""
    now = now or utcnow()
    run = lock_row(CourseRun, session.run_id)
    if confirmed_enrollment(session, person) is None:
        # Someone already waiting for this very run takes the free seat with their place.
        queued = db.session.scalar(
            select(Enrollment).where(
                Enrollment.run_id == run.id,
                Enrollment.person_id == person.id,
                Enrollment.status.in_(QUEUED_STATUSES),
            )
        )
        try:
            enrollment = confirm_seat(
                run,
                queued or person,
                now=now,
                actor=actor,
                channel=Channel.DESK,
                override_reason=override_reason,
            )
        except EnrollmentError as refusal:
            if refusal.code == "run_full":
                raise CheckInError(
                    "run_full", _("빈자리가 없어 현장 등록을 할 수 없습니다.")
                ) from refusal
            raise
        audit.record(actor, "enrollment.walk_in", enrollment, session_id=session.id)
    return record_check_in(session, person, actor=actor, method=CheckInMethod.MANUAL, now=now)


def mark_attendance(
    session: Session,
    enrollment: Enrollment,
    status: AttendanceStatus,
    *,
    actor: Person,
    reason: str = "",
    now: datetime | None = None,
) -> Attendance:
    """A manual mark (excused with a reason, or a correction), recorded with before and after."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if status is AttendanceStatus.EXCUSED and not reason:
        raise CheckInError("reason_required", _("공결 사유를 적어 주세요."), status=400)
    if len(reason) > 200:
        raise CheckInError("reason_too_long", _("사유는 200자 이내로 적어 주세요."), status=400)
    if enrollment.run_id != session.run_id or enrollment.status is not EnrollmentStatus.CONFIRMED:
        raise CheckInError("not_enrolled", _("이 강좌의 수강생이 아닙니다."), status=404)
    attendance = _attendance(session, enrollment)
    before = attendance.status.value if attendance else None
    if attendance is None:
        attendance = Attendance(session_id=session.id, enrollment_id=enrollment.id)
        db.session.add(attendance)
    attendance.status = status
    attendance.note = reason
    attendance.recorded_at = now
    attendance.recorded_by_id = actor.id
    attendance.method = CheckInMethod.MANUAL
    if status in ATTENDED_STATUSES and attendance.checked_in_at is None:
        attendance.checked_in_at = now
    db.session.flush()
    audit.record(
        actor,
        "attendance.change",
        attendance,
        before=before,
        after=status.value,
        reason=reason,
        person_id=enrollment.person_id,
    )
    if before == AttendanceStatus.ABSENT.value and status is not AttendanceStatus.ABSENT:
        _withdraw_no_show_bar(session, enrollment.person, actor=actor)
    return attendance


def close_session(session: Session, *, actor: Person, now: datetime | None = None) -> int:
    """Mark everyone not checked in absent, and apply the no-show rule on a first session.

    Returns how many were marked absent."""
    now = now or utcnow()
    session = lock_row(Session, session.id)
    if session.closed_at is not None:
        raise CheckInError("already_closed", _("이미 마감한 수업입니다."))
    marked = db.session.execute(
        select(Attendance.enrollment_id).where(Attendance.session_id == session.id)
    ).scalars()
    done = set(marked)
    absent = []
    for enrollment in _confirmed_enrollments(session):
        if enrollment.id in done:
            continue
        db.session.add(
            Attendance(
                session_id=session.id,
                enrollment_id=enrollment.id,
                status=AttendanceStatus.ABSENT,
                recorded_at=now,
                recorded_by_id=actor.id,
                method=CheckInMethod.CLOSING,
            )
        )
        absent.append(enrollment)
    session.closed_at = now
    session.closed_by_id = actor.id
    db.session.flush()
    audit.record(actor, "session.close", session, absent=len(absent))
    if current_app.config["NO_SHOW_RULE"] and _is_first_session(session):
        # Everyone absent counts, whether marked at closing or by hand before it.
        absentees = db.session.scalars(
            select(Enrollment)
            .join(Attendance, Attendance.enrollment_id == Enrollment.id)
            .where(
                Attendance.session_id == session.id,
                Attendance.status == AttendanceStatus.ABSENT,
                Enrollment.status == EnrollmentStatus.CONFIRMED,
            )
        ).all()
        apply_no_show_rule(session, absentees, now=now)
    return len(absent)


def apply_no_show_rule(session: Session, absent: list[Enrollment], *, now: datetime) -> None:
    """Bar people who missed the first session, or cancelled too late, from new enrollments."""
    config = current_app.config
    until = now + timedelta(days=config["NO_SHOW_BAR_DAYS"])
    late_cancel_from = session.starts_at - timedelta(days=config["NO_SHOW_CANCEL_DAYS"])
    attended = select(Attendance.enrollment_id).where(
        Attendance.session_id == session.id, Attendance.status.in_(ATTENDED_STATUSES)
    )
    late_cancellations = db.session.scalars(
        select(Enrollment).where(
            Enrollment.run_id == session.run_id,
            Enrollment.status == EnrollmentStatus.CANCELLED,
            Enrollment.confirmed_at.is_not(None),
            # Two full days ahead is in time; anything later, even during the session, is not.
            Enrollment.cancelled_at > late_cancel_from,
            Enrollment.id.not_in(attended),
            # Cancelled by the person; a cancellation by staff is the office's doing.
            Enrollment.cancelled_by_id == Enrollment.person_id,
        )
    ).all()
    title = session.run.title
    for enrollment in [*absent, *late_cancellations]:
        person = enrollment.person
        if person.barred_until is not None and person.barred_until >= until:
            continue
        person.barred_until = until
        person.barred_run_id = session.run_id
        person.barred_reason = _(
            "%(title)s 첫 수업에 연락 없이 나오지 않아 %(until)s까지 새 수강신청이 제한됩니다.",
            title=title,
            until=to_seoul(until).strftime("%Y-%m-%d"),
        )
        queue_notification(person, "no_show", person.barred_reason)
        audit.record(None, "person.bar", person, until=until.isoformat(), run_id=session.run_id)
    db.session.flush()


def _withdraw_no_show_bar(session: Session, person: Person, *, actor: Person) -> None:
    """An absence from a run's first session was corrected: the bar it caused goes too."""
    if person.barred_until is not None and person.barred_run_id == session.run_id:
        lift_bar(person, actor=actor)


def lift_bar(person: Person, *, actor: Person) -> None:
    """Staff lift a no-show bar."""
    previous = person.barred_until
    person.barred_until = None
    person.barred_reason = None
    person.barred_run_id = None
    db.session.flush()
    audit.record(actor, "person.unbar", person, previous=previous.isoformat() if previous else None)


def self_check_in_code(session: Session, step: int) -> str:
    """The six-digit code shown in the classroom for one time step."""
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"ydp-self-checkin-v1", hashlib.sha256
    ).digest()
    digest = hmac.new(key, f"{session.id}:{step}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def current_step(now: datetime) -> int:
    return int(now.timestamp()) // current_app.config["SELF_CHECKIN_STEP_SECONDS"]


def self_check_in(
    person: Person, code: str, *, session: Session | None = None, now: datetime | None = None
) -> CheckInResult:
    """A logged-in person checks themself in with the code on the classroom screen.

    The code of this step or the one before is accepted (a person needs a moment to type
    it); older codes and other sessions' codes are refused."""
    now = now or utcnow()
    code = (code or "").strip()
    if not code.isascii() or not code.isdigit() or len(code) != 6:
        raise CheckInError("invalid_code", _("화면의 여섯 자리 숫자를 적어 주세요."), status=400)
    step = current_step(now)
    candidates = [session] if session is not None else todays_sessions_of(person, now)
    for candidate in candidates:
        for valid_step in (step, step - 1):
            if hmac.compare_digest(self_check_in_code(candidate, valid_step), code):
                return record_check_in(
                    candidate, person, actor=person, method=CheckInMethod.SELF, now=now
                )
    raise CheckInError(
        "invalid_code",
        _("코드가 맞지 않거나 시간이 지났습니다. 화면의 새 코드를 적어 주세요."),
        status=400,
    )


def todays_sessions_of(person: Person, now: datetime) -> list[Session]:
    """Sessions today (Seoul) of runs the person is confirmed in."""
    start, end = seoul_day_bounds(now)
    return db.session.scalars(
        select(Session)
        .join(Enrollment, Enrollment.run_id == Session.run_id)
        .where(
            Enrollment.person_id == person.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            Session.starts_at < end,
            Session.ends_at > start,
        )
        .order_by(Session.starts_at)
    ).all()


def sessions_today_for(person: Person, now: datetime | None = None) -> list[Session]:
    """The sessions an instructor teaches today, or every session today for staff."""
    now = now or utcnow()
    start, end = seoul_day_bounds(now)
    statement = (
        select(Session)
        .join(CourseRun, CourseRun.id == Session.run_id)
        .where(Session.starts_at < end, Session.ends_at > start)
        .options(joinedload(Session.run).joinedload(CourseRun.course))
        .order_by(Session.starts_at)
    )
    if not person.is_staff:
        statement = statement.where(CourseRun.instructor_id == person.id)
    return db.session.scalars(statement).all()


@dataclass
class RosterLine:
    enrollment: Enrollment
    attendance: Attendance | None


def roster(session: Session) -> list[RosterLine]:
    """Everyone confirmed in the session's run, with their mark if any, by name."""
    marks = {
        a.enrollment_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    return [RosterLine(e, marks.get(e.id)) for e in _confirmed_enrollments(session)]


def counts(lines: list[RosterLine]) -> dict[str, int]:
    """Present, late, absent, excused and expected, for the live counter."""
    result = {status.value: 0 for status in AttendanceStatus}
    for line in lines:
        if line.attendance is not None:
            result[line.attendance.status.value] += 1
    result["expected"] = len(lines)
    return result


def _confirmed_enrollments(session: Session) -> list[Enrollment]:
    return db.session.scalars(
        select(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Enrollment.run_id == session.run_id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
        )
        .options(joinedload(Enrollment.person))
        .order_by(Person.name, Enrollment.id)
    ).all()


def _attendance(session: Session, enrollment: Enrollment) -> Attendance | None:
    return db.session.scalar(
        select(Attendance)
        .where(Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id)
        .execution_options(populate_existing=True)
    )


def _is_first_session(session: Session) -> bool:
    first = db.session.scalar(
        select(Session.id)
        .where(Session.run_id == session.run_id)
        .order_by(Session.starts_at)
        .limit(1)
    )
    return first == session.id
