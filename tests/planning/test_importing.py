"""Term import: the XLSX template, reading a filled one back, every bad cell explained in
Korean, all or nothing, a second import creating nothing, the command and the pages."""

import io
import re
from datetime import date, datetime

import pytest
from conftest import NOW
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from training.accounts.models import Role
from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Selection,
    Session,
    Venue,
)
from training.clock import SEOUL
from training.planning.importing import (
    COLUMNS,
    MAX_UPLOAD_BYTES,
    SHEET_TITLE,
    RowStatus,
    SheetRow,
    TemplateLists,
    TermImportError,
    build_template,
    import_term,
    read_row,
    read_workbook,
    template_lists,
)

# Monday and Thursday from 21 September 2026, four classes: Chuseok's eve (Thu 24 September)
# and the substitute holiday for National Foundation Day (Mon 5 October) are skipped.
GOOD = {
    "course": "C01",
    "venue": "평생스마트교육장",
    "room": "강의실 1",
    "instructor": "010-1234-5678",
    "capacity": 15,
    "selection": "선착순",
    "registration_opens_at": "2026-09-01 09:00",
    "registration_closes_at": "2026-09-15 18:00",
    "first_date": "2026-09-21",
    "weekdays": "월,목",
    "start": "10:00",
    "end": "12:00",
    "count": 4,
}


def row(**changes) -> dict:
    return {**GOOD, **changes}


def seoul(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SEOUL)


def filled(*rows: dict, template: bytes | None = None) -> bytes:
    """The downloaded template with the rows written from its third line, as staff would."""
    workbook = load_workbook(io.BytesIO(template or build_template(template_lists())))
    sheet = workbook[SHEET_TITLE]
    for offset, values in enumerate(rows):
        for index, column in enumerate(COLUMNS, start=1):
            sheet.cell(row=3 + offset, column=index, value=values.get(column.key))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_rows(*rows: dict) -> list[SheetRow]:
    return read_workbook(filled(*rows))


def problems_of(report, number: int) -> dict[str | None, str]:
    (result,) = [result for result in report.rows if result.row == number]
    assert result.status is RowStatus.REFUSED
    return {problem.column: problem.message for problem in result.problems}


@pytest.fixture
def places(db, make_person):
    """A venue with a 20-seat and a 10-seat room, two courses and an instructor."""
    venue = Venue(name="평생스마트교육장", address="서울 영등포구 대림3동", phone="02-000-0000")
    db.session.add(venue)
    db.session.flush()
    for name, seats in (("강의실 1", 20), ("강의실 2", 10)):
        db.session.add(Room(venue_id=venue.id, name=name, seats=seats))
    for code, title in (("C01", "스마트폰 기초"), ("C02", "컴퓨터 기초")):
        db.session.add(
            Course(
                code=code,
                title=title,
                category=Category.SMARTPHONE,
                level=Level.BEGINNER,
                audience=Audience.RESIDENT,
                delivery=Delivery.IN_PERSON,
            )
        )
    instructor = make_person(role=Role.INSTRUCTOR, name="김강사", phone="01012345678")
    db.session.commit()
    return instructor


# The template and reading it back


def test_template_has_korean_headers_an_english_line_and_choice_lists():
    content = build_template(
        TemplateLists([("C01", "스마트폰 기초")], [("평생스마트교육장", "강의실 1", 20)])
    )

    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["강좌", "예시", "목록"]
    sheet = workbook["강좌"]
    assert [cell.value for cell in sheet[1]][:3] == ["과정", "기수", "교육장"]
    assert sheet["A2"].value == "Course (code or title)"
    assert "필수" in sheet["A1"].comment.text
    assert sheet.column_dimensions["A"].width == 26
    assert sheet["E3"].number_format == "@"  # phone numbers keep their leading zero
    lists = {v.formula1: str(v.sqref) for v in sheet.data_validations.dataValidation}
    assert lists['"선착순,추첨"'] == "G3:G502"
    assert "'목록'!$F$2:$F$13" in lists  # weekday combinations offered
    assert workbook["목록"]["A2"].value == "C01"
    assert workbook["목록"]["D3"].value == "온라인"
    assert workbook["예시"]["A3"].value == "스마트폰 기초"


