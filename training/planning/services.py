"""The planning rules: venues and rooms, courses, runs and their capacity, cancelling a run,
closure days and the yearly plans. Pages, the API and the term import all come through here."""

import re
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from training import audit
from training.accounts.models import Person, Role
from training.catalog.models import (
    Audience,
    Category,
    Closure,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Selection,
    Venue,
)
from training.clock import to_seoul, utcnow
from training.enrollment.models import ACTIVE_STATUSES, Enrollment, EnrollmentStatus
from training.enrollment.services import promote_from_waitlist, run_counts
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.notifications import tell
from training.stats.models import Plan


class PlanningError(RuleError):
    """A planning rule refused the change."""


INSTRUCTOR_ROLES = (Role.INSTRUCTOR, Role.STAFF, Role.ADMIN)
COURSE_FIELDS = frozenset(
    {
        "title",
        "category",
        "level",
        "audience",
        "delivery",
        "description",
        "hours",
        "completion_threshold",
        "is_late_attended",
        "lates_per_absence",
        "is_excused_left_out",
        "code",
    }
)
COMPLETION_FIELDS = (
    "completion_threshold",
    "is_late_attended",
    "lates_per_absence",
    "is_excused_left_out",
)
RUN_FIELDS = frozenset(
    {
        "capacity",
        "registration_opens_at",
        "registration_closes_at",
        "room",
        "instructor",
        "number",
        "selection",
        "min_age",
        "max_age",
        "is_district_only",
        *COMPLETION_FIELDS,
    }
)
_GENERATED_CODE = re.compile(r"^C(\d+)$")


def _invalid(field: str, why: str) -> PlanningError:
    return PlanningError("invalid_value", _("%(field)s: %(why)s", field=field, why=why), status=400)


def _text(value: str | None, field: str, *, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, _("값을 적어 주세요."))
    if len(value) > limit:
        raise _invalid(field, _("%(limit)d자 이내로 적어 주세요.", limit=limit))
    return value


def _whole(value, field: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _invalid(field, _("%(low)d 이상의 정수로 적어 주세요.", low=low))
    if high is not None and value > high:
        raise _invalid(field, _("%(low)d에서 %(high)d 사이로 적어 주세요.", low=low, high=high))
    return value


def _plain(value):
    """A value as the audit trail's JSON keeps it."""
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Room | Person):
        return value.id
    return value


# Venues and rooms


def save_venue(venue: Venue | None, *, actor, name: str, address: str, phone: str | None) -> Venue:
    """Add a venue (venue None) or change one: name, address and the phone residents call."""
    name = _text(name, _("교육장 이름"), limit=60)
    address = _text(address, _("주소"), limit=200)
    phone = _text(phone, _("전화번호"), limit=20, required=False) or None
    taken = db.session.scalar(
        select(Venue.id).where(Venue.name == name, Venue.id != (venue.id if venue else None))
    )
    if taken is not None:
        raise _invalid(_("교육장 이름"), _("같은 이름의 교육장이 이미 있습니다."))
    created = venue is None
    if created:
        venue = Venue()
        db.session.add(venue)
    venue.name, venue.address, venue.phone = name, address, phone
    db.session.flush()
    audit.record(
        actor,
        "venue.create" if created else "venue.update",
        venue,
        name=name,
        address=address,
        phone=phone,
    )
    return venue


