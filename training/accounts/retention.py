"""Personal data over its life: a person who withdraws, or whose retention period has ended,
is anonymized; what the law and the statistics need (enrollments, attendance, certificates)
stays, under a masked name and an age band."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, delete, or_, select, update

from training import audit
from training.accounts.models import Person, Role
from training.accounts.passwords import password_matches
from training.accounts.people import checked_reason
from training.accounts.services import AccountError, mask_name
from training.catalog.models import CourseRun
from training.certificates.models import Certificate
from training.checkin.models import Attendance
from training.clock import to_seoul
from training.enrollment.models import ACTIVE_STATUSES, Enrollment, EnrollmentStatus
from training.enrollment.services import cancel_enrollment, cancel_refusal
from training.extensions import db
from training.locking import lock_row
from training.notifications.models import Notification
from training.outbox.models import OutboxMessage
from training.outbox.services import cancel_pending_for
from training.stats.services import age_band

# The reasons the audit trail keeps when nobody typed one.
RETENTION = "retention"
WITHDRAWAL = "withdrawal"
PROGRESS_EVERY = 100


def anonymize_refusal(
    person: Person, *, actor: Person | None, now: datetime
) -> AccountError | None:
    """Why the person may not be anonymized now by the actor (None: the retention purge), or
    None. The person themselves may withdraw; staff may anonymize residents and instructors,
    only administrators staff; the last active administrator stays."""
    return _refusal(person, actor, open_places(person, now), now)


def _refusal(
    person: Person, actor: Person | None, places: list[Enrollment], now: datetime
) -> AccountError | None:
    if person.anonymized_at is not None:
        return AccountError(
            "already_anonymized", _("이미 개인정보를 파기한 계정입니다."), status=409
        )
    if actor is not None and actor.id != person.id:
        if not actor.is_staff:
            return AccountError(
                "forbidden", _("담당자만 다른 사람의 개인정보를 파기할 수 있습니다."), status=403
            )
        if person.is_staff and actor.role is not Role.ADMIN:
            return AccountError(
                "forbidden",
                _("직원과 관리자 계정의 개인정보는 관리자만 파기할 수 있습니다."),
                status=403,
            )
    if person.role is Role.ADMIN and person.is_active and not _other_active_admins(person):
        return AccountError(
            "last_admin",
            _("마지막 관리자 계정은 파기할 수 없습니다. 다른 관리자를 먼저 정해 주세요."),
            status=409,
        )
    for enrollment in places:
        if actor is None:
            # The purge picks people with no run under way; one enrolled since is left alone.
            return AccountError(
                "still_enrolled", _("수강 중이거나 신청한 강좌가 있습니다."), status=409
            )
        if cancel_refusal(enrollment, actor=actor, now=now) is not None:
            return AccountError(
                "run_started",
                _(
                    "수업이 진행 중인 강좌(%(title)s)가 있어 지금은 온라인으로 탈퇴할 수 "
                    "없습니다. 강좌가 끝난 뒤에 다시 해 주시거나 교육장에 전화해 주세요.",
                    title=enrollment.run.title,
                ),
                status=409,
            )
    return None


def anonymize_person(person: Person, *, actor: Person | None, reason: str, now: datetime) -> Person:
    """Anonymize the person: name masked, phone, email, password and set-up code gone, birth
    year reduced to an age band, account closed (sessions, API tokens and passes end); their
    places in runs not yet ended are given up, so that waiting lists move on; their pending
    messages are cancelled and unread notes deleted. Enrollments, attendance (each mark
    keeping its age band) and certificates stay, so every past statistic is unchanged."""
    reason = checked_reason(reason)
    person, places = _lock_for_anonymizing(person, now)
    refusal = _refusal(person, actor, places, now)
    if refusal is not None:
        raise refusal
    _keep_age_bands(person)
    for enrollment in places:
        cancel_enrollment(enrollment, actor=actor, now=now, reason=reason)
    # After the cancellations, which may themselves have queued a message to the person.
    cancel_pending_for(person)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.person_id == person.id).values(recipient=None)
    )
    db.session.execute(
        delete(Notification).where(
            Notification.person_id == person.id, Notification.read_at.is_(None)
        )
    )
    person.age_band = age_band(to_seoul(now).year - person.birth_year)
    person.name = mask_name(person.name)
    person.phone = None
    person.email = None
    person.birth_year = None
    person.password_hash = None
    person.setup_code_hash = None
    person.setup_code_expires_at = None
    person.is_active = False
    # Sessions, API tokens and QR passes carry the versions they were issued under.
    person.auth_version += 1
    person.pass_version += 1
    person.barred_until = None
    person.barred_reason = None
    person.barred_run_id = None
    person.anonymized_at = now
    db.session.flush()
    audit.record(actor, "person.anonymize", person, reason=reason, cancelled=len(places))
    return person


def withdraw(person: Person, password: str, *, now: datetime) -> Person:
    """The person withdraws (회원 탈퇴) after giving their password: they are anonymized."""
    if not password_matches(person, password):
        raise AccountError("wrong_password", _("비밀번호가 맞지 않습니다."), "password")
    return anonymize_person(person, actor=person, reason=WITHDRAWAL, now=now)


def open_places(person: Person, now: datetime) -> list[Enrollment]:
    """The person's places (applied, waiting or confirmed) in runs not yet ended: what
    anonymizing them gives up."""
    return db.session.scalars(
        select(Enrollment)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(
            Enrollment.person_id == person.id,
            Enrollment.status.in_(ACTIVE_STATUSES),
            CourseRun.ends_on >= to_seoul(now).date(),
        )
        .order_by(Enrollment.id)
    ).all()


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The moment ``years`` years before now on Seoul's calendar (29 February: the 28th)."""
    local = to_seoul(now)
    try:
        return local.replace(year=local.year - years)
    except ValueError:
        return local.replace(year=local.year - years, day=28)


