"""Term import: a term's runs and their class patterns from one XLSX sheet, all or nothing.

The template, the reading of a workbook and the reading of each cell are pure (bytes and
plain values in and out); ``import_term`` then makes each run through the same services the
pages and the API use, so every rule applies (capacity, clashes, holidays).

A row is the same run as one already in the database ("이미 있음", skipped, not an error) when
it names a cohort number and the course already has a run of that number; without a number,
when a run of the course in the same room (or online) already has a class starting at the
row's first class day and start time. Importing a file twice therefore creates nothing twice.
"""

import enum
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select

from training.accounts.models import Person
from training.accounts.services import AccountError, normalize_phone
from training.catalog.models import Course, CourseRun, Room, Selection, Session, Venue
from training.clock import SEOUL
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.planning.scheduling import Pattern, Skipped, add_sessions, class_days
from training.planning.services import create_run
from training.spreadsheets import safe_cell, unquoted

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# An XLSX is a zip: a small upload may unpack into a huge workbook, so the unpacked size
# is bounded before openpyxl reads it.
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_ROWS = 500
SHEET_TITLE = "강좌"
EXAMPLE_SHEET_TITLE = "예시"
LISTS_SHEET_TITLE = "목록"
ONLINE = "온라인"

WEEKDAY_NAMES = ("월", "화", "수", "목", "금", "토", "일")
SELECTION_NAMES = {"선착순": Selection.FIRST_COME, "추첨": Selection.LOTTERY}
# The choices offered in the weekday cells' list; any other combination may be typed.
WEEKDAY_SUGGESTIONS = (
    "월",
    "화",
    "수",
    "목",
    "금",
    "토",
    "월,수",
    "화,목",
    "수,금",
    "월,수,금",
    "화,목,토",
    "월,화,수,목,금",
)


@dataclass(frozen=True)
class Column:
    key: str
    # The file's headers are its format, like a JSON API's names: the same Korean title and
    # English line whatever language the page is read in, so any downloaded copy reads back.
    title: str
    english: str
    note: str
    width: int
    required: bool = False