def save_room(
    room: Room | None,
    *,
    actor,
    venue: Venue,
    name: str,
    seats: int,
    pcs: int | None = None,
    now: datetime | None = None,
) -> Room:
    """Add a room to a venue (room None) or change one; its seats may not fall below the
    capacity of a run still to come in it."""
    name = _text(name, _("강의실 이름"), limit=60)
    seats = _whole(seats, _("좌석 수"), low=1)
    if pcs is not None:
        pcs = _whole(pcs, _("PC 수"), low=0)
    taken = db.session.scalar(
        select(Room.id).where(
            Room.venue_id == venue.id, Room.name == name, Room.id != (room.id if room else None)
        )
    )
    if taken is not None:
        raise _invalid(_("강의실 이름"), _("이 교육장에 같은 이름의 강의실이 이미 있습니다."))
    created = room is None
    if created:
        room = Room()
        db.session.add(room)
    else:
        room = lock_row(Room, room.id)
        too_big = db.session.scalar(
            select(CourseRun)
            .where(
                CourseRun.room_id == room.id,
                CourseRun.cancelled_at.is_(None),
                CourseRun.ends_on >= to_seoul(now or utcnow()).date(),
                CourseRun.capacity > seats,
            )
            .order_by(CourseRun.starts_on, CourseRun.id)
            .limit(1)
        )
        if too_big is not None:
            raise PlanningError(
                "over_room_seats",
                _(
                    "%(title)s의 정원이 %(capacity)d명이라 좌석을 %(seats)d석으로 줄일 수 "
                    "없습니다. 강좌의 정원을 먼저 줄여 주세요.",
                    title=too_big.title,
                    capacity=too_big.capacity,
                    seats=seats,
                ),
                status=422,
            )
    room.venue_id, room.name, room.seats, room.pcs = venue.id, name, seats, pcs
    db.session.flush()
    audit.record(
        actor,
        "room.create" if created else "room.update",
        room,
        venue_id=venue.id,
        name=name,
        seats=seats,
        pcs=pcs,
    )
    return room


# Courses


def create_course(
    *,
    actor,
    title: str,
    category: Category,
    level: Level,
    audience: Audience,
    delivery: Delivery,
    description: str = "",
    hours: float | None = None,
    completion_threshold: int = 80,
    is_late_attended: bool = True,
    lates_per_absence: int = 0,
    is_excused_left_out: bool = True,
    code: str | None = None,
) -> Course:
    """Add a course; without a code it gets the next free one of the C1, C2... series."""
    course = Course()
    _apply_course(
        course,
        {
            "title": title,
            "category": category,
            "level": level,
            "audience": audience,
            "delivery": delivery,
            "description": description,
            "hours": hours,
            "completion_threshold": completion_threshold,
            "is_late_attended": is_late_attended,
            "lates_per_absence": lates_per_absence,
            "is_excused_left_out": is_excused_left_out,
            "code": code if code and code.strip() else _next_course_code(),
        },
    )
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "course.create", course, code=course.code, title=course.title)
    return course


def update_course(course: Course, *, actor, **changes) -> Course:
    """Change a course's settings (create_course's keywords); its runs keep their own."""
    unknown = set(changes) - COURSE_FIELDS
    if unknown:
        raise TypeError(f"update_course() got unexpected fields {sorted(unknown)}")
    if "code" in changes and not (changes["code"] or "").strip():
        del changes["code"]
    _apply_course(course, changes)
    db.session.flush()
    audit.record(
        actor, "course.update", course, **{name: _plain(value) for name, value in changes.items()}
    )
    return course


def _apply_course(course: Course, values: dict) -> None:
    if "title" in values:
        values["title"] = _text(values["title"], _("과정명"), limit=120)
    if "description" in values:
        values["description"] = (values["description"] or "").strip()
    if "code" in values:
        values["code"] = _text(values["code"], _("과정 코드"), limit=20)
        taken = db.session.scalar(
            select(Course.id).where(Course.code == values["code"], Course.id != course.id)
        )
        if taken is not None:
            raise _invalid(_("과정 코드"), _("이미 쓰는 코드입니다."))
    for name, kind, label in (
        ("category", Category, _("분야")),
        ("level", Level, _("수준")),
        ("audience", Audience, _("대상")),
        ("delivery", Delivery, _("교육 방식")),
    ):
        if name in values and not isinstance(values[name], kind):
            raise _invalid(label, _("목록에서 골라 주세요."))
    if values.get("hours") is not None and not (
        isinstance(values["hours"], int | float) and 0 < values["hours"] <= 1000
    ):
        raise _invalid(_("교육 시간"), _("0보다 큰 시간으로 적어 주세요."))
    _check_completion(values)
    for name, value in values.items():
        setattr(course, name, value)


