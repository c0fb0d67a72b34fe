"""The bodies and query strings of /api/v1, declared once: they validate what comes in and
describe what goes out, and the OpenAPI document is generated from them. Enumerations are the
models' own enums; check-in's shapes live beside check-in, in training.checkin.presenters."""

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from training.accounts.models import AuthSession, MessageChannel, Person, Role
from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Selection,
    Session,
    Venue,
)
from training.clock import MONTH_PATTERN, parse_month, to_seoul_or_none
from training.enrollment.listings import RunListing
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus

if TYPE_CHECKING:
    from training.planning.scheduling import Skipped

MAX_RUNS = 10_000


def _ascii_digits(value: Any) -> Any:
    # int() would also read "٣", "1_0" or " 5"; a query parameter is plain digits or wrong.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,6}", value):
        raise ValueError("must be a whole number written in digits")
    return value


Month = Annotated[str, Field(pattern=MONTH_PATTERN.pattern, examples=["2026-03"])]

HOUR_MINUTE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _text(value: Any) -> Any:
    # Pydantic would read a number as seconds since 1970, a date or a time of day.
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _hour_minute(value: Any) -> Any:
    if not isinstance(value, str) or not HOUR_MINUTE.match(value):
        raise ValueError("must be a time of day written HH:MM")
    return value


# Naive times are refused: the API never guesses a time zone.
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_text),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-03-05T10:00:00+09:00"]}
    ),
]
Day = Annotated[
    date,
    BeforeValidator(_text),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-03-05"]}),
]
TimeOfDay = Annotated[
    time,
    BeforeValidator(_hour_minute),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": HOUR_MINUTE.pattern,
            "description": "Seoul time, HH:MM",
            "examples": ["10:00"],
        }
    ),
]
Locale = Literal["ko", "en"]
RowId = Annotated[StrictInt, Field(ge=1)]
Age = Annotated[StrictInt, Field(ge=0, le=150)]
Hours = Annotated[StrictInt | StrictFloat, Field(gt=0, le=1000)]


def _drop_default(schema: dict) -> None:
    schema.pop("default", None)


