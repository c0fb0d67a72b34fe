"""A run's attendance sheet (출석부): people by sessions with their marks, as XLSX and as PDF.

sheet_data reads the database; the builders take that plain data and return bytes."""

import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from training.accounts.services import format_phone, mask_name, mask_phone
from training.catalog.models import CourseRun, Session
from training.checkin.models import Attendance, AttendanceStatus
from training.clock import to_seoul
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.spreadsheets import safe_cell

TITLE = "출석부"
PROGRAMME = "영등포구 스마트 정보화교육"
MARKS = {
    AttendanceStatus.PRESENT: "출석",
    AttendanceStatus.LATE: "지각",
    AttendanceStatus.ABSENT: "결석",
    AttendanceStatus.EXCUSED: "공결",
}
ATTENDED_MARKS = frozenset({"출석", "지각"})
EXCUSED_MARK = "공결"
MASKED_NOTE = "개인정보 보호를 위해 이름과 연락처 일부를 가렸습니다."
UNMASKED_NOTE = "개인정보 포함: 외부 반출 금지"


@dataclass(frozen=True)
class SheetSession:
    index: int
    day: date
    hours: str  # "10:00-12:00", Seoul time


@dataclass(frozen=True)
class SheetRow:
    name: str
    phone: str
    marks: tuple[str, ...]  # one per session: 출석, 지각, 결석, 공결 or "" (no mark yet)
    attended: int
    rate: float  # attended ÷ (sessions − excused), 0 to 1


@dataclass(frozen=True)
class SheetData:
    run_title: str
    period: str
    venue: str
    instructor: str
    sessions: tuple[SheetSession, ...]
    rows: tuple[SheetRow, ...]
    is_masked: bool = True

    @property
    def session_totals(self) -> tuple[int, ...]:
        """How many attended (present or late) each session."""
        return tuple(
            sum(1 for row in self.rows if row.marks[i] in ATTENDED_MARKS)
            for i in range(len(self.sessions))
        )

    @property
    def attended_total(self) -> int:
        return sum(row.attended for row in self.rows)


def sheet_row(name: str, phone: str, marks: tuple[str, ...]) -> SheetRow:
    """A person's row with their attended count and rate worked out from the marks."""
    attended = sum(1 for mark in marks if mark in ATTENDED_MARKS)
    expected = sum(1 for mark in marks if mark != EXCUSED_MARK)
    return SheetRow(
        name, phone, marks, attended, round(attended / expected, 4) if expected else 0.0
    )


def sheet_data(run: CourseRun, *, unmasked: bool = False) -> SheetData:
    """The run's confirmed people by its sessions; names and phones masked unless asked."""
    sessions = db.session.scalars(
        select(Session).where(Session.run_id == run.id).order_by(Session.starts_at, Session.id)
    ).all()
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED)
        .options(joinedload(Enrollment.person))
        .order_by(Enrollment.id)
    ).all()
    marks = {
        (enrollment_id, session_id): MARKS[status]
        for enrollment_id, session_id, status in db.session.execute(
            select(Attendance.enrollment_id, Attendance.session_id, Attendance.status)
            .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
            .where(Enrollment.run_id == run.id)
        )
    }
    rows = [
        sheet_row(
            e.person.name if unmasked else mask_name(e.person.name),
            format_phone(e.person.phone) if unmasked else mask_phone(e.person.phone),
            tuple(marks.get((e.id, s.id), "") for s in sessions),
        )
        for e in enrollments
    ]
    # Sorted by the name shown, so the masked sheet gives nothing away by its order.
    rows.sort(key=lambda row: row.name)
    room = run.room
    return SheetData(
        run_title=run.title,
        period=f"{run.starts_on:%Y-%m-%d} ~ {run.ends_on:%Y-%m-%d}",
        venue=f"{room.venue.name} {room.name}" if room is not None else "온라인",
        instructor=run.instructor.name if run.instructor is not None else "",
        sessions=tuple(
            SheetSession(
                index,
                to_seoul(s.starts_at).date(),
                f"{to_seoul(s.starts_at):%H:%M}-{to_seoul(s.ends_at):%H:%M}",
            )
            for index, s in enumerate(sessions, start=1)
        ),
        rows=tuple(rows),
        is_masked=not unmasked,
    )


def _session_header(session: SheetSession) -> str:
    return f"{session.index}회\n{session.day:%m-%d}"


def _meta_line(data: SheetData) -> str:
    parts = [f"교육기간 {data.period}", f"장소 {data.venue}"]
    if data.instructor:
        parts.append(f"강사 {data.instructor}")
    parts.append(f"수강생 {len(data.rows)}명")
    return " · ".join(parts)


def _note(data: SheetData) -> str:
    return MASKED_NOTE if data.is_masked else UNMASKED_NOTE


# XLSX --------------------------------------------------------------------------------------

