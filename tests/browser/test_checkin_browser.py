"""The check-in screen in a real Chromium: the camera, a keyboard-wedge scanner, and scans made
while the network is down.

Headless Chromium on Linux has no working BarcodeDetector, so the camera test goes through the
server-side decode: the page posts camera frames to /frame and the server reads them with
zxing-cpp."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.checkin.models import Attendance, AttendanceStatus, CheckInMethod
from training.enrollment.models import Enrollment

from .conftest import PASSWORD
from .fake_camera import fake_camera_args

try:
    from playwright.sync_api import expect
except ImportError:  # every test here is skipped by the conftest
    expect = None

# The served app answers from threads and connections of its own.
pytestmark = pytest.mark.real_commits

SCREENSHOT = "/tmp/checkin_camera.png"
PRESENT = re.compile(r"\bscan-present\b")
ALREADY = re.compile(r"\bscan-already\b")


def attendances(db, door, person_id: int | None = None) -> list[Attendance]:
    """A resident's attendance rows for the session (the first resident unless another is
    named), read fresh; the session is closed after so that no read transaction stays open
    while the served app writes."""
    try:
        rows = db.session.scalars(
            select(Attendance)
            .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
            .where(
                Attendance.session_id == door.session_id,
                Enrollment.person_id == (person_id or door.resident_id),
            )
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows
    finally:
        db.session.close()


def roster_status(page, live_server, door, name: str | None = None) -> str | None:
    """A resident's status as GET .../state reports it to the logged-in page."""
    response = page.request.get(f"{live_server}/checkin/sessions/{door.session_id}/state")
    assert response.ok, response.text()
    name = name or door.resident_name
    lines = [line for line in response.json()["roster"] if line["name"] == name]
    assert len(lines) == 1
    return lines[0]["status"]


def shows_present(page, name: str, timeout: float) -> None:
    """Wait until the result box says, in the colour for it, that this person is present."""
    page.wait_for_function(
        """name => {
            const box = document.getElementById("result");
            return box.classList.contains("scan-present") && box.textContent.includes(name);
        }""",
        arg=name,
        timeout=timeout,
    )


def scanner_types(page, token: str, gap_ms: int = 25) -> None:
    """Type as a keyboard-wedge scanner does: a key every few tens of ms, Shift held for each
    capital letter, then Enter."""
    for char in token:
        if char.isupper():
            page.keyboard.down("Shift")
            page.keyboard.press(char)
            page.keyboard.up("Shift")
        else:
            page.keyboard.press(char)
        page.wait_for_timeout(gap_ms)
    page.keyboard.press("Enter")


@pytest.fixture
def door_screen(live_server, door, launch_browser, log_in):
    """The instructor's door screen for ``door``'s session, open in a new browser."""
    page = launch_browser().new_page()
    log_in(page)
    open_screen(page, live_server, door)
    return page


def open_screen(page, live_server, door) -> None:
    page.goto(f"{live_server}/checkin/sessions/{door.session_id}")
    expect(page.locator("#result")).to_have_class(re.compile(r"\bscan-idle\b"))


def test_camera_checks_in_without_a_click_on_the_page_after_starting_it(
    live_server, door, db, launch_browser, fake_camera_video, log_in
):
    """One click starts the camera (the page's start button); from then on no click: the
    person held up to it is checked in, and then the next person in line."""
    browser = launch_browser(*fake_camera_args(fake_camera_video))
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    frames = []
    page.on(
        "request",
        lambda request: frames.append(request.url) if request.url.endswith("/frame") else None,
    )
    log_in(page)
    open_screen(page, live_server, door)

    page.click("#camera-start")

    for name in (door.resident_name, door.next_name):
        shows_present(page, name, timeout=15_000)
    expect(page.locator("#camera")).to_be_visible()
    for person_id, name in ((door.resident_id, door.resident_name), (door.next_id, door.next_name)):
        rows = attendances(db, door, person_id)
        assert len(rows) == 1, name
        assert rows[0].status is AttendanceStatus.PRESENT
        assert rows[0].method is CheckInMethod.CAMERA
        assert roster_status(page, live_server, door, name) == "present"
    detector = page.evaluate(
        """async () => 'BarcodeDetector' in window && window.BarcodeDetector.getSupportedFormats
              ? (await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')
              : false"""
    )
    if not detector:
        assert frames, "no camera frame was sent to the server"
    # The page's own roster and counts catch up (they refresh after each scan).
    expect(page.locator("#count-present")).to_have_text("2", timeout=10_000)
    for name in (door.resident_name, door.next_name):
        line = page.locator(".roster-line", has_text=name)
        expect(line.locator('[data-role="status"]')).to_have_class(
            re.compile(r"\bstatus-present\b"), timeout=10_000
        )
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.click("#camera-stop")


