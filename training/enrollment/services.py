"""The enrollment rules: windows, eligibility, seats, waiting lists and lotteries."""

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from training import audit
from training.accounts.models import Person, Role
from training.catalog.models import Audience, CourseRun, Room, Selection, Session
from training.clock import to_seoul, utcnow
from training.enrollment.models import (
    ACTIVE_STATUSES,
    Channel,
    Enrollment,
    EnrollmentStatus,
)
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.notifications import tell
from training.rows import get_row


class EnrollmentError(RuleError):
    """An enrollment rule refused the request."""

    @property
    def can_be_overridden(self) -> bool:
        """Whether staff may let this refusal pass at the door, giving a reason."""
        return self.code in OVERRIDABLE_RULES


# Rules about the person, which staff may judge otherwise face to face; a full room, a
# closed account or a place already held they may not.
OVERRIDABLE_RULES = frozenset(
    {"not_eligible", "barred", "already_completed", "too_many_enrollments", "schedule_conflict"}
)
QUEUED_STATUSES = (EnrollmentStatus.WAITLISTED, EnrollmentStatus.APPLIED)


@dataclass(frozen=True)
class RunCounts:
    confirmed: int
    waitlisted: int
    applied: int


def run_counts(run: CourseRun) -> RunCounts:
    """Count the run's live enrollments by status."""
    rows = db.session.execute(
        select(Enrollment.status, func.count())
        .where(Enrollment.run_id == run.id, Enrollment.status.in_(ACTIVE_STATUSES))
        .group_by(Enrollment.status)
    ).all()
    counts = {status: count for status, count in rows}
    return RunCounts(
        confirmed=counts.get(EnrollmentStatus.CONFIRMED, 0),
        waitlisted=counts.get(EnrollmentStatus.WAITLISTED, 0),
        applied=counts.get(EnrollmentStatus.APPLIED, 0),
    )


def run_to_enroll(run_id: int) -> CourseRun | None:
    """The run with what enrolling quotes besides the run's own row (its course, sessions and
    place, for the eligibility rules and the message), read before the run is locked so that
    the locked part reads only what the seat rules count."""
    return get_row(
        CourseRun,
        run_id,
        options=(
            joinedload(CourseRun.course),
            joinedload(CourseRun.room).joinedload(Room.venue),
            selectinload(CourseRun.sessions),
        ),
    )


def enroll_person(
    run: CourseRun,
    person: Person,
    *,
    actor: Person | None = None,
    channel: Channel = Channel.WEB,
    now: datetime | None = None,
) -> Enrollment:
    """Enroll a person in a run: confirmed while seats remain, else waitlisted; lottery runs
    take an application."""
    now = now or utcnow()
    actor = actor or person
    run = lock_row(CourseRun, run.id)
    person = lock_row(Person, person.id)

    if run.is_cancelled:
        raise _run_cancelled()
    if not run.registration_is_open(now):
        raise EnrollmentError("registration_closed", _("지금은 수강신청 기간이 아닙니다."))
    if run.selection is Selection.FIRST_COME and _free_seats(run) > 0:
        enrollment = confirm_seat(run, person, now=now, actor=actor, channel=channel)
    else:
        # A place in a queue is held to the same rules as a seat, bar the seat itself.
        refusal = next(_refusals(run, person, None, now=now, seats=False), None)
        if refusal is not None:
            raise refusal
        enrollment = _new_enrollment(run, person, actor=actor, channel=channel, now=now)
        if run.selection is Selection.LOTTERY:
            enrollment.status = EnrollmentStatus.APPLIED
        else:
            enrollment.status = EnrollmentStatus.WAITLISTED
            enrollment.waitlist_position = _last_waitlist_position(run) + 1
        db.session.add(enrollment)
        db.session.flush()
    if enrollment.status is EnrollmentStatus.CONFIRMED:
        tell(person, "confirmed", run=run, now=now)
    elif enrollment.status is EnrollmentStatus.WAITLISTED:
        tell(person, "waitlisted", run=run, now=now, position=enrollment.waitlist_position)
    if actor.id != person.id:
        audit.record(
            actor,
            "enrollment.create",
            enrollment,
            run_id=run.id,
            person_id=person.id,
            status=enrollment.status.value,
        )
    return enrollment