COLUMNS = (
    Column(
        "course",
        "과정",
        "Course (code or title)",
        "과정 코드(예: C01) 또는 과정 이름. '목록' 시트에 있습니다.",
        26,
        True,
    ),
    Column("number", "기수", "Cohort no. (optional)", "비워 두면 다음 기수를 붙입니다.", 8),
    Column("venue", "교육장", "Venue", "온라인 강좌는 비워 둡니다.", 18),
    Column("room", "강의실", "Room, or 온라인", "강의실 이름, 온라인 강좌는 '온라인'.", 14, True),
    Column(
        "instructor",
        "강사 휴대전화",
        "Instructor phone (optional)",
        "강사 계정의 휴대전화 번호. 비워 둘 수 있습니다.",
        18,
    ),
    Column("capacity", "정원", "Capacity", "강의실 좌석 수를 넘을 수 없습니다.", 8, True),
    Column("selection", "선발 방식", "선착순 / 추첨", "선착순 또는 추첨. 비워 두면 선착순.", 12),
    Column(
        "registration_opens_at",
        "신청 시작",
        "Registration opens YYYY-MM-DD HH:MM",
        "예: 2026-02-16 09:00",
        20,
        True,
    ),
    Column(
        "registration_closes_at",
        "신청 마감",
        "Registration closes YYYY-MM-DD HH:MM",
        "예: 2026-02-27 18:00",
        20,
        True,
    ),
    Column("first_date", "첫 수업일", "First date YYYY-MM-DD", "예: 2026-03-02", 14, True),
    Column(
        "weekdays",
        "요일",
        "Weekdays, e.g. 월,수",
        "월,화,수,목,금,토,일 가운데 쉼표로 나눠 적습니다.",
        12,
        True,
    ),
    Column("start", "시작 시각", "Start HH:MM", "예: 10:00", 10, True),
    Column("end", "끝 시각", "End HH:MM", "예: 12:00", 10, True),
    Column(
        "count",
        "횟수",
        "Number of classes",
        "횟수나 마지막 수업일 가운데 하나만 적습니다. 공휴일은 건너뛰고 세지 않습니다.",
        8,
    ),
    Column(
        "last_date", "마지막 수업일", "or last date YYYY-MM-DD", "횟수 대신 적을 수 있습니다.", 14
    ),
    Column("min_age", "최소 나이", "Min age (optional)", "비워 두면 제한 없음.", 10),
    Column("max_age", "최대 나이", "Max age (optional)", "비워 두면 제한 없음.", 10),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
EXAMPLE_ROW = {
    "course": "스마트폰 기초",
    "number": 3,
    "venue": "평생스마트교육장",
    "room": "강의실 1",
    "instructor": "010-1234-5678",
    "capacity": 20,
    "selection": "선착순",
    "registration_opens_at": "2026-02-16 09:00",
    "registration_closes_at": "2026-02-27 18:00",
    "first_date": "2026-03-02",
    "weekdays": "월,수",
    "start": "10:00",
    "end": "12:00",
    "count": 8,
    "last_date": None,
    "min_age": None,
    "max_age": None,
}
# A refusal from the services, shown against the cell it is about.
COLUMN_OF_CODE = {
    "over_room_seats": "capacity",
    "course_archived": "course",
    "number_taken": "number",
    "room_busy": "room",
    "instructor_busy": "instructor",
    "no_sessions": "first_date",
}


class TermImportError(RuleError):
    """The file as a whole cannot be read: not a workbook, too big, not our template."""

    def __init__(self, message: str):
        super().__init__("invalid_file", message, 400)


class RowStatus(enum.Enum):
    READY = "ready"
    PRESENT = "present"
    REFUSED = "refused"


@dataclass(frozen=True)
class SheetRow:
    """One filled row of the sheet: its row number and each column's raw cell value."""

    number: int
    cells: dict[str, object]


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row, in Korean; column is a key of COLUMNS, None for the row."""

    row: int
    column: str | None
    message: str

    @property
    def column_title(self) -> str | None:
        return COLUMN_BY_KEY[self.column].title if self.column else None


@dataclass(frozen=True)
class RunFields:
    """A row's cells read as values; the course, room and instructor still as written."""

    course: str
    number: int | None
    venue: str | None
    room: str | None  # None: online
    instructor_phone: str | None
    capacity: int
    selection: Selection
    registration_opens_at: datetime
    registration_closes_at: datetime
    first_date: date
    weekdays: tuple[int, ...]
    start: time
    end: time
    count: int | None
    last_date: date | None
    min_age: int | None
    max_age: int | None


@dataclass
class RowResult:
    row: int
    status: RowStatus
    # What the row is: the run's title once made or found, else the course as written.
    label: str
    problems: list[Problem] = field(default_factory=list)
    sessions: int = 0
    first_class: datetime | None = None
    last_class: datetime | None = None
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult]
    dry_run: bool

    def _with(self, status: RowStatus) -> list[RowResult]:
        return [row for row in self.rows if row.status is status]

    @property
    def ready(self) -> list[RowResult]:
        return self._with(RowStatus.READY)

    @property
    def present(self) -> list[RowResult]:
        return self._with(RowStatus.PRESENT)

    @property
    def refused(self) -> list[RowResult]:
        return self._with(RowStatus.REFUSED)

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def is_ok(self) -> bool:
        return not self.refused

    @property
    def imported(self) -> int:
        """How many runs were made and kept."""
        return 0 if self.dry_run or not self.is_ok else len(self.ready)


# The template


@dataclass(frozen=True)
class TemplateLists:
    """What the template offers to choose from: course codes and titles, venues' rooms."""

    courses: list[tuple[str, str]]
    rooms: list[tuple[str, str, int]]  # venue, room, seats


