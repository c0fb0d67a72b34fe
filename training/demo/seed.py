"""Demo data: the 2022 programme as the district reported it, and a term open for registration.

``seed_demo`` fills an empty database so that a newcomer can log in at once and find every
feature with something to show. The 2022 part reproduces the figures of the work report
(140 resident runs and 2,800 hours, 12 staff runs and 87 hours; to 31 August 79 runs and
1,405 residents, 3 runs and 52 staff, 44 courses) from a fixed random seed, so it is the same
on every machine. The upcoming term is placed relative to ``now``: runs open for registration,
a full run with a waiting list, a lottery ready to draw.

The facts are in ``data``, days and busy hours in ``calendar``, the plan is made in memory by
``planner``; this module writes it to the database in bulk.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from training.accounts.models import ConsentMethod, Person, Role
from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Room,
    Selection,
    Session,
    Venue,
)
from training.certificates.models import Certificate, CertificateCounter
from training.certificates.services import format_serial
from training.checkin.models import Attendance
from training.clock import SEOUL
from training.demo.calendar import at_seoul, day_of
from training.demo.data import (
    COMPLETION_THRESHOLD,
    COURSE_BY_CODE,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    FIRST_HALF,
    INSTRUCTOR,
    PROMOTION_COURSE,
    RESIDENT,
    RESIDENT_RUNS,
    ROOM_SEATS,
    STAFF_CODES,
    UPCOMING,
    VENUE_PHONES,
    VENUES,
)
from training.demo.planner import DemoPlan
from training.enrollment.models import ACTIVE_STATUSES, Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import EnrollmentError, cancel_enrollment, enroll_person
from training.extensions import db
from training.stats.models import Plan


class SeedError(Exception):
    """The demo cannot be added to this database; the message says why."""


def seed_demo(*, now: datetime, echo=print, force: bool = False) -> str:
    """Fill the database with the 2022 programme and an upcoming term; commit; return a
    summary naming the demo log-in accounts."""
    if now.tzinfo is None:
        raise SeedError("now must be timezone-aware")
    if now.astimezone(SEOUL).date() < date(2023, 1, 1):
        raise SeedError("The demo's 2022 programme must lie in the past: run it from 2023 on.")
    has_data = db.session.scalar(select(Person.id).limit(1)) is not None or (
        db.session.scalar(select(Course.id).limit(1)) is not None
    )
    if has_data and not force:
        raise SeedError(
            "데이터베이스에 이미 데이터가 있습니다. 그래도 데모를 더하려면 --force 를 붙이세요. "
            "(The database already holds data; use --force to add the demo anyway.)"
        )
    demo_phones = [account.phone for account in DEMO_ACCOUNTS]
    if db.session.scalar(select(Person.id).where(Person.phone.in_(demo_phones)).limit(1)) or (
        db.session.scalar(select(Course.id).where(Course.code.in_(COURSE_BY_CODE)).limit(1))
    ):
        raise SeedError(
            "데모 데이터가 이미 들어 있습니다. (The demo accounts or courses are already there.)"
        )

    plan = DemoPlan(now, set(db.session.scalars(select(Person.phone))))
    plan.plan_2022()
    echo(f"2022 runs: {len(plan.runs)}")
    plan.plan_upcoming()
    echo(f"upcoming runs: {len(plan.upcoming)}")
    plan.settle_people()
    try:
        counts = _insert_plan(plan, echo)
        counts["certificates"] = _issue_demo_certificates()
        echo(f"certificates: {counts['certificates']}")
        _add_plans(now)
        in_progress = _add_class_in_progress(now)
        promoted = _add_promotion(now)
    except Exception:
        db.session.rollback()
        raise
    echo(f"class in progress now: {in_progress.title}")
    if promoted is not None:
        echo(f"promoted from the waiting list just now: {promoted.run.title}")
    db.session.commit()
    return _summary(plan, counts, in_progress)


IN_PROGRESS_ENROLLED = 12


def _add_plans(now: datetime) -> None:
    """The programme's yearly plan (the 2022 report's figures), for 2022 and this year."""
    for year in sorted({2022, day_of(now).year}):
        if db.session.scalar(select(Plan.id).where(Plan.year == year)) is not None:
            continue
        db.session.add(Plan(year=year, audience=Audience.RESIDENT, runs=140, hours=2800))
        db.session.add(Plan(year=year, audience=Audience.STAFF, runs=12, hours=87))
    db.session.flush()


def _issue_demo_certificates() -> int:
    """Certificates for every completed 2022 trainee, numbered in the order the runs ended,
    as staff would have issued them at the end of each run."""
    rows = db.session.execute(
        select(Enrollment.id, CourseRun.ends_on)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(Enrollment.completed_at.is_not(None))
        .order_by(CourseRun.ends_on, Enrollment.id)
    ).all()
    numbers: dict[int, int] = defaultdict(int)
    certificates = []
    for enrollment_id, ends_on in rows:
        numbers[ends_on.year] += 1
        number = numbers[ends_on.year]
        certificates.append(
            {
                "serial": format_serial(ends_on.year, number),
                "year": ends_on.year,
                "number": number,
                "enrollment_id": enrollment_id,
                "issued_at": at_seoul(ends_on + timedelta(days=3), time(10)),
                "reissue_count": 0,
            }
        )
    if certificates:
        db.session.execute(insert(Certificate), certificates)
        db.session.execute(
            insert(CertificateCounter),
            [{"year": year, "last_number": last} for year, last in numbers.items()],
        )
    return len(certificates)


def _add_class_in_progress(now: datetime) -> CourseRun:
    """A two-day smartphone class of the demo instructor whose first session is on now, with
    check-in open, a dozen people enrolled (the demo resident among them) and seats free."""
    instructor = db.session.scalar(
        select(Person).where(Person.phone == DEMO_ACCOUNTS[INSTRUCTOR].phone)
    )
    resident = db.session.scalar(
        select(Person).where(Person.phone == DEMO_ACCOUNTS[RESIDENT].phone)
    )
    course = db.session.scalar(
        select(Course)
        .where(
            Course.category == Category.SMARTPHONE,
            Course.audience == Audience.RESIDENT,
            Course.delivery == Delivery.IN_PERSON,
        )
        .order_by(Course.code)
        .limit(1)
    )
    room = db.session.scalar(select(Room).order_by(Room.seats.desc(), Room.id).limit(1))
    number = 1 + (
        db.session.scalar(
            select(func.max(CourseRun.number)).where(CourseRun.course_id == course.id)
        )
        or 0
    )
    # Started a few minutes ago: whoever tries the door screen at once still counts as on time.
    start = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    run = CourseRun(
        course_id=course.id,
        number=number,
        room_id=room.id,
        instructor_id=instructor.id,
        capacity=20,
        starts_on=day_of(start),
        ends_on=day_of(start + timedelta(days=1)),
        registration_opens_at=now - timedelta(days=7),
        registration_closes_at=now + timedelta(hours=1),
        selection=Selection.FIRST_COME,
        created_at=now - timedelta(days=8),
    )
    db.session.add(run)
    db.session.flush()
    for day in range(2):
        db.session.add(
            Session(
                run_id=run.id,
                starts_at=start + timedelta(days=day),
                ends_at=start + timedelta(days=day, hours=2),
            )
        )
    # Residents with nothing else coming up, so that no timetable clashes.
    busy = (
        select(Enrollment.person_id)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(Enrollment.status.in_(ACTIVE_STATUSES), CourseRun.ends_on >= day_of(now))
    )
    others = db.session.scalars(
        select(Person.id)
        .where(
            Person.role == Role.RESIDENT,
            Person.password_hash.is_(None),
            Person.id.not_in(busy),
        )
        .order_by(Person.id)
        .limit(IN_PROGRESS_ENROLLED - 1)
    ).all()
    for index, person_id in enumerate([resident.id, *others]):
        moment = now - timedelta(days=6, hours=-index)
        db.session.add(
            Enrollment(
                run_id=run.id,
                person_id=person_id,
                status=EnrollmentStatus.CONFIRMED,
                channel=Channel.WEB if person_id == resident.id else Channel.DESK,
                created_at=moment,
                confirmed_at=moment,
            )
        )
    db.session.flush()
    return run


def _add_promotion(now: datetime) -> Enrollment | None:
    """In the full upcoming run, a resident joins the waiting list and, minutes later, someone
    holding a seat cancels: the first in line is promoted, and the outbox holds the messages
    telling them, as a newcomer to the outbox page should find."""
    run = db.session.scalar(
        select(CourseRun)
        .join(Course, Course.id == CourseRun.course_id)
        .where(Course.code == PROMOTION_COURSE, CourseRun.starts_on > day_of(now))
        .order_by(CourseRun.starts_on)
        .limit(1)
    )
    if run is None:
        return None
    demo_phones = [account.phone for account in DEMO_ACCOUNTS]
    holder = db.session.scalar(
        select(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Enrollment.run_id == run.id,
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            Person.phone.not_in(demo_phones),
        )
        .order_by(Enrollment.id.desc())
        .limit(1)
    )
    busy = (
        select(Enrollment.person_id)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(Enrollment.status.in_(ACTIVE_STATUSES), CourseRun.ends_on >= day_of(now))
    )
    candidates = db.session.scalars(
        select(Person)
        .where(
            Person.role == Role.RESIDENT,
            Person.password_hash.is_(None),
            Person.id.not_in(busy),
            Person.phone.like("010%"),
        )
        .order_by(Person.id.desc())
        .limit(20)
    ).all()
    for person in candidates:
        try:
            waiting = enroll_person(
                run, person, channel=Channel.DESK, now=now - timedelta(minutes=30)
            )
        except EnrollmentError:
            continue
        cancel_enrollment(holder, actor=holder.person, now=now - timedelta(minutes=5))
        return waiting
    return None


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())


def _insert_plan(plan: DemoPlan, echo) -> dict[str, int]:
    consent_version = current_app.config["CONSENT_VERSION"]
    person_ids: dict[int, int] = {}

    def person_row(key: int) -> dict:
        person = plan.people[key]
        has_login = key < len(DEMO_ACCOUNTS)
        return {
            "name": person["name"],
            "phone": person["phone"],
            "birth_year": person["birth_year"],
            "dong": person["dong"],
            "role": person["role"],
            "password_hash": generate_password_hash(DEMO_PASSWORD) if has_login else None,
            "auth_version": 1,
            "is_active": True,
            "consent_version": consent_version,
            "consent_method": (
                ConsentMethod.ONLINE
                if has_login and person["role"] is Role.RESIDENT
                else ConsentMethod.DESK
            ),
            "consented_at": person["created_at"],
            "created_at": person["created_at"],
            "created_by_id": person_ids.get(person["created_by"]),
        }

    demo_keys = list(range(len(DEMO_ACCOUNTS)))
    other_keys = list(range(len(DEMO_ACCOUNTS), len(plan.people)))
    for keys in (demo_keys, other_keys):
        ids = _insert_returning_ids(Person, [person_row(key) for key in keys])
        person_ids.update(zip(keys, ids, strict=True))
    echo(f"people: {len(person_ids)}")

    room_ids = {}
    for venue_name, address, rooms in VENUES:
        venue = db.session.scalar(select(Venue).where(Venue.name == venue_name))
        if venue is None:
            venue = Venue(name=venue_name, address=address, phone=VENUE_PHONES.get(venue_name))
            db.session.add(venue)
            db.session.flush()
        for room_name, seats in rooms:
            room = db.session.scalar(
                select(Room).where(Room.venue_id == venue.id, Room.name == room_name)
            )
            if room is None:
                room = Room(venue_id=venue.id, name=room_name, seats=seats)
                db.session.add(room)
                db.session.flush()
            room_ids[(venue_name, room_name)] = room.id

    codes = list(COURSE_BY_CODE)
    course_ids = dict(
        zip(
            codes,
            _insert_returning_ids(
                Course,
                [
                    {
                        "code": code,
                        "title": spec.title,
                        "category": spec.category,
                        "level": spec.level,
                        "audience": spec.audience,
                        "delivery": spec.delivery,
                        "description": spec.description,
                    }
                    for code, spec in COURSE_BY_CODE.items()
                ],
            ),
            strict=True,
        )
    )
    echo(f"courses: {len(course_ids)}")

    runs = plan.runs + plan.upcoming
    run_ids = _insert_returning_ids(
        CourseRun,
        [
            {
                "course_id": course_ids[run.code],
                "number": run.number,
                "room_id": room_ids[run.room] if run.room else None,
                "instructor_id": person_ids[run.instructor],
                "capacity": run.capacity,
                "starts_on": run.starts_on,
                "ends_on": run.ends_on,
                "registration_opens_at": run.opens_at,
                "registration_closes_at": run.closes_at,
                "selection": run.selection,
                "completion_threshold": COMPLETION_THRESHOLD,
                "min_age": run.spec.min_age,
                "max_age": None,
                "lottery_seed": run.lottery_seed,
                "lottery_drawn_at": run.lottery_drawn_at,
                "lottery_drawn_by_id": person_ids.get(run.lottery_drawn_by),
                "created_at": run.created_at,
            }
            for run in runs
        ],
    )
    session_rows = [
        {"run_id": run_id, "starts_at": start, "ends_at": end}
        for run, run_id in zip(runs, run_ids, strict=True)
        for start, end in run.sessions
    ]
    session_ids = iter(_insert_returning_ids(Session, session_rows))
    run_session_ids = [[next(session_ids) for _ in run.sessions] for run in runs]
    echo(f"sessions: {len(session_rows)}")

    enrollments = [
        (run_index, enrollment)
        for run_index, run in enumerate(runs)
        for enrollment in run.enrollments
    ]
    enrollment_ids = _insert_returning_ids(
        Enrollment,
        [
            {
                "run_id": run_ids[run_index],
                "person_id": person_ids[e.person],
                "status": e.status,
                "waitlist_position": e.waitlist_position,
                "channel": e.channel,
                "created_at": e.created_at,
                "created_by_id": person_ids.get(e.created_by),
                "confirmed_at": e.confirmed_at,
                "cancelled_at": e.cancelled_at,
                "cancelled_by_id": person_ids.get(e.cancelled_by),
                "completed_at": e.completed_at,
            }
            for run_index, e in enrollments
        ],
    )
    echo(f"enrollments: {len(enrollment_ids)}")

    marks = [
        {
            "session_id": run_session_ids[run_index][index],
            "enrollment_id": enrollment_id,
            "status": status,
            "checked_in_at": checked_in_at,
            "recorded_at": recorded_at,
            "recorded_by_id": person_ids[runs[run_index].instructor],
            "note": note,
        }
        for (run_index, e), enrollment_id in zip(enrollments, enrollment_ids, strict=True)
        for index, status, checked_in_at, recorded_at, note in e.marks
    ]
    if marks:
        db.session.execute(insert(Attendance), marks)
    echo(f"attendance: {len(marks)} marks")
    return {
        "people": len(person_ids),
        "sessions": len(session_rows),
        "enrollments": len(enrollment_ids),
        "marks": len(marks),
    }


def _summary(plan: DemoPlan, counts: dict[str, int], in_progress: CourseRun) -> str:
    def hours(runs):
        return round(sum((e - s).total_seconds() for r in runs for s, e in r.sessions) / 3600)

    resident_runs = [r for r in plan.runs if r.spec.audience is Audience.RESIDENT]
    staff_runs = [r for r in plan.runs if r.spec.audience is Audience.STAFF]
    full = next(r for r, s in zip(plan.upcoming, UPCOMING, strict=True) if s.with_demo_resident)
    ready = next(r for r, s in zip(plan.upcoming, UPCOMING, strict=True) if s.window == "closed")
    lines = [
        "데모 데이터를 넣었습니다. (Demo data added.)",
        f"  교육과정 {len(COURSE_BY_CODE)}개, 교육장 {len(VENUES)}곳, 강의실 {len(ROOM_SEATS)}개",
        f"  2022년 구민 교육 {len(resident_runs)}회 {hours(resident_runs):,}시간, "
        f"직원 교육 {len(staff_runs)}회 {hours(staff_runs)}시간",
        f"  2022년 8월 31일까지 구민 {RESIDENT_RUNS[FIRST_HALF]}회 "
        f"{len(plan.trained_first_half):,}명, 직원 {len(STAFF_CODES)}회 "
        f"{len(plan.staff_trained_first_half)}명",
        f"  다가오는 기수 {len(plan.upcoming)}개, 사람 {counts['people']:,}명, "
        f"수강신청 {counts['enrollments']:,}건, 출석 기록 {counts['marks']:,}건",
        "",
        f"로그인 계정 (비밀번호는 모두 {DEMO_PASSWORD}):",
    ]
    for account in DEMO_ACCOUNTS:
        phone = f"{account.phone[:3]}-{account.phone[3:7]}-{account.phone[7:]}"
        lines.append(f"  {phone}  {DEMO_PASSWORD}  {account.label} {account.name}")
    resident = DEMO_ACCOUNTS[RESIDENT]
    lines += [
        "",
        "해 볼 것 (things to try):",
        f"  - '{full.title}'은(는) 자리가 모두 찼습니다. 새로 가입해 신청하면 대기 1번이 되고, "
        f"이 강좌에 확정된 {resident.name}님으로 로그인해 취소하면 곧바로 확정됩니다.",
        f"  - '{ready.title}'는 신청이 마감되어 담당자가 바로 추첨할 수 있습니다.",
        f"  - 2022년 수료증 {counts['certificates']:,}장이 발급되어 있습니다. "
        f"진위 확인: /verify/{format_serial(2022, 1)}",
        f"  - '{in_progress.title}' 수업이 지금 진행 중입니다. 강사로 로그인해 '오늘 수업'에서 "
        f"출석 확인을 열고, {resident.name}님의 출석 패스(내 출석 패스)를 스캔해 보세요.",
        f"  - '{full.title}'에서 방금 한 분이 취소해 대기 1번이 확정되었습니다. 담당자로 로그인해 "
        "메시지함(/outbox)에서 그분께 갈 문자를 보고, flask --app training outbox send 로 보내면 "
        "instance/outbox.log 에 적힙니다 (실제로는 아무것도 보내지 않습니다).",
    ]
    return "\n".join(lines)
