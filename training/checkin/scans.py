"""Taking marks: windows and lateness, passes and idempotent scans, walk-ins at the door and
manual marks."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.accounts.models import Person
from training.catalog.models import CourseRun, Session
from training.checkin.models import (
    ATTENDED_STATUSES,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
)
from training.checkin.noshow import withdraw_no_show_bar
from training.clock import to_seoul, utcnow
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import QUEUED_STATUSES, EnrollmentError, confirm_seat
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
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
    """The person's confirmed enrollment in the session's run, if any."""
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
    withdraw_no_show_bar(session, person, actor=actor)
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
        withdraw_no_show_bar(session, enrollment.person, actor=actor)
    return attendance


def _attendance(session: Session, enrollment: Enrollment) -> Attendance | None:
    return db.session.scalar(
        select(Attendance)
        .where(Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id)
        .execution_options(populate_existing=True)
    )