def build_template(lists: TemplateLists) -> bytes:
    """The XLSX template: the sheet to fill, an example sheet and a sheet of choices."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    _write_headers(sheet, with_notes=True)
    sheet.freeze_panes = "B3"
    example = workbook.create_sheet(EXAMPLE_SHEET_TITLE)
    _write_headers(example, with_notes=False)
    for index, column in enumerate(COLUMNS, start=1):
        example.cell(row=3, column=index, value=EXAMPLE_ROW[column.key])
    example.cell(
        row=5,
        column=1,
        value="이 시트는 읽지 않습니다. '강좌' 시트에 한 줄에 한 강좌씩 적어 주세요.",
    ).font = Font(bold=True)
    _write_lists(workbook.create_sheet(LISTS_SHEET_TITLE), lists)
    _add_validations(sheet, lists)
    # Phone numbers kept as text, or the spreadsheet drops their leading zero.
    phone_column = list(COLUMN_BY_KEY).index("instructor") + 1
    for row in range(3, MAX_ROWS + 3):
        sheet.cell(row=row, column=phone_column).number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_headers(sheet, *, with_notes: bool) -> None:
    header_fill = PatternFill("solid", fgColor="1F4E79")
    for index, column in enumerate(COLUMNS, start=1):
        title = sheet.cell(row=1, column=index, value=column.title)
        title.font = Font(bold=True, color="FFFFFF", size=12)
        title.fill = header_fill
        title.alignment = Alignment(horizontal="center", vertical="center")
        english = sheet.cell(row=2, column=index, value=column.english)
        english.font = Font(italic=True, color="555555", size=9)
        english.alignment = Alignment(wrap_text=True, vertical="top")
        if with_notes:
            required = "(필수) " if column.required else ""
            title.comment = Comment(required + column.note, "영등포구", width=260, height=90)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[1].height = 24
    sheet.row_dimensions[2].height = 30


def _write_lists(sheet, lists: TemplateLists) -> None:
    for index, title in enumerate(
        ("과정 코드", "과정 이름", "교육장", "강의실", "좌석", "요일 예"), 1
    ):
        sheet.cell(row=1, column=index, value=title).font = Font(bold=True)
    for row, (code, title) in enumerate(lists.courses, start=2):
        sheet.cell(row=row, column=1, value=safe_cell(code))
        sheet.cell(row=row, column=2, value=safe_cell(title))
    rooms = [*lists.rooms, ("", ONLINE, None)]
    for row, (venue, room, seats) in enumerate(rooms, start=2):
        sheet.cell(row=row, column=3, value=safe_cell(venue) or None)
        sheet.cell(row=row, column=4, value=safe_cell(room))
        sheet.cell(row=row, column=5, value=seats)
    for row, days in enumerate(WEEKDAY_SUGGESTIONS, start=2):
        sheet.cell(row=row, column=6, value=days)
    for letter, width in zip("ABCDEF", (12, 30, 20, 14, 8, 14), strict=True):
        sheet.column_dimensions[letter].width = width


def _add_validations(sheet, lists: TemplateLists) -> None:
    def cells(key: str) -> str:
        letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
        return f"{letter}3:{letter}{MAX_ROWS + 2}"

    def reference(letter: str, length: int) -> str:
        return f"'{LISTS_SHEET_TITLE}'!${letter}$2:${letter}${max(length, 1) + 1}"

    # A dropdown where the cell may also hold something else (a title instead of a code, a
    # weekday combination not in the list): suggested, not enforced.
    suggestions = [
        ("course", reference("A", len(lists.courses))),
        ("room", reference("D", len(lists.rooms) + 1)),
        ("weekdays", reference("F", len(WEEKDAY_SUGGESTIONS))),
    ]
    venues = sorted({venue for venue, _room, _seats in lists.rooms})
    if venues:
        suggestions.append(("venue", '"' + ",".join(venues) + '"'))
    for key, source in suggestions:
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.showErrorMessage = False
        validation.add(cells(key))
        sheet.add_data_validation(validation)
    selection = DataValidation(
        type="list",
        formula1='"' + ",".join(SELECTION_NAMES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="선발 방식",
        error="선착순 또는 추첨을 골라 주세요.",
    )
    selection.add(cells("selection"))
    sheet.add_data_validation(selection)
    for key, low, high in (
        ("number", 1, 9999),
        ("capacity", 1, 1000),
        ("count", 1, 200),
        ("min_age", 0, 120),
        ("max_age", 0, 120),
    ):
        whole = DataValidation(
            type="whole",
            operator="between",
            formula1=str(low),
            formula2=str(high),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=COLUMN_BY_KEY[key].title,
            error=f"{low}에서 {high} 사이의 정수를 적어 주세요.",
        )
        whole.add(cells(key))
        sheet.add_data_validation(whole)


# Reading a workbook


def read_workbook(content: bytes) -> list[SheetRow]:
    """The filled rows of an uploaded template, or TermImportError when the file as a whole
    cannot be read."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise TermImportError(too_big_message())
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise TermImportError(too_big_message())
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            rows = _sheet_rows(workbook)
        finally:
            workbook.close()
    except TermImportError:
        raise
    # Whatever an uploaded file makes the reader raise (a broken zip, bad XML, a missing
    # part), it is the file that cannot be read.
    except Exception:
        raise TermImportError(
            _(
                "엑셀(.xlsx) 파일로 읽을 수 없습니다. "
                "내려받은 서식에 적어 저장한 파일을 올려 주세요."
            )
        ) from None
    if not rows:
        raise TermImportError(
            _("'강좌' 시트에 적힌 강좌가 없습니다. 3행부터 한 줄에 한 강좌씩 적어 주세요.")
        )
    return rows


