"""Accounts: sign-up with consent, log-in, desk registration, how people are told about
their enrollments, and API tokens."""

import math
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask import session as browser_session
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from training import audit
from training.accounts import auth_sessions
from training.accounts.models import (
    DONGS,
    OUTSIDE_DISTRICT,
    AuthKind,
    ConsentMethod,
    MessageChannel,
    Person,
    Role,
)
from training.clock import to_seoul, utcnow
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row

PHONE_PATTERN = re.compile(r"01[016789][0-9]{7,8}")
# What a mail server accepts in practice (the HTML standard's rule), with a dot in the domain:
# a typing slip such as "name@navercom" is caught here rather than by a bounce.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
MAX_EMAIL_LENGTH = 254
LOCALES = ("ko", "en")
MIN_PASSWORD_LENGTH = 8


class AccountError(RuleError):
    """An account rule refused the request; field names the form field it concerns."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 400):
        super().__init__(code, message, status)
        self.field = field


def normalize_phone(raw: str) -> str:
    """Digits of a Korean mobile number ("010-1234-5678" -> "01012345678")."""
    # NFKC turns full-width digits into ASCII ones, so one number has one spelling.
    digits = re.sub(r"[\s\-.]", "", unicodedata.normalize("NFKC", raw or ""))
    if not PHONE_PATTERN.fullmatch(digits):
        raise AccountError(
            "invalid_phone", _("휴대전화 번호를 010-1234-5678 형식으로 적어 주세요."), "phone"
        )
    return digits


# What a page or a file shows where an anonymized person's phone was.
NO_PHONE = "–"


def format_phone(digits: str | None) -> str:
    """Show stored digits with hyphens."""
    if not digits:
        return NO_PHONE
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def mask_phone(digits: str | None) -> str:
    """010-****-5678: enough to tell people apart, not enough to call them."""
    if not digits:
        return NO_PHONE
    return f"{digits[:3]}-****-{digits[-4:]}"


def mask_name(name: str) -> str:
    """홍*동: first and last character kept."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def validate_person_fields(name: str, birth_year, dong: str, now: datetime | None = None):
    """Check the fields every person record needs; returns cleaned values."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not 2 <= len(name) <= 40 or any(unicodedata.category(c).startswith("C") for c in name):
        raise AccountError("invalid_name", _("이름을 2자 이상 40자 이하로 적어 주세요."), "name")
    this_year = to_seoul(now or utcnow()).year
    try:
        if isinstance(birth_year, str) and not re.fullmatch(r"[0-9]{4}", birth_year.strip()):
            raise ValueError(birth_year)
        birth_year = int(birth_year)
    except (TypeError, ValueError):
        raise AccountError(
            "invalid_birth_year", _("태어난 해를 네 자리 숫자로 적어 주세요."), "birth_year"
        ) from None
    if not this_year - 120 <= birth_year <= this_year - 5:
        raise AccountError(
            "invalid_birth_year", _("태어난 해를 네 자리 숫자로 적어 주세요."), "birth_year"
        )
    if dong not in DONGS and dong != OUTSIDE_DISTRICT:
        raise AccountError("invalid_dong", _("사는 동을 목록에서 골라 주세요."), "dong")
    return name, birth_year, dong


def validate_password(password: str) -> str:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "weak_password",
            _("비밀번호는 %(n)d자 이상이어야 합니다.", n=MIN_PASSWORD_LENGTH),
            "password",
        )
    if len(password) > 128:
        raise AccountError("weak_password", _("비밀번호가 너무 깁니다."), "password")
    return password


def validate_contact(
    message_channel: MessageChannel | str, email: str | None, locale: str
) -> tuple[MessageChannel, str | None, str]:
    """Check how a person is to be told and in which language; returns cleaned values. An
    email address is kept only for the email channel: no one else's is needed."""
    try:
        channel = MessageChannel(message_channel)
    except ValueError:
        raise AccountError(
            "invalid_channel", _("안내 받는 방법을 목록에서 골라 주세요."), "message_channel"
        ) from None
    if locale not in LOCALES:
        raise AccountError(
            "invalid_locale", _("언어를 한국어와 English 중에서 골라 주세요."), "locale"
        )
    if channel is not MessageChannel.EMAIL:
        return channel, None, locale
    # NFKC turns a full-width "＠" or letters typed in a Korean keyboard's wide mode into ASCII.
    email = unicodedata.normalize("NFKC", email or "").strip()
    if not email:
        raise AccountError(
            "email_required", _("이메일로 안내 받으려면 이메일 주소를 적어 주세요."), "email"
        )
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise AccountError(
            "invalid_email", _("이메일 주소를 name@example.com 처럼 적어 주세요."), "email"
        )
    local_part, domain = email.rsplit("@", 1)
    return channel, f"{local_part}@{domain.lower()}", locale


