"""A new office's first run, in a real browser: from an empty database staff add a venue and a
room, a course, a run and its sessions through the planning pages; a resident then finds the
run in the catalogue and enrolls."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from training.accounts.models import Role
from training.clock import to_seoul, utcnow

from .conftest import PASSWORD, log_in_by_phone

pytestmark = pytest.mark.real_commits

TITLE = "AI 챗봇 처음 만나기"


@dataclass
class Office:
    staff_phone: str
    resident_phone: str


@pytest.fixture
def office(app, db, make_person) -> Office:
    """Only a member of staff and a resident of the district, committed; nothing else."""
    staff = make_person(role=Role.STAFF, name="정담당", password=PASSWORD)
    resident = make_person(name="김구민", password=PASSWORD, dong="신길1동")
    db.session.commit()
    found = Office(staff_phone=staff.phone, resident_phone=resident.phone)
    # The served app writes next; SQLite allows one writer at a time.
    db.session.close()
    return found


def save(page, name: str = "저장") -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=name).click()


def flash(page) -> str:
    return page.locator(".flashes").inner_text()


def test_staff_plan_a_run_from_nothing_and_a_resident_enrolls(office, served_url, launch_browser):
    now = to_seoul(utcnow())
    first_day = (now + timedelta(days=14)).date()
    browser = launch_browser()
    staff = browser.new_page()
    log_in_by_phone(staff, served_url, office.staff_phone)

    staff.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="운영 관리").click()
    staff.get_by_role("link", name="교육장·강의실").click()
    staff.locator("main").get_by_role("link", name="교육장 더하기").click()
    staff.get_by_label("교육장 이름").fill("평생스마트교육장")
    staff.get_by_label("주소").fill("서울 영등포구 대림3동")
    staff.get_by_label("전화번호 (선택)").fill("02-2670-1234")
    save(staff)
    assert "평생스마트교육장을(를) 저장했습니다." in flash(staff)

    staff.get_by_role("link", name="강의실 더하기").click()
    staff.get_by_label("강의실 이름").fill("강의실 1")
    staff.get_by_label("좌석 수").fill("28")
    staff.get_by_label("PC 수 (선택)").fill("28")
    save(staff)
    assert "강의실 1을(를) 저장했습니다." in flash(staff)

    staff.get_by_role("link", name="과정", exact=True).click()
    staff.locator("main").get_by_role("link", name="과정 더하기").click()
    staff.get_by_label("과정 이름").fill(TITLE)
    staff.get_by_label("분야").select_option(label="컴퓨터")
    staff.get_by_label("소개 (선택)").fill("생성형 AI와 대화해 봅니다.")
    staff.get_by_label("기본 교육 시간 (선택)").fill("8")
    save(staff)
    assert f"{TITLE} 과정을 저장했습니다." in flash(staff)

    staff.get_by_role("row", name=TITLE).get_by_role("link", name="강좌 열기").click()
    staff.get_by_label("강의실").select_option(label="평생스마트교육장 강의실 1 (28석)")
    staff.get_by_label("정원").fill("20")
    staff.get_by_label("신청 시작").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("신청 마감").fill((now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    save(staff, "강좌 만들기")
    assert f"{TITLE} 1기을(를) 만들었습니다." in flash(staff)

    staff.get_by_label("첫 수업일").fill(first_day.isoformat())
    weekday = first_day.isoweekday()
    staff.locator(f"input[name=weekdays][value='{weekday}']").check()
    staff.get_by_label("시작 시각").first.fill("10:00")
    staff.get_by_label("끝 시각").first.fill("12:00")
    staff.get_by_label("수업 횟수").fill("4")
    save(staff, "만들 날짜 미리 보기")
    preview = staff.locator("#preview-heading").inner_text()
    assert preview.startswith("만들 수업 4회")
    save(staff, "이대로 수업 4회 만들기")
    assert "수업 4회를 만들었습니다." in flash(staff)
    assert staff.locator("main table tbody tr").count() == 4

    resident = browser.new_context().new_page()
    log_in_by_phone(resident, served_url, office.resident_phone)
    resident.goto(f"{served_url}/")
    resident.get_by_role("link", name=f"{TITLE} 1기", exact=True).click()
    save(resident, "신청하기")
    assert "수강이 확정되었습니다." in resident.locator("main").inner_text()
