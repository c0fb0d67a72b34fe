"""The demo planned in memory: people, runs, sessions, enrollments and marks, with keys
instead of ids, from a fixed random seed."""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from training.accounts.models import DONGS, Role
from training.catalog.models import (
    Audience,
    Delivery,
    Selection,
)
from training.checkin.models import AttendanceStatus
from training.clock import SEOUL
from training.demo.calendar import Calendar, at_seoul, class_days, day_of
from training.demo.data import (
    CLASSROOMS,
    COMPLETION_THRESHOLD,
    COURSE_BY_CODE,
    DEMO_ACCOUNTS,
    EXCUSE_NOTES,
    FIRST_HALF,
    INSTRUCTOR,
    INVENTED_INSTRUCTORS,
    IRREGULAR_WEIGHTS,
    MARKS,
    MAX_RUNS_PER_PERSON,
    MAX_UPCOMING_PER_PERSON,
    MIN_CLASS,
    OLDER_GIVEN_NAMES,
    ONLINE_CAPACITY,
    REGULAR_WEIGHTS,
    RESIDENT,
    RESIDENT_CODES,
    RESIDENT_FORMATS,
    RESIDENT_RUNS,
    RESIDENTS_TRAINED_FIRST_HALF,
    ROOM_SEATS,
    SECOND_HALF,
    SECOND_RESIDENT,
    STAFF_CAPACITY,
    STAFF_CODES,
    STAFF_DESK,
    STAFF_LONG,
    STAFF_LONG_RUNS,
    STAFF_RUNS_PER_COURSE,
    STAFF_SHORT,
    STAFF_SIZES_FIRST_HALF,
    STAFF_TRAINED_FIRST_HALF,
    SURNAMES,
    UPCOMING,
    UPCOMING_FORMAT,
    UPCOMING_SEED,
    YEAR_SEED,
    YOUNGER_GIVEN_NAMES,
    CourseSpec,
    Format,
    UpcomingSpec,
)
from training.enrollment.models import Channel, EnrollmentStatus


@dataclass
class PlannedEnrollment:
    person: int
    status: EnrollmentStatus
    created_at: datetime
    channel: Channel = Channel.DESK
    created_by: int | None = STAFF_DESK
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: int | None = None
    waitlist_position: int | None = None
    completed_at: datetime | None = None
    # (session index, status, checked in at, recorded at, note)
    marks: list[tuple[int, AttendanceStatus, datetime | None, datetime, str]] = field(
        default_factory=list
    )


@dataclass
class PlannedRun:
    code: str
    sessions: list[tuple[datetime, datetime]]
    room: tuple[str, str] | None
    instructor: int
    capacity: int
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    selection: Selection = Selection.FIRST_COME
    lottery_seed: int | None = None
    lottery_drawn_at: datetime | None = None
    lottery_drawn_by: int | None = None
    enrollments: list[PlannedEnrollment] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    number: int = 0

    @property
    def spec(self) -> CourseSpec:
        return COURSE_BY_CODE[self.code]

    @property
    def starts_on(self) -> date:
        return self.sessions[0][0].astimezone(SEOUL).date()

    @property
    def ends_on(self) -> date:
        return self.sessions[-1][0].astimezone(SEOUL).date()

    @property
    def title(self) -> str:
        return f"{self.spec.title} {self.number}기"