def test_keyboard_scanner_types_pass_and_enter(
    live_server, door, db, launch_browser, log_in, audit
):
    browser = launch_browser()
    page = browser.new_page()
    log_in(page)
    open_screen(page, live_server, door)
    assert audit(page, "door screen") == []
    assert page.evaluate("document.activeElement && document.activeElement.id") == "scan-input"

    page.keyboard.type(door.token + "\n")
    shows_present(page, door.resident_name, timeout=10_000)
    assert audit(page, "door screen after a scan") == []
    result = page.locator("#result")
    assert page.locator("#scan-input").input_value() == ""
    rows = attendances(db, door)
    assert len(rows) == 1
    assert rows[0].status is AttendanceStatus.PRESENT
    assert rows[0].method is CheckInMethod.SCANNER

    # The same pass again straight away (the person was not sure it beeped): told on screen.
    page.keyboard.type(door.token + "\n")
    expect(result).to_have_class(ALREADY, timeout=10_000)
    expect(result).to_contain_text("이미 출석")
    expect(result).to_contain_text(door.resident_name)
    assert len(attendances(db, door)) == 1
    assert roster_status(page, live_server, door) == "present"


def test_a_scan_right_after_tapping_a_name_checks_in_the_scanned_pass(
    live_server, door, db, door_screen
):
    page = door_screen
    tapped = page.locator(f'.roster-line:has-text("{door.resident_name}") .js-manual')
    tapped.click()
    shows_present(page, door.resident_name, timeout=10_000)
    assert page.evaluate("document.activeElement.classList.contains('js-manual')")

    # The focus is still on the tapped button: the scanner's Enter must not press it again.
    # A slow scanner (or a busy tablet): keys 150 ms apart.
    scanner_types(page, door.next_token, gap_ms=150)

    shows_present(page, door.next_name, timeout=10_000)
    assert len(attendances(db, door, door.next_id)) == 1
    assert attendances(db, door, door.next_id)[0].method is CheckInMethod.SCANNER
    page.wait_for_timeout(500)
    expect(page.locator("#result")).to_contain_text(door.next_name)


def test_a_scan_while_searching_a_name_checks_in_and_leaves_the_search_as_it_was(
    live_server, door, db, door_screen
):
    page = door_screen
    search = page.locator("#roster-search")
    search.click()
    search.press_sequentially(door.resident_name[:2], delay=120)
    expect(page.locator(f'.roster-line:has-text("{door.next_name}")')).to_be_hidden()

    scanner_types(page, door.next_token)

    shows_present(page, door.next_name, timeout=10_000)
    assert search.input_value() == door.resident_name[:2]
    expect(page.locator(f'.roster-line:has-text("{door.next_name}")')).to_be_hidden()
    assert len(attendances(db, door, door.next_id)) == 1
    assert attendances(db, door) == []


def test_an_instructor_checks_a_name_in_with_the_keyboard_alone(live_server, door, db, door_screen):
    page = door_screen
    page.locator("#roster-search").focus()
    page.keyboard.type(door.next_name[:2], delay=150)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('js-manual')"):
            break

    page.keyboard.press("Enter")

    shows_present(page, door.next_name, timeout=10_000)
    assert attendances(db, door, door.next_id)[0].method is CheckInMethod.MANUAL


def test_offline_scans_are_sent_when_back(live_server, door, db, launch_browser, log_in):
    browser = launch_browser()
    context = browser.new_context()
    page = context.new_page()
    log_in(page)
    open_screen(page, live_server, door)
    offline_message = page.locator("#checkin").get_attribute("data-msg-offline")

    context.set_offline(True)
    scanned = datetime.now(UTC)
    page.keyboard.type(door.token + "\n")
    queue = page.locator("#queue")
    expect(queue).to_be_visible(timeout=10_000)
    expect(queue).to_contain_text("1")
    expect(page.locator("#result")).to_have_text(offline_message)
    assert page.evaluate(f"JSON.parse(localStorage.getItem('checkin-queue-{door.session_id}'))")
    assert attendances(db, door) == []

    # A few seconds pass before the network is back, so that the scan time and the time it
    # reached the server differ.
    page.wait_for_timeout(3_000)
    context.set_offline(False)
    expect(queue).to_be_hidden(timeout=15_000)
    shows_present(page, door.resident_name, timeout=5_000)

    rows = attendances(db, door)
    assert len(rows) == 1
    attendance = rows[0]
    assert attendance.status is AttendanceStatus.PRESENT
    assert abs(attendance.checked_in_at - scanned) < timedelta(seconds=2)
    assert attendance.recorded_at - attendance.checked_in_at >= timedelta(seconds=2.5)
    assert roster_status(page, live_server, door) == "present"
    assert page.evaluate(f"localStorage.getItem('checkin-queue-{door.session_id}')") == "[]"


def test_a_refused_walk_in_hands_the_focus_to_the_reason_field(
    live_server, door, db, make_person, launch_browser
):
    staff = make_person(role=Role.STAFF, name="정담당", password=PASSWORD)
    # An instructor's account is not a resident's: the resident run refuses it.
    outsider = make_person(role=Role.INSTRUCTOR, name="최외부", password=PASSWORD)
    staff_phone, outsider_phone = staff.phone, outsider.phone
    db.session.commit()
    db.session.close()
    page = launch_browser().new_page()
    page.goto(f"{live_server}/login")
    page.fill("#phone", staff_phone)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    open_screen(page, live_server, door)

    walk_in = page.locator("form[action$='/walk-in']")
    walk_in.locator("input[name=phone]").fill(outsider_phone)
    with page.expect_navigation():
        walk_in.get_by_role("button").click()

    reason = page.locator("[name=override_reason]")
    expect(page.get_by_role("alert").filter(has_text="구민 계정")).to_be_visible()
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
