"""Passwords: one-time set-up codes given at the desk, and people changing their own.

Setting or changing a password bumps ``auth_version``: every other browser session and API
token of the person ends; the route logs the current browser in again under the new version.
"""

import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from training import audit
from training.accounts.models import Person, Role
from training.accounts.services import (
    AccountError,
    find_by_phone,
    normalize_phone,
    validate_password,
)
from training.audit.models import AuditEntry
from training.extensions import db
from training.locking import lock_row

SETUP_CODE_LIFETIME = timedelta(days=14)
SETUP_CODE_DIGITS = 8
# With 10^8 codes and five tries a code, guessing one is a one-in-twenty-million chance.
MAX_WRONG_SETUP_TRIES = 5
# Compared against when no code is waiting, so a wrong phone takes as long as a wrong code.
_NO_CODE_HASH = generate_password_hash(secrets.token_hex(16))


def format_setup_code(code: str) -> str:
    """1234-5678: easier to read out and to copy."""
    return f"{code[:4]}-{code[4:]}"


def issue_setup_code(person: Person, *, actor: Person, now: datetime) -> str:
    """A new one-time code with which the person sets their password (it replaces any earlier
    one); the plain code is returned to be shown once, only its hash is kept."""
    if person.role in (Role.STAFF, Role.ADMIN) and actor.role is not Role.ADMIN:
        # A code sets the password: issuing one for staff would hand over their rights.
        raise AccountError(
            "forbidden",
            _("직원·관리자 계정의 설정 코드는 관리자만 발급할 수 있습니다."),
            status=403,
        )
    person = lock_row(Person, person.id)
    if not person.is_active:
        raise AccountError(
            "inactive_account",
            _("정지된 계정입니다. 관리자가 계정을 다시 열어야 합니다."),
            status=409,
        )
    code = f"{secrets.randbelow(10**SETUP_CODE_DIGITS):0{SETUP_CODE_DIGITS}d}"
    person.setup_code_hash = generate_password_hash(code)
    person.setup_code_expires_at = now + SETUP_CODE_LIFETIME
    db.session.flush()
    audit.record(
        actor,
        "person.setup_code_issue",
        person,
        expires_at=person.setup_code_expires_at.isoformat(),
    )
    return code


def is_current_setup_code(person: Person, code: str, *, now: datetime) -> bool:
    """Whether the code is the person's unexpired set-up code (for printing it once more on
    the card right after it was issued)."""
    return (
        person.setup_code_hash is not None
        and person.setup_code_expires_at > now
        and check_password_hash(person.setup_code_hash, _digits(code))
    )


def use_setup_code(phone: str, code: str, new_password: str, *, now: datetime) -> Person:
    """Set the password of the person with this phone if the code is theirs: single use,
    refused once expired, void after MAX_WRONG_SETUP_TRIES wrong tries. A wrong try is
    recorded in the audit trail: the caller commits it even when this refuses."""
    validate_password(new_password)
    refused = AccountError(
        "invalid_setup_code",
        _("휴대전화 번호 또는 설정 코드가 맞지 않습니다."),
        "code",
    )
    try:
        person = find_by_phone(normalize_phone(phone))
    except AccountError:
        person = None
    if person is None or person.setup_code_hash is None or not person.is_active:
        check_password_hash(_NO_CODE_HASH, _digits(code))
        raise refused
    # Locked, so that two tries at once cannot both slip under the limit or both use the code.
    person = lock_row(Person, person.id)
    if person.setup_code_hash is None:
        raise refused
    if not check_password_hash(person.setup_code_hash, _digits(code)):
        _count_wrong_try(person)
        raise refused
    if person.setup_code_expires_at <= now:
        raise AccountError(
            "setup_code_expired",
            _("설정 코드의 유효 기간이 지났습니다. 교육장 창구에서 새 코드를 받아 주세요."),
            "code",
        )
    _set_password(person, new_password)
    person.setup_code_hash = None
    person.setup_code_expires_at = None
    person.last_login_at = now
    db.session.flush()
    audit.record(person, "person.setup_code_use", person)
    return person


def password_matches(person: Person, password: str | None) -> bool:
    """Whether the password is the person's own (never for an account without one)."""
    return person.password_hash is not None and check_password_hash(
        person.password_hash, password or ""
    )


def change_password(person: Person, current: str, new: str, *, now: datetime) -> Person:
    """The person changes their own password after giving the current one."""
    person = lock_row(Person, person.id)
    if not password_matches(person, current):
        raise AccountError(
            "wrong_password", _("지금 비밀번호가 맞지 않습니다."), "current_password"
        )
    validate_password(new)
    _set_password(person, new)
    # A code still waiting would be a second way in.
    person.setup_code_hash = None
    person.setup_code_expires_at = None
    db.session.flush()
    audit.record(person, "person.password_change", person, at=now.isoformat())
    return person


def _set_password(person: Person, password: str) -> None:
    person.password_hash = generate_password_hash(password)
    person.auth_version += 1
    # A new password, set with staff's code, is how a locked-out person gets back in.
    person.failed_logins = 0
    person.login_locked_until = None


def _digits(code: str | None) -> str:
    """The code as typed ("1234 5678", full-width digits) reduced to its digits."""
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", code or ""))[:32]


def _count_wrong_try(person: Person) -> None:
    """Record a wrong code; the last allowed wrong try voids the code."""
    audit.record(None, "person.setup_code_wrong", person)
    db.session.flush()
    if _wrong_tries_since_issue(person) < MAX_WRONG_SETUP_TRIES:
        return
    person.setup_code_hash = None
    person.setup_code_expires_at = None
    db.session.flush()
    audit.record(None, "person.setup_code_void", person, wrong_tries=MAX_WRONG_SETUP_TRIES)
    raise AccountError(
        "setup_code_void",
        _(
            "설정 코드를 %(n)d번 틀려 더 이상 쓸 수 없습니다. "
            "교육장 창구에서 본인 확인 후 새 코드를 받아 주세요.",
            n=MAX_WRONG_SETUP_TRIES,
        ),
        "code",
        status=429,
    )


def _wrong_tries_since_issue(person: Person) -> int:
    # The trail is the counter (no column for it): wrong tries after the latest issue.
    subject = (AuditEntry.subject_type == Person.__tablename__) & (
        AuditEntry.subject_id == person.id
    )
    issued = db.session.scalar(
        select(func.max(AuditEntry.id)).where(
            subject, AuditEntry.action == "person.setup_code_issue"
        )
    )
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            subject,
            AuditEntry.action == "person.setup_code_wrong",
            AuditEntry.id > (issued or 0),
        )
    )
