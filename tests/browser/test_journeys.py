"""Whole journeys through the pages in a real Chromium, as the people who use them go:

- a resident on a 390 px phone signs up, filters the catalogue, enrolls, lands on a waiting
  list, is promoted when the person ahead cancels, opens the pass and downloads a certificate,
  in Korean and again in English;
- staff at the desk enroll a walk-in senior, print the pass card, draw a lottery and export the
  month's statistics;
- the same resident pages with the keyboard alone, and at 200% zoom on a phone's width.

axe-core audits every page visited: no serious or critical violation. Each page's counts are
printed at the end of the run."""

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from openpyxl import load_workbook
from sqlalchemy import select

from training.accounts.models import Person, Role
from training.catalog.models import Category, CourseRun, Selection
from training.clock import to_seoul, utcnow
from training.enrollment.models import Channel, EnrollmentStatus

from .conftest import PASSWORD, fits_the_width, log_in_by_phone

try:
    from playwright.sync_api import expect
except ImportError:  # every test here is skipped by the conftest
    expect = None

pytestmark = pytest.mark.real_commits

TRANSLATIONS = Translations.load(
    str(Path(__file__).resolve().parents[2] / "training" / "translations"), ["en"]
)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
# A 390 px phone with the text zoomed to 200%: the page gets half the CSS pixels.
PHONE_AT_200 = {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 4}
FULL_TITLE = "스마트폰 사진 정리"
LOTTERY_TITLE = "키오스크 주문 연습"
ENDED_TITLE = "컴퓨터 첫걸음"
NEWCOMER_PHONE = "010-7777-0001"


@pytest.fixture
def served_config() -> dict:
    # Certificates and passes print links under the public address.
    return {"PUBLIC_URL": "https://edu.example.kr"}


@dataclass
class Programme:
    staff_phone: str
    ahead_phone: str
    keyboard_phone: str
    full_run_id: int
    lottery_run_id: int
    ended_run_id: int


@pytest.fixture
def programme(app, db, make_person, make_run, make_enrollment) -> Programme:
    """A first-come run whose one seat another resident holds, a lottery whose sign-up has
    closed with three applications, and a run that ended last month; committed."""
    now = utcnow()
    staff = make_person(role=Role.STAFF, name="정담당", password=PASSWORD)
    ahead = make_person(name="박먼저", password=PASSWORD, birth_year=1958)
    keyboard_user = make_person(name="윤키보드", password=PASSWORD, birth_year=1952)
    full = make_run(
        capacity=1,
        starts_on=to_seoul(now + timedelta(days=21)).date(),
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=5),
        title=FULL_TITLE,
    )
    full.room.venue.phone = "02-2670-3470"
    make_enrollment(full, ahead)
    lottery = make_run(
        capacity=2,
        selection=Selection.LOTTERY,
        starts_on=to_seoul(now + timedelta(days=10)).date(),
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(hours=1),
        title=LOTTERY_TITLE,
    )
    lottery.course.category = Category.KIOSK
    for name in ("추첨일", "추첨이", "추첨삼"):
        make_enrollment(lottery, make_person(name=name), status=EnrollmentStatus.APPLIED)
    ended = make_run(
        capacity=10,
        sessions=2,
        starts_on=to_seoul(now - timedelta(days=40)).date(),
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=45),
        title=ENDED_TITLE,
    )
    ended.course.category = Category.COMPUTER
    db.session.commit()
    found = Programme(
        staff_phone=staff.phone,
        ahead_phone=ahead.phone,
        keyboard_phone=keyboard_user.phone,
        full_run_id=full.id,
        lottery_run_id=lottery.id,
        ended_run_id=ended.id,
    )
    db.session.close()
    return found


def words(locale: str):
    """The page's words in the locale: Korean as written, English from the app's catalogue."""
    if locale == "ko":
        return lambda text: text
    return TRANSLATIONS.gettext


# Links, buttons, menus and checkboxes of the page under 44 CSS pixels tall (seniors' fingers).
SMALL_TARGETS = """() => [...document.querySelectorAll(
        'main a, main button, main summary, main label.check, .site-footer a')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.height > 0 && r.height < 44; })
    .slice(0, 5).map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 24))"""


