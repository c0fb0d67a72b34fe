"""Self check-in: a six-digit code on the classroom screen, changing every step, that
trainees type on their own phones.

A million codes are few: besides the per-person rate limit on the page, each wrong code
counts against the session it was typed for, and after SELF_CHECKIN_MAX_FAILURES that
session's self check-in is closed to the person. The instructor still checks them in at the
door, by pass or by name."""

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from training import audit
from training.accounts.models import Person
from training.catalog.models import Session
from training.checkin.models import CheckInMethod, SelfCheckInFailures
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


class SelfCheckInRefused(CheckInError):
    """A wrong code, or a person locked out of a session's self check-in: the failures it
    counted must be committed although the check-in is refused."""


def self_check_in(
    person: Person, code: str, *, session: Session | None = None, now: datetime | None = None
) -> CheckInResult:
    """A logged-in person checks themself in with the code on the classroom screen.

    The code of this step or the one before is accepted (a person needs a moment to type
    it); older codes and other sessions' codes are refused. A wrong code counts against the
    session named, or against each of the person's sessions today when none is; a session
    with too many is closed to the person, right code or not, and a right code does not
    clear the count (or guesses could alternate with it)."""
    now = now or utcnow()
    code = (code or "").strip()
    if not code.isascii() or not code.isdigit() or len(code) != 6:
        raise CheckInError("invalid_code", _("화면의 여섯 자리 숫자를 적어 주세요."), status=400)
    step = current_step(now)
    candidates = [session] if session is not None else todays_sessions_of(person, now)
    locked = locked_session_ids(person, candidates)
    if candidates and all(candidate.id in locked for candidate in candidates):
        raise _locked_error()
    for candidate in candidates:
        for valid_step in (step, step - 1):
            if hmac.compare_digest(self_check_in_code(candidate, valid_step), code):
                if candidate.id in locked:
                    raise _locked_error()
                return record_check_in(
                    candidate, person, actor=person, method=CheckInMethod.SELF, now=now
                )
    newly_locked = False
    # Rows in one order (by id) in every request, so that two on PostgreSQL cannot deadlock.
    for candidate in sorted(candidates, key=lambda candidate: candidate.id):
        if candidate.id not in locked:
            newly_locked |= _count_failure(person, candidate, now)
    if newly_locked:
        raise _locked_error()
    raise SelfCheckInRefused(
        "invalid_code",
        _("코드가 맞지 않거나 시간이 지났습니다. 화면의 새 코드를 적어 주세요."),
        status=400,
    )


def locked_session_ids(person: Person, sessions: list[Session]) -> set[int]:
    """Which of these sessions' self check-in is closed to the person."""
    if not sessions:
        return set()
    return set(
        db.session.scalars(
            select(SelfCheckInFailures.session_id).where(
                SelfCheckInFailures.person_id == person.id,
                SelfCheckInFailures.session_id.in_([s.id for s in sessions]),
                SelfCheckInFailures.failures >= current_app.config["SELF_CHECKIN_MAX_FAILURES"],
            )
        )
    )


def locked_person_ids(session: Session) -> set[int]:
    """Who is locked out of this session's self check-in, for the door screen."""
    return set(
        db.session.scalars(
            select(SelfCheckInFailures.person_id).where(
                SelfCheckInFailures.session_id == session.id,
                SelfCheckInFailures.failures >= current_app.config["SELF_CHECKIN_MAX_FAILURES"],
            )
        )
    )


def _count_failure(person: Person, session: Session, now: datetime) -> bool:
    """Count one wrong code against the session; True when this one closed it."""
    # One statement adds to the count in the database: two wrong codes at once, from two
    # workers, are both counted, and the first one for a session cannot trip over the
    # other's insert (the unique constraint turns it into the update).
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SelfCheckInFailures).values(
        person_id=person.id, session_id=session.id, failures=1, last_failed_at=now
    )
    failures = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id", "session_id"],
            set_={
                "failures": SelfCheckInFailures.failures + 1,
                "last_failed_at": statement.excluded.last_failed_at,
            },
        ).returning(SelfCheckInFailures.failures)
    ).scalar_one()
    # Exactly one request sees the count reach the limit, so the lock-out is recorded once.
    if failures != current_app.config["SELF_CHECKIN_MAX_FAILURES"]:
        return False
    audit.record(None, "checkin.self_locked", session, person_id=person.id, failures=failures)
    return True


def _locked_error() -> SelfCheckInRefused:
    return SelfCheckInRefused(
        "self_check_in_locked",
        _(
            "코드가 여러 번 틀려 이 수업은 휴대전화로 출석할 수 없습니다. 교실 입구의 "
            "강사에게 출석을 확인해 달라고 말씀해 주세요."
        ),
        status=403,
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