def _check_completion(values: dict) -> None:
    if "completion_threshold" in values:
        _whole(values["completion_threshold"], _("수료 기준 출석률"), low=1, high=100)
    if "lates_per_absence" in values:
        _whole(values["lates_per_absence"], _("지각 몇 번을 결석 한 번으로"), low=0, high=100)


def _next_course_code() -> str:
    numbers = [
        int(match.group(1))
        for code in db.session.scalars(select(Course.code).where(Course.code.like("C%")))
        if (match := _GENERATED_CODE.match(code))
    ]
    return f"C{max(numbers, default=0) + 1}"


def archive_course(course: Course, *, actor) -> Course:
    """Offer the course no more: its runs stay, no new run can be made of it."""
    course.is_archived = True
    db.session.flush()
    audit.record(actor, "course.archive", course)
    return course


def restore_course(course: Course, *, actor) -> Course:
    """Offer an archived course again."""
    course.is_archived = False
    db.session.flush()
    audit.record(actor, "course.restore", course)
    return course


def delete_course(course: Course, *, actor) -> None:
    """Delete a course that never had a run; one with runs is archived instead."""
    has_runs = db.session.scalar(select(func.count()).where(CourseRun.course_id == course.id))
    if has_runs:
        raise PlanningError(
            "course_has_runs",
            _("강좌를 연 적이 있는 과정은 지울 수 없습니다. 대신 보관해 주세요."),
        )
    audit.record(actor, "course.delete", course, code=course.code, title=course.title)
    db.session.delete(course)
    db.session.flush()


# Runs


def create_run(
    *,
    actor,
    course: Course,
    capacity: int,
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    now: datetime,
    room: Room | None = None,
    instructor: Person | None = None,
    number: int | None = None,
    selection: Selection = Selection.FIRST_COME,
    min_age: int | None = None,
    max_age: int | None = None,
    is_district_only: bool = True,
    completion_threshold: int | None = None,
    is_late_attended: bool | None = None,
    lates_per_absence: int | None = None,
    is_excused_left_out: bool | None = None,
) -> CourseRun:
    """Open a new run of a course, without sessions yet; completion settings left out come
    from the course, the cohort number from the course's last one."""
    # The course's lock makes two runs made at once take different cohort numbers.
    course = lock_row(Course, course.id)
    if course.is_archived:
        raise PlanningError(
            "course_archived",
            _("보관한 과정(%(title)s)으로는 새 강좌를 열 수 없습니다.", title=course.title),
        )
    completion = {
        "completion_threshold": completion_threshold,
        "is_late_attended": is_late_attended,
        "lates_per_absence": lates_per_absence,
        "is_excused_left_out": is_excused_left_out,
    }
    for name, value in completion.items():
        if value is None:
            completion[name] = getattr(course, name)
    values = {
        "capacity": capacity,
        "registration_opens_at": registration_opens_at,
        "registration_closes_at": registration_closes_at,
        "room": room,
        "instructor": instructor,
        "selection": selection,
        "min_age": min_age,
        "max_age": max_age,
        "is_district_only": is_district_only,
        **completion,
    }
    _check_run(values)
    _check_instructor(instructor)
    if number is None:
        number = _next_number(course)
    else:
        _check_number(course, number, run=None)
    run = CourseRun(course_id=course.id, number=number, created_at=now)
    _assign(run, values)
    # Until it has sessions a run is dated by the close of its registration, so that it
    # still sorts and filters by date; scheduling takes over with the first session.
    run.starts_on = run.ends_on = to_seoul(registration_closes_at).date()
    db.session.add(run)
    db.session.flush()
    audit.record(
        actor,
        "run.create",
        run,
        course_id=course.id,
        number=number,
        **{name: _plain(value) for name, value in values.items()},
    )
    return run