def _sheet_rows(workbook) -> list[SheetRow]:
    sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.active
    lines = sheet.iter_rows(values_only=True)
    positions = _column_positions(next(lines, None) or ())
    rows = []
    for number, values in enumerate(lines, start=2):
        cells = {key: _cell(values, index) for key, index in positions.items()}
        if number == 2 and _is_english_line(cells):
            continue
        if all(value is None for value in cells.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise TermImportError(
                _(
                    "한 번에 %(count)d개 강좌까지 가져올 수 있습니다. 파일을 나눠 올려 주세요.",
                    count=MAX_ROWS,
                )
            )
        rows.append(SheetRow(number, cells))
    return rows


def too_big_message() -> str:
    return _(
        "파일이 너무 큽니다. %(size)dMB 이하의 파일만 올릴 수 있습니다.",
        size=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


def _header_text(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if value else ""


def _column_positions(header) -> dict[str, int]:
    found = {_header_text(value): index for index, value in enumerate(header) if value}
    positions = {}
    for column in COLUMNS:
        index = found.get(_header_text(column.title))
        if index is not None:
            positions[column.key] = index
    missing = [column.title for column in COLUMNS if column.key not in positions]
    if missing:
        raise TermImportError(
            _(
                "첫 줄의 열 제목이 서식과 다릅니다. 없는 열: %(columns)s. "
                "내려받은 서식에 적어 주세요.",
                columns=", ".join(missing),
            )
        )
    return positions


def _cell(values: tuple, index: int):
    value = values[index] if index < len(values) else None
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip() or None
    return value


def _is_english_line(cells: dict[str, object]) -> bool:
    return cells.get("course") == COLUMN_BY_KEY["course"].english


# Reading the cells of a row


class _Cells:
    """Reads a row's cells one by one, collecting a Problem for each cell it cannot read."""

    def __init__(self, row: SheetRow):
        self.row = row
        self.problems: list[Problem] = []

    def problem(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.row.number, key, message))

    def read(self, key: str, reader: Callable, *, required: bool = False):
        value = self.row.cells.get(key)
        if value is None:
            if required:
                self.problem(key, _("비어 있습니다. 적어 주세요."))
            return None
        try:
            return reader(value)
        except ValueError as error:
            self.problem(key, str(error))
            return None


def _phone(value) -> str:
    # A number typed into a cell the spreadsheet took as numeric lost its leading zero.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "0" + _text(value)
    return _text(value)


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A choice copied from the lists sheet may carry the quote that kept it from being a formula.
    return unquoted(str(value).strip())


def _integer(low: int, high: int) -> Callable:
    def read(value) -> int:
        if isinstance(value, bool):
            raise ValueError(_("'%(value)s'은(는) 숫자가 아닙니다.", value=value))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value):
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(
                _("'%(value)s'은(는) 숫자가 아닙니다. 정수로 적어 주세요.", value=_text(value))
            )
        if not low <= value <= high:
            raise ValueError(
                _(
                    "%(value)d은(는) 쓸 수 없습니다. %(low)d에서 %(high)d 사이로 적어 주세요.",
                    value=value,
                    low=low,
                    high=high,
                )
            )
        return value

    return read


DATE_PATTERN = re.compile(r"([0-9]{4})[-./]\s*([0-9]{1,2})[-./]\s*([0-9]{1,2})\.?")
TIME_PATTERN = re.compile(r"([0-9]{1,2})\s*[:시]\s*([0-9]{2})?(?::[0-9]{2})?\s*분?")


def _match_date(text: str) -> date | None:
    match = DATE_PATTERN.fullmatch(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _match_time(text: str) -> time | None:
    match = TIME_PATTERN.fullmatch(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = _match_date(_text(value))
    if found is None:
        raise ValueError(
            _(
                "'%(value)s'은(는) 날짜로 읽을 수 없습니다. 2026-03-02처럼 적어 주세요.",
                value=_text(value),
            )
        )
    return found


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=SEOUL, second=0, microsecond=0)
    text = _text(value)
    day_part, _separator, time_part = text.replace("T", " ").partition(" ")
    day, clock = _match_date(day_part), _match_time(time_part.strip())
    if day is None or clock is None:
        raise ValueError(
            _(
                "'%(value)s'은(는) 날짜와 시각으로 읽을 수 없습니다. "
                "2026-02-16 09:00처럼 적어 주세요.",
                value=text,
            )
        )
    return datetime.combine(day, clock, tzinfo=SEOUL)


def _clock(value) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    found = _match_time(_text(value))
    if found is None:
        raise ValueError(
            _(
                "'%(value)s'은(는) 시각으로 읽을 수 없습니다. 10:00처럼 적어 주세요.",
                value=_text(value),
            )
        )
    return found


def _weekdays(value) -> tuple[int, ...]:
    text = _text(value)
    parts = [part for part in re.split(r"[\s,./·、]+", text) if part]
    # "월수금" written without separators.
    if len(parts) == 1 and len(parts[0]) > 1 and all(char in WEEKDAY_NAMES for char in parts[0]):
        parts = list(parts[0])
    days = set()
    for part in parts:
        name = part.removesuffix("요일")
        if name not in WEEKDAY_NAMES:
            raise ValueError(
                _(
                    "'%(value)s'은(는) 요일이 아닙니다. "
                    "월,화,수,목,금,토,일 가운데에서 쉼표로 나눠 적어 주세요.",
                    value=part,
                )
            )
        days.add(WEEKDAY_NAMES.index(name) + 1)
    if not days:
        raise ValueError(_("요일을 하나 이상 적어 주세요. 예: 월,수"))
    return tuple(sorted(days))


def _selection(value) -> Selection:
    text = _text(value)
    if text in SELECTION_NAMES:
        return SELECTION_NAMES[text]
    try:
        return Selection(text.lower())
    except ValueError:
        raise ValueError(
            _(
                "'%(value)s'은(는) 선발 방식이 아닙니다. 선착순 또는 추첨으로 적어 주세요.",
                value=text,
            )
        ) from None


def read_row(row: SheetRow) -> tuple[RunFields | None, list[Problem]]:
    """A row's cells as values, or every problem found in them."""
    cells = _Cells(row)
    course = cells.read("course", _text, required=True)
    number = cells.read("number", _integer(1, 9999))
    venue = cells.read("venue", _text)
    room = cells.read("room", _text, required=True)
    instructor = cells.read("instructor", _phone)
    capacity = cells.read("capacity", _integer(1, 1000), required=True)
    selection = cells.read("selection", _selection) or Selection.FIRST_COME
    opens_at = cells.read("registration_opens_at", _moment, required=True)
    closes_at = cells.read("registration_closes_at", _moment, required=True)
    first_date = cells.read("first_date", _day, required=True)
    weekdays = cells.read("weekdays", _weekdays, required=True)
    start = cells.read("start", _clock, required=True)
    end = cells.read("end", _clock, required=True)
    count = cells.read("count", _integer(1, 200))
    last_date = cells.read("last_date", _day)
    min_age = cells.read("min_age", _integer(0, 120))
    max_age = cells.read("max_age", _integer(0, 120))

    if room == ONLINE:
        room = None
    elif room is not None and venue is None:
        cells.problem("venue", _("강의실 '%(room)s'이(가) 있는 교육장을 적어 주세요.", room=room))
    if opens_at and closes_at and closes_at <= opens_at:
        cells.problem("registration_closes_at", _("신청 마감이 신청 시작보다 늦어야 합니다."))
    if start and end and end <= start:
        cells.problem(
            "end",
            _("끝 시각이 시작 시각(%(start)s)보다 늦어야 합니다.", start=start.strftime("%H:%M")),
        )
    has_count = row.cells.get("count") is not None
    has_last = row.cells.get("last_date") is not None
    if has_count and has_last:
        cells.problem("count", _("횟수와 마지막 수업일 가운데 하나만 적어 주세요."))
    elif not has_count and not has_last:
        cells.problem("count", _("횟수나 마지막 수업일 가운데 하나를 적어 주세요."))
    if first_date and last_date and last_date < first_date:
        cells.problem("last_date", _("마지막 수업일이 첫 수업일보다 앞섭니다."))
    if min_age is not None and max_age is not None and max_age < min_age:
        cells.problem("max_age", _("최대 나이가 최소 나이보다 작습니다."))
    if cells.problems:
        return None, cells.problems
    return (
        RunFields(
            course=course,
            number=number,
            venue=None if room is None else venue,
            room=room,
            instructor_phone=instructor,
            capacity=capacity,
            selection=selection,
            registration_opens_at=opens_at,
            registration_closes_at=closes_at,
            first_date=first_date,
            weekdays=weekdays,
            start=start,
            end=end,
            count=count,
            last_date=last_date,
            min_age=min_age,
            max_age=max_age,
        ),
        [],
    )


# Finding what a row names


@dataclass(frozen=True)
class _Resolved:
    course: Course
    room: Room | None
    instructor: Person | None


def _resolve(row: SheetRow) -> tuple[_Resolved | None, list[Problem]]:
    """The course, room and instructor a row names, or why they cannot be found; read from
    the cells themselves so that they are checked even when another cell is unreadable (an
    empty name or a room without its venue is read_row's to report)."""
    cells = row.cells
    problems = []
    course = None
    if cells.get("course") is not None:
        course = _find_course(_text(cells["course"]))
        if isinstance(course, str):
            problems.append(Problem(row.number, "course", course))
    room = None
    room_name = _text(cells["room"]) if cells.get("room") is not None else ONLINE
    if room_name != ONLINE and cells.get("venue") is not None:
        room = _find_room(_text(cells["venue"]), room_name)
        if isinstance(room, tuple):
            problems.append(Problem(row.number, *room))
    instructor = None
    if cells.get("instructor") is not None:
        instructor = _find_instructor(_phone(cells["instructor"]))
        if isinstance(instructor, str):
            problems.append(Problem(row.number, "instructor", instructor))
    if problems:
        return None, problems
    return _Resolved(course, room, instructor), []


def _find_course(text: str) -> Course | str:
    by_code = db.session.scalar(select(Course).where(func.upper(Course.code) == text.upper()))
    if by_code is not None:
        return by_code
    by_title = db.session.scalars(
        select(Course).where(Course.title == text).order_by(Course.is_archived, Course.code)
    ).all()
    offered = [course for course in by_title if not course.is_archived] or by_title
    if len(offered) == 1:
        return offered[0]
    if offered:
        return _(
            "'%(value)s' 이름의 과정이 여럿입니다. 과정 코드로 적어 주세요: %(codes)s",
            value=text,
            codes=", ".join(course.code for course in offered),
        )
    return _(
        "'%(value)s' 과정을 찾을 수 없습니다. 과정 코드(예: C01)나 정확한 과정 이름을 적어 주세요.",
        value=text,
    )


def _find_room(venue_name: str, room_name: str) -> Room | tuple[str, str]:
    """The room, or the column at fault and why."""
    venue = db.session.scalar(select(Venue).where(Venue.name == venue_name))
    if venue is None:
        names = db.session.scalars(select(Venue.name).order_by(Venue.name)).all()
        return (
            "venue",
            _(
                "'%(value)s' 교육장을 찾을 수 없습니다. 있는 교육장: %(names)s",
                value=venue_name,
                names=", ".join(names) or "-",
            ),
        )
    room = next((room for room in venue.rooms if room.name == room_name), None)
    if room is None:
        return (
            "room",
            _(
                "%(venue)s에 '%(value)s' 강의실이 없습니다. "
                "있는 강의실: %(names)s (온라인 강좌는 '온라인')",
                venue=venue.name,
                value=room_name,
                names=", ".join(room.name for room in venue.rooms) or "-",
            ),
        )
    return room


def _find_instructor(text: str) -> Person | str:
    try:
        phone = normalize_phone(text)
    except AccountError as error:
        return error.message
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        return _("%(phone)s 번호로 등록된 사람이 없습니다.", phone=text)
    return person


# Importing


def import_term(
    rows: Iterable[SheetRow], *, actor: Person | None, now: datetime, dry_run: bool = False
) -> ImportReport:
    """Make a run with its classes for each row, through the planning services; every row
    is checked and reported. Nothing is kept when any row is refused or on a dry run (the
    runs are made inside a savepoint rolled back at the end, so rows of the same file are
    checked against each other too); otherwise the caller commits."""
    results = []
    made: dict[int, int] = {}  # run id -> the row that made it
    everything = db.session.begin_nested()
    try:
        for row in rows:
            results.append(_import_row(row, actor=actor, now=now, made=made))
    except BaseException:
        everything.rollback()
        raise
    report = ImportReport(results, dry_run)
    if dry_run or not report.is_ok:
        everything.rollback()
    else:
        everything.commit()
    return report


def _import_row(row: SheetRow, *, actor, now: datetime, made: dict[int, int]) -> RowResult:
    label = _text(row.cells.get("course") or "")

    def refused(problems: list[Problem]) -> RowResult:
        return RowResult(row.number, RowStatus.REFUSED, label, problems)

    fields, unreadable = read_row(row)
    resolved, unknown = _resolve(row)
    if fields is None or resolved is None:
        order = list(COLUMN_BY_KEY)
        problems = sorted(
            unreadable + unknown,
            key=lambda problem: order.index(problem.column) if problem.column else -1,
        )
        return refused(problems)
    label = resolved.course.title
    # Held until the end of the import, so that two imports of one file at once cannot both
    # find the run missing and make it twice.
    lock_row(Course, resolved.course.id)
    try:
        pattern = Pattern(
            first_date=fields.first_date,
            weekdays=fields.weekdays,
            start=fields.start,
            end=fields.end,
            count=fields.count,
            last_date=fields.last_date,
        )
        existing = _existing_run(fields, resolved, pattern)
    except RuleError as error:
        return refused([_problem_of(error, row.number)])
    if existing is not None:
        if existing.id in made:
            column = "number" if fields.number is not None else "course"
            message = _("%(row)d행과 같은 강좌입니다.", row=made[existing.id])
            return refused([Problem(row.number, column, message)])
        return _present(row.number, existing)

    savepoint = db.session.begin_nested()
    try:
        run = create_run(
            actor=actor,
            course=resolved.course,
            capacity=fields.capacity,
            registration_opens_at=fields.registration_opens_at,
            registration_closes_at=fields.registration_closes_at,
            room=resolved.room,
            instructor=resolved.instructor,
            number=fields.number,
            selection=fields.selection,
            min_age=fields.min_age,
            max_age=fields.max_age,
            now=now,
        )
        sessions, skipped = add_sessions(run, actor=actor, now=now, pattern=pattern)
    except RuleError as error:
        savepoint.rollback()
        return refused([_problem_of(error, row.number)])
    savepoint.commit()
    made[run.id] = row.number
    return RowResult(
        row.number,
        RowStatus.READY,
        run.title,
        sessions=len(sessions),
        first_class=sessions[0].starts_at if sessions else None,
        last_class=sessions[-1].starts_at if sessions else None,
        skipped=list(skipped),
    )


def _existing_run(fields: RunFields, resolved: _Resolved, pattern: Pattern) -> CourseRun | None:
    """The run this row describes, when it is already in the database (see the module's
    docstring for the rule)."""
    course = resolved.course
    if fields.number is not None:
        return db.session.scalar(
            select(CourseRun).where(
                CourseRun.course_id == course.id, CourseRun.number == fields.number
            )
        )
    room = resolved.room
    days, _skipped = class_days(pattern, venue_id=room.venue_id if room else None)
    if not days:
        return None
    first_class = datetime.combine(days[0], fields.start, tzinfo=SEOUL)
    return db.session.scalar(
        select(CourseRun)
        .join(Session, Session.run_id == CourseRun.id)
        .where(
            CourseRun.course_id == course.id,
            CourseRun.room_id == room.id if room else CourseRun.room_id.is_(None),
            Session.starts_at == first_class,
        )
        .limit(1)
    )


def _present(row: int, run: CourseRun) -> RowResult:
    sessions = run.sessions
    label = _("%(title)s (폐강)", title=run.title) if run.is_cancelled else run.title
    return RowResult(
        row,
        RowStatus.PRESENT,
        label,
        sessions=len(sessions),
        first_class=sessions[0].starts_at if sessions else None,
        last_class=sessions[-1].starts_at if sessions else None,
    )


def _problem_of(error: RuleError, row: int) -> Problem:
    return Problem(row, COLUMN_OF_CODE.get(error.code), error.message)


def template_lists() -> TemplateLists:
    """The courses still offered and every venue's rooms, for the template's lists."""
    courses = db.session.execute(
        select(Course.code, Course.title).where(Course.is_archived.is_(False)).order_by(Course.code)
    ).all()
    rooms = db.session.execute(
        select(Venue.name, Room.name, Room.seats).join(Room.venue).order_by(Venue.name, Room.name)
    ).all()
    return TemplateLists([tuple(row) for row in courses], [tuple(row) for row in rooms])