def find_by_phone(phone: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.phone == phone))


def create_person(
    *,
    name: str,
    phone: str,
    birth_year,
    dong: str,
    role: Role = Role.RESIDENT,
    password: str | None = None,
    consent: bool,
    consent_method: ConsentMethod = ConsentMethod.ONLINE,
    created_by: Person | None = None,
    message_channel: MessageChannel | str = MessageChannel.SMS,
    email: str | None = None,
    locale: str = "ko",
) -> Person:
    """Register a person after checking every field and the consent to collection; they are
    told about their enrollments by message_channel, in locale."""
    if not consent:
        raise AccountError(
            "consent_required", _("개인정보 수집·이용에 동의해야 가입할 수 있습니다."), "consent"
        )
    phone = normalize_phone(phone)
    name, birth_year, dong = validate_person_fields(name, birth_year, dong)
    message_channel, email, locale = validate_contact(message_channel, email, locale)
    if password is not None:
        validate_password(password)
    if find_by_phone(phone) is not None:
        raise AccountError(
            "phone_taken", _("이미 등록된 휴대전화 번호입니다."), "phone", status=409
        )
    person = Person(
        name=name,
        phone=phone,
        birth_year=birth_year,
        dong=dong,
        email=email,
        locale=locale,
        message_channel=message_channel,
        role=role,
        password_hash=generate_password_hash(password) if password else None,
        consent_version=current_app.config["CONSENT_VERSION"],
        consent_method=consent_method,
        created_by_id=created_by.id if created_by else None,
    )
    try:
        # A savepoint, so that a phone registered a moment ago by another request turns
        # into a clear message instead of a failed transaction.
        with db.session.begin_nested():
            db.session.add(person)
    except IntegrityError:
        raise AccountError(
            "phone_taken", _("이미 등록된 휴대전화 번호입니다."), "phone", status=409
        ) from None
    if created_by is not None:
        audit.record(created_by, "person.create", person, role=role.value)
    return person


def update_contact(
    person: Person,
    *,
    message_channel: MessageChannel | str,
    email: str | None,
    locale: str,
    actor: Person,
) -> list[str]:
    """Change how the person is told about their enrollments and in which language; returns
    the names of the fields that changed, which the audit entry lists without their values."""
    message_channel, email, locale = validate_contact(message_channel, email, locale)
    wanted = {"message_channel": message_channel, "email": email, "locale": locale}
    changed = [name for name, value in wanted.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, wanted[name])
    if changed:
        db.session.flush()
        audit.record(actor, "person.update_contact", person, fields=changed)
    return changed


# Compared against when the phone has no account (or no password), so that a refusal takes
# as long for an unknown number as for a known one and timing does not tell who has an account.
_NO_PASSWORD_HASH = generate_password_hash(secrets.token_hex(16))


