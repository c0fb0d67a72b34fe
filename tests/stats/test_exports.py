"""The statistics as XLSX and CSV, read back the way staff's Excel would read them."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from stats import COURSES_LINE, RESIDENT_LINE, STAFF_LINE, build_programme
from training.catalog.models import Audience
from training.stats.exports import build_stats_csv, build_stats_xlsx
from training.stats.services import Period, build_report

MARCH_APRIL = Period.months(date(2022, 3, 1), date(2022, 4, 1))
SHEETS = [
    "요약",
    "월별",
    "교육장별",
    "강의실별",
    "과정별",
    "분야별",
    "교육방식별",
    "연령대별",
    "동별",
]
RUN_HEADER = ["교육횟수", "인원(실인원)", "연인원", "교육시간", "교육과정", "출석률", "수료율"]


@pytest.fixture
def report(db, make_run, make_person, make_enrollment):
    build_programme(db, make_run, make_person, make_enrollment)
    return build_report(MARCH_APRIL, None)


@pytest.fixture
def workbook(report):
    return load_workbook(io.BytesIO(build_stats_xlsx(report)))


def table(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_workbook_has_a_summary_then_one_sheet_per_breakdown(workbook):
    assert workbook.sheetnames == SHEETS


def test_summary_holds_the_report_lines_and_headline_figures(workbook):
    rows = table(workbook["요약"])
    assert rows[0][:5] == ["항목", "구민", "직원", "전체", "정의"]
    figures = {row[0]: row[1:4] for row in rows[1:8]}
    assert figures["교육횟수"] == [2, 1, 3]
    assert figures["인원(실인원)"] == [2, 1, 3]
    assert figures["연인원"] == [5, 1, 6]
    assert figures["교육시간"] == [10.0, 2.0, 12.0]
    assert figures["교육과정"] == [2, 1, 3]
    cells = [row[0] for row in rows]
    assert RESIDENT_LINE in cells and STAFF_LINE in cells and COURSES_LINE in cells
    assert "2022-03 ~ 2022-04" in [row[1] for row in rows]


def test_every_sheet_freezes_its_header_row(workbook):
    assert {workbook[name].freeze_panes for name in SHEETS} == {"A2"}


def test_breakdown_sheet_has_korean_headers_and_labels(workbook):
    rows = table(workbook["분야별"])
    assert rows[0] == ["분야", *RUN_HEADER]
    assert rows[1][0] == "스마트폰"
    assert table(workbook["교육방식별"])[1][0] == "집합교육"


def test_totals_row_adds_up_runs_marks_and_hours(workbook):
    rows = table(workbook["월별"])
    body, total = rows[1:3], rows[3]
    assert [row[0] for row in body] == ["2022-03", "2022-04"]
    assert total[0] == "합계"
    for column in (1, 3, 4):  # runs held, person-sessions, hours
        assert total[column] == sum(row[column] for row in body)
    assert total[1:5] == [3, 3, 6, 12.0]


def test_totals_row_counts_a_person_in_two_months_once(workbook):
    rows = table(workbook["월별"])
    assert sum(row[2] for row in rows[1:3]) == 4
    assert rows[3][2] == 3
    assert "중복을 뺀" in rows[4][0]


def test_people_sheets_total_the_trainees(workbook):
    rows = table(workbook["동별"])
    assert rows[0] == ["행정동", "인원(실인원)", "연인원"]
    body, total = rows[1:-1], rows[-1]
    assert total == ["합계", sum(row[1] for row in body), sum(row[2] for row in body)]
    assert total == ["합계", 3, 6]


def test_cells_carry_number_formats(workbook):
    sheet = workbook["과정별"]
    assert sheet["B2"].number_format == "#,##0"
    assert sheet["E2"].number_format == "0.0"
    assert sheet["G2"].number_format == "0.0%"
    assert sheet["B5"].number_format == "#,##0"  # the totals row too
    assert workbook["요약"]["D2"].number_format == "#,##0"


def test_columns_are_wide_enough_for_korean_headers(workbook):
    sheet = workbook["과정별"]
    assert sheet.column_dimensions["A"].width >= len("직원 데이터 분석") * 2
    assert sheet.column_dimensions["C"].width >= 12


def test_breakdowns_follow_the_chosen_audience(db, make_run, make_person, make_enrollment):
    build_programme(db, make_run, make_person, make_enrollment)
    rows = table(
        load_workbook(io.BytesIO(build_stats_xlsx(build_report(MARCH_APRIL, Audience.STAFF))))[
            "과정별"
        ]
    )
    assert [row[0] for row in rows[1:-2]] == ["직원 데이터 분석"]


def test_empty_period_gives_a_workbook_of_zeros(db):
    report = build_report(Period.months(date(2030, 1, 1), date(2030, 1, 1)), None)
    workbook = load_workbook(io.BytesIO(build_stats_xlsx(report)))
    assert table(workbook["월별"])[1][:2] == ["합계", 0]


def test_csv_starts_with_a_bom_and_parses(report):
    content = build_stats_csv(report)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["[요약]", "2022-03 ~ 2022-04", "전체"]
    assert [RESIDENT_LINE] in rows and [STAFF_LINE] in rows and [COURSES_LINE] in rows
    headings = [row[0] for row in rows if row and row[0].startswith("[")]
    assert headings == [f"[{name}]" for name in SHEETS]


def test_csv_breakdown_has_header_rows_and_percent_rates(report):
    rows = list(csv.reader(io.StringIO(build_stats_csv(report).decode("utf-8-sig"))))
    start = rows.index(["[과정별]"])
    assert rows[start + 1] == ["교육과정", *RUN_HEADER[:5], "출석률(%)", "수료율(%)"]
    phone = next(row for row in rows[start:] if row[0] == "스마트폰 기초")
    # 3 marks attended out of 2 people x 2 sessions.
    assert phone[1:4] == ["1", "2", "3"] and phone[6] == "75.0"
    total = next(row for row in rows[start:] if row[0] == "합계")
    assert total[1] == "3"