def test_a_filled_template_reads_back_its_rows_typed_or_as_spreadsheet_dates(app):
    typed = row(number=3)
    as_cells = row(
        course="컴퓨터 기초",
        registration_opens_at=datetime(2026, 9, 1, 9, 0),
        registration_closes_at=datetime(2026, 9, 15, 18, 0),
        first_date=datetime(2026, 9, 22),
        weekdays="화목",
        start=datetime(2026, 1, 1, 14, 0).time(),
        end="16:30",
        count=6.0,
        selection="추첨",
        instructor=1012345678,  # typed as a number: the leading zero was dropped
    )
    content = filled(typed, as_cells, template=build_template(TemplateLists([], [])))

    rows = read_workbook(content)

    assert [r.number for r in rows] == [3, 4]
    first, problems = read_row(rows[0])
    assert problems == []
    assert first.number == 3
    assert first.registration_opens_at == seoul("2026-09-01", "09:00")
    assert first.weekdays == (1, 4)
    second, problems = read_row(rows[1])
    assert problems == []
    assert second.course == "컴퓨터 기초"
    assert second.first_date == date(2026, 9, 22)
    assert second.weekdays == (2, 4)
    assert (second.start.hour, second.end.minute) == (14, 30)
    assert second.count == 6
    assert second.selection is Selection.LOTTERY
    assert second.instructor_phone == "01012345678"


def test_each_unreadable_cell_is_explained_with_its_column(app):
    bad = SheetRow(
        7,
        row(
            capacity="스무 명",
            weekdays="월,X",
            start="14:00",
            end="13:00",
            registration_closes_at="2026-08-01 09:00",
            last_date="2026-12-01",
            min_age=70,
            max_age=60,
            course=None,
        ),
    )

    fields, problems = read_row(bad)

    assert fields is None
    found = {problem.column: problem.message for problem in problems}
    assert all(problem.row == 7 for problem in problems)
    assert "비어 있습니다" in found["course"]
    assert "'스무 명'은(는) 숫자가 아닙니다" in found["capacity"]
    assert "'X'은(는) 요일이 아닙니다" in found["weekdays"]
    assert "끝 시각이 시작 시각(14:00)보다 늦어야" in found["end"]
    assert "신청 마감이 신청 시작보다 늦어야" in found["registration_closes_at"]
    assert "하나만" in found["count"]
    assert "최대 나이가 최소 나이보다 작습니다" in found["max_age"]


def test_a_file_that_is_not_the_template_is_refused_as_a_whole(app):
    with pytest.raises(TermImportError, match="xlsx"):
        read_workbook(b"PK\x03\x04 not really a zip")
    with pytest.raises(TermImportError, match="MB"):
        read_workbook(b"0" * (MAX_UPLOAD_BYTES + 1))


# Importing


def test_a_bad_row_imports_nothing_and_each_problem_is_explained(app, places, staff, count_rows):
    rows = sheet_rows(
        row(),  # row 3: fine on its own
        row(course="C99", capacity="많이"),  # 4: unknown course, and an unreadable cell
        row(course="C02", room="강의실 2", capacity=25, start="14:00", end="16:00"),  # 5
        row(course="C02", weekdays="월,화요,수", start="18:00", end="20:00"),  # 6
        row(course="C02", start="18:00", end="17:00"),  # 7
        row(course="C02", instructor=None),  # 8: same room and time as row 3
    )

    report = import_term(rows, actor=staff, now=NOW)

    assert not report.is_ok
    assert count_rows(CourseRun) == 0
    assert count_rows(Session) == 0
    assert [r.status for r in report.rows][0] is RowStatus.READY
    assert "'C99' 과정을 찾을 수 없습니다" in problems_of(report, 4)["course"]
    assert "'많이'은(는) 숫자가 아닙니다" in problems_of(report, 4)["capacity"]
    assert "좌석은 10석이라 정원을 25명으로 할 수 없습니다" in problems_of(report, 5)["capacity"]
    assert "'화요'은(는) 요일이 아닙니다" in problems_of(report, 6)["weekdays"]
    assert "끝 시각이 시작 시각(18:00)보다 늦어야" in problems_of(report, 7)["end"]
    assert "'스마트폰 기초 1기' 수업이 있습니다" in problems_of(report, 8)["room"]