def optional(**constraints) -> Any:
    """A field that may be left out but, when given, must have its type (null only if the
    type allows it): what a PATCH body needs to tell "unchanged" from "cleared"."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


class ErrorDetailJson(BaseModel):
    code: str = Field(description="Stable, for programs: see each operation's responses")
    message: str = Field(description="Safe to show to people, in the request's language")


class ErrorJson(BaseModel):
    """Every refusal: {"error": {"code", "message"}}."""

    error: ErrorDetailJson


# Requests


class SignupBody(BaseModel):
    """A new resident account; consent to the collection of personal data is required."""

    name: StrictStr
    phone: StrictStr = Field(examples=["010-1234-5678"])
    password: StrictStr
    birth_year: StrictInt = Field(examples=[1956])
    dong: StrictStr = Field(description="One of the district's 18 administrative dongs")
    message_channel: MessageChannel = Field(
        default=MessageChannel.SMS, description="How the person is told about their enrollments"
    )
    email: StrictStr | None = Field(
        default=None,
        max_length=254,
        description="Required with message_channel email, and kept only then",
        examples=["name@example.com"],
    )
    locale: Locale | None = Field(
        default=None,
        description="The language of the person's messages; the request's language if left out",
    )
    consent: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": "boolean",
                "description": "Must be true; anything else is refused with consent_required",
            }
        ),
    ] = False


class TokenBody(BaseModel):
    phone: StrictStr
    password: StrictStr


class EnrollBody(BaseModel):
    person_id: StrictInt | None = Field(
        default=None, ge=1, description="Staff only: the person to enroll instead of yourself"
    )


# Read by the service that uses it, which answers unreadable times with its own code.
TimeText = Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "date-time"})]


class CheckInBody(BaseModel):
    token: StrictStr = Field(description="The QR pass's payload, as scanned")
    scanned_at: TimeText | None = Field(
        default=None,
        description="When a scan kept offline was made (ISO 8601 with offset); it decides "
        "lateness and must lie in the check-in window; unreadable times are invalid_time",
    )


class RunsQuery(BaseModel):
    open: Literal["0", "1"] | None = Field(
        default=None, description="1: only runs taking applications now"
    )
    audience: Audience | None = None
    month: Month | None = Field(default=None, description="Runs with days in this month")
    limit: Annotated[int, BeforeValidator(_ascii_digits)] | None = Field(
        default=None, ge=1, le=MAX_RUNS
    )

    @property
    def month_start(self) -> date | None:
        return parse_month(self.month) if self.month else None


class CompletionSettingsBody(BaseModel):
    """How attendance counts towards completion (optional everywhere; a run takes its
    course's settings unless told otherwise)."""

    model_config = ConfigDict(extra="forbid")

    completion_threshold: StrictInt = optional(
        ge=1, le=100, description="Attendance (%) needed to complete"
    )
    is_late_attended: StrictBool = optional(description="A late arrival counts as attended")
    lates_per_absence: StrictInt = optional(
        ge=0, le=100, description="This many lates count as one absence (0: never)"
    )
    is_excused_left_out: StrictBool = optional(
        description="Excused absences are left out of the rate"
    )


class CourseChangesBody(CompletionSettingsBody):
    """Any of a course's fields; those left out are unchanged."""

    title: StrictStr = optional(max_length=120)
    category: Category = optional()
    level: Level = optional()
    audience: Audience = optional()
    delivery: Delivery = optional()
    description: StrictStr = optional(max_length=5000)
    hours: Hours | None = optional(description="Default hours of a run")


class CourseBody(CourseChangesBody):
    """A new course; its code (C45, C46...) is given when left out."""

    title: StrictStr = Field(max_length=120)
    category: Category
    level: Level
    audience: Audience
    delivery: Delivery
    description: StrictStr = Field(default="", max_length=5000)
    code: StrictStr = optional(max_length=20, examples=["C45"])


class RunChangesBody(CompletionSettingsBody):
    """Any of a run's fields; those left out are unchanged. Changing the room or the
    time notifies the people enrolled; raising the capacity confirms the waiting list."""

    number: StrictInt = optional(ge=1, le=9999, description="기수 (run number)")
    room_id: RowId | None = optional(description="null: online")
    instructor_id: RowId | None = optional()
    capacity: StrictInt = optional(ge=1, le=10_000)
    registration_opens_at: Moment = optional()
    registration_closes_at: Moment = optional()
    selection: Selection = optional()
    min_age: Age | None = optional()
    max_age: Age | None = optional()
    is_district_only: StrictBool = optional(description="Residents of the district only")


class RunBody(RunChangesBody):
    """A new run of a course, without sessions yet (POST /runs/{id}/sessions adds them); the
    next free run number when none is given."""

    course_id: RowId
    capacity: StrictInt = Field(ge=1, le=10_000)
    registration_opens_at: Moment
    registration_closes_at: Moment


class CancelRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(max_length=200, description="Told to every person enrolled")


class AnonymizeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(
        max_length=200, description="Why, as the person asked (kept on the audit trail)"
    )


class SessionTimesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: Moment
    ends_at: Moment


class PatternBody(BaseModel):
    """Class days from first_date on the weekdays, count of them or up to last_date (one of
    the two); public holidays and closure days are skipped and do not count."""

    model_config = ConfigDict(extra="forbid")

    first_date: Day
    weekdays: list[Annotated[StrictInt, Field(ge=1, le=7)]] = Field(
        min_length=1, max_length=7, description="ISO weekdays: 1 Monday ... 7 Sunday"
    )
    start: TimeOfDay
    end: TimeOfDay
    count: StrictInt = optional(ge=1, le=200)
    last_date: Day = optional()


class NewSessionsBody(BaseModel):
    """One session ({starts_at, ends_at}) or a pattern ({pattern}), not both."""

    model_config = ConfigDict(extra="forbid")

    starts_at: Moment = optional()
    ends_at: Moment = optional()
    pattern: PatternBody = optional()

    @model_validator(mode="after")
    def _one_form(self) -> "NewSessionsBody":
        single = self.starts_at is not None or self.ends_at is not None
        if single == (self.pattern is not None):
            raise ValueError("give either starts_at and ends_at, or a pattern")
        if single and (self.starts_at is None or self.ends_at is None):
            raise ValueError("give both starts_at and ends_at")
        return self


class StatsQuery(BaseModel):
    start: Month = Field(alias="from")
    end: Month = Field(alias="to")
    audience: Audience | Literal["all"] = "all"

    @model_validator(mode="after")
    def _in_order(self) -> "StatsQuery":
        if self.end < self.start:
            raise ValueError("'to' must not come before 'from'")
        return self

    @property
    def start_month(self) -> date:
        return parse_month(self.start)

    @property
    def end_month(self) -> date:
        return parse_month(self.end)


# Responses


class NewAccountJson(BaseModel):
    token: str = Field(description="A bearer token for the new account")
    id: int


class TokenJson(BaseModel):
    token: str = Field(description="A bearer token: Authorization: Bearer <token>")
    expires_at: datetime = Field(
        description="When the token stops working, unless revoked or the password changes first"
    )


class TokenInfoJson(BaseModel):
    """One of the person's live API tokens; the token itself is never shown again."""

    id: int
    label: str = Field(description="The program that asked for it (from its User-Agent)")
    created_at: datetime
    expires_at: datetime
    is_current: bool = Field(description="Whether this request presents this token")

    @classmethod
    def of(cls, token: AuthSession, *, current_id: int | None) -> "TokenInfoJson":
        return cls(
            id=token.id,
            label=token.label,
            created_at=to_seoul_or_none(token.created_at),
            expires_at=to_seoul_or_none(token.expires_at),
            is_current=token.id == current_id,
        )


class TokenInfoListJson(RootModel[list[TokenInfoJson]]):
    """The person's live API tokens, newest first."""


class SessionTimesJson(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, session: Session) -> "SessionTimesJson":
        return cls(
            id=session.id,
            starts_at=to_seoul_or_none(session.starts_at),
            ends_at=to_seoul_or_none(session.ends_at),
        )


class RunJson(BaseModel):
    """A course run with its live counts; times in Asia/Seoul."""

    id: int
    course_id: int
    course_title: str
    number: int = Field(description="기수 (run number)")
    title: str
    audience: Audience
    delivery: Delivery
    category: Category
    level: Level
    venue: str | None
    room: str | None
    instructor: str | None
    capacity: int
    confirmed: int
    waitlisted: int
    applied: int
    seats_left: int
    selection: Selection
    registration_opens_at: datetime
    registration_closes_at: datetime
    starts_on: date
    ends_on: date
    sessions_count: int
    hours: float
    min_age: int | None
    max_age: int | None
    lottery_drawn_at: datetime | None
    status: Literal["scheduled", "cancelled"]

    @classmethod
    def fields_of(cls, listing: RunListing) -> dict:
        run = listing.run
        course = run.course
        room = run.room
        return {
            "id": run.id,
            "course_id": run.course_id,
            "course_title": course.title,
            "number": run.number,
            "title": run.title,
            "audience": course.audience,
            "delivery": course.delivery,
            "category": course.category,
            "level": course.level,
            "venue": room.venue.name if room else None,
            "room": room.name if room else None,
            "instructor": run.instructor.name if run.instructor else None,
            "capacity": run.capacity,
            "confirmed": listing.confirmed,
            "waitlisted": listing.waitlisted,
            "applied": listing.applied,
            "seats_left": listing.seats_left,
            "selection": run.selection,
            "registration_opens_at": to_seoul_or_none(run.registration_opens_at),
            "registration_closes_at": to_seoul_or_none(run.registration_closes_at),
            "starts_on": run.starts_on,
            "ends_on": run.ends_on,
            "sessions_count": len(run.sessions),
            "hours": run.total_hours,
            "min_age": run.min_age,
            "max_age": run.max_age,
            "lottery_drawn_at": to_seoul_or_none(run.lottery_drawn_at),
            "status": run_status(run),
        }

    @classmethod
    def of(cls, listing: RunListing) -> "RunJson":
        return cls(**cls.fields_of(listing))


def run_status(run: CourseRun) -> Literal["scheduled", "cancelled"]:
    return "cancelled" if run.is_cancelled else "scheduled"


class RunListJson(RootModel[list[RunJson]]):
    """Runs ordered by start date."""


class RunDetailJson(RunJson):
    """A course run with its class sessions."""

    sessions: list[SessionTimesJson]

    @classmethod
    def of(cls, listing: RunListing) -> "RunDetailJson":
        sessions = [SessionTimesJson.of(s) for s in listing.run.sessions]
        return cls(**cls.fields_of(listing), sessions=sessions)


class SkippedJson(BaseModel):
    date: date
    reason: str = Field(description="The holiday's name or the closure's reason")


class NewSessionsJson(BaseModel):
    """The sessions made, and the days a pattern passed over."""

    sessions: list[SessionTimesJson]
    skipped: list[SkippedJson]

    @classmethod
    def of(cls, sessions: list[Session], skipped: list["Skipped"]) -> "NewSessionsJson":
        return cls(
            sessions=[SessionTimesJson.of(s) for s in sessions],
            skipped=[SkippedJson(date=day.day, reason=day.reason) for day in skipped],
        )


class RoomJson(BaseModel):
    id: int
    name: str
    seats: int


class VenueJson(BaseModel):
    id: int
    name: str
    address: str
    phone: str | None
    rooms: list[RoomJson]

    @classmethod
    def of(cls, venue: Venue) -> "VenueJson":
        return cls(
            id=venue.id,
            name=venue.name,
            address=venue.address,
            phone=venue.phone,
            rooms=[RoomJson(id=r.id, name=r.name, seats=r.seats) for r in venue.rooms],
        )


class VenueListJson(RootModel[list[VenueJson]]):
    """Venues by name, with their rooms."""


class CourseJson(BaseModel):
    id: int
    code: str
    title: str
    category: Category
    level: Level
    audience: Audience
    delivery: Delivery
    description: str
    hours: float | None
    completion_threshold: int
    is_late_attended: bool
    lates_per_absence: int
    is_excused_left_out: bool
    is_archived: bool

    @classmethod
    def of(cls, course: Course) -> "CourseJson":
        return cls(
            id=course.id,
            code=course.code,
            title=course.title,
            category=course.category,
            level=course.level,
            audience=course.audience,
            delivery=course.delivery,
            description=course.description,
            hours=course.hours,
            completion_threshold=course.completion_threshold,
            is_late_attended=course.is_late_attended,
            lates_per_absence=course.lates_per_absence,
            is_excused_left_out=course.is_excused_left_out,
            is_archived=course.is_archived,
        )


class EnrollmentJson(BaseModel):
    """An enrollment: confirmed, waitlisted (with its place), applied (lottery) or cancelled."""

    id: int
    run_id: int
    person_id: int
    run_title: str
    status: EnrollmentStatus
    waitlist_position: int | None
    channel: Channel
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, enrollment: Enrollment) -> "EnrollmentJson":
        return cls(
            id=enrollment.id,
            run_id=enrollment.run_id,
            person_id=enrollment.person_id,
            run_title=enrollment.run.title,
            status=enrollment.status,
            waitlist_position=enrollment.waitlist_position,
            channel=enrollment.channel,
            created_at=to_seoul_or_none(enrollment.created_at),
            confirmed_at=to_seoul_or_none(enrollment.confirmed_at),
            cancelled_at=to_seoul_or_none(enrollment.cancelled_at),
        )


