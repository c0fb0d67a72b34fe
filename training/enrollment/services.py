"""The enrollment rules: windows, eligibility, seats, waiting lists and lotteries."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

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
from training.notifications import queue_notification


class EnrollmentError(RuleError):
    """An enrollment rule refused the request."""


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

    if not run.registration_is_open(now):
        raise EnrollmentError("registration_closed", _("지금은 수강신청 기간이 아닙니다."))
    check_eligibility(run, person)
    if person.barred_until is not None and person.barred_until > now:
        raise EnrollmentError(
            "barred",
            _(
                "%(until)s까지 새 수강신청이 제한되어 있습니다. 교육장 담당자에게 문의해 주세요.",
                until=to_seoul(person.barred_until).strftime("%Y-%m-%d"),
            ),
            status=403,
        )
    if active_enrollment_in(run, person) is not None:
        raise EnrollmentError("already_enrolled", _("이미 신청한 강좌입니다."))
    if current_app.config["BLOCK_REPEAT_COMPLETION"] and _has_completed_course(run, person):
        raise EnrollmentError("already_completed", _("이미 수료한 과정은 다시 신청할 수 없습니다."))
    limit = current_app.config["MAX_ACTIVE_ENROLLMENTS"]
    if limit and _active_enrollment_count(person, now) >= limit:
        raise EnrollmentError(
            "too_many_enrollments",
            _("동시에 신청할 수 있는 강좌는 %(limit)d개까지입니다.", limit=limit),
        )
    if _conflicting_run(run, person) is not None:
        raise EnrollmentError(
            "schedule_conflict", _("수업 시간이 겹치는 다른 강좌를 이미 수강 중입니다.")
        )

    enrollment = Enrollment(
        run_id=run.id,
        person_id=person.id,
        channel=channel,
        created_by_id=actor.id,
        created_at=now,
    )
    if run.selection is Selection.LOTTERY:
        enrollment.status = EnrollmentStatus.APPLIED
    elif run_counts(run).confirmed < run.capacity:
        enrollment.status = EnrollmentStatus.CONFIRMED
        enrollment.confirmed_at = now
    else:
        enrollment.status = EnrollmentStatus.WAITLISTED
        enrollment.waitlist_position = _last_waitlist_position(run) + 1
    db.session.add(enrollment)
    db.session.flush()
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
        if current_app.config["DISTRICT_ONLY"] and not person.is_district_resident:
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


def cancel_enrollment(
    enrollment: Enrollment, *, actor: Person, now: datetime | None = None
) -> Enrollment:
    """Cancel an enrollment; a freed seat goes at once to the first person waiting."""
    now = now or utcnow()
    run = lock_row(CourseRun, enrollment.run_id)
    enrollment = lock_row(Enrollment, enrollment.id)
    if not enrollment.is_active:
        raise EnrollmentError("not_cancellable", _("이미 취소된 신청입니다."))
    if run.ends_on < to_seoul(now).date():
        raise EnrollmentError("not_cancellable", _("끝난 강좌는 취소할 수 없습니다."))

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
        )
    return enrollment


def promote_from_waitlist(run: CourseRun, *, now: datetime | None = None) -> list[Enrollment]:
    """Fill free seats from the waiting list in order; the run must already be locked.

    A person who has since been confirmed in a run at the same time keeps their place in the
    queue and is passed over."""
    now = now or utcnow()
    promoted = []
    free = run.capacity - run_counts(run).confirmed
    if free <= 0:
        return promoted
    waiting = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.WAITLISTED)
        .order_by(Enrollment.waitlist_position)
    ).all()
    for enrollment in waiting:
        if free == 0:
            break
        if _conflicting_run(run, enrollment.person) is not None:
            continue
        confirm_waiting(run, enrollment, now=now)
        queue_notification(
            enrollment.person,
            "promoted",
            _("%(title)s 대기 순번이 되어 수강이 확정되었습니다.", title=run.title),
        )
        promoted.append(enrollment)
        free -= 1
    return promoted


def confirm_waiting(run: CourseRun, enrollment: Enrollment, *, now: datetime) -> None:
    """Give a seat to a waiting (or applied) enrollment; the run must already be locked."""
    position = enrollment.waitlist_position
    enrollment.status = EnrollmentStatus.CONFIRMED
    enrollment.waitlist_position = None
    enrollment.confirmed_at = now
    db.session.flush()
    if position is not None:
        _close_waitlist_gap(run, position)


def lottery_order(applications: list[tuple[int, bool]], seed: int) -> list[int]:
    """Order applications for a draw: a seeded shuffle by id, district residents first.

    ``applications`` holds (enrollment id, has priority) pairs; the same pairs and seed give
    the same order, so any draw can be checked afterwards."""
    ids = sorted(applications)
    rng = random.Random(seed)
    rng.shuffle(ids)
    return [enrollment_id for enrollment_id, has_priority in sorted(ids, key=lambda a: not a[1])]


def draw_lottery(
    run: CourseRun, *, actor: Person, seed: int | None = None, now: datetime | None = None
) -> list[Enrollment]:
    """Draw a lottery run once: winners confirmed, the rest waitlisted in drawn order."""
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
    seats = run.capacity - run_counts(run).confirmed
    position = _last_waitlist_position(run)
    for enrollment_id in order:
        enrollment = by_id[enrollment_id]
        if seats > 0 and _conflicting_run(run, enrollment.person) is None:
            enrollment.status = EnrollmentStatus.CONFIRMED
            enrollment.confirmed_at = now
            seats -= 1
            message = _("%(title)s 추첨에 당첨되어 수강이 확정되었습니다.", title=run.title)
        else:
            position += 1
            enrollment.status = EnrollmentStatus.WAITLISTED
            enrollment.waitlist_position = position
            message = _(
                "%(title)s 추첨 결과 대기 %(position)d번입니다.", title=run.title, position=position
            )
        queue_notification(enrollment.person, "lottery", message)
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


def _conflicting_run(run: CourseRun, person: Person) -> CourseRun | None:
    """Another run the person is confirmed in whose sessions overlap this run's."""
    mine = Session.__table__.alias("mine")
    theirs = Session.__table__.alias("theirs")
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
