"""The statistics page, its charts and its exports: who may see them and what they show."""

import io
import re
import sys
from datetime import datetime, timedelta

import pytest
from conftest import NOW
from openpyxl import load_workbook
from sqlalchemy import func, select

from stats import COURSES_LINE, RESIDENT_LINE, STAFF_LINE, build_programme
from training.accounts.models import Role
from training.accounts.services import issue_token
from training.audit.models import AuditEntry
from training.catalog.models import CourseRun
from training.clock import SEOUL
from training.demo.seed import seed_demo

MARCH_APRIL = {"from": "2022-03", "to": "2022-04"}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHARTS = ("monthly", "venue", "category", "plan")


@pytest.fixture
def programme(db, make_run, make_person, make_enrollment):
    return build_programme(db, make_run, make_person, make_enrollment)


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/desk/stats")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path", ["/desk/stats", "/desk/stats/chart/monthly.svg", "/desk/stats/export.xlsx"]
)
def test_resident_is_refused(db, make_person, client_for, path):
    resident = make_person()
    db.session.commit()

    assert client_for(resident).get(path).status_code == 403


def test_page_shows_the_report_lines_ready_to_paste(desk, programme):
    page = desk.get("/desk/stats", query_string=MARCH_APRIL).get_data(as_text=True)

    lines = re.search(r'<textarea id="report-lines"[^>]*>(.*?)</textarea>', page, re.S)
    assert lines.group(1).split("\n") == [RESIDENT_LINE, STAFF_LINE, COURSES_LINE]


def test_page_writes_each_figure_with_its_definition(desk, programme):
    page = desk.get("/desk/stats", query_string=MARCH_APRIL).get_data(as_text=True)

    assert "두 달에 걸친 기수는 끝난 달에 한 번 셉니다." in page
    assert "취소한 신청은 세지 않습니다." in page
    row = re.search(r"<th scope=\"row\">연인원</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="number">([^<]*)</td>', row) == ["5", "1", "6"]


def test_page_shows_plan_breakdowns_and_charts(desk, programme):
    page = desk.get("/desk/stats", query_string=MARCH_APRIL).get_data(as_text=True)

    assert "2022년 계획 대비 실적" in page
    for heading in ("월별", "교육장별", "강의실별", "과정별", "분야별", "교육방식별", "연령대별"):
        assert f">{heading}</h3>" in page
    assert "키오스크 활용" in page and "스마트폰" in page
    for name in CHARTS:
        assert f'src="/desk/stats/chart/{name}.svg?from=2022-03&amp;to=2022-04' in page


def test_page_without_any_run_held_opens_on_this_year(desk):
    response = desk.get("/desk/stats")

    assert response.status_code == 200
    assert 'value="' + datetime.now().strftime("%Y") + '-01"' in response.get_data(as_text=True)


def test_page_opens_on_the_latest_period_with_figures(desk, db, programme):
    latest = db.session.scalar(select(func.max(CourseRun.ends_on)))

    page = desk.get("/desk/stats").get_data(as_text=True)

    assert re.search(rf'name="from"[^>]*value="{latest:%Y}-01"', page)
    assert re.search(rf'name="to"[^>]*value="{latest:%Y-%m}"', page)
    lines = re.search(r'<textarea id="report-lines"[^>]*>(.*?)</textarea>', page, re.S)
    assert "0회 / 0명" not in lines.group(1)


def test_quick_periods_are_this_month_last_month_this_year_and_the_report_months(
    desk, db, programme
):
    today = datetime.now(SEOUL).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    latest = db.session.scalar(select(func.max(CourseRun.ends_on)))

    page = desk.get("/desk/stats").get_data(as_text=True)
    quick = re.search(r'<p class="stats-quick">(.*?)</p>', page, re.S).group(1)
    links = [
        (label.strip(), first, last)
        for first, last, label in re.findall(r"from=([\d-]+)&amp;to=([\d-]+)[^>]*>([^<]*)<", quick)
    ]

    assert links == [
        ("이번 달", f"{today:%Y-%m}", f"{today:%Y-%m}"),
        ("지난달", f"{last_month:%Y-%m}", f"{last_month:%Y-%m}"),
        ("올해", f"{today:%Y}-01", f"{today:%Y-%m}"),
        (f"{latest:%Y}년 1~8월(업무보고)", f"{latest:%Y}-01", f"{latest:%Y}-08"),
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2022-13", "to": "2022-08"}, "시작 월은 2022-01처럼 적어 주세요."),
        ({"from": "2022-01", "to": "22-8"}, "끝 월은 2022-08처럼 적어 주세요."),
        ({"from": "", "to": "2022-08"}, "시작 월을 적어 주세요."),
        ({"from": "2022-08", "to": "2022-01"}, "끝 월이 시작 월보다 앞설 수 없습니다."),
        (
            {"from": "2022-01", "to": "2022-08", "audience": "everyone"},
            "대상은 전체, 구민, 직원 가운데에서 고르세요.",
        ),
        ({"from": "가" * 500, "to": "\x00"}, "시작 월은 2022-01처럼 적어 주세요."),
    ],
)
def test_invalid_query_says_what_is_wrong(desk, query, message):
    response = desk.get("/desk/stats", query_string=query)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="report-lines"' not in page


