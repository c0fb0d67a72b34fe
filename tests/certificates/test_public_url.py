"""Printed links go to the configured public address, never to localhost: without
TRAINING_PUBLIC_URL the pages and the CLI refuse to print, and say what to set."""

import logging
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from training.certificates.documents import verify_url
from training.certificates.models import Certificate
from training.certificates.services import issue_certificate
from training.public_url import PublicUrlMissing, public_base_url, public_url_warning

ENDED = datetime(2022, 4, 1, 3, tzinfo=UTC)
SETTING = "TRAINING_PUBLIC_URL"


@pytest.fixture
def completed(db, make_run, make_person, make_enrollment):
    run = make_run(starts_on=date(2022, 3, 2), title="스마트폰 기초")
    enrollment = make_enrollment(run, make_person(name="홍길동"), completed_at=ENDED)
    db.session.commit()
    return enrollment


@pytest.fixture
def certificate(db, completed):
    issued = issue_certificate(completed, actor=None)
    db.session.commit()
    return issued


@pytest.fixture
def unset(app):
    """No public address configured (the app fixture restores the setting afterwards)."""
    app.config["PUBLIC_URL"] = None


def flashed(client, response) -> str:
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_base_url_is_the_setting_without_a_trailing_slash(app):
    app.config["PUBLIC_URL"] = "https://edu.ydp.go.kr/"

    assert public_base_url() == "https://edu.ydp.go.kr"


def test_unset_base_url_is_refused_with_a_code_and_the_setting_named(app, unset):
    with pytest.raises(PublicUrlMissing) as refused:
        public_base_url()

    assert refused.value.code == "public_url_missing"
    assert SETTING in refused.value.message


def test_verification_address_carries_the_code_under_the_public_address(app):
    app.config["PUBLIC_URL"] = "https://edu.ydp.go.kr"

    assert (
        verify_url("YDP-2022-00001", "K7Q2M9XD")
        == "https://edu.ydp.go.kr/verify/YDP-2022-00001?code=K7Q2M9XD"
    )


def test_start_up_warns_when_unset_unless_testing():
    assert SETTING in public_url_warning({"PUBLIC_URL": None})
    assert public_url_warning({"PUBLIC_URL": "https://edu.ydp.go.kr"}) is None
    assert public_url_warning({"PUBLIC_URL": None, "TESTING": True}) is None


def test_app_built_without_it_logs_the_warning(database_url, caplog):
    from training import create_app
    from training.extensions import db as _db

    with caplog.at_level(logging.WARNING):
        built = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t"})
    with built.app_context():
        _db.engine.dispose()

    assert any(SETTING in record.getMessage() for record in caplog.records)


def test_staff_printing_a_run_is_refused_with_the_reason(db, desk, certificate, unset):
    response = desk.get(f"/desk/runs/{certificate.enrollment.run_id}/certificates.pdf")

    assert SETTING in flashed(desk, response)


def test_staff_issuing_for_a_run_issues_nothing_without_it(db, desk, completed, unset):
    response = desk.post(f"/desk/runs/{completed.run_id}/certificates")

    assert SETTING in flashed(desk, response)
    assert db.session.scalars(select(Certificate)).all() == []


def test_reissue_is_refused_before_it_is_counted(db, desk, certificate, unset):
    response = desk.post(f"/desk/certificates/{certificate.serial}/reissue")

    assert SETTING in flashed(desk, response)
    db.session.refresh(certificate)
    assert certificate.reissue_count == 0


def test_resident_download_is_refused_and_nothing_issued(db, client_for, completed, unset):
    resident = client_for(completed.person)

    issued = resident.post(f"/me/certificates/{completed.id}")
    assert SETTING in flashed(resident, issued)
    download = resident.get(f"/me/certificates/{completed.id}.pdf")
    assert SETTING in flashed(resident, download)
    assert db.session.scalars(select(Certificate)).all() == []


def test_cli_exits_non_zero_with_the_reason_and_issues_nothing(
    db, runner, completed, tmp_path, unset
):
    output = tmp_path / "run.pdf"

    result = runner.invoke(args=["certificates", "--run", str(completed.run_id), "-o", output])

    assert result.exit_code != 0
    assert SETTING in result.output
    assert not output.exists()
    assert db.session.scalars(select(Certificate)).all() == []


@pytest.fixture
def session_url(db, make_run):
    run = make_run()
    db.session.commit()
    return f"/checkin/sessions/{run.sessions[0].id}"


def test_self_check_in_link_uses_the_public_address_not_the_request(desk, session_url):
    body = desk.get(f"{session_url}/code").get_json()

    assert body["url"].startswith("http://edu.ydp.test/checkin/self?")
    assert "localhost" not in body["url"]


def test_self_check_in_code_keeps_the_number_but_withholds_the_link(desk, session_url, unset):
    body = desk.get(f"{session_url}/code").get_json()

    assert body["code"].isdigit() and body["url"] is None
    assert body["error"]["code"] == "public_url_missing"
    assert SETTING in body["error"]["message"]


def test_self_check_in_qr_says_why_it_is_missing(desk, session_url, unset):
    response = desk.get(f"{session_url}/code.svg")

    assert response.status_code == 503
    assert response.mimetype == "image/svg+xml"
    assert SETTING in response.get_data(as_text=True)
    assert "localhost" not in response.get_data(as_text=True)


def test_door_screen_names_the_self_check_in_page_by_its_public_address(desk, session_url):
    page = desk.get(session_url).get_data(as_text=True)

    assert "출석 페이지: http://edu.ydp.test/checkin/self" in page
    assert "localhost" not in page


def test_door_screen_without_it_says_only_the_number_works(desk, session_url, unset):
    page = desk.get(session_url).get_data(as_text=True)

    assert "출석 페이지:" not in page
    assert "TRAINING_PUBLIC_URL" in page
