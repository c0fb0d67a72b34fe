"""The demo's fixed facts: venues and rooms, the 44 courses, names, accounts, class formats
and the figures of the 2022 work report that the plan must reproduce."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from training.accounts.models import Role
from training.catalog.models import (
    Audience,
    Category,
    Delivery,
    Level,
    Selection,
)
from training.checkin.models import AttendanceStatus

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
# Each centre's desk: the number every message and course page gives for enquiries.
VENUE_PHONES = {"창업스마트교육장": "02-2670-4160", "평생스마트교육장": "02-2670-4170"}
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


# The full run in which, just before the demo starts, a seat is given up and the first
# waiting resident promoted.
PROMOTION_COURSE = "C28"
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