@pytest.mark.parametrize("name", CHARTS)
def test_chart_is_a_self_contained_svg(desk, programme, name):
    response = desk.get(f"/desk/stats/chart/{name}.svg", query_string=MARCH_APRIL)

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg")
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "NanumGothic" in svg
    assert "<script" not in svg and "href=" not in svg and "@import" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>]*", svg)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_monthly_chart_describes_every_month(desk, programme):
    svg = desk.get("/desk/stats/chart/monthly.svg", query_string=MARCH_APRIL).get_data(as_text=True)

    assert "2022-03: 1회 / 2명, 2022-04: 2회 / 2명" in svg


def test_unknown_chart_is_not_found(desk):
    assert desk.get("/desk/stats/chart/pie.svg", query_string=MARCH_APRIL).status_code == 404


def test_chart_with_bad_months_is_a_bad_request(desk):
    response = desk.get("/desk/stats/chart/monthly.svg", query_string={"from": "x", "to": "y"})

    assert response.status_code == 400


def test_xlsx_export_is_a_workbook_and_is_logged(desk, staff, programme):
    response = desk.get("/desk/stats/export.xlsx", query_string=MARCH_APRIL)

    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    load_workbook(io.BytesIO(response.data))
    entry = _only_export_entry()
    assert entry.actor_id == staff.id
    assert entry.detail == {"format": "xlsx", "from": "2022-03", "to": "2022-04", "audience": "all"}


def test_csv_export_has_a_bom_and_is_logged(desk, programme):
    response = desk.get("/desk/stats/export.csv", query_string={**MARCH_APRIL, "audience": "staff"})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert STAFF_LINE in response.data.decode("utf-8-sig")
    assert _only_export_entry().detail["audience"] == "staff"


def test_refused_export_is_not_logged(desk, db):
    response = desk.get("/desk/stats/export.csv", query_string={"from": "2022-09", "to": "2022-01"})

    assert response.status_code == 400
    assert "stats.export" not in db.session.scalars(select(AuditEntry.action)).all()


def _only_export_entry() -> AuditEntry:
    from training.extensions import db

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "stats.export"))
    (entry,) = entries.all()
    return entry


def test_demo_year_matches_the_work_report(db, make_person, client_for):
    seed_demo(now=NOW, echo=lambda line: None)
    officer = make_person(role=Role.STAFF, name="정통계")
    db.session.commit()
    desk = client_for(officer)
    query = {"from": "2022-01", "to": "2022-08"}
    expected = [
        "구민 정보화교육 운영 - 교육횟수/인원: 79회 / 1,405명",
        "직원 정보화교육 운영 - 교육횟수/인원: 3회 / 52명",
        "교육과정: 44개 과정",
    ]

    page = desk.get("/desk/stats", query_string=query).get_data(as_text=True)
    workbook = load_workbook(
        io.BytesIO(desk.get("/desk/stats/export.xlsx", query_string=query).data)
    )

    for line in expected:
        assert line in page
    cells = [row[0] for row in workbook["요약"].iter_rows(values_only=True)]
    assert [line for line in expected if line in cells] == expected
    assert "79회 / 1,405명" in cells[-3] and "3회 / 52명" in cells[-2] and "44개 과정" in cells[-1]

    token = {"Authorization": f"Bearer {issue_token(officer)}"}
    residents = desk.get("/api/v1/stats?from=2022-01&to=2022-08&audience=resident", headers=token)
    staff = desk.get("/api/v1/stats?from=2022-01&to=2022-08&audience=staff", headers=token)
    both = desk.get("/api/v1/stats?from=2022-01&to=2022-08", headers=token)
    assert (residents.json["runs_held"], residents.json["trainees"]) == (79, 1405)
    assert (staff.json["runs_held"], staff.json["trainees"]) == (3, 52)
    assert both.json["courses"] == 44 and both.json["report_lines"] == expected


def test_charts_leave_no_legacy_import_hook_behind():
    # pygal's hook made every later failed import warn, which broke reportlab under -W error.
    import training.stats.charts  # noqa: F401

    assert all(hasattr(hook, "find_spec") for hook in sys.meta_path)