def confirm_seat(
    run: CourseRun,
    candidate: Enrollment | Person,
    *,
    now: datetime,
    actor: Person | None,
    channel: Channel = Channel.DESK,
    override_reason: str | None = None,
) -> Enrollment:
    """Give a seat in the run; the only way an enrollment becomes confirmed.

    ``candidate`` is the run's waiting or applied enrollment (a promotion, a lottery win, a
    walk-in already in the queue) or a person without a place in the run, who gets a new
    enrollment through ``channel``. The run is locked, then the person, then every rule is
    checked; staff may let refused rules pass by giving a reason, which the audit trail keeps.
    """
    run = lock_row(CourseRun, run.id)
    enrollment = candidate if isinstance(candidate, Enrollment) else None
    # The person's lock makes the rules below (their other seats above all) hold until the
    # commit: two runs confirming the same person at once take their turns here.
    person = lock_row(Person, candidate.person_id if enrollment else candidate.id)
    if enrollment is not None and (
        enrollment.run_id != run.id or enrollment.status not in QUEUED_STATUSES
    ):
        raise ValueError(f"enrollment {enrollment.id} is not queued in run {run.id}")

    overridden = _overridden_rules(run, person, enrollment, now, actor, override_reason)
    if enrollment is None:
        enrollment = _new_enrollment(run, person, actor=actor, channel=channel, now=now)
        db.session.add(enrollment)
    position = enrollment.waitlist_position
    enrollment.status = EnrollmentStatus.CONFIRMED
    enrollment.waitlist_position = None
    enrollment.confirmed_at = now
    db.session.flush()
    if position is not None:
        _close_waitlist_gap(run, position)
    if overridden:
        audit.record(
            actor,
            "enrollment.rule_override",
            enrollment,
            codes=overridden,
            reason=override_reason.strip(),
            run_id=run.id,
            person_id=person.id,
        )
    return enrollment


def _new_enrollment(
    run: CourseRun, person: Person, *, actor: Person, channel: Channel, now: datetime
) -> Enrollment:
    return Enrollment(
        run_id=run.id, person_id=person.id, channel=channel, created_by_id=actor.id, created_at=now
    )


def _overridden_rules(
    run: CourseRun,
    person: Person,
    enrollment: Enrollment | None,
    now: datetime,
    actor: Person | None,
    override_reason: str | None,
) -> list[str]:
    """Raise the first refusal that stands; return the codes of those staff let pass."""
    reason = (override_reason or "").strip()
    if not reason:
        refusal = next(_refusals(run, person, enrollment, now=now), None)
        if refusal is not None:
            raise refusal
        return []
    refusals = list(_refusals(run, person, enrollment, now=now))
    if not refusals:
        return []
    if actor is None or not actor.is_staff:
        raise EnrollmentError(
            "override_not_allowed", _("규칙 예외는 담당자만 허용할 수 있습니다."), status=403
        )
    if len(reason) > 200:
        raise EnrollmentError("reason_too_long", _("사유는 200자 이내로 적어 주세요."), status=400)
    for refusal in refusals:
        if not refusal.can_be_overridden:
            raise refusal
    return [refusal.code for refusal in refusals]


def _refusals(
    run: CourseRun,
    person: Person,
    enrollment: Enrollment | None,
    *,
    now: datetime,
    seats: bool = True,
) -> Iterator[EnrollmentError]:
    """Every rule that refuses the person a seat in the run, most decisive first.

    ``enrollment`` is their place in the run's queue, if they hold one: it was counted
    against the active-enrollment limit when they took it."""
    if run.is_cancelled:
        yield _run_cancelled()
    if seats and _free_seats(run) <= 0:
        yield EnrollmentError("run_full", _("빈자리가 없어 수강을 확정할 수 없습니다."))
    try:
        check_eligibility(run, person)
    except EnrollmentError as refusal:
        yield refusal
    if person.barred_until is not None and person.barred_until > now:
        yield EnrollmentError(
            "barred",
            _(
                "%(until)s까지 새 수강신청이 제한되어 있습니다. 교육장 담당자에게 문의해 주세요.",
                until=to_seoul(person.barred_until).strftime("%Y-%m-%d"),
            ),
            status=403,
        )
    if enrollment is None and active_enrollment_in(run, person) is not None:
        yield EnrollmentError("already_enrolled", _("이미 신청한 강좌입니다."))
    if current_app.config["BLOCK_REPEAT_COMPLETION"] and _has_completed_course(run, person):
        yield EnrollmentError("already_completed", _("이미 수료한 과정은 다시 신청할 수 없습니다."))
    limit = current_app.config["MAX_ACTIVE_ENROLLMENTS"]
    if enrollment is None and limit and _active_enrollment_count(person, now) >= limit:
        yield EnrollmentError(
            "too_many_enrollments",
            _("동시에 신청할 수 있는 강좌는 %(limit)d개까지입니다.", limit=limit),
        )
    if _conflicting_run(run, person) is not None:
        yield EnrollmentError(
            "schedule_conflict", _("수업 시간이 겹치는 다른 강좌를 이미 수강 중입니다.")
        )