def test_a_good_file_imports_runs_whose_classes_skip_holidays(app, places, staff, db):
    rows = sheet_rows(
        row(),
        # Online, cohort 5, Monday and Wednesday from 13 September 2027: Chuseok
        # (Wed 15 September) is skipped.
        row(
            course="C02",
            number=5,
            venue=None,
            room="온라인",
            instructor=None,
            capacity=40,
            first_date="2027-09-13",
            weekdays="월,수",
            count=3,
            registration_opens_at="2027-08-16 09:00",
            registration_closes_at="2027-09-06 18:00",
        ),
    )

    report = import_term(rows, actor=staff, now=NOW)

    assert report.is_ok and report.imported == 2
    smartphone, computer = db.session.scalars(
        select(CourseRun).join(CourseRun.course).order_by(Course.code)
    ).all()
    assert smartphone.title == "스마트폰 기초 1기"
    assert smartphone.room.name == "강의실 1" and smartphone.instructor_id == places.id
    assert [s.starts_at for s in smartphone.sessions] == [
        seoul(day, "10:00") for day in ("2026-09-21", "2026-09-28", "2026-10-01", "2026-10-08")
    ]
    assert (smartphone.starts_on, smartphone.ends_on) == (date(2026, 9, 21), date(2026, 10, 8))
    assert [(s.day, s.reason) for s in report.rows[0].skipped] == [
        (date(2026, 9, 24), "추석 전날"),
        (date(2026, 10, 5), "개천절 대체 휴일"),
    ]
    assert computer.title == "컴퓨터 기초 5기"
    assert computer.room is None and computer.capacity == 40
    assert [s.starts_at.date() for s in computer.sessions] == [
        date(2027, 9, 13),
        date(2027, 9, 20),
        date(2027, 9, 22),
    ]
    assert [s.reason for s in report.rows[1].skipped] == ["추석"]


def test_importing_the_same_file_again_creates_nothing_new(app, places, staff, count_rows):
    content = filled(
        row(), row(course="C02", number=2, room="강의실 2", capacity=10, instructor=None)
    )
    assert import_term(read_workbook(content), actor=staff, now=NOW).imported == 2

    again = import_term(read_workbook(content), actor=staff, now=NOW)

    assert again.is_ok
    assert [r.status for r in again.rows] == [RowStatus.PRESENT, RowStatus.PRESENT]
    assert [r.label for r in again.rows] == ["스마트폰 기초 1기", "컴퓨터 기초 2기"]
    assert count_rows(CourseRun) == 2
    assert count_rows(Session) == 8


def test_the_same_run_twice_in_one_file_is_refused(app, places, staff, count_rows):
    online = row(venue=None, room="온라인", instructor=None)

    report = import_term(sheet_rows(online, online), actor=staff, now=NOW)

    assert "3행과 같은 강좌입니다" in problems_of(report, 4)["course"]
    assert count_rows(CourseRun) == 0


def test_a_dry_run_checks_everything_and_writes_nothing(app, places, staff, count_rows):
    report = import_term(sheet_rows(row()), actor=staff, now=NOW, dry_run=True)

    assert report.is_ok and len(report.ready) == 1 and report.imported == 0
    assert report.rows[0].sessions == 4
    assert count_rows(CourseRun) == 0
    assert count_rows(Session) == 0


# The command


def test_import_term_command_imports_and_prints_the_report(app, places, runner, tmp_path):
    path = tmp_path / "term.xlsx"
    path.write_bytes(filled(row()))

    result = runner.invoke(args=["import-term", str(path)])

    assert result.exit_code == 0, result.output
    assert "row 3\timported\t스마트폰 기초 1기\t4 classes 2026-09-21 10:00 ~ 2026-10-08" in (
        result.output
    )
    assert "skipped 2026-09-24 추석 전날" in result.output
    assert "1 runs imported." in result.output
    again = runner.invoke(args=["import-term", str(path)])
    assert "row 3\talready present\t스마트폰 기초 1기" in again.output
    assert "0 runs imported. 1 already present." in again.output


