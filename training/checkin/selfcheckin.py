"""Self check-in: a six-digit code on the classroom screen, changing every step, that
trainees type on their own phones."""

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from training.accounts.models import Person
from training.catalog.models import Session
from training.checkin.models import CheckInMethod
from training.checkin.scans import CheckInError, CheckInResult, record_check_in
from training.clock import seoul_day_bounds, utcnow
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db


def self_check_in_code(session: Session, step: int) -> str:
    """The six-digit code shown in the classroom for one time step."""
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"ydp-self-checkin-v1", hashlib.sha256
    ).digest()
    digest = hmac.new(key, f"{session.id}:{step}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def current_step(now: datetime) -> int:
    return int(now.timestamp()) // current_app.config["SELF_CHECKIN_STEP_SECONDS"]


def self_check_in(
    person: Person, code: str, *, session: Session | None = None, now: datetime | None = None
) -> CheckInResult:
    """A logged-in person checks themself in with the code on the classroom screen.

    The code of this step or the one before is accepted (a person needs a moment to type
    it); older codes and other sessions' codes are refused."""
    now = now or utcnow()
    code = (code or "").strip()
    if not code.isascii() or not code.isdigit() or len(code) != 6:
        raise CheckInError("invalid_code", _("화면의 여섯 자리 숫자를 적어 주세요."), status=400)
    step = current_step(now)
    candidates = [session] if session is not None else todays_sessions_of(person, now)
    for candidate in candidates:
        for valid_step in (step, step - 1):
            if hmac.compare_digest(self_check_in_code(candidate, valid_step), code):
                return record_check_in(
                    candidate, person, actor=person, method=CheckInMethod.SELF, now=now
                )
    raise CheckInError(
        "invalid_code",
        _("코드가 맞지 않거나 시간이 지났습니다. 화면의 새 코드를 적어 주세요."),
        status=400,
    )


def todays_sessions_of(person: Person, now: datetime) -> list[Session]:
    """Sessions today (Seoul) of runs the person is confirmed in."""
    start, end = seoul_day_bounds(now)
    return db.session.scalars(
        select(Session)
        .join(Enrollment, Enrollment.run_id == Session.run_id)
        .where(
            Enrollment.person_id == person.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            Session.starts_at < end,
            Session.ends_at > start,
        )
        .order_by(Session.starts_at)
    ).all()