def authenticate(phone: str, password: str, *, now: datetime | None = None) -> Person:
    """The person with this phone and password, or AccountError.

    LOGIN_MAX_FAILURES wrong passwords in a row, from any address, lock the account for
    LOGIN_LOCK_MINUTES: the count is kept on the person, so it holds across workers and
    servers. The caller commits after a refusal too, or the count would be lost."""
    now = now or utcnow()
    refused = AccountError(
        "invalid_credentials", _("휴대전화 번호 또는 비밀번호가 맞지 않습니다."), status=401
    )
    try:
        phone = normalize_phone(phone)
    except AccountError:
        check_password_hash(_NO_PASSWORD_HASH, password or "")
        raise refused from None
    person = find_by_phone(phone)
    if person is not None:
        # Two wrong passwords at once must both be counted.
        person = lock_row(Person, person.id)
    if person is None or not person.can_log_in or is_login_locked(person, now):
        check_password_hash(_NO_PASSWORD_HASH, password or "")
        if person is not None and person.can_log_in:
            raise _locked_error(person, now)
        raise refused
    if not check_password_hash(person.password_hash, password or ""):
        person.failed_logins += 1
        if person.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            person.failed_logins = 0
            person.login_locked_until = now + timedelta(
                minutes=current_app.config["LOGIN_LOCK_MINUTES"]
            )
            audit.record(
                None, "auth.login_locked", person, until=person.login_locked_until.isoformat()
            )
            raise _locked_error(person, now)
        raise refused
    person.failed_logins = 0
    person.login_locked_until = None
    person.last_login_at = now
    return person


def is_login_locked(person: Person, now: datetime) -> bool:
    return person.login_locked_until is not None and person.login_locked_until > now


def _locked_error(person: Person, now: datetime) -> AccountError:
    minutes = max(1, math.ceil((person.login_locked_until - now).total_seconds() / 60))
    return AccountError(
        "account_locked",
        _(
            "비밀번호가 여러 번 틀려 로그인을 잠시 막았습니다. %(minutes)s분 뒤에 다시 "
            "해 보세요. 비밀번호가 생각나지 않으면 교육장에 문의해 설정 코드를 받으세요.",
            minutes=minutes,
        ),
        status=429,
    )


def issue_token(person: Person, *, now: datetime | None = None, label: str = "") -> str:
    """A new API token for the person, valid for API_TOKEN_MAX_AGE unless revoked first."""
    return auth_sessions.start_session(person, AuthKind.API, now=now or utcnow(), label=label)


def person_for_token(token: str, *, now: datetime | None = None) -> Person | None:
    """The person a token was issued to, if it is live: not revoked, not expired, issued
    under the person's current auth version."""
    return auth_sessions.person_for_secret(token, AuthKind.API, now=now or utcnow())


def load_session_user(
    user_id: str, secret: str | None = None, *, now: datetime | None = None
) -> Person | None:
    """Flask-Login's loader: the person whose live browser session has the secret kept in
    the browser's cookie (or the one given), found in one query. Flask-Login's id alone is no
    longer enough, so a cookie copied before logging out lets no one in."""
    try:
        person_id, _version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    if secret is None and has_request_context():
        secret = browser_session.get(auth_sessions.SESSION_KEY)
    return auth_sessions.person_for_secret(
        secret, AuthKind.WEB, now=now or utcnow(), person_id=person_id
    )


def search_people(query: str, limit: int = 50, *, role: Role | None = None) -> list[Person]:
    """People whose name contains the query, or whose phone ends with (or equals) its digits;
    with a role, only people of that role (every one of them when the query is empty)."""
    statement = select(Person)
    if query.strip():
        digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", query))
        conditions = [Person.name.contains(query.strip(), autoescape=True)]
        if len(digits) >= 4:
            conditions.append(Person.phone.endswith(digits, autoescape=True))
        statement = statement.where(or_(*conditions))
    if role is not None:
        statement = statement.where(Person.role == role)
    return db.session.scalars(statement.order_by(Person.name, Person.id).limit(limit)).all()
