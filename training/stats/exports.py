"""Statistics as files: XLSX and CSV built from a StatsReport, returned as bytes.

The statistics are counts over groups and hold no one's name or phone, so unlike the
attendance sheet there is nothing to mask here."""

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from training.catalog.models import Audience, Category, Delivery
from training.spreadsheets import safe_cell
from training.stats.definitions import DEFINITIONS
from training.stats.services import Breakdown, Figures, StatsReport

INTEGER = "#,##0"
DECIMAL = "0.0"
PERCENT = "0.0%"

# The figures shown for every run-level breakdown, in order, with their Excel format.
RUN_COLUMNS = (
    ("runs_held", INTEGER),
    ("trainees", INTEGER),
    ("person_sessions", INTEGER),
    ("hours", DECIMAL),
    ("courses", INTEGER),
    ("attendance_rate", PERCENT),
    ("completion_rate", PERCENT),
)
PEOPLE_COLUMNS = (("trainees", INTEGER), ("person_sessions", INTEGER))
# Adding these over the rows gives the total: each run (and each mark) sits in one row.
ADDITIVE = frozenset({"runs_held", "person_sessions", "hours"})
PEOPLE_DIMENSIONS = frozenset({"age_band", "dong"})
AUDIENCE_KEYS = ("resident", "staff", "all")


def breakdown_titles() -> dict[str, str]:
    """The heading of each breakdown (also its sheet name)."""
    return {
        "month": _("월별"),
        "venue": _("교육장별"),
        "room": _("강의실별"),
        "course": _("과정별"),
        "category": _("분야별"),
        "delivery": _("교육방식별"),
        "age_band": _("연령대별"),
        "dong": _("동별"),
    }


def dimension_headers() -> dict[str, str]:
    """The header of a breakdown's first column."""
    return {
        "month": _("월(기수 종료)"),
        "venue": _("교육장"),
        "room": _("강의실"),
        "course": _("교육과정"),
        "category": _("분야"),
        "delivery": _("교육방식"),
        "age_band": _("연령대"),
        "dong": _("행정동"),
    }


def audience_key_labels() -> dict[str, str]:
    return {
        "resident": Audience.RESIDENT.label,
        "staff": Audience.STAFF.label,
        "all": _("전체"),
    }


def audience_key(report: StatsReport) -> str:
    """The totals key ("resident", "staff" or "all") of the report's chosen audience."""
    return report.audience.value if report.audience is not None else "all"


def row_label(dimension: str, value) -> str:
    """A breakdown row's label as people read it: Korean names for categories and delivery."""
    if value is None or value == "None":
        return _("미상")
    enum_class = {"category": Category, "delivery": Delivery}.get(dimension)
    member = _enum_or_none(enum_class, value) if enum_class else None
    return member.label if member is not None else str(value)


def _enum_or_none(enum_class, value):
    try:
        return enum_class(value)
    except ValueError:
        return None


def columns_for(item: Breakdown) -> tuple:
    return PEOPLE_COLUMNS if item.name in PEOPLE_DIMENSIONS else RUN_COLUMNS


def totals_for(report: StatsReport, item: Breakdown) -> Figures:
    """The totals row: sums where rows add up, the period's distinct counts and rates where
    they do not (a person in two courses is one trainee)."""
    overall = report.totals[audience_key(report)]
    total = Figures(
        trainees=overall.trainees,
        courses=overall.courses,
        attendance_rate=overall.attendance_rate,
        completion_rate=overall.completion_rate,
    )
    total.runs_held = sum(figures.runs_held for _label, figures in item.rows)
    total.person_sessions = sum(figures.person_sessions for _label, figures in item.rows)
    total.hours = round(sum(figures.hours for _label, figures in item.rows), 2)
    return total


def totals_note() -> str:
    return _("인원(실인원)과 교육과정의 합계는 중복을 뺀 수이고, 비율은 전체 비율입니다.")


def headline_rows(report: StatsReport) -> list[tuple[str, str, list, str]]:
    """(key, label, [resident, staff, all], definition) for every defined figure."""
    return [
        (key, str(label), [getattr(report.totals[a], key) for a in AUDIENCE_KEYS], str(text))
        for key, (label, text) in DEFINITIONS.items()
    ]


