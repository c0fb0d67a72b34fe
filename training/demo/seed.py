"""Demo data: the 2022 programme as the district reported it, and a term open for registration.

``seed_demo`` fills an empty database so that a newcomer can log in at once and find every
feature with something to show. The 2022 part reproduces the figures of the work report
(140 resident runs and 2,800 hours, 12 staff runs and 87 hours; to 31 August 79 runs and
1,405 residents, 3 runs and 52 staff, 44 courses) from a fixed random seed, so it is the same
on every machine. The upcoming term is placed relative to ``now``: runs open for registration,
a full run with a waiting list, a lottery ready to draw.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from training.accounts.models import DONGS, ConsentMethod, Person, Role
from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Selection,
    Session,
    Venue,
)
from training.certificates.models import Certificate, CertificateCounter
from training.certificates.services import format_serial
from training.checkin.models import Attendance, AttendanceStatus
from training.clock import SEOUL
from training.enrollment.models import ACTIVE_STATUSES, Channel, Enrollment, EnrollmentStatus
from training.extensions import db
from training.stats.models import Plan

DEMO_PASSWORD = "demo1234!"
YEAR_SEED = 2022
UPCOMING_SEED = 2026

# The figures of the division's 2022 work report.
FIRST_HALF = (date(2022, 1, 1), date(2022, 8, 31))
SECOND_HALF = (date(2022, 9, 1), date(2022, 12, 31))
RESIDENT_RUNS = {FIRST_HALF: 79, SECOND_HALF: 61}
STAFF_RUNS_PER_COURSE = {FIRST_HALF: 1, SECOND_HALF: 3}
STAFF_LONG_RUNS = 3  # 8 hours; the other nine staff runs take 7 (87 hours in all)
RESIDENTS_TRAINED_FIRST_HALF = 1405
STAFF_TRAINED_FIRST_HALF = 52
STAFF_SIZES_FIRST_HALF = (19, 18, 18)  # 55 places for 52 people: three took two courses

MIN_CLASS = 12
STAFF_CAPACITY = 20
COMPLETION_THRESHOLD = 80  # per cent of sessions attended, as CourseRun's default
MAX_RUNS_PER_PERSON = 3
MAX_UPCOMING_PER_PERSON = 2  # the enrollment rules allow three live ones; leave room to try

VENUES = (
    (
        "창업스마트교육장",
        "서울특별시 영등포구 문래동",
        (("교육실 1", 24), ("교육실 2", 20), ("1인 방송실", 6)),
    ),
    ("평생스마트교육장", "서울특별시 영등포구 대림3동", (("강의실 1", 28), ("강의실 2", 24))),
)
# The one-person broadcasting room is the report's plan for what comes next: only the
# upcoming term uses it.
BROADCAST_ROOM = ("창업스마트교육장", "1인 방송실")
CLASSROOMS = (
    ("창업스마트교육장", "교육실 1"),
    ("창업스마트교육장", "교육실 2"),
    ("평생스마트교육장", "강의실 1"),
    ("평생스마트교육장", "강의실 2"),
)
ROOM_SEATS = {(venue, room): seats for venue, _address, rooms in VENUES for room, seats in rooms}
ONLINE_CAPACITY = 30

# Public holidays with no classes: 2022's own (lunar new year, elections, Chuseok, substitute
# days) and the fixed-date ones of every year.
HOLIDAYS_2022 = {
    date(2022, 1, 31),
    date(2022, 2, 1),
    date(2022, 2, 2),
    date(2022, 3, 9),
    date(2022, 6, 1),
    date(2022, 9, 9),
    date(2022, 9, 12),
    date(2022, 10, 10),
}
FIXED_HOLIDAYS = {(1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25)}


@dataclass(frozen=True)
class CourseSpec:
    title: str
    category: Category
    level: Level
    description: str
    delivery: Delivery = Delivery.IN_PERSON
    audience: Audience = Audience.RESIDENT
    popularity: int = 1
    min_age: int | None = None


C, S, V, T = Category.COMPUTER, Category.SMARTPHONE, Category.VIDEO, Category.IT_TRENDS
K, Y, F = Category.KIOSK, Category.CREATOR, Category.FUTURE_TECH
BEGIN, MID, ADV = Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED
ONLINE = Delivery.ONLINE

# Codes C01..C44 follow this order.
COURSES = (
    CourseSpec(
        "컴퓨터 첫걸음",
        C,
        BEGIN,
        "마우스와 키보드부터 파일 저장까지, 처음 배우는 분을 위한 과정입니다.",
        popularity=3,
    ),
    CourseSpec(
        "한글 문서 작성 기초", C, BEGIN, "한글(HWP)로 편지와 안내문을 만들어 봅니다.", popularity=2
    ),
    CourseSpec(
        "엑셀 기초",
        C,
        BEGIN,
        "표 만들기, 간단한 계산, 인쇄까지 엑셀의 기본을 익힙니다.",
        popularity=2,
    ),
    CourseSpec("엑셀 활용", C, MID, "함수, 정렬과 필터, 차트로 가계부와 명단을 관리합니다."),
    CourseSpec(
        "파워포인트로 발표 자료 만들기", C, MID, "사진과 글을 넣어 보기 좋은 발표 자료를 만듭니다."
    ),
    CourseSpec(
        "인터넷과 이메일 활용",
        C,
        BEGIN,
        "검색, 즐겨찾기, 이메일 보내기와 파일 첨부를 배웁니다.",
        popularity=2,
    ),
    CourseSpec(
        "사진 정리와 클라우드 활용",
        C,
        MID,
        "휴대전화 사진을 컴퓨터와 클라우드로 옮기고 정리합니다.",
    ),
    CourseSpec(
        "정부24로 민원 신청하기", C, BEGIN, "간편인증으로 정부24에서 서류를 신청하고 발급받습니다."
    ),
    CourseSpec(
        "스마트폰 기초",
        S,
        BEGIN,
        "전화, 문자, 카메라, 설정 등 스마트폰의 기본 사용법을 배웁니다.",
        popularity=4,
    ),
    CourseSpec(
        "시니어 스마트폰 기초",
        S,
        BEGIN,
        "만 55세 이상을 위해 천천히 배우는 스마트폰 기초 과정입니다.",
        popularity=3,
        min_age=55,
    ),
    CourseSpec(
        "스마트폰 활용",
        S,
        MID,
        "앱 설치, 사진 공유, 일정 관리 등 생활에 쓰는 기능을 익힙니다.",
        popularity=3,
    ),
    CourseSpec(
        "카카오톡 200% 활용",
        S,
        BEGIN,
        "사진·동영상 보내기, 단체 대화방, 선물하기를 배웁니다.",
        popularity=3,
    ),
    CourseSpec(
        "스마트폰 사진 촬영과 편집",
        S,
        MID,
        "잘 찍는 요령과 보정, 사진첩 정리를 배웁니다.",
        popularity=2,
    ),
    CourseSpec(
        "모바일 뱅킹과 간편결제",
        S,
        MID,
        "은행 앱과 간편결제를 안전하게 쓰는 법을 익힙니다.",
        popularity=2,
    ),
    CourseSpec(
        "스마트폰으로 병원·교통 예약하기",
        S,
        BEGIN,
        "병원 예약, 기차표 예매, 택시 호출을 직접 해 봅니다.",
    ),
    CourseSpec(
        "스마트폰 보안과 보이스피싱 예방",
        S,
        BEGIN,
        "문자 사기와 악성 앱을 알아보고 피해를 막는 법을 배웁니다.",
        ONLINE,
    ),
    CourseSpec(
        "지도 앱과 길찾기", S, BEGIN, "지도 앱으로 길을 찾고 버스·지하철 도착 시간을 확인합니다."
    ),
    CourseSpec("태블릿 활용", S, MID, "태블릿으로 책 읽기, 영상 통화, 사진 보기를 배웁니다."),
    CourseSpec(
        "스마트폰 영상 편집 기초",
        V,
        BEGIN,
        "스마트폰으로 찍은 영상을 자르고 자막과 음악을 넣습니다.",
        popularity=2,
    ),
    CourseSpec(
        "영상 편집 활용", V, MID, "여러 영상을 이어 붙이고 효과를 넣어 한 편의 영상을 완성합니다."
    ),
    CourseSpec("PC 영상 편집 실무", V, ADV, "컴퓨터 편집 프로그램으로 홍보 영상을 만듭니다."),
    CourseSpec(
        "온라인 영상 편집 교실",
        V,
        BEGIN,
        "집에서 화상으로 참여하는 영상 편집 입문 과정입니다.",
        ONLINE,
    ),
    CourseSpec(
        "생활 속 IT 트렌드",
        T,
        BEGIN,
        "요즘 많이 쓰는 디지털 서비스와 새 기술을 쉽게 알아봅니다.",
        ONLINE,
        popularity=2,
    ),
    CourseSpec(
        "인공지능 쉽게 이해하기",
        T,
        MID,
        "챗봇, 번역, 음성 비서 등 인공지능 서비스를 직접 써 봅니다.",
        ONLINE,
    ),
    CourseSpec("메타버스 첫걸음", T, MID, "가상 공간에서 사람을 만나고 전시를 관람해 봅니다."),
    CourseSpec(
        "디지털 금융 트렌드",
        T,
        MID,
        "오픈뱅킹, 마이데이터 등 달라진 금융 서비스를 알아봅니다.",
        ONLINE,
    ),
    CourseSpec(
        "화상회의(줌) 활용", T, BEGIN, "줌으로 화상회의에 참여하고 화면을 공유해 봅니다.", ONLINE
    ),
    CourseSpec(
        "키오스크 주문하기",
        K,
        BEGIN,
        "음식점·카페 무인 주문기로 주문하고 결제하는 법을 실습합니다.",
        popularity=4,
    ),
    CourseSpec(
        "키오스크 활용: 병원·은행·기차역",
        K,
        BEGIN,
        "병원 접수기, 은행 자동화기기, 승차권 발매기를 실습합니다.",
        popularity=2,
    ),
    CourseSpec(
        "무인 민원발급기 이용하기",
        K,
        BEGIN,
        "주민등록등본 같은 서류를 무인 민원발급기로 떼어 봅니다.",
    ),
    CourseSpec(
        "유튜브 크리에이터 입문",
        Y,
        BEGIN,
        "채널 만들기부터 첫 영상 올리기까지 배웁니다.",
        popularity=2,
    ),
    CourseSpec("유튜브 채널 운영", Y, MID, "썸네일, 제목, 구독자 소통으로 채널을 키웁니다."),
    CourseSpec(
        "1인 방송 실습", Y, ADV, "조명·마이크·카메라를 갖춘 방송실에서 라이브 방송을 해 봅니다."
    ),
    CourseSpec("블로그·SNS 홍보", Y, MID, "블로그와 인스타그램으로 가게와 모임 소식을 알립니다."),
    CourseSpec(
        "온라인 유튜브 크리에이터 교실",
        Y,
        BEGIN,
        "화상으로 참여하는 유튜브 영상 기획과 촬영 과정입니다.",
        ONLINE,
    ),
    CourseSpec("코딩 로봇 체험", F, BEGIN, "실습 키트 로봇을 블록 코딩으로 움직여 봅니다."),
    CourseSpec("드론 체험 교실", F, BEGIN, "교육용 드론 키트를 조립하고 날려 봅니다."),
    CourseSpec("3D 프린팅 체험", F, MID, "간단한 3D 모델을 그리고 프린터로 출력해 봅니다."),
    CourseSpec(
        "사물인터넷(IoT) 키트 만들기", F, MID, "센서 키트로 온도와 조명을 스마트폰에 연결합니다."
    ),
    CourseSpec(
        "인공지능 스피커와 스마트홈", F, BEGIN, "말로 가전을 켜고 끄는 스마트홈을 실습합니다."
    ),
    CourseSpec(
        "VR·AR 가상현실 체험", F, BEGIN, "가상현실 기기를 써 보고 증강현실 앱을 체험합니다."
    ),
    CourseSpec(
        "공공 웹서비스 보안 실무",
        Category.STAFF_IT,
        ADV,
        "시스템을 만들고 운영하는 직원을 위한 웹 취약점 점검과 대응 실습입니다.",
        audience=Audience.STAFF,
    ),
    CourseSpec(
        "공공데이터 분석과 시각화",
        Category.STAFF_IT,
        MID,
        "업무 데이터를 정리·분석하고 차트로 보고하는 법을 익힙니다.",
        ONLINE,
        audience=Audience.STAFF,
    ),
    CourseSpec(
        "클라우드와 서버 운영 실무",
        Category.STAFF_IT,
        ADV,
        "클라우드 서버 구성, 백업, 모니터링을 실습합니다.",
        audience=Audience.STAFF,
    ),
)
COURSE_BY_CODE = {f"C{index:02d}": spec for index, spec in enumerate(COURSES, start=1)}
RESIDENT_CODES = [
    code for code, spec in COURSE_BY_CODE.items() if spec.audience is Audience.RESIDENT
]
STAFF_CODES = [code for code, spec in COURSE_BY_CODE.items() if spec.audience is Audience.STAFF]

SURNAMES = "김김김김김이이이이박박박최최정정강조윤장임한오서신권황안송류홍전고문손배"
OLDER_GIVEN_NAMES = (  # noqa: SIM905 (a list literal would take one line a name)
    "영숙 정숙 순자 영자 영희 정희 명숙 경자 미숙 옥순 순희 혜숙 경숙 영순 말순 춘자 정자 숙자 "
    "영미 은숙 금순 복순 연희 정애 순옥 영수 영호 영철 상철 성호 정호 광수 종수 동수 성수 재호 "
    "병철 영식 정식 진호 승호 기영 용수 명수 창호 준호 철수 만수 상호 영길 태식 춘식 길수"
).split()
YOUNGER_GIVEN_NAMES = (  # noqa: SIM905
    "지훈 민수 현우 서연 지영 수진 민정 은지 지현 동현 성민 혜진 준영 유진 슬기 세영 재원 "
    "다은 소영 민호 정우 예린 가영 태현 하은 승민 주희 나연 도윤 시우"
).split()
MARKS = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)
REGULAR_WEIGHTS = (91, 5, 3, 1)
IRREGULAR_WEIGHTS = (66, 10, 17, 7)
EXCUSE_NOTES = ("병원 진료", "가족 행사", "개인 사정")


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    name: str
    phone: str
    birth_year: int
    dong: str
    label: str


DEMO_ACCOUNTS = (
    DemoAccount(Role.ADMIN, "관리자", "01000000001", 1978, "당산2동", "관리자(admin)"),
    DemoAccount(Role.STAFF, "담당자", "01000000002", 1985, "당산2동", "담당자(staff)"),
    DemoAccount(Role.INSTRUCTOR, "강사랑", "01000000003", 1982, "문래동", "강사(instructor)"),
    DemoAccount(Role.RESIDENT, "김영등", "01000000004", 1955, "당산2동", "구민(resident)"),
    DemoAccount(Role.RESIDENT, "박대림", "01000000005", 1962, "대림3동", "구민(resident)"),
)
ADMIN, STAFF_DESK, INSTRUCTOR, RESIDENT, SECOND_RESIDENT = range(len(DEMO_ACCOUNTS))
INVENTED_INSTRUCTORS = (
    ("윤정민", 1979),
    ("서지훈", 1986),
    ("한미경", 1974),
    ("오승훈", 1983),
    ("장은영", 1990),
)


@dataclass(frozen=True)
class Format:
    """How a run's class sessions fall: how many, how long, on which weekdays and hours."""

    sessions: int
    length: timedelta
    weekdays: tuple[tuple[int, ...], ...]
    clocks: tuple[time, ...]