def update_run(run: CourseRun, *, actor, now: datetime, **changes) -> CourseRun:
    """Change a run (create_run's keywords bar the course). Raising the capacity confirms
    people waiting at once; a new room or instructor must be free at the run's sessions; a
    new room is told to everyone enrolled."""
    unknown = set(changes) - RUN_FIELDS
    if unknown:
        raise TypeError(f"update_run() got unexpected fields {sorted(unknown)}")
    run = lock_row(CourseRun, run.id)
    if run.is_cancelled:
        raise _cancelled(run)
    if changes.get("number") is None:
        changes.pop("number", None)
    current = {
        "capacity": run.capacity,
        "registration_opens_at": run.registration_opens_at,
        "registration_closes_at": run.registration_closes_at,
        "room": run.room,
        "instructor": run.instructor,
        "selection": run.selection,
        "min_age": run.min_age,
        "max_age": run.max_age,
        "is_district_only": run.is_district_only,
        **{name: getattr(run, name) for name in COMPLETION_FIELDS},
    }
    changes = {name: value for name, value in changes.items() if _differs(current, name, value)}
    if "number" in changes:
        if changes["number"] == run.number:
            del changes["number"]
        else:
            _check_number(run.course, changes["number"], run=run)
    values = {**current, **changes}
    _check_run(values)
    if "selection" in changes and run.lottery_drawn_at is not None:
        raise _invalid(_("선발 방식"), _("추첨을 마친 강좌는 선발 방식을 바꿀 수 없습니다."))
    if "capacity" in changes:
        confirmed = run_counts(run).confirmed
        if changes["capacity"] < confirmed:
            raise PlanningError(
                "below_confirmed",
                _(
                    "이미 %(count)d명이 수강 확정되어 정원을 %(capacity)d명으로 줄일 수 없습니다.",
                    count=confirmed,
                    capacity=changes["capacity"],
                ),
                status=422,
            )
    if "instructor" in changes:
        _check_instructor(changes["instructor"])
    if "room" in changes or "instructor" in changes:
        _check_free(run, values["room"], values["instructor"])
    _assign(run, changes)
    if "number" in changes:
        run.number = changes["number"]
    if "registration_closes_at" in changes and not run.sessions:
        run.starts_on = run.ends_on = to_seoul(run.registration_closes_at).date()
    db.session.flush()
    if "capacity" in changes and changes["capacity"] > current["capacity"]:
        promote_from_waitlist(run, now=now)
    if "room" in changes:
        notify_run_change(run, "room_changed", now=now)
    if changes:
        audit.record(
            actor,
            "run.update",
            run,
            **{name: _plain(value) for name, value in changes.items()},
        )
    return run


def _differs(current: dict, name: str, value) -> bool:
    if name not in current:
        return True
    old = current[name]
    if isinstance(old, Room | Person) or isinstance(value, Room | Person):
        return getattr(old, "id", None) != getattr(value, "id", None)
    return old != value


def _check_free(run: CourseRun, room: Room | None, instructor: Person | None) -> None:
    """Refuse a room or instructor busy at one of the run's sessions."""
    # Locked in the order scheduling uses (run, room, instructor), so that neither waits on
    # the other for ever.
    if room is not None:
        lock_row(Room, room.id)
    if instructor is not None:
        lock_row(Person, instructor.id)
    if not run.sessions:
        return
    # scheduling tells people of moved sessions through this module: imported here, when
    # both are loaded, so that neither import waits on the other.
    from training.planning import scheduling

    scheduling.check_clashes(
        run,
        [(session.starts_at, session.ends_at) for session in run.sessions],
        room_id=room.id if room is not None else None,
        instructor_id=instructor.id if instructor is not None else None,
        ignore_session_ids=tuple(session.id for session in run.sessions),
    )


