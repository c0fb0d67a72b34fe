"""Passes through the test client: the resident's own pass, staff printing and reissuing."""

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from training.audit.models import AuditEntry
from training.enrollment.models import EnrollmentStatus
from training.passes.cards import qr_svg
from training.passes.tokens import pass_token_for, read_pass_token


@pytest.fixture
def resident(db, make_person):
    person = make_person(name="박순자", phone="01012345678")
    db.session.commit()
    return person


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "passes.pdf"
        source.write_bytes(pdf)
        result = subprocess.run(
            ["pdftotext", str(source), "-"], capture_output=True, check=True, timeout=60
        )
    return result.stdout.decode()


def assert_obeys_the_page_rules(html: str) -> None:
    """One h1, and nothing the Content-Security-Policy would block."""
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)


# The resident's own pass


@pytest.mark.parametrize("path", ["/me/pass", "/me/pass.png", "/me/pass.pdf"])
def test_own_pass_requires_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_own_pass_page_shows_the_current_pass_as_svg(client_for, resident):
    response = client_for(resident).get("/me/pass")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in html
    drawn = re.search(r' d="([^"]+)"', qr_svg(pass_token_for(resident))).group(1)
    assert drawn in html
    assert "박순자" in html
    assert "입구에서 화면 밝기를 높이고 보여 주세요" in html
    assert 'href="/me/pass.png"' in html and 'href="/me/pass.pdf"' in html
    assert "no-store" in response.headers["Cache-Control"]
    assert_obeys_the_page_rules(html)


def test_own_pass_can_be_saved_as_png(app, client_for, resident):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the saved QR")
    from PIL import Image

    response = client_for(resident).get("/me/pass.png")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    with Image.open(io.BytesIO(response.data)) as image:
        (result,) = zxingcpp.read_barcodes(image)
    assert read_pass_token(result.text, app.config["SECRET_KEY"]) == (resident.id, 1)


def test_own_pass_prints_as_a_card(client_for, resident):
    response = client_for(resident).get("/me/pass.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "박순자" in text and "010-****-5678" in text


# Staff printing


def test_printing_passes_is_forbidden_to_residents(client_for, db, resident, make_run):
    run = make_run()
    db.session.commit()
    client = client_for(resident)

    for method, url in [
        ("GET", f"/desk/people/{resident.id}/pass"),
        ("GET", f"/desk/people/{resident.id}/pass.pdf"),
        ("GET", f"/desk/runs/{run.id}/passes.pdf"),
        ("POST", f"/desk/people/{resident.id}/pass/reissue"),
    ]:
        assert client.open(url, method=method).status_code == 403, url
    db.session.refresh(resident)
    assert resident.pass_version == 1
    assert audit_entries(db, "pass.print") == audit_entries(db, "passes.print") == []


def test_staff_print_one_persons_card(desk, db, staff, resident):
    response = desk.get(f"/desk/people/{resident.id}/pass.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="qr-pass-{resident.id}.pdf"'
    )
    assert "박순자" in pdf_text(response.data)
    (entry,) = audit_entries(db, "pass.print")
    assert (entry.actor_id, entry.subject_id) == (staff.id, resident.id)


def test_staff_print_cards_for_the_confirmed_people_of_a_run(
    desk, db, staff, make_run, make_person, make_enrollment
):
    run = make_run(capacity=5, title="키오스크 이용하기")
    make_enrollment(run, make_person(name="최확정"))
    make_enrollment(run, make_person(name="이확정"))
    make_enrollment(run, make_person(name="한대기"), EnrollmentStatus.WAITLISTED, 1)
    make_enrollment(run, make_person(name="오취소"), EnrollmentStatus.CANCELLED)
    db.session.commit()

    response = desk.get(f"/desk/runs/{run.id}/passes.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    text = pdf_text(response.data)
    assert "이확정" in text and "최확정" in text
    assert text.index("이확정") < text.index("최확정")  # in name order
    assert "한대기" not in text and "오취소" not in text
    assert "키오스크 이용하기" in text
    (entry,) = audit_entries(db, "passes.print")
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        staff.id,
        "course_runs",
        run.id,
    )
    assert entry.detail == {"people": 2}


def test_run_without_confirmed_people_says_so(desk, db, make_run):
    run = make_run()
    db.session.commit()

    response = desk.get(f"/desk/runs/{run.id}/passes.pdf", follow_redirects=True)

    assert response.request.path == f"/desk/runs/{run.id}"
    assert "인쇄할 출석 패스가 없습니다" in response.get_data(as_text=True)
    assert audit_entries(db, "passes.print") == []


@pytest.mark.parametrize(
    "path",
    ["/desk/people/999999/pass", "/desk/people/999999/pass.pdf", "/desk/runs/999999/passes.pdf"],
)
def test_missing_person_or_run_is_404(desk, path):
    assert desk.get(path).status_code == 404


# Reissuing


def test_staff_page_for_a_persons_pass(desk, resident):
    response = desk.get(f"/desk/people/{resident.id}/pass?next=/desk/runs/1")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "박순자님의 출석 패스" in html
    assert "010-****-5678" in html and "01012345678" not in html
    assert f'action="/desk/people/{resident.id}/pass/reissue"' in html
    assert 'name="next" value="/desk/runs/1"' in html
    assert_obeys_the_page_rules(html)


def test_reissue_revokes_the_old_pass(app, desk, db, staff, resident):
    old_token = pass_token_for(resident)

    response = desk.post(f"/desk/people/{resident.id}/pass/reissue")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/people/{resident.id}/pass"
    db.session.refresh(resident)
    assert resident.pass_version == 2
    person_id, old_version = read_pass_token(old_token, app.config["SECRET_KEY"])
    assert person_id == resident.id
    assert old_version < resident.pass_version
    assert pass_token_for(resident) != old_token
    (entry,) = audit_entries(db, "pass.reissue")
    assert (entry.actor_id, entry.subject_id, entry.detail) == (
        staff.id,
        resident.id,
        {"version": 2},
    )
    html = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "박순자님의 출석 패스를 다시 발급했습니다." in html


@pytest.mark.parametrize(
    ("next_path", "location"),
    [("/desk/runs/7", "/desk/runs/7"), ("https://evil.example/", None), ("//evil.example/", None)],
)
def test_reissue_goes_back_only_to_a_local_page(desk, resident, next_path, location):
    response = desk.post(f"/desk/people/{resident.id}/pass/reissue", data={"next": next_path})

    assert response.headers["Location"] == (location or f"/desk/people/{resident.id}/pass")


def test_reissue_needs_the_csrf_token(app, desk, db, resident):
    app.config["WTF_CSRF_ENABLED"] = True

    response = desk.post(f"/desk/people/{resident.id}/pass/reissue")

    assert response.status_code == 400
    db.session.refresh(resident)
    assert resident.pass_version == 1