TWICE_A_WEEK = ((0, 2), (1, 3), (2, 4), (0, 3), (1, 4))
TWO_DAYS_RUNNING = ((0, 1), (1, 2), (2, 3), (3, 4))
# Both resident formats make 20 hours: 140 runs give the report's 2,800.
RESIDENT_FORMATS = (
    Format(10, timedelta(hours=2), TWICE_A_WEEK, (time(10), time(13, 30), time(16))),
    Format(8, timedelta(hours=2, minutes=30), TWICE_A_WEEK, (time(10), time(13, 30), time(16))),
)
STAFF_SHORT = Format(2, timedelta(hours=3, minutes=30), TWO_DAYS_RUNNING, (time(9, 30), time(14)))
STAFF_LONG = Format(2, timedelta(hours=4), TWO_DAYS_RUNNING, (time(9), time(14)))
UPCOMING_FORMAT = RESIDENT_FORMATS[0]


@dataclass(frozen=True)
class UpcomingSpec:
    """One run of the coming term and the state a newcomer should find it in."""

    code: str
    capacity: int
    confirmed: int = 0
    waitlisted: int = 0
    applied: int = 0
    selection: Selection = Selection.FIRST_COME
    window: str = "open"  # open, closed (lottery ready to draw) or future (opens in 5 days)
    room: tuple[str, str] | None = None
    by_demo_instructor: bool = False
    with_demo_resident: bool = False
    with_second_resident: bool = False