def test_import_term_dry_run_writes_nothing(app, places, runner, tmp_path, count_rows):
    path = tmp_path / "term.xlsx"
    path.write_bytes(filled(row()))

    result = runner.invoke(args=["import-term", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: 1 runs would be imported." in result.output
    assert count_rows(CourseRun) == 0


def test_import_term_exits_1_and_imports_nothing_when_a_row_is_refused(
    app, places, runner, tmp_path, count_rows
):
    path = tmp_path / "term.xlsx"
    path.write_bytes(filled(row(), row(course="C99")))

    result = runner.invoke(args=["import-term", str(path)])

    assert result.exit_code == 1
    assert "[과정] 'C99' 과정을 찾을 수 없습니다" in result.output
    assert "1 rows refused: nothing imported." in result.output
    assert count_rows(CourseRun) == 0


# The pages


def upload(client, content: bytes, name: str = "term.xlsx"):
    # Encoded here, in memory: given the file, the test client would spool a large body to a
    # temporary file it never closes, and its ResourceWarning would fail some later test.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), name)})
    return client.post(
        "/manage/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def token_in(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/manage/import"),
        ("get", "/manage/import/template.xlsx"),
        ("post", "/manage/import"),
        ("post", "/manage/import/confirm"),
    ],
)
def test_import_pages_are_for_staff_only(app, make_person, client_for, method, path):
    resident = client_for(make_person())

    assert getattr(resident, method)(path).status_code == 403
    assert getattr(app.test_client(), method)(path).status_code == 302


def test_staff_download_the_template(app, places, desk):
    response = desk.get("/manage/import/template.xlsx")

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    assert [row[0] for row in workbook["목록"].iter_rows(min_row=2, values_only=True)][:2] == [
        "C01",
        "C02",
    ]


def test_upload_previews_then_confirm_imports_everything(app, places, desk, count_rows):
    content = filled(row(), template=desk.get("/manage/import/template.xlsx").data)

    preview = upload(desk, content)

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "가져올 수 있음" in html and "추석 전날" in html
    assert count_rows(CourseRun) == 0
    token = token_in(html)

    done = desk.post("/manage/import/confirm", data={"token": token})

    assert done.status_code == 302
    assert count_rows(CourseRun) == 1
    assert count_rows(Session) == 4
    again = desk.post("/manage/import/confirm", data={"token": token}, follow_redirects=True)
    assert "파일을 다시 올려 주세요" in again.get_data(as_text=True)
    assert count_rows(CourseRun) == 1


def test_a_preview_with_a_bad_row_explains_it_and_offers_no_import(app, places, desk, tmp_path):
    preview = upload(desk, filled(row(), row(course="C99")))

    html = preview.get_data(as_text=True)
    assert "아무것도 가져오지 않습니다" in html
    assert "4행 · '과정' 열: &#39;C99&#39; 과정을 찾을 수 없습니다" in html
    assert "/manage/import/confirm" not in html
    assert not list(tmp_path.glob("term-imports/*"))


def test_another_staff_members_token_imports_nothing(
    app, places, desk, make_person, client_for, count_rows
):
    token = token_in(upload(desk, filled(row())).get_data(as_text=True))
    colleague = client_for(make_person(role=Role.STAFF))

    response = colleague.post("/manage/import/confirm", data={"token": token})

    assert response.status_code == 302
    assert count_rows(CourseRun) == 0


def test_an_upload_over_the_limit_or_not_a_workbook_is_refused_with_a_reason(app, desk):
    far_too_big = upload(desk, b"0" * (3 * MAX_UPLOAD_BYTES))
    assert far_too_big.status_code == 413
    assert "2MB 이하의 파일만" in far_too_big.get_data(as_text=True)
    just_too_big = upload(desk, b"0" * (MAX_UPLOAD_BYTES + 1))
    assert just_too_big.status_code == 400
    assert "2MB 이하의 파일만" in just_too_big.get_data(as_text=True)

    not_a_workbook = upload(desk, b"name,phone\n", name="people.csv")
    assert not_a_workbook.status_code == 400
    assert "엑셀(.xlsx) 파일로 읽을 수 없습니다" in not_a_workbook.get_data(as_text=True)
