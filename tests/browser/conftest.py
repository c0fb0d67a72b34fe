"""Real-browser tests of the check-in screen: Debian's Chromium driven by playwright.

Every test here is skipped, with the reason said plainly, when no Chromium is found (the
CHROMIUM environment variable, then /usr/bin/chromium, /usr/bin/chromium-browser, then
``chromium`` on the PATH) or when the playwright package is missing. Playwright's own browser
download is never used: Chromium is always launched by its path.

Fixtures: ``door`` (an instructor, two residents and a session in progress now, committed),
``served_url`` (the app served over HTTP on 127.0.0.1, on whatever the test put in the
database), ``live_server`` (the same with ``door``'s data), ``launch_browser`` (Chromium with the
given extra arguments, closed before the server stops), ``log_in`` and ``fake_camera_video``."""

import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from training import create_app
from training.accounts.models import Role
from training.clock import to_seoul
from training.extensions import db as _db
from training.passes.tokens import make_pass_token

from .fake_camera import qr_frame, write_y4m

HERE = Path(__file__).resolve().parent
SECRET_KEY = "test"
PASSWORD = "password123"

CHROMIUM_MISSING = "Chromium not found: browser tests skipped (install Debian's chromium)"
PLAYWRIGHT_MISSING = "playwright is not installed: browser tests skipped (pip install -e '.[dev]')"

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM, then Debian's usual paths, then the PATH."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).is_file() else shutil.which(named)
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


CHROMIUM = find_chromium()
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None


def skip_reason() -> str | None:
    if CHROMIUM is None:
        return CHROMIUM_MISSING
    if not HAVE_PLAYWRIGHT:
        return PLAYWRIGHT_MISSING
    return None


def pytest_collection_modifyitems(config, items):
    """Skip this folder's tests, before any fixture runs, when they cannot run here."""
    reason = skip_reason()
    if reason is None:
        return
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(marker)


@dataclass
class Door:
    """What the browser tests need to know about the data ``door`` committed."""

    session_id: int
    instructor_phone: str
    resident_id: int
    resident_name: str
    token: str
    # A second resident, the next in line at the camera.
    next_id: int
    next_name: str
    next_token: str


@pytest.fixture
def door(app, db, make_person, make_run, make_enrollment) -> Door:
    """An instructor teaching a session that began five minutes ago and ends in two hours,
    with two residents confirmed in the run; committed, and the test's session closed so that
    the served app is free to write (SQLite allows one writer at a time)."""
    now = datetime.now(UTC)
    starts = now - timedelta(minutes=5)
    instructor = make_person(role=Role.INSTRUCTOR, name="김강사", password=PASSWORD)
    resident = make_person(name="이출석", password=PASSWORD)
    next_in_line = make_person(name="박다음", password=PASSWORD)
    run = make_run(
        capacity=10,
        sessions=1,
        starts_on=to_seoul(starts).date(),
        opens_at=now - timedelta(days=14),
        closes_at=now - timedelta(days=1),
        title="스마트폰 출석 시험",
    )
    run.instructor_id = instructor.id
    session = run.sessions[0]
    session.starts_at = starts
    session.ends_at = now + timedelta(hours=2)
    make_enrollment(run, resident)
    make_enrollment(run, next_in_line)
    db.session.commit()
    found = Door(
        session_id=session.id,
        instructor_phone=instructor.phone,
        resident_id=resident.id,
        resident_name=resident.name,
        token=make_pass_token(resident.id, resident.pass_version, SECRET_KEY),
        next_id=next_in_line.id,
        next_name=next_in_line.name,
        next_token=make_pass_token(next_in_line.id, next_in_line.pass_version, SECRET_KEY),
    )
    db.session.close()
    return found


@pytest.fixture
def live_server(door, served_url):
    """``served_url`` with ``door``'s data in the database."""
    return served_url


@pytest.fixture
def served_config() -> dict:
    """Settings the served app takes besides the tests' own; a test module may override it."""
    return {}


@pytest.fixture
def served_url(app, database_url, tmp_path, served_config):
    """The app served over real HTTP on 127.0.0.1 (a free port), in a daemon thread; yields the
    base URL and stops the server after the test.

    Two apps are at work. The ``app`` fixture from tests/conftest.py empties every table
    before the test and keeps its app context pushed, so the test (and ``door``) reads and
    writes the database through the ORM; but it turns CSRF off. The browser must meet the app
    as people do, CSRF on (the page sends X-CSRFToken with every scan), so a second app is
    built here on the same database for serving. Each request is handled in its own thread with
    its own app context and database session."""
    served = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT": False,
            "TESTING": True,
            **served_config,
        }
    )
    served.instance_path = str(tmp_path)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with served.app_context():
            _db.engine.dispose()
        # The test's own session may have read since; leave nothing open for the teardown.
        _db.session.close()


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture
def launch_browser(playwright_driver, served_url):
    """Launch Chromium (headless) with the common arguments plus any given; every browser is
    closed at the end of the test, before the server stops."""
    browsers = []

    def launch(*extra_args: str):
        browser = playwright_driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*BROWSER_ARGS, *extra_args],
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def fake_camera_video(door, tmp_path) -> Path:
    """A Y4M video for Chromium's fake camera: the resident's QR pass for two seconds, then
    the next resident's for two seconds, looped by Chromium."""
    frames = [qr_frame(door.token), qr_frame(door.next_token)]
    return write_y4m(tmp_path / "passes.y4m", frames, frames=20, fps=10)


@pytest.fixture
def log_in(live_server, door):
    """Log a page in as the instructor through the login form."""

    def log_in_as_instructor(page) -> None:
        page.goto(f"{live_server}/login")
        page.fill("#phone", door.instructor_phone)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="로그인").click()
        assert "/login" not in page.url, "the instructor could not log in"

    return log_in_as_instructor


AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = (
    "axe-core is not installed: run `python3 dev.py test` (npm ci in tests/browser) for the"
    " accessibility audit"
)
# What the audit holds against a page; minor and moderate findings are counted and printed.
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture
def audit(record_property):
    """Run axe-core on a page: returns its serious and critical violations (id, impact, help,
    the first offending elements) and records the page's counts, which the suite prints at the
    end (tests/conftest.py). Skips the test when axe-core was not installed."""
    if not AXE.exists():
        pytest.skip(AXE_MISSING)
    audited: list[str] = []

    source = AXE.read_text()

    def run_axe(page, name: str) -> list[dict]:
        # Evaluated, not added as a script tag, which the pages' CSP would refuse.
        page.evaluate(source)
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, { resultTypes: ["violations"] });
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
                }));
            }"""
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        audited.append(
            f"{name}: {len(violations)} violation(s), {len(blocking)} serious or critical"
            + "".join(f"\n      {v['impact']} {v['id']}: {v['nodes']}" for v in violations)
        )
        return blocking

    yield run_axe
    for line in audited:
        record_property("axe", line)


def fits_the_width(page) -> bool:
    """Whether the page needs no horizontal scrolling at its viewport's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def log_in_by_phone(page, base: str, phone: str) -> None:
    """Log a page in through the log-in form with the tests' password."""
    page.goto(f"{base}/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    assert "/login" not in page.url, "could not log in"