# The full run comes first: the demo resident's seat in it must not clash with any other
# resident run, so that they can still enroll anywhere.
UPCOMING = (
    UpcomingSpec(
        "C28", 20, confirmed=20, waitlisted=0, by_demo_instructor=True, with_demo_resident=True
    ),
    UpcomingSpec("C09", 24, confirmed=9, by_demo_instructor=True),
    UpcomingSpec("C01", 20, confirmed=19),
    UpcomingSpec("C10", 24, confirmed=7, by_demo_instructor=True),
    UpcomingSpec(
        "C13",
        20,
        applied=30,
        selection=Selection.LOTTERY,
        window="closed",
        with_second_resident=True,
    ),
    UpcomingSpec("C19", 20, applied=12, selection=Selection.LOTTERY),
    UpcomingSpec("C29", 24, applied=8, selection=Selection.LOTTERY),
    UpcomingSpec("C23", 40, confirmed=11),
    UpcomingSpec("C36", 24, window="future"),
    UpcomingSpec("C33", 6, confirmed=2, room=BROADCAST_ROOM),
    UpcomingSpec("C14", 20, confirmed=13, by_demo_instructor=True),
    UpcomingSpec("C03", 28, confirmed=6),
    UpcomingSpec("C42", 20, confirmed=6),
    UpcomingSpec("C43", 30, confirmed=4),
)


