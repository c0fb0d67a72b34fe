"""Completion of runs, and certificates with gapless serial numbers per year."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from training import audit
from training.accounts.models import Person
from training.catalog.models import CourseRun, Session
from training.certificates.completion import CompletionResult, CompletionRule, evaluate
from training.certificates.models import Certificate, CertificateCounter
from training.checkin.models import Attendance
from training.clock import to_seoul, utcnow
from training.enrollment.models import CompletionOverride, Enrollment, EnrollmentStatus
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.notifications import tell

SERIAL_PREFIX = "YDP"


class CertificateError(RuleError):
    """A completion or certificate rule refused the request."""


def rule_of(run: CourseRun) -> CompletionRule:
    return CompletionRule(
        threshold=run.completion_threshold,
        is_late_attended=run.is_late_attended,
        lates_per_absence=run.lates_per_absence,
        is_excused_left_out=run.is_excused_left_out,
    )


def completion_results(run: CourseRun) -> dict[int, CompletionResult]:
    """Each confirmed enrollment's standing against the run's rule, by enrollment id."""
    sessions = db.session.scalar(
        select(db.func.count()).select_from(Session).where(Session.run_id == run.id)
    )
    enrollments = db.session.scalars(
        select(Enrollment).where(
            Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED
        )
    ).all()
    marks: dict[int, list] = {e.id: [] for e in enrollments}
    rows = db.session.execute(
        select(Attendance.enrollment_id, Attendance.status)
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.run_id == run.id)
    )
    for enrollment_id, status in rows:
        if enrollment_id in marks:
            marks[enrollment_id].append(status)
    rule = rule_of(run)
    return {e_id: evaluate(rule, sessions, m) for e_id, m in marks.items()}


def complete_run(run: CourseRun, *, now: datetime | None = None) -> int:
    """Decide completion for every confirmed trainee once the run has ended; staff decisions
    (granted or withdrawn) stand. Returns how many completed."""
    now = now or utcnow()
    run = lock_row(CourseRun, run.id)
    last_end = db.session.scalar(
        select(db.func.max(Session.ends_at)).where(Session.run_id == run.id)
    )
    if to_seoul(now).date() < run.ends_on or (last_end is not None and now < last_end):
        raise CertificateError("run_not_ended", _("강좌가 끝난 뒤에 수료를 판정할 수 있습니다."))
    # Every confirmed trainee may change, and whether one does depends on columns that staff
    # decisions also write: lock them all, in id order so that two judgings cannot deadlock.
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED)
        .order_by(Enrollment.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    results = completion_results(run)
    completed = 0
    for enrollment in enrollments:
        if enrollment.completion_override is CompletionOverride.GRANTED:
            is_completed = True
        elif enrollment.completion_override is CompletionOverride.WITHDRAWN:
            is_completed = False
        else:
            is_completed = results[enrollment.id].is_completed
        if is_completed and enrollment.completed_at is None:
            enrollment.completed_at = now
        elif not is_completed:
            if enrollment.completed_at is not None:
                _revoke_for_lost_completion(
                    enrollment, actor=None, reason=_("출석 기준에 미달해 수료가 취소됨"), now=now
                )
            enrollment.completed_at = None
        completed += is_completed
    db.session.flush()
    return completed


def decide_completion(
    enrollment: Enrollment,
    override: CompletionOverride,
    *,
    actor: Person,
    reason: str,
    now: datetime | None = None,
) -> Enrollment:
    """Staff grant or withdraw completion against the rule, with a reason, on record."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required", _("사유를 적어 주세요."), status=400)
    if len(reason) > 200:
        raise CertificateError("reason_too_long", _("사유는 200자 이내로 적어 주세요."), 400)
    # A certificate being issued now is either seen here and revoked, or refused after us.
    enrollment = lock_row(Enrollment, enrollment.id)
    if enrollment.status is not EnrollmentStatus.CONFIRMED:
        raise CertificateError("not_enrolled", _("수강이 확정된 사람만 수료를 정할 수 있습니다."))
    before = enrollment.completed_at is not None
    if override is CompletionOverride.WITHDRAWN:
        _revoke_for_lost_completion(enrollment, actor=actor, reason=reason, now=now)
    enrollment.completion_override = override
    enrollment.completion_reason = reason
    enrollment.completed_at = (
        (enrollment.completed_at or now) if (override is CompletionOverride.GRANTED) else None
    )
    db.session.flush()
    audit.record(
        actor,
        "completion." + override.value,
        enrollment,
        before=before,
        after=enrollment.completed_at is not None,
        reason=reason,
    )
    return enrollment