XLSX_HEADER_ROW = 4
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F4")
MARK_FILLS = {
    "결석": PatternFill("solid", fgColor="F8D7DA"),
    "지각": PatternFill("solid", fgColor="FFF3CD"),
    "공결": PatternFill("solid", fgColor="E2E3E5"),
}


def build_sheet_xlsx(data: SheetData) -> bytes:
    """One sheet: title rows, a frozen header with a column per session, totals; A4 landscape."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TITLE
    first_session_column = 4
    last_column = first_session_column + len(data.sessions) + 1
    sheet.cell(1, 1, f"{TITLE} · {data.run_title}").font = Font(bold=True, size=14)
    sheet.cell(2, 1, _meta_line(data))
    sheet.cell(3, 1, _note(data)).font = Font(italic=True, color="555555")
    headers = (
        "번호",
        "성명",
        "연락처",
        *(_session_header(s) for s in data.sessions),
        "출석",
        "출석률",
    )
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(XLSX_HEADER_ROW, column, text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[XLSX_HEADER_ROW].height = 30
    for number, row in enumerate(data.rows, start=1):
        name, phone = safe_cell(row.name), safe_cell(row.phone)
        values = (number, name, phone, *row.marks, row.attended, row.rate)
        sheet.append(values)
        line = sheet.max_row
        for column in range(1, last_column + 1):
            cell = sheet.cell(line, column)
            cell.border = GRID
            if column != 2:
                cell.alignment = Alignment(horizontal="center")
            if cell.value in MARK_FILLS:
                cell.fill = MARK_FILLS[cell.value]
        sheet.cell(line, last_column).number_format = "0.0%"
    sheet.append(("합계", "출석 인원", "", *data.session_totals, data.attended_total, ""))
    totals_line = sheet.max_row
    for column in range(1, last_column + 1):
        cell = sheet.cell(totals_line, column)
        cell.font = Font(bold=True)
        cell.border = GRID
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = sheet.cell(XLSX_HEADER_ROW + 1, first_session_column)
    widths = (6, 12, 15, *(8 for _ in data.sessions), 7, 9)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{XLSX_HEADER_ROW}:{XLSX_HEADER_ROW}"
    sheet.print_options.horizontalCentered = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# PDF ---------------------------------------------------------------------------------------

PAGE_SIZE = landscape(A4)
MARGIN = 12 * mm


class _NumberedCanvas(Canvas):
    """Writes "n / N" at the foot of each page once the page count is known."""

    font_name = "Helvetica"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(self.font_name, 8)
            self.drawCentredString(PAGE_SIZE[0] / 2, 7 * mm, f"{self._pageNumber} / {total}")
            super().showPage()
        super().save()


def build_sheet_pdf(data: SheetData, font_name: str) -> bytes:
    """A4 landscape: a grid of people by sessions, the header repeated on every page."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{TITLE} {data.run_title}",
        author=PROGRAMME,
    )
    title_style = ParagraphStyle("title", fontName=font_name, fontSize=16, leading=20)
    body_style = ParagraphStyle("body", fontName=font_name, fontSize=9, leading=12)
    story = [
        Paragraph(f"{TITLE} · {_escape(data.run_title)}", title_style),
        Spacer(0, 2 * mm),
        Paragraph(_escape(_meta_line(data)), body_style),
        Paragraph(_escape(_note(data)), body_style),
        Spacer(0, 3 * mm),
    ]
    story.append(_pdf_table(data, font_name, document.width))
    canvas_class = type("SheetCanvas", (_NumberedCanvas,), {"font_name": font_name})
    document.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()


def _pdf_table(data: SheetData, font_name: str, width: float) -> Table:
    header = ["번호", "성명", "연락처", *(_session_header(s) for s in data.sessions)]
    header += ["출석", "출석률"]
    body = [
        [str(n), row.name, row.phone, *row.marks, str(row.attended), f"{row.rate:.0%}"]
        for n, row in enumerate(data.rows, start=1)
    ]
    totals = ["합계", "출석 인원", "", *map(str, data.session_totals), str(data.attended_total), ""]
    fixed = [10 * mm, 24 * mm, 30 * mm]
    tail = [12 * mm, 14 * mm]
    session_width = (width - sum(fixed) - sum(tail)) / max(len(data.sessions), 1)
    font_size = 8 if session_width >= 12 * mm else 6.5
    table = Table(
        [header, *body, totals],
        colWidths=[*fixed, *([session_width] * len(data.sessions)), *tail],
        repeatRows=1,
    )
    style = [
        ("FONT", (0, 0), (-1, -1), font_name, font_size),
        ("LEADING", (0, 0), (-1, -1), font_size + 2),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F4")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F0F0F0")),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("ALIGN", (1, 1), (1, -1), "LEFT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for line, row in enumerate(data.rows, start=1):
        for offset, mark in enumerate(row.marks):
            if mark == "결석":
                column = len(fixed) + offset
                style.append(
                    ("TEXTCOLOR", (column, line), (column, line), colors.HexColor("#B00020"))
                )
    table.setStyle(TableStyle(style))
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
