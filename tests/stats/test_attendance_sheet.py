"""The attendance sheet (출석부): the loader, the XLSX and PDF builders and the download routes."""

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.stats import attendance
from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.checkin.models import AttendanceStatus
from training.enrollment.models import EnrollmentStatus
from training.fonts import register_korean_font
from training.stats.attendance_sheet import (
    XLSX_HEADER_ROW,
    SheetData,
    SheetSession,
    build_sheet_pdf,
    build_sheet_xlsx,
    sheet_data,
    sheet_row,
)

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def poppler(tool: str, pdf: bytes, tmp_path: Path) -> str:
    """Run a poppler-utils tool on the PDF (skip where missing); it must not complain."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    command = [tool, str(source), *(["-"] if tool == "pdftotext" else [])]
    result = subprocess.run(command, capture_output=True, check=True, timeout=60)
    assert result.stderr == b"", result.stderr.decode()
    return result.stdout.decode()


def sample(people: int = 2) -> SheetData:
    sessions = tuple(SheetSession(i, date(2022, 3, 7 * i), "10:00-12:00") for i in range(1, 4))
    marks = [("출석", "지각", "결석"), ("공결", "출석", "")]
    rows = [
        sheet_row(f"홍*동{n}" if n else "홍*동", f"010-****-{n:04d}", marks[n % 2])
        for n in range(people)
    ]
    return SheetData(
        run_title="스마트폰 기초 1기",
        period="2022-03-07 ~ 2022-03-21",
        venue="평생스마트교육장 강의실 1",
        instructor="김강사",
        sessions=sessions,
        rows=tuple(rows),
    )


@pytest.fixture
def font(app):
    return register_korean_font(app.config)


def read_back(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def test_row_rate_leaves_excused_out_of_the_denominator():
    row = sheet_row("홍*동", "010-****-5678", ("공결", "출석", "결석"))

    assert (row.attended, row.rate) == (1, 0.5)


def test_late_counts_as_attended():
    assert sheet_row("a", "b", ("지각", "출석", "")).attended == 2


def test_xlsx_has_korean_header_with_session_dates_frozen():
    sheet = read_back(build_sheet_xlsx(sample()))

    header = [cell.value for cell in sheet[XLSX_HEADER_ROW]]
    assert header == ["번호", "성명", "연락처", "1회\n03-07", "2회\n03-14", "3회\n03-21"] + [
        "출석",
        "출석률",
    ]
    assert sheet.freeze_panes == f"D{XLSX_HEADER_ROW + 1}"
    assert "스마트폰 기초 1기" in sheet["A1"].value


def test_xlsx_rows_carry_marks_counts_and_rates():
    sheet = read_back(build_sheet_xlsx(sample()))

    first, second = ([c.value for c in sheet[XLSX_HEADER_ROW + n]] for n in (1, 2))
    assert first == [
        1,
        "홍*동",
        "010-****-0000",
        "출석",
        "지각",
        "결석",
        2,
        pytest.approx(2 / 3, abs=1e-4),
    ]
    assert second[3:8] == ["공결", "출석", None, 1, 0.5]


def test_xlsx_totals_count_attended_per_session_and_person():
    sheet = read_back(build_sheet_xlsx(sample()))

    totals = [c.value for c in sheet[XLSX_HEADER_ROW + 3]]
    assert totals[0] == "합계"
    assert totals[3:7] == [1, 2, 0, 3]


def test_xlsx_prints_landscape_a4_fitted_to_width():
    sheet = read_back(build_sheet_xlsx(sample()))

    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True


def test_pdf_shows_title_and_masked_name(font, tmp_path):
    text = poppler("pdftotext", build_sheet_pdf(sample(), font), tmp_path)

    assert "출석부" in text
    assert "스마트폰 기초 1기" in text
    assert "홍*동" in text
    assert "010-****-0000" in text


def test_pdf_embeds_the_nanum_font(font, tmp_path):
    if not NANUM.is_file():
        pytest.skip("fonts-nanum is not installed")
    listing = poppler("pdffonts", build_sheet_pdf(sample(), font), tmp_path)

    nanum = [line for line in listing.splitlines() if "NanumGothic" in line]
    assert nanum, listing
    assert all(line.split()[-5] == "yes" for line in nanum), listing


def test_pdf_is_a4_landscape(font, tmp_path):
    info = poppler("pdfinfo", build_sheet_pdf(sample(), font), tmp_path)

    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    assert (round(float(width)), round(float(height))) == (842, 595)


def test_long_roster_runs_over_pages_repeating_the_header(font, tmp_path):
    pdf = build_sheet_pdf(sample(people=60), font)

    info = poppler("pdfinfo", pdf, tmp_path)
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages > 1
    text = poppler("pdftotext", pdf, tmp_path)
    page_texts = text.split("\f")[:pages]
    assert all("연락처" in page and "출석률" in page for page in page_texts)
    assert re.search(rf"\b{pages} ?/ ?{pages}\b", page_texts[-1])
    assert "홍*동59" in text


# The loader ---------------------------------------------------------------------------------


@pytest.fixture
def marked_run(db, make_run, make_person, make_enrollment):
    run = make_run(starts_on=date(2022, 3, 7), sessions=3)
    hong = make_enrollment(run, make_person(name="홍길동", phone="01012345678"))
    make_enrollment(run, make_person(name="김영희"), status=EnrollmentStatus.CANCELLED)
    for session, status in zip(
        run.sessions, (AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED), strict=False
    ):
        db.session.add(attendance(session, hong, status))
    db.session.commit()
    return run


def test_sheet_data_masks_names_and_phones_by_default(marked_run):
    data = sheet_data(marked_run)

    assert [(r.name, r.phone, r.marks) for r in data.rows] == [
        ("홍*동", "010-****-5678", ("출석", "공결", ""))
    ]
    assert data.rows[0].rate == 0.5
    assert [s.hours for s in data.sessions] == ["10:00-12:00"] * 3
    assert data.sessions[0].day == date(2022, 3, 7)
    assert data.is_masked


def test_sheet_data_unmasked_only_when_asked(marked_run):
    data = sheet_data(marked_run, unmasked=True)

    assert (data.rows[0].name, data.rows[0].phone) == ("홍길동", "010-1234-5678")
    assert not data.is_masked


# The routes --------------------------------------------------------------------------------


def sheet_url(run, extension: str, **query) -> str:
    arguments = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/desk/runs/{run.id}/attendance.{extension}" + (f"?{arguments}" if arguments else "")


@pytest.fixture
def exports(db):
    def entries():
        db.session.expire_all()
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attendance_sheet.export")
        ).all()

    return entries


@pytest.mark.parametrize(
    ("extension", "mimetype"), [("xlsx", XLSX_MIMETYPE), ("pdf", "application/pdf")]
)
def test_staff_download_the_masked_sheet(desk, marked_run, exports, extension, mimetype):
    response = desk.get(sheet_url(marked_run, extension))

    assert response.status_code == 200
    assert response.mimetype == mimetype
    [entry] = exports()
    assert entry.detail["format"] == extension
    assert entry.detail["unmasked"] is False


def test_staff_xlsx_names_are_masked(desk, marked_run):
    sheet = read_back(desk.get(sheet_url(marked_run, "xlsx")).data)

    assert sheet.cell(XLSX_HEADER_ROW + 1, 2).value == "홍*동"


def test_residents_may_not_download(client_for, make_person, marked_run, db):
    resident = make_person(name="주민", phone="01099990000")
    db.session.commit()

    response = client_for(resident).get(sheet_url(marked_run, "xlsx"))

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, marked_run):
    assert client.get(sheet_url(marked_run, "pdf")).status_code == 302


def test_missing_run_is_not_found(desk):
    assert desk.get("/desk/runs/999999/attendance.xlsx").status_code == 404


@pytest.fixture
def admin_desk(db, make_person, client_for):
    admin = make_person(role=Role.ADMIN, name="관리자", phone="01077770000")
    db.session.commit()
    return client_for(admin)


def test_unmasked_needs_a_reason(admin_desk, marked_run, exports):
    response = admin_desk.get(sheet_url(marked_run, "xlsx", unmasked=1, reason="%20"))

    assert response.status_code == 400
    assert "사유" in response.get_data(as_text=True)
    assert exports() == []


def test_unmasked_is_for_admins_only(desk, marked_run, exports):
    response = desk.get(sheet_url(marked_run, "xlsx", unmasked=1, reason="민원 확인"))

    assert response.status_code == 400
    assert "관리자" in response.get_data(as_text=True)
    assert exports() == []


def test_admin_with_a_reason_gets_full_names_and_it_is_logged(admin_desk, marked_run, exports):
    response = admin_desk.get(sheet_url(marked_run, "xlsx", unmasked=1, reason="수료 이의 확인"))

    assert response.status_code == 200
    sheet = read_back(response.data)
    assert sheet.cell(XLSX_HEADER_ROW + 1, 2).value == "홍길동"
    assert sheet.cell(XLSX_HEADER_ROW + 1, 3).value == "010-1234-5678"
    [entry] = exports()
    assert entry.subject_id == marked_run.id
    assert entry.detail["unmasked"] is True
    assert entry.detail["reason"] == "수료 이의 확인"


def test_admin_unmasked_pdf_shows_full_name(admin_desk, marked_run, tmp_path):
    response = admin_desk.get(sheet_url(marked_run, "pdf", unmasked=1, reason="확인"))

    assert response.status_code == 200
    assert "홍길동" in poppler("pdftotext", response.data, tmp_path)