class Audit:
    """axe-core and the width check on every page a journey visits; the findings at the end."""

    def __init__(self, run_axe):
        self.run_axe = run_axe
        self.findings: list[str] = []

    def page(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        for violation in self.run_axe(page, name):
            self.findings.append(f"{name}: {violation['id']} ({violation['help']})")
        if not fits_the_width(page):
            self.findings.append(f"{name}: scrolls sideways at {page.viewport_size['width']} px")
        if page.locator('[aria-describedby="None"], [aria-describedby=""]').count():
            self.findings.append(f"{name}: a field described by nothing (aria-describedby)")
        small = page.evaluate(SMALL_TARGETS)
        if small:
            self.findings.append(f"{name}: targets under 44 px tall: {small}")

    def assert_clean(self) -> None:
        assert not self.findings, "\n".join(self.findings)


def go_to(page, name: str) -> None:
    """Follow a link of the main menu, opening it first where a phone keeps it behind 메뉴."""
    narrow = page.locator(".nav-narrow")
    if narrow.is_visible():
        if narrow.get_attribute("open") is None:
            narrow.locator("summary").click()
        narrow.get_by_role("link", name=name, exact=True).click()
    else:
        page.locator(".nav-wide").get_by_role("link", name=name, exact=True).click()


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=name, exact=True).click()


def complete_ended_run(db, make_enrollment, programme: Programme, phone: str) -> None:
    """Staff's part, out of the journey: the newcomer took last month's course and completed."""
    person = db.session.scalar(select(Person).where(Person.phone == phone.replace("-", "")))
    assert person is not None, "the sign-up did not create the account"
    make_enrollment(
        db.session.get(CourseRun, programme.ended_run_id),
        person,
        channel=Channel.DESK,
        created_at=utcnow() - timedelta(days=50),
        confirmed_at=utcnow() - timedelta(days=50),
        completed_at=utcnow() - timedelta(days=30),
    )
    db.session.commit()
    db.session.close()


def opened_pdf(page, control) -> bytes:
    """Press a link or button that opens a PDF (in the browser's viewer, as on a phone) and
    return the file, fetched again with the page's cookies from the address the viewer got."""
    with page.expect_response(lambda answer: answer.url.split("?")[0].endswith(".pdf")) as answer:
        control.click()
    assert answer.value.headers["content-type"] == "application/pdf"
    content = page.context.request.get(answer.value.url).body()
    assert content.startswith(b"%PDF")
    return content


def posted_pdf(page, button) -> bytes:
    """Press a button whose form posts for a PDF in a new tab; return the file, posted again
    with the page's cookies and the form's own fields (the viewer keeps the bytes to itself)."""
    form = button.locator("xpath=ancestor::form")
    action = form.evaluate("f => f.action")
    fields = form.evaluate("f => Object.fromEntries(new FormData(f))")
    with page.context.expect_page() as opened:
        button.click()
    opened.value.wait_for_load_state()
    assert opened.value.url == action
    answer = page.context.request.post(action, form=fields)
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")
    return answer.body()


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "download.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_resident_on_a_phone_signs_up_waits_is_promoted_and_gets_a_certificate(
    programme, served_url, launch_browser, audit, db, make_enrollment, tmp_path, locale
):
    t = words(locale)
    check = Audit(audit)
    browser = launch_browser()
    phone = browser.new_context(**PHONE, accept_downloads=True)
    page = phone.new_page()

    page.goto(f"{served_url}/?lang={locale}")
    check.page(page, f"{locale} catalogue")
    go_to(page, t("회원가입"))
    check.page(page, f"{locale} sign-up")
    page.get_by_label(t("이름")).fill("최새내")
    page.get_by_label(t("휴대전화 번호")).fill(NEWCOMER_PHONE)
    page.get_by_label(t("태어난 해")).fill("1955")
    page.get_by_label(t("사는 동")).select_option("문래동")
    page.get_by_label(t("비밀번호"), exact=True).fill(PASSWORD)
    page.get_by_label(t("비밀번호 확인")).fill(PASSWORD)
    page.get_by_label(t("위 내용을 읽었으며 개인정보 수집·이용에 동의합니다. (필수)")).check()
    submit(page, t("가입하기"))
    expect(page.locator(".flashes")).to_contain_text(
        t("가입되었습니다. 원하는 강좌를 골라 신청해 보세요.")
    )

    # Find the run through the filters, as a resident who wants a smartphone course would.
    page.goto(f"{served_url}/")
    page.locator("summary", has_text=t("조건으로 찾기")).click()
    page.get_by_label(t("분야")).select_option("smartphone")
    submit(page, t("찾기"))
    check.page(page, f"{locale} catalogue, filtered")
    cards = page.locator(".card")
    expect(cards).to_have_count(1)
    cards.get_by_role("link", name=t("자세히 보고 신청")).click()
    check.page(page, f"{locale} course page")
    submit(page, t("대기 신청하기"))
    check.page(page, f"{locale} my enrollments, waiting")
    waiting = page.locator(".card", has_text=FULL_TITLE).locator(".status")
    expect(waiting).to_contain_text(t("대기 %(n)d번") % {"n": 1})

    # The resident ahead cancels from their own phone: the seat passes on at once.
    ahead = browser.new_context(**PHONE).new_page()
    log_in_by_phone(ahead, served_url, programme.ahead_phone)
    go_to(ahead, "내 신청")
    ahead.get_by_role("link", name=re.compile("신청 취소")).click()
    check.page(ahead, "ko cancel page")
    submit(ahead, "네, 취소합니다")

    page.reload()
    card = page.locator(".card", has_text=FULL_TITLE)
    expect(card.locator(".status")).to_contain_text({"ko": "확정", "en": "Confirmed"}[locale])
    check.page(page, f"{locale} my enrollments, promoted")

    go_to(page, t("출석 패스"))
    check.page(page, f"{locale} pass")
    expect(page.locator(".pass-qr svg")).to_be_visible()

    complete_ended_run(db, make_enrollment, programme, NEWCOMER_PHONE)
    go_to(page, t("내 신청"))
    content = opened_pdf(
        page, page.get_by_role("button", name=re.compile(re.escape(t("수료증 내려받기 (PDF)"))))
    )
    text = pdf_text(content, tmp_path)
    assert "최새내" in text and ENDED_TITLE in text

    check.assert_clean()