def _run_cancelled() -> EnrollmentError:
    return EnrollmentError("run_cancelled", _("폐강된 강좌는 신청할 수 없습니다."))


def check_eligibility(run: CourseRun, person: Person) -> None:
    """Refuse people the run is not for: audience, district and age."""
    if not person.is_active:
        raise EnrollmentError("account_inactive", _("사용이 중지된 계정입니다."), status=403)
    if run.course.audience is Audience.STAFF:
        if person.role is not Role.STAFF and person.role is not Role.ADMIN:
            raise EnrollmentError(
                "not_eligible", _("직원 교육은 구청 직원만 신청할 수 있습니다."), status=403
            )
    else:
        if person.role is not Role.RESIDENT:
            raise EnrollmentError(
                "not_eligible", _("구민 교육은 구민 계정으로 신청해 주세요."), status=403
            )
        # The office's setting turns the rule off everywhere; a run may waive it on its own.
        district_only = current_app.config["DISTRICT_ONLY"] and run.is_district_only
        if district_only and not person.is_district_resident:
            raise EnrollmentError(
                "not_eligible", _("영등포구민만 신청할 수 있는 강좌입니다."), status=403
            )
    # Only the birth year is collected, so age is counted by year.
    age = run.starts_on.year - person.birth_year
    if run.min_age is not None and age < run.min_age:
        raise EnrollmentError(
            "not_eligible",
            _("만 %(age)d세 이상만 신청할 수 있는 강좌입니다.", age=run.min_age),
            status=403,
        )
    if run.max_age is not None and age > run.max_age:
        raise EnrollmentError(
            "not_eligible",
            _("만 %(age)d세 이하만 신청할 수 있는 강좌입니다.", age=run.max_age),
            status=403,
        )


def has_started(run: CourseRun, now: datetime) -> bool:
    """Whether the run's first class has begun (a run without sessions has not)."""
    return any(session.starts_at <= now for session in run.sessions)


def cancel_refusal(
    enrollment: Enrollment, *, actor: Person, now: datetime
) -> EnrollmentError | None:
    """Why the actor may not cancel the enrollment now, or None.

    Once classes have begun a person cannot drop their own place online: the centre, which
    knows whether the seat can still be used, cancels it for them."""
    run = enrollment.run
    if not enrollment.is_active:
        return EnrollmentError("not_cancellable", _("이미 취소된 신청입니다."))
    if run.ends_on < to_seoul(now).date():
        return EnrollmentError("not_cancellable", _("끝난 강좌는 취소할 수 없습니다."))
    if actor.id == enrollment.person_id and has_started(run, now):
        venue = run.room.venue if run.room is not None else None
        if venue is not None and venue.phone:
            message = _(
                "수업이 이미 시작되어 온라인으로는 취소할 수 없습니다. "
                "%(venue)s(%(phone)s)에 전화해 주세요.",
                venue=venue.name,
                phone=venue.phone,
            )
        else:
            message = _(
                "수업이 이미 시작되어 온라인으로는 취소할 수 없습니다. 교육장에 전화해 주세요."
            )
        return EnrollmentError("run_started", message)
    return None


