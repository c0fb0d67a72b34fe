"""Every download people open in a spreadsheet keeps typed text as text, never a formula."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from training.accounts.services import mask_name
from training.certificates.ledger import build_ledger_xlsx, ledger_rows
from training.certificates.services import issue_certificate
from training.planning.importing import (
    LISTS_SHEET_TITLE,
    SheetRow,
    TemplateLists,
    build_template,
    read_row,
)
from training.spreadsheets import safe_cell
from training.stats.attendance_sheet import XLSX_HEADER_ROW, build_sheet_xlsx, sheet_data
from training.stats.exports import build_stats_csv, build_stats_xlsx
from training.stats.services import Period, build_report

# Each starts with a character a spreadsheet reads as the start of a formula.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
ENDED = datetime(2022, 4, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-2, -0.5, 3, date(2022, 3, 2), None, "홍길동", "a=b"])
def test_numbers_dates_and_plain_text_are_kept(value):
    assert safe_cell(value) == value


def assert_inert(cell, text: str) -> None:
    assert cell.data_type != "f"
    # XML reads a carriage return back as a line feed.
    assert cell.value == "'" + text.replace("\r", "\n")


@pytest.mark.parametrize("name", FORMULAS)
def test_ledger_keeps_formula_like_text_as_text(db, make_run, make_person, make_enrollment, name):
    run = make_run(starts_on=date(2022, 3, 2), title=name)
    enrollment = make_enrollment(run, make_person(name=name), completed_at=ENDED)
    issue_certificate(enrollment, actor=None)
    db.session.flush()

    sheet = load_workbook(io.BytesIO(build_ledger_xlsx(2022, ledger_rows(2022)))).active

    name_cell, title_cell = sheet["B2"], sheet["D2"]
    assert_inert(name_cell, mask_name(name))
    assert_inert(title_cell, f"{name} 1기")


@pytest.mark.parametrize("name", FORMULAS)
def test_attendance_sheet_keeps_a_formula_like_name_as_text(
    db, make_run, make_enrollment, make_person, name
):
    run = make_run()
    make_enrollment(run, make_person(name=name))
    db.session.flush()

    sheet = load_workbook(io.BytesIO(build_sheet_xlsx(sheet_data(run, unmasked=True)))).active

    assert_inert(sheet.cell(XLSX_HEADER_ROW + 1, 2), name)


@pytest.fixture
def formula_report(db, make_run, make_person, make_enrollment):
    """A March 2022 course named like a formula, with one trainee."""
    run = make_run(starts_on=date(2022, 3, 2), title=FORMULAS[0])
    make_enrollment(run, make_person())
    db.session.flush()
    return build_report(Period.months(date(2022, 3, 1), date(2022, 4, 1)), None)


def test_stats_workbook_keeps_a_formula_like_course_title_as_text(formula_report):
    workbook = load_workbook(io.BytesIO(build_stats_xlsx(formula_report)))

    cells = [
        cell
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert cells
    for cell in cells:
        assert cell.data_type != "f" and cell.value.startswith("'="), cell.value


def test_stats_csv_keeps_a_formula_like_course_title_as_text(formula_report):
    text = build_stats_csv(formula_report).decode("utf-8-sig")

    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row if "HYPERLINK" in cell]
    assert cells
    assert all(cell.startswith("'=") for cell in cells), cells


def test_term_template_lists_formula_like_choices_as_text(app):
    lists = TemplateLists([("=C1", FORMULAS[0])], [("@교육장", "-강의실", 10)])

    sheet = load_workbook(io.BytesIO(build_template(lists)))[LISTS_SHEET_TITLE]

    assert_inert(sheet["A2"], "=C1")
    assert_inert(sheet["B2"], FORMULAS[0])
    assert_inert(sheet["C2"], "@교육장")
    assert_inert(sheet["D2"], "-강의실")


def test_a_choice_copied_from_the_template_reads_back_without_its_quote(app):
    cells = {"course": safe_cell(FORMULAS[0]), "venue": safe_cell("@교육장")}
    cells |= {
        "room": safe_cell("-강의실"),
        "capacity": 10,
        "registration_opens_at": "2026-09-01 09:00",
    }
    cells |= {"registration_closes_at": "2026-09-15 18:00", "first_date": "2026-09-21"}
    cells |= {"weekdays": "월", "start": "10:00", "end": "12:00", "count": 1}

    fields, problems = read_row(SheetRow(3, cells))

    assert problems == []
    assert (fields.course, fields.venue, fields.room) == (FORMULAS[0], "@교육장", "-강의실")