def test_staff_at_the_desk_enroll_a_walk_in_print_the_pass_draw_and_export(
    programme, served_url, launch_browser, audit, tmp_path
):
    check = Audit(audit)
    browser = launch_browser()
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = desk.new_page()
    log_in_by_phone(page, served_url, programme.staff_phone)

    go_to(page, "접수 창구")
    check.page(page, "desk runs")
    page.get_by_role("link", name=f"{FULL_TITLE} 1기").click()
    check.page(page, "desk run roster")
    form = page.locator("form", has=page.get_by_role("button", name="등록하고 신청"))
    form.get_by_label("이름").fill("한어르신")
    form.get_by_label("휴대전화 번호").fill("010-7777-0002")
    form.get_by_label("태어난 해").fill("1948")
    form.get_by_label("사는 동").select_option("당산1동")
    form.get_by_label(re.compile("동의를 받았습니다")).check()
    submit(page, "등록하고 신청")
    expect(page.locator("main")).to_contain_text("한어르신님: 자리가 모두 찼습니다. 대기 1번")
    check.page(page, "desk newcomer's set-up code")
    card = posted_pdf(page, page.get_by_role("button", name="출석 패스 카드로 인쇄 (PDF)"))
    assert "한어르신" in pdf_text(card, tmp_path)

    page.goto(f"{served_url}/desk/runs/{programme.lottery_run_id}")
    page.get_by_role("link", name="추첨하기").click()
    check.page(page, "desk lottery")
    page.get_by_label("메모 (선택)").fill("신청자 1명 참관")
    submit(page, "추첨하기")
    expect(page.locator(".flashes")).to_be_visible()
    check.page(page, "desk roster after the draw")
    confirmed = page.locator("table[aria-labelledby='roster-confirmed'] tbody tr")
    expect(confirmed).to_have_count(2)

    go_to(page, "통계")
    check.page(page, "statistics")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("XLSX")).first.click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.sheetnames[0] == "요약"

    check.assert_clean()