def cancel_enrollment(
    enrollment: Enrollment,
    *,
    actor: Person,
    now: datetime | None = None,
    reason: str | None = None,
) -> Enrollment:
    """Cancel an enrollment; a freed seat goes at once to the first person waiting. Staff
    cancelling someone else's give the reason, which the audit trail keeps."""
    now = now or utcnow()
    run = lock_row(CourseRun, enrollment.run_id)
    enrollment = lock_row(Enrollment, enrollment.id)
    refusal = cancel_refusal(enrollment, actor=actor, now=now)
    if refusal is not None:
        raise refusal

    previous = enrollment.status
    previous_position = enrollment.waitlist_position
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.waitlist_position = None
    enrollment.cancelled_at = now
    enrollment.cancelled_by_id = actor.id
    db.session.flush()
    if previous is EnrollmentStatus.WAITLISTED:
        _close_waitlist_gap(run, previous_position)
    elif previous is EnrollmentStatus.CONFIRMED:
        promote_from_waitlist(run, now=now)
    if actor.id != enrollment.person_id:
        audit.record(
            actor,
            "enrollment.cancel",
            enrollment,
            run_id=run.id,
            person_id=enrollment.person_id,
            previous_status=previous.value,
            reason=_stripped(reason),
        )
    return enrollment


def _stripped(reason: str | None) -> str | None:
    return (reason or "").strip() or None


def promote_from_waitlist(run: CourseRun, *, now: datetime | None = None) -> list[Enrollment]:
    """Fill free seats from the waiting list in order; the run must already be locked.

    A person a rule now refuses (confirmed meanwhile in a run at the same hours, say) is
    passed over with the reason on record, and keeps their place in the queue."""
    now = now or utcnow()
    promoted = []
    free = _free_seats(run)
    if free <= 0:
        return promoted
    waiting = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.WAITLISTED)
        .order_by(Enrollment.waitlist_position)
    ).all()
    lock_people({enrollment.person_id for enrollment in waiting})
    for enrollment in waiting:
        if free == 0:
            break
        try:
            confirm_seat(run, enrollment, now=now, actor=None)
        except EnrollmentError as refusal:
            _record_skip(enrollment, refusal, "waiting_list")
            continue
        tell(enrollment.person, "promoted", run=run, now=now)
        promoted.append(enrollment)
        free -= 1
    return promoted


def lock_people(person_ids) -> None:
    """Lock several people at once, always in the order of their ids, so that two callers
    locking overlapping groups cannot each hold what the other waits for."""
    for person_id in sorted(person_ids):
        lock_row(Person, person_id)


def _record_skip(enrollment: Enrollment, refusal: EnrollmentError, source: str) -> None:
    audit.record(
        None,
        "enrollment.promotion_skipped",
        enrollment,
        code=refusal.code,
        source=source,
        run_id=enrollment.run_id,
        person_id=enrollment.person_id,
    )


def lottery_order(applications: list[tuple[int, bool]], seed: int) -> list[int]:
    """Order applications for a draw: a seeded shuffle by id, district residents first.

    ``applications`` holds (enrollment id, has priority) pairs; the same pairs and seed give
    the same order, so any draw can be checked afterwards."""
    ids = sorted(applications)
    rng = random.Random(seed)
    rng.shuffle(ids)
    return [enrollment_id for enrollment_id, has_priority in sorted(ids, key=lambda a: not a[1])]


def draw_lottery(
    run: CourseRun,
    *,
    actor: Person,
    seed: int | None = None,
    now: datetime | None = None,
    reason: str | None = None,
) -> list[Enrollment]:
    """Draw a lottery run once: winners confirmed, the rest waitlisted in drawn order; staff's
    note on the draw, if any, goes into the audit trail."""
    now = now or utcnow()
    run = lock_row(CourseRun, run.id)
    if run.selection is not Selection.LOTTERY:
        raise EnrollmentError("not_lottery", _("추첨으로 선발하는 강좌가 아닙니다."))
    if run.lottery_drawn_at is not None:
        raise EnrollmentError("lottery_already_drawn", _("이미 추첨을 마친 강좌입니다."))
    if now < run.registration_closes_at:
        raise EnrollmentError("registration_open", _("신청 기간이 끝난 뒤에 추첨할 수 있습니다."))
    if seed is None:
        seed = secrets.randbits(62)
    applications = db.session.scalars(
        select(Enrollment).where(
            Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.APPLIED
        )
    ).all()
    by_id = {enrollment.id: enrollment for enrollment in applications}
    order = lottery_order([(e.id, e.person.is_district_resident) for e in applications], seed)
    seats = _free_seats(run)
    position = _last_waitlist_position(run)
    lock_people(by_id[i].person_id for i in order)
    for enrollment_id in order:
        enrollment = by_id[enrollment_id]
        won = False
        if seats > 0:
            try:
                confirm_seat(run, enrollment, now=now, actor=actor)
            except EnrollmentError as refusal:
                _record_skip(enrollment, refusal, "lottery")
            else:
                won = True
        if won:
            seats -= 1
            tell(enrollment.person, "lottery_won", run=run, now=now)
        else:
            position += 1
            enrollment.status = EnrollmentStatus.WAITLISTED
            enrollment.waitlist_position = position
            tell(enrollment.person, "lottery_waitlisted", run=run, now=now, position=position)
    run.lottery_seed = seed
    run.lottery_drawn_at = now
    run.lottery_drawn_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "lottery.draw",
        run,
        seed=seed,
        order=order,
        capacity=run.capacity,
        reason=_stripped(reason),
    )
    return [by_id[i] for i in order]


