"""Check-in as JSON, for the door screen's script and the API alike: a person's mark, a
session's roster, the answer to a scan and the time a scan kept offline was made.

The shapes are schema classes, so the API's OpenAPI document is generated from the same
declarations the pages use."""

from datetime import datetime
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, Field, create_model

from training.catalog.models import Session
from training.checkin.models import Attendance, AttendanceStatus, CheckInMethod
from training.checkin.rosters import RosterLine, counts, roster
from training.checkin.scans import CheckInError, CheckInResult
from training.clock import to_seoul, to_seoul_or_none

MAX_SCANNED_AT_LENGTH = 40


class AttendanceJson(BaseModel):
    """One person's mark for one class session."""

    id: int
    session_id: int
    enrollment_id: int
    status: AttendanceStatus
    checked_in_at: datetime | None = Field(description="Asia/Seoul time")
    method: CheckInMethod | None

    @classmethod
    def of(cls, attendance: Attendance) -> "AttendanceJson":
        return cls(
            id=attendance.id,
            session_id=attendance.session_id,
            enrollment_id=attendance.enrollment_id,
            status=attendance.status,
            checked_in_at=to_seoul_or_none(attendance.checked_in_at),
            method=attendance.method,
        )


CountsJson = create_model(
    "CountsJson",
    __doc__="How many are marked with each status, and how many are expected.",
    **{status.value: (int, ...) for status in AttendanceStatus},
    expected=(int, ...),
)


class RosterSessionJson(BaseModel):
    """The class session a roster is for."""

    id: int
    run_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, session: Session) -> "RosterSessionJson":
        return cls(
            id=session.id,
            run_id=session.run_id,
            title=session.run.title,
            starts_at=to_seoul_or_none(session.starts_at),
            ends_at=to_seoul_or_none(session.ends_at),
            closed_at=to_seoul_or_none(session.closed_at),
        )


class RosterLineJson(BaseModel):
    """A confirmed trainee and their mark, if any."""

    enrollment_id: int
    person_id: int
    name: str
    # None for a person whose personal data was anonymized.
    phone_last4: str | None
    attendance: AttendanceJson | None

    @classmethod
    def of(cls, line: RosterLine) -> "RosterLineJson":
        person = line.enrollment.person
        return cls(
            enrollment_id=line.enrollment.id,
            person_id=person.id,
            name=person.name,
            phone_last4=person.phone[-4:] if person.phone else None,
            attendance=AttendanceJson.of(line.attendance) if line.attendance else None,
        )


class RosterJson(BaseModel):
    """A session, its live counts and its confirmed trainees, by name."""

    session: RosterSessionJson
    counts: CountsJson
    roster: list[RosterLineJson]

    @classmethod
    def of(cls, session: Session) -> "RosterJson":
        lines = roster(session)
        return cls(
            session=RosterSessionJson.of(session),
            counts=CountsJson(**counts(lines)),
            roster=[RosterLineJson.of(line) for line in lines],
        )


class CheckInJson(BaseModel):
    """An accepted scan: present or late for a new check-in, already for a repeated one."""

    result: Literal["present", "late", "already"]
    attendance: AttendanceJson

    @classmethod
    def of(cls, outcome: CheckInResult) -> "CheckInJson":
        return cls(result=outcome.result, attendance=AttendanceJson.of(outcome.attendance))


def result_json(outcome: CheckInResult) -> dict:
    """What the door screen shows for an accepted scan: the API's answer, with words."""
    time = to_seoul(outcome.attendance.checked_in_at)
    name = outcome.person.name
    messages = {
        "present": _("%(name)s님 출석", name=name),
        "late": _("%(name)s님 지각 (%(time)s)", name=name, time=f"{time:%H:%M}"),
        "already": _("%(name)s님은 %(time)s에 이미 출석했습니다", name=name, time=f"{time:%H:%M}"),
    }
    return {
        **CheckInJson.of(outcome).model_dump(mode="json"),
        "message": messages[outcome.result],
        "name": name,
        "checked_in_at": time.isoformat(),
    }


def error_body(error: CheckInError) -> dict:
    """What the door screen shows for a refused scan."""
    body = {"result": "error", "code": error.code, "message": error.message}
    if error.person is not None:
        body["name"] = error.person.name
    return body


def state_json(session: Session) -> dict:
    """The door screen's live counts and marks: the API's roster lines, each with its status
    and the time as HH:MM for the screen to show."""
    lines = roster(session)
    rows = []
    for line in lines:
        attendance = line.attendance
        rows.append(
            {
                **RosterLineJson.of(line).model_dump(mode="json"),
                "status": attendance.status.value if attendance else None,
                "checked_in_at": f"{to_seoul(attendance.checked_in_at):%H:%M}"
                if attendance and attendance.checked_in_at
                else None,
            }
        )
    return {"counts": counts(lines), "closed": session.closed_at is not None, "roster": rows}


def parse_scanned_at(raw) -> datetime | None:
    """An ISO 8601 time with offset sent for a scan kept offline; None when not sent."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw) > MAX_SCANNED_AT_LENGTH:
        raise CheckInError("invalid_time", _("스캔 시각을 읽을 수 없습니다."), status=400)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CheckInError("invalid_time", _("스캔 시각을 읽을 수 없습니다."), status=400) from None
    if moment.tzinfo is None:
        raise CheckInError("invalid_time", _("스캔 시각을 읽을 수 없습니다."), status=400)
    return moment
