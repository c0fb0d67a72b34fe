"""The certificate issue ledger (발급대장) as an XLSX workbook."""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from training.accounts.services import mask_name
from training.certificates.check_codes import format_check_code
from training.certificates.documents import certificates_query, load_certificates
from training.certificates.models import Certificate
from training.clock import to_seoul
from training.spreadsheets import safe_cell

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
    # Staff read it out to someone verifying a certificate by phone.
    "확인 코드",
)
WIDTHS = (18, 10, 8, 30, 26, 10, 12, 8, 8, 12)


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
    check_code: str


def ledger_rows(year: int) -> list[LedgerRow]:
    """The year's certificates in serial order as ledger lines, names masked, in one load."""
    certificates = load_certificates(
        certificates_query().where(Certificate.year == year).order_by(Certificate.number)
    )
    return [
        LedgerRow(
            serial=c.serial,
            name=mask_name(c.enrollment.person.name),
            birth_year=c.enrollment.person.birth_year,
            course_title=c.enrollment.run.title,
            period_start=c.enrollment.run.starts_on,
            period_end=c.enrollment.run.ends_on,
            hours=c.enrollment.run.total_hours,
            issued_on=to_seoul(c.issued_at).date(),
            reissue_count=c.reissue_count,
            status=_("취소") if c.is_revoked else _("유효"),
            check_code=format_check_code(c.check_code),
        )
        for c in certificates
    ]


def write_ledger_xlsx(year: int, rows: Iterable[LedgerRow], stream: BinaryIO) -> int:
    """Write the ledger to the stream: one sheet, Korean headers, frozen header row, a total line.

    The workbook is write-only, so each row costs the same however many came before it.
    Returns the number of certificate rows written.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{year} 발급대장")
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F4")
    header_alignment = Alignment(horizontal="center")
    sheet.append(
        [
            _styled(sheet, text, font=header_font, fill=header_fill, alignment=header_alignment)
            for text in HEADERS
        ]
    )
    count = 0
    for row in rows:
        sheet.append(
            (
                row.serial,
                safe_cell(row.name),
                row.birth_year if row.birth_year is not None else "-",
                safe_cell(row.course_title),
                f"{row.period_start:%Y-%m-%d} ~ {row.period_end:%Y-%m-%d}",
                _styled(sheet, row.hours, number_format="0.0"),
                _styled(sheet, row.issued_on, number_format="yyyy-mm-dd"),
                row.reissue_count,
                row.status,
                row.check_code,
            )
        )
        count += 1
    sheet.append((_styled(sheet, "합계", font=Font(bold=True)), f"{count}건"))
    workbook.save(stream)
    return count


def build_ledger_xlsx(year: int, rows: Iterable[LedgerRow]) -> bytes:
    """The ledger workbook as bytes."""
    buffer = io.BytesIO()
    write_ledger_xlsx(year, rows, buffer)
    return buffer.getvalue()


def _styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