def active_enrollment_in(run: CourseRun, person: Person) -> Enrollment | None:
    """The person's live (not cancelled) enrollment in the run, if any."""
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.run_id == run.id,
            Enrollment.person_id == person.id,
            Enrollment.status.in_(ACTIVE_STATUSES),
        )
    )


def _free_seats(run: CourseRun) -> int:
    return run.capacity - run_counts(run).confirmed


def _has_completed_course(run: CourseRun, person: Person) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .join(CourseRun, CourseRun.id == Enrollment.run_id)
            .where(
                Enrollment.person_id == person.id,
                CourseRun.course_id == run.course_id,
                Enrollment.completed_at.is_not(None),
            )
        )
        > 0
    )


def _active_enrollment_count(person: Person, now: datetime) -> int:
    today = to_seoul(now).date()
    return db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(
            Enrollment.person_id == person.id,
            Enrollment.status.in_(ACTIVE_STATUSES),
            CourseRun.ends_on >= today,
        )
    )


# Made once: building an alias's columns costs more than the query's own run on SQLite.
_MINE = Session.__table__.alias("mine")
_THEIRS = Session.__table__.alias("theirs")


def _conflicting_run(run: CourseRun, person: Person) -> CourseRun | None:
    """Another run the person is confirmed in whose sessions overlap this run's."""
    mine, theirs = _MINE, _THEIRS
    return db.session.scalar(
        select(CourseRun)
        .join(Enrollment, Enrollment.run_id == CourseRun.id)
        .join(theirs, theirs.c.run_id == CourseRun.id)
        .join(
            mine,
            (mine.c.run_id == run.id)
            & (mine.c.starts_at < theirs.c.ends_at)
            & (theirs.c.starts_at < mine.c.ends_at),
        )
        .where(
            Enrollment.person_id == person.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            CourseRun.id != run.id,
        )
        .limit(1)
    )


def _last_waitlist_position(run: CourseRun) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(Enrollment.waitlist_position), 0)).where(
            Enrollment.run_id == run.id
        )
    )


def _close_waitlist_gap(run: CourseRun, freed_position: int) -> None:
    """Move everyone behind a freed place one step up, keeping positions 1..n."""
    behind = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.waitlist_position > freed_position)
        .order_by(Enrollment.waitlist_position)
    ).all()
    # One row at a time, front first, so the unique index never sees two equal positions.
    for enrollment in behind:
        enrollment.waitlist_position -= 1
        db.session.flush()


def enrollments_of(person: Person) -> list[Enrollment]:
    """The person's enrollments, newest runs first, with their runs loaded."""
    return (
        db.session.scalars(
            select(Enrollment)
            .join(CourseRun, CourseRun.id == Enrollment.run_id)
            .where(Enrollment.person_id == person.id)
            .options(
                joinedload(Enrollment.run).joinedload(CourseRun.course),
                joinedload(Enrollment.run).joinedload(CourseRun.room).joinedload(Room.venue),
                joinedload(Enrollment.run).selectinload(CourseRun.sessions),
            )
            .order_by(CourseRun.starts_on.desc(), Enrollment.id.desc())
        )
        .unique()
        .all()
    )


def confirmed_in_name_order(run_id: int) -> list[Enrollment]:
    """The run's confirmed enrollments with their people, in name order (가나다), as rosters
    and pass cards list them."""
    return db.session.scalars(
        select(Enrollment)
        .join(Enrollment.person)
        .where(Enrollment.run_id == run_id, Enrollment.status == EnrollmentStatus.CONFIRMED)
        .options(contains_eager(Enrollment.person))
        .order_by(Person.name, Enrollment.id)
    ).all()