class EnrollmentListJson(RootModel[list[EnrollmentJson]]):
    """Enrollments, newest runs first."""


class PersonJson(BaseModel):
    id: int
    name: str
    role: Role
    birth_year: int
    dong: str
    message_channel: MessageChannel
    email: str | None
    locale: Locale

    @classmethod
    def of(cls, person: Person) -> "PersonJson":
        return cls(
            id=person.id,
            name=person.name,
            role=person.role,
            birth_year=person.birth_year,
            dong=person.dong,
            message_channel=person.message_channel,
            email=person.email,
            locale=person.locale,
        )


class AnonymizedPersonJson(BaseModel):
    """What is left of a person once anonymized: enough for the statistics, nothing to
    reach or recognise them by."""

    id: int
    name: str = Field(examples=["홍*동"])
    age_band: str | None = Field(examples=["60대"])
    dong: str
    anonymized_at: datetime

    @classmethod
    def of(cls, person: Person) -> "AnonymizedPersonJson":
        return cls(
            id=person.id,
            name=person.name,
            age_band=person.age_band,
            dong=person.dong,
            anonymized_at=to_seoul_or_none(person.anonymized_at),
        )


class PassJson(BaseModel):
    token: str = Field(description="The signed payload the pass's QR code carries")


class PeriodJson(BaseModel):
    start: date
    end: date


class CertificateQuery(BaseModel):
    code: str | None = Field(
        default=None,
        max_length=40,
        description="The check code printed under the certificate's QR code (K7Q2-M9XD; "
        "any case, hyphen and spaces optional); without the right one the answer is not_found",
    )


class CertificateJson(BaseModel):
    """What anyone who scans a certificate may learn: nothing but a masked name."""

    serial: str = Field(examples=["YDP-2022-00001"])
    status: Literal["valid", "revoked"]
    name: str = Field(examples=["홍*동"])
    course: str
    period: PeriodJson
    hours: float
    issued_on: date


class StatsJson(BaseModel):
    """Figures for a period; the definitions are on the statistics page."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    start: str = Field(alias="from", examples=["2022-01"])
    end: str = Field(alias="to", examples=["2022-08"])
    audience: Audience | Literal["all"]
    runs_held: int
    trainees: int
    person_sessions: int
    hours: float
    courses: int
    attendance_rate: float
    completion_rate: float
    report_lines: list[str]