class DemoPlan:
    """Everything the demo will insert, planned in memory with keys instead of ids."""

    def __init__(self, now: datetime, taken_phones: set[str]):
        self.now = now
        self.today = now.astimezone(SEOUL).date()
        self.rng = random.Random(YEAR_SEED)
        self.calendar = Calendar()
        self.people: list[dict] = []
        self.phones = set(taken_phones)
        self.courses_of: dict[int, set[str]] = defaultdict(set)
        self.runs_of: dict[int, int] = defaultdict(int)
        self.upcoming_of: dict[int, int] = defaultdict(int)
        self.runs: list[PlannedRun] = []
        self.upcoming: list[PlannedRun] = []
        self.residents: list[int] = []
        self.staff: list[int] = []
        self.trained_first_half: set[int] = set()
        self.staff_trained_first_half: set[int] = set()
        for account in DEMO_ACCOUNTS:
            self._add_person(
                name=account.name,
                phone=account.phone,
                birth_year=account.birth_year,
                dong=account.dong,
                role=account.role,
                created_by=None,
            )
        self.instructors = [INSTRUCTOR]
        for name, birth_year in INVENTED_INSTRUCTORS:
            self.instructors.append(
                self._add_person(
                    name=name,
                    phone=self._new_phone(),
                    birth_year=birth_year,
                    dong=self.rng.choice(DONGS),
                    role=Role.INSTRUCTOR,
                    created_by=None,
                )
            )

    # People

    def _add_person(self, *, name, phone, birth_year, dong, role, created_by=STAFF_DESK) -> int:
        self.phones.add(phone)
        self.people.append(
            {
                "name": name,
                "phone": phone,
                "birth_year": birth_year,
                "dong": dong,
                "role": role,
                "created_by": created_by,
                "created_at": None,
            }
        )
        return len(self.people) - 1

    def _new_phone(self) -> str:
        while True:
            # Eight digits from 10000000 up: never the 0100000xxxx numbers of the demo accounts.
            phone = f"010{self.rng.randint(10_000_000, 99_999_999)}"
            if phone not in self.phones:
                return phone

    def _new_resident(self, run: PlannedRun) -> int:
        if self.rng.random() < 0.88:
            birth_year = self.rng.randint(1940, 1975)
        else:
            birth_year = self.rng.randint(1976, 1995)
        min_age = run.spec.min_age
        if min_age is not None and run.starts_on.year - birth_year < min_age:
            birth_year = self.rng.randint(1940, run.starts_on.year - min_age)
        person = self._add_person(
            name=self.rng.choice(SURNAMES) + self.rng.choice(OLDER_GIVEN_NAMES),
            phone=self._new_phone(),
            birth_year=birth_year,
            dong=self.rng.choice(DONGS),
            role=Role.RESIDENT,
        )
        self.residents.append(person)
        return person

    def _new_staff(self, run: PlannedRun) -> int:
        person = self._add_person(
            name=self.rng.choice(SURNAMES) + self.rng.choice(YOUNGER_GIVEN_NAMES),
            phone=self._new_phone(),
            birth_year=self.rng.randint(1966, 1998),
            dong=self.rng.choice(DONGS),
            role=Role.STAFF,
        )
        self.staff.append(person)
        return person

    def can_take(self, person: int, run: PlannedRun, max_runs: int = MAX_RUNS_PER_PERSON) -> bool:
        """Whether the person may sit in the run: a new course, old enough, free at the time."""
        min_age = run.spec.min_age
        return (
            person not in run.members
            and run.code not in self.courses_of[person]
            and self.runs_of[person] < max_runs
            and (
                min_age is None or run.starts_on.year - self.people[person]["birth_year"] >= min_age
            )
            and self.calendar.is_free(("person", person), run.sessions)
        )

    def take(self, person: int, run: PlannedRun) -> None:
        run.members.add(person)
        self.courses_of[person].add(run.code)
        self.runs_of[person] += 1
        self.calendar.book(("person", person), run.sessions)

    def _pick(self, pool: list[int], run: PlannedRun, tries: int, **limits) -> int | None:
        for _ in range(tries):
            person = self.rng.choice(pool)
            if self.can_take(person, run, **limits):
                return person
        return None

    # Scheduling

    def schedule(
        self,
        rng: random.Random,
        code: str,
        fmt: Format,
        *,
        start_from: date,
        start_until: date,
        end_by: date,
        rooms: list[tuple[str, str] | None],
        instructors: list[int],
        avoid: tuple = (),
    ) -> tuple[list[tuple[datetime, datetime]], tuple[str, str] | None, int]:
        """Find class sessions with a free room and instructor, and book them."""
        span = (start_until - start_from).days
        for _ in range(5000):
            first = start_from + timedelta(days=rng.randrange(span + 1))
            clock = rng.choice(fmt.clocks)
            days = class_days(first, rng.choice(fmt.weekdays), fmt.sessions)
            if days[0] > start_until or days[-1] > end_by:
                continue
            sessions = [(at_seoul(day, clock), at_seoul(day, clock) + fmt.length) for day in days]
            if not all(self.calendar.is_free(resource, sessions) for resource in avoid):
                continue
            free_rooms = [
                room
                for room in rng.sample(rooms, len(rooms))
                if room is None or self.calendar.is_free(room, sessions)
            ]
            free_teachers = [
                person
                for person in rng.sample(instructors, len(instructors))
                if self.calendar.is_free(("person", person), sessions)
            ]
            if not free_rooms or not free_teachers:
                continue
            room, teacher = free_rooms[0], free_teachers[0]
            if room is not None:
                self.calendar.book(room, sessions)
            self.calendar.book(("person", teacher), sessions)
            return sessions, room, teacher
        raise RuntimeError(f"no free slot for {code} between {start_from} and {end_by}")

    def _run_2022(
        self, code: str, fmt: Format, half: tuple[date, date], capacity=None
    ) -> PlannedRun:
        spec = COURSE_BY_CODE[code]
        online = spec.delivery is Delivery.ONLINE
        # Classes began after the first week of January.
        start_from = max(half[0], date(2022, 1, 10))
        sessions, room, teacher = self.schedule(
            self.rng,
            code,
            fmt,
            start_from=start_from,
            start_until=half[1] - timedelta(days=20),
            end_by=half[1],
            rooms=[None] if online else list(CLASSROOMS),
            instructors=self.instructors,
        )
        if capacity is None:
            capacity = ONLINE_CAPACITY if online else ROOM_SEATS[room]
        first_day = day_of(sessions[0][0])
        opens_at = at_seoul(first_day - timedelta(days=21), time(9))
        closes_at = at_seoul(first_day - timedelta(days=4), time(18))
        run = PlannedRun(
            code=code,
            sessions=sessions,
            room=room,
            instructor=teacher,
            capacity=capacity,
            opens_at=opens_at,
            closes_at=closes_at,
            created_at=opens_at - timedelta(days=14),
        )
        if spec.audience is Audience.RESIDENT and self.rng.random() < 0.15:
            run.selection = Selection.LOTTERY
            run.lottery_seed = self.rng.getrandbits(62)
            run.lottery_drawn_at = closes_at + timedelta(hours=16)
            run.lottery_drawn_by = STAFF_DESK
        self.runs.append(run)
        return run

    # The 2022 programme

    def plan_2022(self) -> None:
        rng = self.rng
        weights = [COURSE_BY_CODE[code].popularity for code in RESIDENT_CODES]
        first_codes = RESIDENT_CODES + rng.choices(
            RESIDENT_CODES, weights, k=RESIDENT_RUNS[FIRST_HALF] - len(RESIDENT_CODES)
        )
        second_codes = rng.choices(RESIDENT_CODES, weights, k=RESIDENT_RUNS[SECOND_HALF])
        staff_run_count = len(STAFF_CODES) * sum(STAFF_RUNS_PER_COURSE.values())
        long_staff_runs = set(rng.sample(range(staff_run_count), STAFF_LONG_RUNS))

        staff_first = self._plan_staff_runs(FIRST_HALF, long_staff_runs, 0)
        staff_second = self._plan_staff_runs(SECOND_HALF, long_staff_runs, len(staff_first))
        first = [
            self._run_2022(code, rng.choice(RESIDENT_FORMATS), FIRST_HALF)
            for code in rng.sample(first_codes, len(first_codes))
        ]
        second = [
            self._run_2022(code, rng.choice(RESIDENT_FORMATS), SECOND_HALF) for code in second_codes
        ]

        # The demo resident finished a smartphone course in spring, so their page has history.
        demo_run = min((r for r in first if r.code == "C09"), key=lambda r: r.sessions[0])
        sizes = self._class_sizes(first, RESIDENTS_TRAINED_FIRST_HALF)
        self.trained_first_half = self._fill_exact(
            first,
            sizes,
            RESIDENTS_TRAINED_FIRST_HALF,
            self._new_resident,
            preset={id(demo_run): RESIDENT},
        )
        self.staff_trained_first_half = self._fill_exact(
            staff_first, list(STAFF_SIZES_FIRST_HALF), STAFF_TRAINED_FIRST_HALF, self._new_staff
        )
        self._fill_mixed(second, self.residents, self._new_resident, returning_share=0.3)
        self._fill_mixed(staff_second, self.staff, self._new_staff, returning_share=0.5)
        for run in first + second:
            self._add_cancellation(run, self.residents)
        for run in staff_first + staff_second:
            self._add_cancellation(run, self.staff)
        for run in self.runs:
            run.enrollments.sort(key=lambda e: e.created_at)

    def _plan_staff_runs(self, half, long_runs: set[int], counted: int) -> list[PlannedRun]:
        runs = []
        for code in STAFF_CODES:
            for _ in range(STAFF_RUNS_PER_COURSE[half]):
                fmt = STAFF_LONG if counted in long_runs else STAFF_SHORT
                online = COURSE_BY_CODE[code].delivery is Delivery.ONLINE
                runs.append(
                    self._run_2022(
                        code, fmt, half, capacity=ONLINE_CAPACITY if online else STAFF_CAPACITY
                    )
                )
                counted += 1
        return runs

    def _class_sizes(self, runs: list[PlannedRun], newcomers: int) -> list[int]:
        """Class sizes between twelve and the capacity, with room for some repeat trainees."""
        sizes = [self.rng.randint(max(MIN_CLASS, run.capacity - 9), run.capacity) for run in runs]
        low, high = newcomers + newcomers // 12, newcomers + newcomers // 5
        while sum(sizes) < low:
            index = self.rng.randrange(len(runs))
            if sizes[index] < runs[index].capacity:
                sizes[index] += 1
        while sum(sizes) > high:
            index = self.rng.randrange(len(runs))
            if sizes[index] > MIN_CLASS:
                sizes[index] -= 1
        return sizes

    def _fill_exact(self, runs, sizes, newcomers, new_person, preset=None) -> set[int]:
        """Fill the runs with exactly ``newcomers`` distinct people; the other places go to
        people of the same group taking a second or third course."""
        preset = preset or {}
        open_places = []
        trained = []
        for run, size in zip(runs, sizes, strict=True):
            if id(run) in preset:
                person = preset[id(run)]
                self.take(person, run)
                trained.append(person)
                size -= 1
            open_places.extend([run] * size)
        repeat_count = len(open_places) + len(trained) - newcomers
        repeats = set(self.rng.sample(range(len(open_places)), repeat_count))
        for place, run in enumerate(open_places):
            if place not in repeats:
                person = new_person(run)
                self.take(person, run)
                trained.append(person)
        for place in sorted(repeats):
            run = open_places[place]
            person = self._pick(trained, run, tries=5000)
            if person is None:
                raise RuntimeError(f"nobody free for a second course in {run.code}")
            self.take(person, run)
        for run in runs:
            self._confirm_and_attend(run, sorted(run.members))
        return set(trained)

    def _fill_mixed(self, runs, pool, new_person, returning_share: float) -> None:
        """Fill the runs with newcomers and a share of people who trained before."""
        for run in runs:
            size = self.rng.randint(max(MIN_CLASS, run.capacity - 10), run.capacity)
            for _ in range(size):
                person = None
                if self.rng.random() < returning_share:
                    person = self._pick(pool, run, tries=30, max_runs=MAX_RUNS_PER_PERSON + 1)
                if person is None:
                    person = new_person(run)
                self.take(person, run)
            self._confirm_and_attend(run, sorted(run.members))

    def _confirm_and_attend(self, run: PlannedRun, people: list[int]) -> None:
        for person in people:
            created_at = self._moment_between(run.opens_at, run.closes_at)
            if run.selection is Selection.LOTTERY:
                confirmed_at = run.lottery_drawn_at
            else:
                confirmed_at = created_at
            enrollment = PlannedEnrollment(
                person=person,
                status=EnrollmentStatus.CONFIRMED,
                created_at=created_at,
                confirmed_at=confirmed_at,
            )
            self._mark_attendance(run, enrollment, diligent=person == RESIDENT)
            run.enrollments.append(enrollment)

    def _mark_attendance(self, run: PlannedRun, enrollment: PlannedEnrollment, diligent: bool):
        """Mostly present; some people irregular, a few drop out; everyone came at least once."""
        rng = self.rng
        count = len(run.sessions)
        if diligent:
            statuses = [AttendanceStatus.PRESENT] * count
        else:
            profile = rng.random()
            weights = REGULAR_WEIGHTS if profile < 0.78 else IRREGULAR_WEIGHTS
            leaves_after = rng.randint(1, max(1, count // 3)) if profile > 0.95 else count
            statuses = [
                rng.choices(MARKS, weights)[0] if index < leaves_after else AttendanceStatus.ABSENT
                for index in range(count)
            ]
        attended_statuses = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        if not any(status in attended_statuses for status in statuses):
            statuses[0] = AttendanceStatus.PRESENT
        for index, status in enumerate(statuses):
            start, _end = run.sessions[index]
            if status is AttendanceStatus.PRESENT:
                checked_in_at = start - timedelta(
                    minutes=rng.randint(0, 15), seconds=rng.randint(0, 59)
                )
            elif status is AttendanceStatus.LATE:
                checked_in_at = start + timedelta(
                    minutes=rng.randint(5, 40), seconds=rng.randint(0, 59)
                )
            else:
                checked_in_at = None
            recorded_at = checked_in_at or start + timedelta(minutes=20)
            note = rng.choice(EXCUSE_NOTES) if status is AttendanceStatus.EXCUSED else ""
            enrollment.marks.append((index, status, checked_in_at, recorded_at, note))
        attended = sum(status in attended_statuses for status in statuses)
        if attended * 100 >= COMPLETION_THRESHOLD * count:
            enrollment.completed_at = run.sessions[-1][1]

    def _add_cancellation(self, run: PlannedRun, pool: list[int]) -> None:
        """A quarter of the runs lost one person before the start: history with no marks."""
        if self.rng.random() >= 0.25:
            return
        person = self.rng.choice(pool)
        # Someone who could have taken the place: eligible, new to the course, free then.
        if not self.can_take(person, run, max_runs=99):
            return
        created_at = self._moment_between(run.opens_at, run.closes_at)
        cancelled_at = self._moment_between(created_at, run.sessions[0][0] - timedelta(days=1))
        confirmed = run.selection is Selection.FIRST_COME
        run.enrollments.append(
            PlannedEnrollment(
                person=person,
                status=EnrollmentStatus.CANCELLED,
                created_at=created_at,
                confirmed_at=created_at if confirmed else None,
                cancelled_at=cancelled_at,
                cancelled_by=STAFF_DESK,
            )
        )

    def _moment_between(self, start: datetime, end: datetime, rng=None) -> datetime:
        rng = rng or self.rng
        seconds = int((end - start).total_seconds())
        return start + timedelta(seconds=rng.randrange(max(seconds, 1)))

    # The upcoming term

    def plan_upcoming(self) -> None:
        """Runs starting two to eight weeks from today, in the states a newcomer should try."""
        rng = random.Random(UPCOMING_SEED)
        now, today = self.now, self.today
        demo_hours = ("demo residents",)
        numbers = self._next_numbers()
        for spec in UPCOMING:
            course = COURSE_BY_CODE[spec.code]
            if spec.room is not None:
                rooms = [spec.room]
            elif course.delivery is Delivery.ONLINE:
                rooms = [None]
            else:
                rooms = [room for room in CLASSROOMS if ROOM_SEATS[room] >= spec.capacity]
            staff_course = course.audience is Audience.STAFF
            fmt = STAFF_SHORT if staff_course else UPCOMING_FORMAT
            start_from = today + timedelta(days=21 if spec.window == "future" else 14)
            sessions, room, teacher = self.schedule(
                rng,
                spec.code,
                fmt,
                start_from=start_from,
                start_until=today + timedelta(days=56),
                end_by=today + timedelta(days=120),
                rooms=rooms,
                instructors=[INSTRUCTOR] if spec.by_demo_instructor else self.instructors[1:],
                avoid=() if staff_course or spec.with_demo_resident else (demo_hours,),
            )
            if spec.with_demo_resident:
                self.calendar.book(demo_hours, sessions)
            first_day = day_of(sessions[0][0])
            if spec.window == "closed":
                opens_at, closes_at = now - timedelta(days=10), now - timedelta(hours=1)
            elif spec.window == "future":
                opens_at = now + timedelta(days=5)
                closes_at = at_seoul(first_day - timedelta(days=3), time(18))
            else:
                opens_at = now - timedelta(days=3)
                closes_at = at_seoul(first_day - timedelta(days=5), time(18))
            numbers[spec.code] += 1
            run = PlannedRun(
                code=spec.code,
                sessions=sessions,
                room=room,
                instructor=teacher,
                capacity=spec.capacity,
                opens_at=opens_at,
                closes_at=closes_at,
                created_at=min(opens_at, now) - timedelta(days=7),
                selection=spec.selection,
                number=numbers[spec.code],
            )
            self._enroll_upcoming(rng, run, spec)
            self.upcoming.append(run)

    def _next_numbers(self) -> dict[str, int]:
        """Number the 2022 runs of each course in date order; return the last numbers."""
        numbers: dict[str, int] = defaultdict(int)
        for run in sorted(self.runs, key=lambda r: (r.code, r.sessions[0][0])):
            numbers[run.code] += 1
            run.number = numbers[run.code]
        return numbers

    def _enroll_upcoming(self, rng: random.Random, run: PlannedRun, spec: UpcomingSpec) -> None:
        pool = self.staff if run.spec.audience is Audience.STAFF else self.residents
        demo = [RESIDENT] if spec.with_demo_resident else []
        demo += [SECOND_RESIDENT] if spec.with_second_resident else []
        total = spec.confirmed + spec.waitlisted + spec.applied
        people = []
        for _ in range(total - len(demo)):
            for _ in range(5000):
                person = rng.choice(pool)
                if self.upcoming_of[person] < MAX_UPCOMING_PER_PERSON and self.can_take(
                    person, run, max_runs=99
                ):
                    break
            else:
                raise RuntimeError(f"nobody free for the upcoming run of {run.code}")
            self.upcoming_of[person] += 1
            self.take(person, run)
            people.append(person)
        for person in demo:
            self.take(person, run)
            # Anywhere among the confirmed (or the applications), never on the waiting list.
            places = spec.confirmed if spec.confirmed else len(people) + 1
            people.insert(rng.randrange(places), person)
        end = run.closes_at if spec.window == "closed" else self.now - timedelta(minutes=5)
        moments = sorted(self._moment_between(run.opens_at, end, rng) for _ in people)
        for place, (person, created_at) in enumerate(zip(people, moments, strict=True)):
            on_the_web = person in (RESIDENT, SECOND_RESIDENT)
            enrollment = PlannedEnrollment(
                person=person,
                status=EnrollmentStatus.APPLIED,
                created_at=created_at,
                channel=Channel.WEB if on_the_web else Channel.DESK,
                created_by=person if on_the_web else STAFF_DESK,
            )
            if run.selection is Selection.FIRST_COME and place < spec.confirmed:
                enrollment.status = EnrollmentStatus.CONFIRMED
                enrollment.confirmed_at = created_at
            elif run.selection is Selection.FIRST_COME:
                enrollment.status = EnrollmentStatus.WAITLISTED
                enrollment.waitlist_position = place - spec.confirmed + 1
            run.enrollments.append(enrollment)

    def settle_people(self) -> None:
        """Date each person's registration just before their first enrollment."""
        first_seen: dict[int, datetime] = {}
        for run in self.runs + self.upcoming:
            for enrollment in run.enrollments:
                seen = first_seen.get(enrollment.person)
                if seen is None or enrollment.created_at < seen:
                    first_seen[enrollment.person] = enrollment.created_at
        opening = at_seoul(date(2021, 12, 1), time(9))
        for key, person in enumerate(self.people):
            if key in first_seen:
                person["created_at"] = first_seen[key] - timedelta(minutes=10)
            else:
                person["created_at"] = opening