def inactive_people(now: datetime, years: int) -> list[Person]:
    """People not yet anonymized with no activity since the cutoff ``years`` years ago: not
    registered, logged in, enrolled, confirmed or cancelled, marked at a class or given a
    certificate since then, nor enrolled in or teaching a run that ended on or after the
    cutoff's day (a place in a run keeps its holder active until the run ends). One query,
    by id."""
    return db.session.scalars(_inactive(retention_cutoff(now, years)).order_by(Person.id)).all()


def _inactive(cutoff: datetime) -> Select:
    last_day = cutoff.date()
    recent_enrollment = (
        select(Enrollment.id)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(
            Enrollment.person_id == Person.id,
            or_(
                Enrollment.created_at >= cutoff,
                Enrollment.confirmed_at >= cutoff,
                Enrollment.cancelled_at >= cutoff,
                and_(
                    Enrollment.status != EnrollmentStatus.CANCELLED,
                    CourseRun.ends_on >= last_day,
                ),
            ),
        )
        .exists()
    )
    teaching = (
        select(CourseRun.id)
        .where(CourseRun.instructor_id == Person.id, CourseRun.ends_on >= last_day)
        .exists()
    )
    recent_mark = (
        select(Attendance.id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .where(Enrollment.person_id == Person.id, Attendance.recorded_at >= cutoff)
        .exists()
    )
    recent_certificate = (
        select(Certificate.id)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(
            Enrollment.person_id == Person.id,
            or_(Certificate.issued_at >= cutoff, Certificate.last_reissued_at >= cutoff),
        )
        .exists()
    )
    return select(Person).where(
        Person.anonymized_at.is_(None),
        Person.created_at < cutoff,
        or_(Person.last_login_at.is_(None), Person.last_login_at < cutoff),
        ~recent_enrollment,
        ~teaching,
        ~recent_mark,
        ~recent_certificate,
    )


@dataclass(frozen=True)
class PurgedPerson:
    """Who a purge anonymized, or would: the id and the masked name, nothing else."""

    id: int
    masked_name: str


@dataclass
class PurgeSummary:
    """What a purge did (or, in a dry run, would do)."""

    dry_run: bool
    years: int
    found: int = 0
    anonymized: list[PurgedPerson] = field(default_factory=list)
    # People found inactive whom a rule kept (the last administrator, say), with its code.
    kept: list[tuple[PurgedPerson, str]] = field(default_factory=list)


def purge(
    now: datetime,
    *,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeSummary:
    """Anonymize everyone inactive for RETENTION_YEARS, the reason on record "retention".

    A dry run does the same work inside a savepoint it rolls back, so that it reports exactly
    who would be anonymized and changes nothing. ``progress(done, total)`` is called every
    PROGRESS_EVERY people and at the end; a real run's caller may commit there."""
    years = current_app.config["RETENTION_YEARS"]
    cutoff = retention_cutoff(now, years)
    candidates = db.session.scalars(
        _inactive(cutoff).with_only_columns(Person.id).order_by(Person.id)
    ).all()
    summary = PurgeSummary(dry_run=dry_run, years=years, found=len(candidates))
    rehearsal = db.session.begin_nested() if dry_run else None
    for done, person_id in enumerate(candidates, start=1):
        _purge_one(person_id, cutoff, now, summary)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(candidates)):
            progress(done, len(candidates))
    if rehearsal is not None:
        rehearsal.rollback()
    return summary


def _purge_one(person_id: int, cutoff: datetime, now: datetime, summary: PurgeSummary) -> None:
    person = lock_row(Person, person_id)
    # Read again under the lock: a log-in since the list was made keeps the person.
    if db.session.scalar(_inactive(cutoff).where(Person.id == person_id)) is None:
        summary.kept.append((PurgedPerson(person_id, mask_name(person.name)), "active"))
        return
    entry = PurgedPerson(person_id, mask_name(person.name))
    try:
        # Every refusal comes before the first change: nothing is left half done.
        anonymize_person(person, actor=None, reason=RETENTION, now=now)
    except AccountError as refusal:
        summary.kept.append((entry, refusal.code))
    else:
        summary.anonymized.append(entry)


def _other_active_admins(person: Person) -> bool:
    return (
        db.session.scalar(
            select(Person.id)
            .where(Person.role == Role.ADMIN, Person.is_active.is_(True), Person.id != person.id)
            .limit(1)
        )
        is not None
    )


def _lock_for_anonymizing(person: Person, now: datetime) -> tuple[Person, list[Enrollment]]:
    """Lock in the order every seat rule does, runs before people: the runs the person holds
    places in, then (for an administrator) every active administrator, by id, so that two
    administrators anonymizing each other cannot both go; then the person, whose places are
    read again under the lock."""
    for run_id in sorted({enrollment.run_id for enrollment in open_places(person, now)}):
        lock_row(CourseRun, run_id)
    if person.role is Role.ADMIN:
        db.session.execute(
            select(Person.id)
            .where(Person.role == Role.ADMIN, Person.is_active.is_(True))
            .order_by(Person.id)
            .with_for_update()
        ).all()
    person = lock_row(Person, person.id)
    return person, open_places(person, now)


def _keep_age_bands(person: Person) -> None:
    """Write on each of the person's attendance marks their age band in the year its run
    ended, the year the statistics count it in, before the birth year goes."""
    marks_by_band: dict[str | None, list[int]] = defaultdict(list)
    for attendance_id, ends_on in db.session.execute(
        select(Attendance.id, CourseRun.ends_on)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(Enrollment.person_id == person.id)
    ):
        marks_by_band[age_band(ends_on.year - person.birth_year)].append(attendance_id)
    for band, attendance_ids in marks_by_band.items():
        db.session.execute(
            update(Attendance).where(Attendance.id.in_(attendance_ids)).values(age_band=band)
        )