def test_a_resident_enrolls_with_the_keyboard_alone(programme, served_url, launch_browser):
    browser = launch_browser()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{served_url}/login")

    def tab_to(predicate: str, limit: int = 80) -> None:
        """Press Tab until the focused element meets the predicate (JavaScript over e)."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(e => {predicate})(document.activeElement)"):
                return
        raise AssertionError(f"Tab never reached: {predicate}")

    def press_enter() -> None:
        with page.expect_navigation():
            page.keyboard.press("Enter")

    tab_to("e.id === 'phone'")
    page.keyboard.type(programme.keyboard_phone)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_enter()
    # The menu sits behind 메뉴 on a phone: Enter opens it, then Tab reaches its links.
    tab_to("e.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    tab_to("e.textContent.includes('강좌 찾기') && e.tagName === 'A'")
    press_enter()
    tab_to("e.textContent.includes('자세히 보고 신청')")
    press_enter()
    assert f"/runs/{programme.full_run_id}" in page.url
    tab_to("e.tagName === 'BUTTON' && e.textContent.includes('대기 신청하기')")
    press_enter()

    assert "/me" in page.url
    expect(page.locator(".card", has_text=FULL_TITLE).locator(".status")).to_contain_text(
        "대기 1번"
    )


def test_staff_enroll_a_caller_by_phone_number_with_the_keyboard_alone(
    programme, served_url, launch_browser
):
    page = launch_browser().new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in_by_phone(page, served_url, programme.staff_phone)
    page.goto(f"{served_url}/desk/runs/{programme.full_run_id}")

    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "registered-phone":
            break
    else:
        raise AssertionError("Tab never reached the phone field")
    page.keyboard.type(programme.keyboard_phone)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    waiting = page.locator("table[aria-labelledby='roster-waitlisted'] tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("윤키보드")


def test_resident_pages_need_no_sideways_scrolling_at_200_percent_zoom(
    programme, served_url, launch_browser
):
    browser = launch_browser()
    page = browser.new_context(**PHONE_AT_200).new_page()
    wide = []

    def visit(path: str) -> None:
        page.goto(served_url + path)
        if not fits_the_width(page):
            wide.append(f"{path}: " + page.evaluate(WIDEST))

    for path in ("/login", "/signup", "/setup"):
        visit(path)
    log_in_by_phone(page, served_url, programme.ahead_phone)
    for path in ("/", f"/runs/{programme.full_run_id}", "/me", "/me/pass", "/me/account"):
        visit(path)

    assert not wide, wide


def test_the_header_stays_one_line_on_a_phone_and_its_menu_opens(
    programme, served_url, launch_browser
):
    page = launch_browser().new_context(**PHONE).new_page()
    log_in_by_phone(page, served_url, programme.staff_phone)

    brand = page.locator(".brand").bounding_box()
    menu = page.locator(".nav-narrow summary").bounding_box()
    assert abs(menu["y"] - brand["y"]) < brand["height"], (brand, menu)
    assert page.locator(".site-header").bounding_box()["height"] < 90
    expect(page.get_by_role("link", name="접수 창구")).to_be_hidden()

    page.locator(".nav-narrow summary").click()

    expect(page.get_by_role("link", name="접수 창구")).to_be_visible()
    page.get_by_role("link", name="접수 창구").click()
    assert page.url.endswith("/desk/")


def test_staff_tables_on_a_phone_are_reached_and_scrolled_with_the_keyboard(
    programme, served_url, launch_browser, audit
):
    check = Audit(audit)
    page = launch_browser().new_context(**PHONE).new_page()
    log_in_by_phone(page, served_url, programme.staff_phone)

    for path, name in (
        ("/desk/stats?from=2022-01&to=2022-12&audience=all", "statistics on a phone"),
        (f"/desk/runs/{programme.lottery_run_id}", "desk roster on a phone"),
    ):
        page.goto(served_url + path)
        check.page(page, name)
        wraps = page.locator(".table-wrap")
        assert wraps.count() > 0
        for index in range(wraps.count()):
            wrap = wraps.nth(index)
            assert wrap.get_attribute("tabindex") == "0"
            assert wrap.get_attribute("aria-labelledby") or wrap.get_attribute("aria-label")

    wide = page.locator(".table-wrap").first
    wide.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    # Arrow keys scroll the focused table (smoothly, so give it a moment).
    page.wait_for_function(
        "e => e.scrollWidth <= e.clientWidth || e.scrollLeft > 0", arg=wide.element_handle()
    )
    check.assert_clean()


def test_the_keyboard_focus_ring_stands_out_on_white(served_url, launch_browser):
    page = launch_browser().new_page()
    page.goto(f"{served_url}/login")
    page.locator("#phone").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")

    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineColor, parseFloat(s.outlineWidth)]; }"""
    )

    style, colour, width = ring
    assert style == "solid" and width >= 2
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    assert contrast_with_white(red, green, blue) >= 3, ring


def contrast_with_white(red: int, green: int, blue: int) -> float:
    """WCAG's contrast ratio of a colour against white."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return 1.05 / (luminance + 0.05)


# The elements that reach past the right edge, for the message.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 4).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).join(', ')"""


def test_the_audit_finds_what_it_should(served_url, launch_browser, audit):
    """The audit itself: a page with an unlabelled field and an image without text fails."""
    page = launch_browser().new_page()
    page.set_content('<html lang="ko"><body><main><img src="x.png"><input></main></body></html>')

    found = {violation["id"] for violation in audit(page, "a broken page, on purpose")}

    assert {"image-alt", "label"} <= found
