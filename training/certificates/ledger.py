"""The certificate issue ledger (발급대장) as an XLSX workbook."""

import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

HEADERS = (
    "일련번호",
    "성명",
    "생년",
    "교육과정",
    "교육기간",
    "교육시간",
    "발급일",
    "재발급",
    "상태",
)


@dataclass(frozen=True)
class LedgerRow:
    serial: str
    name: str
    # None once the person is anonymized: the cell says "-".
    birth_year: int | None
    course_title: str
    period_start: date
    period_end: date
    hours: float
    issued_on: date
    reissue_count: int
    status: str


def build_ledger_xlsx(year: int, rows: list[LedgerRow]) -> bytes:
    """One sheet, Korean headers, frozen header row, a total line; returns the file."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year} 발급대장"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F4")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append(
            (
                row.serial,
                row.name,
                row.birth_year if row.birth_year is not None else "-",
                row.course_title,
                f"{row.period_start:%Y-%m-%d} ~ {row.period_end:%Y-%m-%d}",
                row.hours,
                row.issued_on,
                row.reissue_count,
                row.status,
            )
        )
        sheet.cell(sheet.max_row, 7).number_format = "yyyy-mm-dd"
        sheet.cell(sheet.max_row, 6).number_format = "0.0"
    sheet.append(("합계", f"{len(rows)}건"))
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (18, 10, 8, 30, 26, 10, 12, 8, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
