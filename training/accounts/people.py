"""Staff look after people: a person's page, and administrators change roles and close
accounts, each change audited with its reason."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from training import audit
from training.accounts.models import Person, Role
from training.accounts.services import AccountError
from training.audit.models import AuditEntry
from training.catalog.models import CourseRun
from training.certificates.models import Certificate
from training.checkin.models import Attendance, AttendanceStatus
from training.enrollment.models import Enrollment
from training.enrollment.services import enrollments_of
from training.extensions import db
from training.locking import lock_row

MAX_REASON_LENGTH = 200
# The account changes a person's page lists, newest first.
ACCOUNT_ACTIONS = (
    "person.role_change",
    "person.deactivate",
    "person.reactivate",
    "person.setup_code_issue",
    "person.setup_code_use",
    "person.setup_code_void",
    "person.password_change",
    "person.unbar",
    "person.anonymize",
    "person.update_contact",
)


@dataclass(frozen=True)
class EnrollmentRecord:
    """One enrollment of the person with how they attended and their certificate."""

    enrollment: Enrollment
    run: CourseRun
    sessions: int
    sessions_held: int
    marks: Counter = field(default_factory=Counter)
    certificate: Certificate | None = None

    @property
    def attended(self) -> int:
        return self.marks[AttendanceStatus.PRESENT] + self.marks[AttendanceStatus.LATE]

    @property
    def late(self) -> int:
        return self.marks[AttendanceStatus.LATE]

    @property
    def absent(self) -> int:
        return self.marks[AttendanceStatus.ABSENT]

    @property
    def excused(self) -> int:
        return self.marks[AttendanceStatus.EXCUSED]


@dataclass(frozen=True)
class PersonOverview:
    """What staff see on a person's page."""

    person: Person
    enrollments: list[EnrollmentRecord]
    is_barred: bool
    setup_code_pending: bool
    history: list[AuditEntry]

    @property
    def certificates(self) -> list[Certificate]:
        return [record.certificate for record in self.enrollments if record.certificate]


def person_overview(person: Person, *, now: datetime) -> PersonOverview:
    """The person's enrollments with their runs, attendance counts and certificates, their
    bar, whether a set-up code waits to be used, and the history of their account."""
    enrollments = enrollments_of(person)
    ids = [enrollment.id for enrollment in enrollments]
    marks: dict[int, Counter] = {enrollment_id: Counter() for enrollment_id in ids}
    for enrollment_id, status, count in db.session.execute(
        select(Attendance.enrollment_id, Attendance.status, func.count())
        .where(Attendance.enrollment_id.in_(ids))
        .group_by(Attendance.enrollment_id, Attendance.status)
    ):
        marks[enrollment_id][status] = count
    certificates = {
        certificate.enrollment_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(Certificate.enrollment_id.in_(ids))
        )
    }
    records = [
        EnrollmentRecord(
            enrollment=enrollment,
            run=enrollment.run,
            sessions=len(enrollment.run.sessions),
            sessions_held=sum(1 for s in enrollment.run.sessions if s.starts_at <= now),
            marks=marks[enrollment.id],
            certificate=certificates.get(enrollment.id),
        )
        for enrollment in enrollments
    ]
    history = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.subject_type == Person.__tablename__,
            AuditEntry.subject_id == person.id,
            AuditEntry.action.in_(ACCOUNT_ACTIONS),
        )
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ).all()
    return PersonOverview(
        person=person,
        enrollments=records,
        is_barred=person.barred_until is not None and person.barred_until > now,
        setup_code_pending=person.setup_code_expires_at is not None
        and person.setup_code_expires_at > now,
        history=history,
    )