class SeedError(Exception):
    """The demo cannot be added to this database; the message says why."""


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


class Calendar:
    """Busy hours per room, instructor and trainee, so that nobody is booked twice."""

    def __init__(self):
        self._busy: dict[tuple, list[tuple[datetime, datetime]]] = defaultdict(list)

    def is_free(self, resource, sessions) -> bool:
        for start, end in sessions:
            for other_start, other_end in self._busy.get((resource, _day_of(start)), ()):
                if start < other_end and other_start < end:
                    return False
        return True

    def book(self, resource, sessions) -> None:
        for start, end in sessions:
            self._busy[(resource, _day_of(start))].append((start, end))


def _day_of(moment: datetime) -> date:
    return moment.astimezone(SEOUL).date()


def at_seoul(day: date, clock: time) -> datetime:
    """A Seoul wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SEOUL).astimezone(UTC)


def is_holiday(day: date) -> bool:
    return day in HOLIDAYS_2022 or (day.month, day.day) in FIXED_HOLIDAYS


def class_days(first: date, weekdays: tuple[int, ...], count: int) -> list[date]:
    """The first ``count`` working days on the given weekdays from ``first`` on."""
    days = []
    day = first
    while len(days) < count:
        if day.weekday() in weekdays and not is_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


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
        first_day = _day_of(sessions[0][0])
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
            first_day = _day_of(sessions[0][0])
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
    except Exception:
        db.session.rollback()
        raise
    echo(f"class in progress now: {in_progress.title}")
    db.session.commit()
    return _summary(plan, counts, in_progress)


IN_PROGRESS_ENROLLED = 12


def _add_plans(now: datetime) -> None:
    """The programme's yearly plan (the 2022 report's figures), for 2022 and this year."""
    for year in sorted({2022, _day_of(now).year}):
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
        starts_on=_day_of(start),
        ends_on=_day_of(start + timedelta(days=1)),
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
        .where(Enrollment.status.in_(ACTIVE_STATUSES), CourseRun.ends_on >= _day_of(now))
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
            venue = Venue(name=venue_name, address=address)
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
    ]
    return "\n".join(lines)
