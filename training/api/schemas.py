"""The bodies and query strings of /api/v1, declared once: they validate what comes in and
describe what goes out, and the OpenAPI document is generated from them. Enumerations are the
models' own enums; check-in's shapes live beside check-in, in training.checkin.presenters."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from training.accounts.models import Person, Role
from training.catalog.models import Audience, Category, Delivery, Level, Selection
from training.clock import MONTH_PATTERN, parse_month, to_seoul
from training.enrollment.listings import RunListing
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus

MAX_RUNS = 10_000


def _seoul(moment: datetime | None) -> datetime | None:
    return to_seoul(moment) if moment is not None else None


def _ascii_digits(value: Any) -> Any:
    # int() would also read "٣", "1_0" or " 5"; a query parameter is plain digits or wrong.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,6}", value):
        raise ValueError("must be a whole number written in digits")
    return value


Month = Annotated[str, Field(pattern=MONTH_PATTERN.pattern, examples=["2026-03"])]


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


class SessionTimesJson(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime


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
            "registration_opens_at": _seoul(run.registration_opens_at),
            "registration_closes_at": _seoul(run.registration_closes_at),
            "starts_on": run.starts_on,
            "ends_on": run.ends_on,
            "sessions_count": len(run.sessions),
            "hours": run.total_hours,
            "min_age": run.min_age,
            "max_age": run.max_age,
            "lottery_drawn_at": _seoul(run.lottery_drawn_at),
        }

    @classmethod
    def of(cls, listing: RunListing) -> "RunJson":
        return cls(**cls.fields_of(listing))


class RunListJson(RootModel[list[RunJson]]):
    """Runs ordered by start date."""


class RunDetailJson(RunJson):
    """A course run with its class sessions."""

    sessions: list[SessionTimesJson]

    @classmethod
    def of(cls, listing: RunListing) -> "RunDetailJson":
        sessions = [
            SessionTimesJson(id=s.id, starts_at=_seoul(s.starts_at), ends_at=_seoul(s.ends_at))
            for s in listing.run.sessions
        ]
        return cls(**cls.fields_of(listing), sessions=sessions)


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
            created_at=_seoul(enrollment.created_at),
            confirmed_at=_seoul(enrollment.confirmed_at),
            cancelled_at=_seoul(enrollment.cancelled_at),
        )


class EnrollmentListJson(RootModel[list[EnrollmentJson]]):
    """Enrollments, newest runs first."""


class PersonJson(BaseModel):
    id: int
    name: str
    role: Role
    birth_year: int
    dong: str

    @classmethod
    def of(cls, person: Person) -> "PersonJson":
        return cls(
            id=person.id,
            name=person.name,
            role=person.role,
            birth_year=person.birth_year,
            dong=person.dong,
        )


class PassJson(BaseModel):
    token: str = Field(description="The signed payload the pass's QR code carries")


class PeriodJson(BaseModel):
    start: date
    end: date


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
