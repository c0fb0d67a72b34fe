"""People: residents, staff, instructors and administrators."""

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from training.clock import utcnow
from training.db_types import UTCDateTime, enum_column_type
from training.extensions import db

DONGS = (
    "영등포본동",
    "영등포동",
    "여의동",
    "당산1동",
    "당산2동",
    "도림동",
    "문래동",
    "양평1동",
    "양평2동",
    "신길1동",
    "신길3동",
    "신길4동",
    "신길5동",
    "신길6동",
    "신길7동",
    "대림1동",
    "대림2동",
    "대림3동",
)
OUTSIDE_DISTRICT = "구외"


class Role(enum.Enum):
    RESIDENT = "resident"
    STAFF = "staff"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {
            Role.RESIDENT: _("구민"),
            Role.STAFF: _("직원"),
            Role.INSTRUCTOR: _("강사"),
            Role.ADMIN: _("관리자"),
        }[self]


class ConsentMethod(enum.Enum):
    ONLINE = "online"
    DESK = "desk"


class MessageChannel(enum.Enum):
    """How a person chose to be told about their enrollments."""

    SMS = "sms"
    EMAIL = "email"
    NONE = "none"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {
            MessageChannel.SMS: _("문자"),
            MessageChannel.EMAIL: _("이메일"),
            MessageChannel.NONE: _("받지 않음"),
        }[self]


class Person(UserMixin, db.Model):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        CheckConstraint("length(phone) BETWEEN 9 AND 11", name="phone_length"),
        CheckConstraint(
            "(setup_code_hash IS NULL) = (setup_code_expires_at IS NULL)", name="setup_code"
        ),
        # Only an anonymized person may lack a phone or a birth year.
        CheckConstraint(
            "anonymized_at IS NOT NULL OR (phone IS NOT NULL AND birth_year IS NOT NULL)",
            name="identified",
        ),
        CheckConstraint("locale IN ('ko', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    # Phone and birth year are gone once a person is anonymized.
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    dong: Mapped[str] = mapped_column(String(20))
    # Optional: asked only of people who want their messages by email.
    email: Mapped[str | None] = mapped_column(String(254))
    # The language the person reads: their messages are written in it.
    locale: Mapped[str] = mapped_column(String(5), default="ko", server_default="ko")
    message_channel: Mapped[MessageChannel] = mapped_column(
        enum_column_type(MessageChannel, "message_channel"),
        default=MessageChannel.SMS,
        server_default="sms",
    )
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"), default=Role.RESIDENT)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Bumped to invalidate every API token and login session of the person.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_method: Mapped[ConsentMethod] = mapped_column(
        enum_column_type(ConsentMethod, "consent_method")
    )
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A one-time code, given at the desk, with which a person sets their own password; only
    # its hash is kept.
    setup_code_hash: Mapped[str | None] = mapped_column(String(255))
    setup_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped when staff reissue the QR pass: passes of earlier versions stop working.
    pass_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Set by the no-show rule: no new enrollments until then.
    barred_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    barred_reason: Mapped[str | None] = mapped_column(String(200))
    # The run whose first session caused the bar: correcting that absence lifts it.
    barred_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_runs.id", use_alter=True, ondelete="SET NULL")
    )
    # Set when the retention period ended or the person withdrew: name masked, phone,
    # password and contact details gone, birth year reduced to the age band kept here.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    age_band: Mapped[str | None] = mapped_column(String(20))
    # Wrong passwords in a row, from any address; reaching the limit locks log-in until
    # login_locked_until. A right password resets the count.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    login_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    @property
    def is_staff(self) -> bool:
        """Division staff who run the programme (administrators included)."""
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_district_resident(self) -> bool:
        return self.dong in DONGS

    @property
    def can_log_in(self) -> bool:
        return self.password_hash is not None and self.is_active

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.role.value}>"


class AuthKind(enum.Enum):
    WEB = "web"
    API = "api"


class AuthSession(db.Model):
    """A logged-in browser or an API token, kept on the server so that logging out or
    revoking ends it for good. Only a hash of its secret is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AuthKind] = mapped_column(enum_column_type(AuthKind, "auth_kind"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A password change, a role change or anonymization bumps Person.auth_version, which
    # ends every session issued under the earlier version.
    auth_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the person sees in the list of places they are logged in (browser or token name).
    label: Mapped[str] = mapped_column(String(100), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))