def _check_run(values: dict) -> None:
    """The rules a run's settings keep whether it is new or changed."""
    capacity = _whole(values["capacity"], _("정원"), low=1)
    room = values["room"]
    if room is not None and capacity > room.seats:
        raise PlanningError(
            "over_room_seats",
            _(
                "%(room)s의 좌석은 %(seats)d석이라 정원을 %(capacity)d명으로 할 수 없습니다.",
                room=room.name,
                seats=room.seats,
                capacity=capacity,
            ),
            status=422,
        )
    limit = current_app.config["ONLINE_MAX_CAPACITY"]
    if room is None and capacity > limit:
        raise PlanningError(
            "over_room_seats",
            _("온라인 강좌의 정원은 %(limit)d명까지입니다.", limit=limit),
            status=422,
        )
    opens, closes = values["registration_opens_at"], values["registration_closes_at"]
    for moment, label in ((opens, _("신청 시작")), (closes, _("신청 마감"))):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise _invalid(label, _("날짜와 시각을 적어 주세요."))
    if closes <= opens:
        raise _invalid(_("신청 마감"), _("신청 시작보다 뒤여야 합니다."))
    if not isinstance(values["selection"], Selection):
        raise _invalid(_("선발 방식"), _("목록에서 골라 주세요."))
    for name, label in (("min_age", _("최소 나이")), ("max_age", _("최대 나이"))):
        if values[name] is not None:
            _whole(values[name], label, low=0, high=150)
    low, high = values["min_age"], values["max_age"]
    if low is not None and high is not None and low > high:
        raise _invalid(_("최대 나이"), _("최소 나이보다 작을 수 없습니다."))
    _check_completion(values)


def _check_instructor(instructor: Person | None) -> None:
    if instructor is not None and instructor.role not in INSTRUCTOR_ROLES:
        raise _invalid(_("강사"), _("강사, 직원, 관리자 계정만 강사로 정할 수 있습니다."))


def _assign(run: CourseRun, values: dict) -> None:
    for name, value in values.items():
        if name == "room":
            run.room = value
        elif name == "instructor":
            run.instructor = value
        elif name != "number":
            setattr(run, name, value)


def _next_number(course: Course) -> int:
    last = db.session.scalar(
        select(func.coalesce(func.max(CourseRun.number), 0)).where(CourseRun.course_id == course.id)
    )
    return last + 1


def _check_number(course: Course, number, *, run: CourseRun | None) -> None:
    _whole(number, _("기수"), low=1, high=9999)
    taken = db.session.scalar(
        select(CourseRun.id).where(
            CourseRun.course_id == course.id,
            CourseRun.number == number,
            CourseRun.id != (run.id if run is not None else None),
        )
    )
    if taken is not None:
        raise PlanningError(
            "number_taken",
            _("%(title)s %(number)d기는 이미 있습니다.", title=course.title, number=number),
        )


def _cancelled(run: CourseRun) -> PlanningError:
    return PlanningError("run_cancelled", _("%(title)s은(는) 폐강된 강좌입니다.", title=run.title))


