"""Screenshots of the key pages for README, made from the demo data in a real Chromium.

    python3 dev.py screenshots            # writes docs/screenshots/*.png

Builds a temporary database with the demo (`flask db upgrade`, `flask seed-demo`), serves it
with gunicorn on a free local port, and photographs, logged in as the demo accounts:

- the catalogue on a 390 px phone (catalogue-phone.png);
- a resident's enrollments and QR pass on the phone (my-page-phone.png, pass-phone.png);
- the door screen of the class in progress on a tablet (door-screen-tablet.png);
- the statistics page for January–August 2022 (statistics.png);
- a certificate of August 2022, written by `flask certificates` and rasterized with pdftoppm
  (certificate.png).

Needs Debian's chromium (or CHROMIUM) and poppler-utils; the folder's old images are replaced."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PYTHON = sys.executable
PASSWORD = "demo1234!"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
ACCOUNTS = {
    "staff": "010-0000-0002",
    "instructor": "010-0000-0003",
    "resident": "010-0000-0004",
}


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def chromium() -> str:
    """The Chromium dev.py found (CHROMIUM)."""
    found = os.environ.get("CHROMIUM")
    if not found:
        sys.exit("Run it with python3 dev.py screenshots, which finds Chromium, or set CHROMIUM.")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(environment: dict, *args: str) -> None:
    subprocess.run(
        [PYTHON, "-m", "flask", "--app", "training", *args],
        cwd=ROOT,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def served(environment: dict, port: int):
    """gunicorn on the port until the block ends."""
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("the server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def log_in(context, base: str, phone: str):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    return page


def shoot(page, name: str, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    say(f"{path.relative_to(ROOT)}")


def photograph(base: str, folder: Path, environment: dict) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        page.goto(base + "/")
        shoot(page, "catalogue-phone.png")

        resident = log_in(browser.new_context(**PHONE), base, ACCOUNTS["resident"])
        resident.goto(base + "/me")
        shoot(resident, "my-page-phone.png")
        resident.goto(base + "/me/pass")
        shoot(resident, "pass-phone.png")

        door = log_in(browser.new_context(**TABLET), base, ACCOUNTS["instructor"])
        door.goto(base + "/checkin/")
        door.locator("main a[href*='/checkin/sessions/']").first.click()
        door.wait_for_selector("#result")
        shoot(door, "door-screen-tablet.png")

        staff = log_in(browser.new_context(**DESKTOP), base, ACCOUNTS["staff"])
        staff.goto(base + "/desk/stats?from=2022-01&to=2022-08&audience=all")
        shoot(staff, "statistics.png")
        browser.close()

    say("writing the certificates of August 2022 and rasterizing the first")
    pdf = folder / "certificates.pdf"
    # Printed for the office's public address, not the local one the pages were served from.
    printed = {**environment, "TRAINING_PUBLIC_URL": "https://edu.ydp.go.kr"}
    flask(printed, "certificates", "--month", "2022-08", "--output", str(pdf))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(OUT / "certificate"),
        ],
        check=True,
    )
    say(f"{(OUT / 'certificate.png').relative_to(ROOT)}")


def main() -> None:
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm was not found: install Debian's poppler-utils package.")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as temporary:
        folder = Path(temporary)
        port = free_port()
        environment = {
            **os.environ,
            "TRAINING_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
            "TRAINING_SECRET_KEY": "screenshots",
            "TRAINING_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "TRAINING_RATELIMIT": "0",
            "TRAINING_ACCESS_LOG": "0",
        }
        say("building the demo database")
        flask(environment, "db", "upgrade")
        flask(environment, "seed-demo", "--if-empty")
        with served(environment, port) as base:
            photograph(base, folder, environment)


if __name__ == "__main__":
    main()