def build_stats_xlsx(report: StatsReport) -> bytes:
    """A workbook: a summary sheet (report lines, headline figures), then one sheet a breakdown."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("요약")
    _write_summary(summary, report)
    titles = breakdown_titles()
    for item in report.breakdowns:
        _write_breakdown(workbook.create_sheet(titles[item.name]), report, item)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F3")


def _write_summary(sheet, report: StatsReport) -> None:
    labels = audience_key_labels()
    header = [_("항목"), *[labels[a] for a in AUDIENCE_KEYS], _("정의")]
    sheet.append(header)
    formats = dict(RUN_COLUMNS)
    for key, label, values, definition in headline_rows(report):
        sheet.append([label, *values, definition])
        for cell in sheet[sheet.max_row][1:4]:
            cell.number_format = formats[key]
    _style_header(sheet, len(header))
    _fit_columns(sheet, last_row=sheet.max_row, maximum=60)
    sheet.append([])
    sheet.append([_("기간"), report.period.label])
    sheet.append([_("대상(분류표)"), labels[audience_key(report)]])
    sheet.append([])
    sheet.append([_("보고 문구")])
    sheet[sheet.max_row][0].font = BOLD
    for line in report.lines:
        sheet.append([safe_cell(line)])


def _write_breakdown(sheet, report: StatsReport, item: Breakdown) -> None:
    columns = columns_for(item)
    labels = {key: str(label) for key, (label, _text) in DEFINITIONS.items()}
    header = [dimension_headers()[item.name], *[labels[key] for key, _format in columns]]
    sheet.append(header)
    for value, figures in item.rows:
        sheet.append(
            [safe_cell(row_label(item.name, value)), *[getattr(figures, k) for k, _f in columns]]
        )
    total = totals_for(report, item)
    sheet.append([_("합계"), *[getattr(total, key) for key, _format in columns]])
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
        for cell, (_key, number_format) in zip(row[1:], columns, strict=True):
            cell.number_format = number_format
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    _fit_columns(sheet, last_row=sheet.max_row, maximum=40)
    if item.name not in PEOPLE_DIMENSIONS:
        sheet.append([totals_note()])
    _style_header(sheet, len(header))


def _style_header(sheet, width: int) -> None:
    for cell in sheet[1][:width]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"


def _fit_columns(sheet, last_row: int, maximum: int) -> None:
    """Widths from the table's cells; lines of text below it may run across the columns."""
    widths: dict[int, float] = {}
    for row in sheet.iter_rows(max_row=last_row):
        for cell in row:
            if cell.value is None:
                continue
            widths[cell.column] = max(widths.get(cell.column, 8), _display_width(cell.value) + 2)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width, maximum)


def _display_width(value) -> float:
    text = f"{value:,}" if isinstance(value, int | float) else str(value)
    # Hangul and other wide characters take about two columns.
    return sum(2 if ord(char) > 0x1100 else 1 for char in text)


def build_stats_csv(report: StatsReport) -> bytes:
    """The summary and each breakdown one after another, each under a heading line; UTF-8 with
    a BOM so that Excel shows Hangul."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labels = audience_key_labels()
    writer.writerow([f"[{_('요약')}]", report.period.label, labels[audience_key(report)]])
    for line in report.lines:
        writer.writerow([safe_cell(line)])
    writer.writerow([_("항목"), *[labels[a] for a in AUDIENCE_KEYS], _("정의")])
    for key, label, values, definition in headline_rows(report):
        writer.writerow([_csv_label(key, label), *[_csv_value(key, v) for v in values], definition])
    titles = breakdown_titles()
    for item in report.breakdowns:
        columns = columns_for(item)
        writer.writerow([])
        writer.writerow([f"[{titles[item.name]}]"])
        figure_labels = {key: str(label) for key, (label, _text) in DEFINITIONS.items()}
        writer.writerow(
            [
                dimension_headers()[item.name],
                *[_csv_label(key, figure_labels[key]) for key, _format in columns],
            ]
        )
        for value, figures in item.rows:
            writer.writerow(
                [
                    safe_cell(row_label(item.name, value)),
                    *[_csv_value(key, getattr(figures, key)) for key, _format in columns],
                ]
            )
        total = totals_for(report, item)
        writer.writerow(
            [_("합계"), *[_csv_value(key, getattr(total, key)) for key, _format in columns]]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _csv_label(key: str, label: str) -> str:
    return f"{label}(%)" if key.endswith("_rate") else label


def _csv_value(key: str, value):
    return round(value * 100, 1) if key.endswith("_rate") else value
