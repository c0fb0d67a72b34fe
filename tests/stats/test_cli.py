"""flask --app training report: the statistics written to a file from the command line."""

import csv
import io

import pytest
from openpyxl import load_workbook

from stats import COURSES_LINE, RESIDENT_LINE, STAFF_LINE, build_programme

PERIOD = ["--from", "2022-03", "--to", "2022-04"]


@pytest.fixture
def programme(db, make_run, make_person, make_enrollment):
    return build_programme(db, make_run, make_person, make_enrollment)


def test_text_report_holds_the_lines_and_the_figures(runner, programme, tmp_path):
    target = tmp_path / "report.txt"

    result = runner.invoke(args=["report", *PERIOD, "--format", "text", "-o", str(target)])

    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("2022-03 ~ 2022-04\n")
    assert f"{RESIDENT_LINE}\n{STAFF_LINE}\n{COURSES_LINE}\n" in text
    assert "연인원\t5\t1\t6\n" in text
    assert "출석률\t" in text and "%" in text
    assert str(target) in result.output and RESIDENT_LINE in result.output


def test_xlsx_report_is_a_readable_workbook(runner, programme, tmp_path):
    target = tmp_path / "report.xlsx"

    result = runner.invoke(
        args=["report", *PERIOD, "--format", "xlsx", "--audience", "resident", "-o", str(target)]
    )

    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert workbook.sheetnames[0] == "요약"
    courses = [row[0] for row in workbook["과정별"].iter_rows(min_row=2, values_only=True)]
    assert "스마트폰 기초" in courses and "직원 데이터 분석" not in courses


def test_csv_report_has_a_bom_and_parses(runner, programme, tmp_path):
    target = tmp_path / "report.csv"

    result = runner.invoke(args=["report", *PERIOD, "--format", "csv", "-o", str(target)])

    assert result.exit_code == 0, result.output
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [COURSES_LINE] in rows


@pytest.mark.parametrize(
    "months",
    [
        ["--from", "2022-13", "--to", "2022-04"],
        ["--from", "March", "--to", "2022-04"],
        ["--from", "2022-05", "--to", "2022-04"],
    ],
)
def test_bad_months_fail_with_a_message_and_write_nothing(runner, db, tmp_path, months):
    target = tmp_path / "report.txt"

    result = runner.invoke(args=["report", *months, "-o", str(target)])

    assert result.exit_code == 2
    assert "Invalid value" in result.output
    assert not target.exists()