def _revoke_for_lost_completion(
    enrollment: Enrollment, *, actor: Person | None, reason: str, now: datetime
) -> None:
    """A certificate must not outlive the completion it attests."""
    certificate = db.session.scalar(
        select(Certificate).where(
            Certificate.enrollment_id == enrollment.id, Certificate.revoked_at.is_(None)
        )
    )
    if certificate is not None:
        _mark_revoked(certificate, actor=actor, reason=reason[:200], now=now)


def _mark_revoked(
    certificate: Certificate, *, actor: Person | None, reason: str, now: datetime
) -> None:
    # Read before any column changes: loading an expired actor would flush a half-revoked row.
    actor_id = actor.id if actor else None
    certificate.revoked_at = now
    certificate.revoked_by_id = actor_id
    certificate.revoked_reason = reason
    db.session.flush()
    audit.record(actor, "certificate.revoke", certificate, serial=certificate.serial, reason=reason)


def format_serial(year: int, number: int) -> str:
    """YDP-2022-00001."""
    return f"{SERIAL_PREFIX}-{year}-{number:05d}"


def next_serial_number(year: int) -> int:
    """Take the next number of a year's series under a row lock: no gaps, no repeats."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(CertificateCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    counter = db.session.execute(
        select(CertificateCounter)
        .where(CertificateCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def issue_certificate(
    enrollment: Enrollment, *, actor: Person | None, now: datetime | None = None
) -> Certificate:
    """The enrollment's certificate, issued now if it has none (a completed enrollment only).

    The serial's year is the year the run ended."""
    now = now or utcnow()
    # Two staff printing the same run at once: the second waits and finds the first's serial.
    enrollment = lock_row(Enrollment, enrollment.id)
    existing = certificate_of(enrollment)
    if existing is not None:
        return existing
    if enrollment.completed_at is None:
        raise CertificateError("not_completed", _("수료하지 않은 수강생입니다."))
    year = enrollment.run.ends_on.year
    number = next_serial_number(year)
    certificate = Certificate(
        serial=format_serial(year, number),
        year=year,
        number=number,
        enrollment_id=enrollment.id,
        issued_at=now,
        issued_by_id=actor.id if actor else None,
    )
    db.session.add(certificate)
    db.session.flush()
    audit.record(actor, "certificate.issue", certificate, serial=certificate.serial)
    # A trainee who printed their own needs no message about it.
    if actor is None or actor.id != enrollment.person_id:
        tell(
            enrollment.person,
            "certificate_issued",
            run=enrollment.run,
            now=now,
            serial=certificate.serial,
        )
    return certificate


def issue_run_certificates(run: CourseRun, *, actor: Person | None) -> None:
    """Issue a certificate to every trainee of the run who completed it and has none yet."""
    completed = db.session.scalars(
        select(Enrollment)
        .where(
            Enrollment.run_id == run.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            Enrollment.completed_at.is_not(None),
        )
        .order_by(Enrollment.id)
    ).all()
    for enrollment in completed:
        try:
            issue_certificate(enrollment, actor=actor)
        except CertificateError:
            # Completion withdrawn since the list was read: that trainee gets none, the rest do.
            continue


def reissue_certificate(certificate: Certificate, *, actor: Person, now=None) -> Certificate:
    """Print again under the same serial; the count of reissues is kept."""
    _lock_certificate(certificate)
    if certificate.is_revoked:
        raise CertificateError("revoked", _("취소된 수료증은 다시 발급할 수 없습니다."))
    certificate.reissue_count += 1
    certificate.last_reissued_at = now or utcnow()
    db.session.flush()
    audit.record(
        actor,
        "certificate.reissue",
        certificate,
        serial=certificate.serial,
        count=certificate.reissue_count,
    )
    return certificate


def revoke_certificate(
    certificate: Certificate, *, actor: Person, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke with a reason; the serial stays taken and verification says revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required", _("사유를 적어 주세요."), status=400)
    if len(reason) > 200:
        raise CertificateError("reason_too_long", _("사유는 200자 이내로 적어 주세요."), 400)
    _lock_certificate(certificate)
    if certificate.is_revoked:
        raise CertificateError("revoked", _("이미 취소된 수료증입니다."))
    _mark_revoked(certificate, actor=actor, reason=reason, now=now or utcnow())
    return certificate


def _lock_certificate(certificate: Certificate) -> None:
    """Hold the certificate's enrollment, the lock every completion and certificate change
    takes, and read the certificate again: a withdrawal may just have revoked it."""
    lock_row(Enrollment, certificate.enrollment_id)
    db.session.refresh(certificate)


def certificate_of(enrollment: Enrollment) -> Certificate | None:
    """The enrollment's certificate, valid or revoked, if one was ever issued."""
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))


def find_certificate(serial: str) -> Certificate | None:
    serial = (serial or "").strip().upper()
    if len(serial) > 20:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial))