def cancel_run(run: CourseRun, *, actor, reason: str, now: datetime) -> CourseRun:
    """Cancel a run: every live enrollment is cancelled and its person told why; the run
    keeps its record but counts as held no more."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanningError("reason_required", _("폐강 사유를 적어 주세요."), status=400)
    if len(reason) > 200:
        raise _invalid(_("폐강 사유"), _("%(limit)d자 이내로 적어 주세요.", limit=200))
    run = lock_row(CourseRun, run.id)
    if run.is_cancelled:
        raise _cancelled(run)
    # Read before any column changes: loading an expired actor would flush a half-cancelled run,
    # which the run's check constraint refuses.
    actor_id = actor.id
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status.in_(ACTIVE_STATUSES))
        .order_by(Enrollment.id)
    ).all()
    # Told at any hour if a class was due today: people may be on their way.
    today = to_seoul(now).date()
    urgent = any(to_seoul(session.starts_at).date() == today for session in run.sessions)
    for enrollment in enrollments:
        previous = enrollment.status
        enrollment.status = EnrollmentStatus.CANCELLED
        enrollment.waitlist_position = None
        enrollment.cancelled_at = now
        enrollment.cancelled_by_id = actor_id
        tell(enrollment.person, "run_cancelled", run=run, now=now, urgent=urgent, reason=reason)
        audit.record(
            actor,
            "enrollment.cancel",
            enrollment,
            run_id=run.id,
            person_id=enrollment.person_id,
            previous_status=previous.value,
            reason=reason,
        )
    run.cancelled_at = now
    run.cancelled_by_id = actor_id
    run.cancel_reason = reason
    db.session.flush()
    audit.record(actor, "run.cancel", run, reason=reason, enrollments=len(enrollments))
    return run


def notify_run_change(
    run: CourseRun, kind: str, *, now: datetime, urgent: bool = False, **facts
) -> int:
    """Tell everyone holding or waiting for a place in the run (lottery applicants too), once
    each, of a change of the given kind; returns how many were told."""
    enrolled = select(Enrollment.person_id).where(
        Enrollment.run_id == run.id, Enrollment.status.in_(ACTIVE_STATUSES)
    )
    people = db.session.scalars(
        select(Person).where(Person.id.in_(enrolled)).order_by(Person.id)
    ).all()
    for person in people:
        tell(person, kind, run=run, now=now, urgent=urgent, **facts)
    db.session.flush()
    return len(people)


# Yearly plans and closure days


def save_plan(*, actor, year: int, audience: Audience, runs: int, hours: float) -> Plan:
    """Set the year's planned runs and hours for an audience, replacing any earlier plan."""
    year = _whole(year, _("연도"), low=2000, high=2100)
    runs = _whole(runs, _("계획 강좌 수"), low=0, high=100_000)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise _invalid(_("계획 교육 시간"), _("0 이상의 숫자로 적어 주세요."))
    if not isinstance(audience, Audience):
        raise _invalid(_("대상"), _("목록에서 골라 주세요."))
    plan = db.session.scalar(
        select(Plan).where(Plan.year == year, Plan.audience == audience).with_for_update()
    )
    if plan is None:
        plan = Plan(year=year, audience=audience)
        db.session.add(plan)
    plan.runs, plan.hours = runs, float(hours)
    db.session.flush()
    audit.record(
        actor, "plan.save", plan, year=year, audience=audience.value, runs=runs, hours=plan.hours
    )
    return plan


def add_closure(*, actor, day: date, venue: Venue | None, reason: str) -> Closure:
    """Mark a day without classes, at one venue or (venue None) everywhere; sessions made
    from a pattern afterwards skip it."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanningError("reason_required", _("쉬는 까닭을 적어 주세요."), status=400)
    if len(reason) > 100:
        raise _invalid(_("사유"), _("%(limit)d자 이내로 적어 주세요.", limit=100))
    if not isinstance(day, date) or isinstance(day, datetime):
        raise _invalid(_("날짜"), _("날짜를 적어 주세요."))
    venue_id = venue.id if venue is not None else None
    taken = db.session.scalar(
        select(Closure.id).where(
            Closure.day == day,
            Closure.venue_id == venue_id if venue_id is not None else Closure.venue_id.is_(None),
        )
    )
    if taken is not None:
        raise _invalid(_("날짜"), _("이미 쉬는 날로 적어 둔 날입니다."))
    closure = Closure(day=day, venue_id=venue_id, reason=reason, created_by_id=actor.id)
    db.session.add(closure)
    db.session.flush()
    audit.record(
        actor, "closure.add", closure, day=day.isoformat(), venue_id=venue_id, reason=reason
    )
    return closure


def remove_closure(closure: Closure, *, actor) -> None:
    """Remove a closure day; sessions already made are left as they are."""
    audit.record(
        actor,
        "closure.remove",
        closure,
        day=closure.day.isoformat(),
        venue_id=closure.venue_id,
        reason=closure.reason,
    )
    db.session.delete(closure)
    db.session.flush()