def describe_account_change(entry: AuditEntry) -> str:
    """An account history entry as staff read it."""
    if entry.action == "person.role_change":
        return _(
            "역할 변경: %(previous)s → %(role)s",
            previous=_role_label(entry.detail.get("previous")),
            role=_role_label(entry.detail.get("role")),
        )
    if entry.action == "person.update_contact":
        labels = {"message_channel": _("안내 받는 방법"), "email": _("이메일"), "locale": _("언어")}
        fields = entry.detail.get("fields") or []
        return _(
            "안내 설정 변경: %(fields)s",
            fields=", ".join(labels.get(str(name), str(name)) for name in fields),
        )
    if entry.action == "person.anonymize":
        return {
            "withdrawal": _("회원 탈퇴 (본인)"),
            "retention": _("개인정보 파기 (보유 기간 지남)"),
        }.get(entry.detail.get("reason"), _("개인정보 파기 (담당자)"))
    return {
        "person.deactivate": _("계정 정지"),
        "person.reactivate": _("계정 다시 열기"),
        "person.setup_code_issue": _("설정 코드 발급"),
        "person.setup_code_use": _("설정 코드로 비밀번호 만듦"),
        "person.setup_code_void": _("설정 코드 무효 (잘못된 입력이 많음)"),
        "person.password_change": _("비밀번호 변경"),
        "person.unbar": _("수강신청 제한 해제"),
    }.get(entry.action, entry.action)


def _role_label(value: str | None) -> str:
    try:
        return Role(value).label
    except ValueError:
        return value or ""


def change_role(person: Person, role: Role, *, actor: Person, reason: str) -> Person:
    """An administrator gives the person another role, with the reason recorded."""
    reason = _checked_admin_change(person, actor, reason)
    person = lock_row(Person, person.id)
    if person.role is role:
        raise AccountError(
            "unchanged", _("이미 %(role)s 역할입니다.", role=role.label), "role", status=409
        )
    if person.id == actor.id:
        raise AccountError(
            "own_account",
            _("자기 자신의 역할은 바꿀 수 없습니다. 다른 관리자에게 부탁해 주세요."),
            "role",
            status=409,
        )
    previous = person.role
    person.role = role
    db.session.flush()
    audit.record(
        actor, "person.role_change", person, role=role.value, previous=previous.value, reason=reason
    )
    return person


def set_active(person: Person, active: bool, *, actor: Person, reason: str) -> Person:
    """An administrator closes or reopens the person's account, with the reason recorded;
    closing it ends every session and API token the person holds."""
    reason = _checked_admin_change(person, actor, reason)
    person = lock_row(Person, person.id)
    if active and person.anonymized_at is not None:
        raise AccountError(
            "anonymized", _("개인정보를 파기한 계정은 다시 열 수 없습니다."), status=409
        )
    if person.is_active == active:
        message = _("이미 사용 중인 계정입니다.") if active else _("이미 정지된 계정입니다.")
        raise AccountError("unchanged", message, status=409)
    if person.id == actor.id:
        raise AccountError(
            "own_account",
            _("자기 자신의 계정은 정지할 수 없습니다. 다른 관리자에게 부탁해 주세요."),
            status=409,
        )
    person.is_active = active
    if not active:
        # Sessions and tokens carry the version they were issued under: bumping it ends them.
        person.auth_version += 1
    db.session.flush()
    audit.record(
        actor, "person.reactivate" if active else "person.deactivate", person, reason=reason
    )
    return person


def _checked_admin_change(person: Person, actor: Person, reason: str | None) -> str:
    if actor is None or actor.role is not Role.ADMIN:
        raise AccountError(
            "forbidden", _("관리자만 역할과 계정 상태를 바꿀 수 있습니다."), status=403
        )
    return checked_reason(reason)


def checked_reason(reason: str | None) -> str:
    """Staff's reason for a change to a person's account, trimmed; refused when missing or too
    long."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountError("reason_required", _("사유를 적어 주세요."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise AccountError(
            "invalid_value",
            _("사유는 %(n)d자 이내로 적어 주세요.", n=MAX_REASON_LENGTH),
            "reason",
        )
    return reason
