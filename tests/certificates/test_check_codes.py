"""Check codes: a serial alone tells nothing about a certificate; the serial and the code
printed under the QR show its masked holder, on the page and in the API."""

import io
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from training import create_app
from training.certificates.check_codes import format_check_code, normalize_check_code
from training.certificates.documents import verified_certificate
from training.certificates.models import CHECK_CODE_ALPHABET, CHECK_CODE_LENGTH, new_check_code
from training.certificates.services import issue_certificate
from training.extensions import db as _db

ENDED = datetime(2022, 4, 1, 3, tzinfo=UTC)
UNKNOWN = "YDP-2022-99999"
WRONG_CODE = "AAAA-AAAA"


@pytest.fixture
def certificate(db, make_run, make_person, make_enrollment):
    run = make_run(starts_on=date(2022, 3, 2), title="스마트폰 기초")
    enrollment = make_enrollment(run, make_person(name="홍길동"), completed_at=ENDED)
    issued = issue_certificate(enrollment, actor=None)
    db.session.commit()
    return issued


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_new_codes_are_eight_unambiguous_symbols():
    codes = {new_check_code() for _ in range(50)}

    assert len(codes) == 50
    assert all(len(code) == CHECK_CODE_LENGTH for code in codes)
    assert set("".join(codes)) <= set(CHECK_CODE_ALPHABET)


def test_code_is_grouped_in_fours_for_reading_aloud():
    assert format_check_code("K7Q2M9XD") == "K7Q2-M9XD"


@pytest.mark.parametrize("typed", ["K7Q2M9XD", "k7q2-m9xd", "  K7Q2 - M9XD ", "k7q2\tm9xd"])
def test_typed_code_is_read_in_any_case_with_or_without_hyphen_and_spaces(typed):
    assert normalize_check_code(typed) == "K7Q2M9XD"


def test_serial_with_its_code_typed_loosely_is_verified(db, certificate):
    typed = f" {format_check_code(certificate.check_code).lower()} "

    assert verified_certificate(certificate.serial.lower(), typed) == certificate


def test_serial_with_another_certificates_code_is_not_verified(db, certificate):
    other = next(c for c in CHECK_CODE_ALPHABET if c != certificate.check_code[0])
    nearly = other + certificate.check_code[1:]

    assert verified_certificate(certificate.serial, nearly) is None
    assert verified_certificate(certificate.serial, None) is None
    assert verified_certificate(UNKNOWN, certificate.check_code) is None


def test_page_with_the_code_shows_the_masked_holder(client, certificate):
    response = client.get(
        f"/verify/{certificate.serial}",
        query_string={"code": format_check_code(certificate.check_code).lower()},
    )

    assert response.status_code == 200
    assert "유효한 수료증" in page_of(response) and "홍*동" in page_of(response)


def test_old_qr_without_a_code_asks_for_it_and_shows_nothing(client, certificate):
    response = client.get(f"/verify/{certificate.serial}")

    page = page_of(response)
    assert response.status_code == 404
    assert 'name="code"' in page and f'value="{certificate.serial}"' in page
    assert "홍*동" not in page and "스마트폰 기초" not in page and "유효한" not in page


def test_a_known_serial_without_its_code_is_answered_like_an_unknown_one(client, certificate):
    for code in (None, WRONG_CODE):
        query = {"code": code} if code else {}
        known = client.get(f"/verify/{certificate.serial}", query_string=query)
        unknown = client.get(f"/verify/{UNKNOWN}", query_string=query)

        assert known.status_code == unknown.status_code == 404
        # The serial typed is given back in the form, and nothing else differs.
        typed_back = page_of(known).replace(f'value="{certificate.serial}"', f'value="{UNKNOWN}"')
        assert typed_back == page_of(unknown)


def test_wrong_code_says_it_found_no_match(client, certificate):
    page = page_of(client.get(f"/verify/{certificate.serial}", query_string={"code": WRONG_CODE}))

    assert "맞는 수료증을 찾지 못했습니다" in page and "홍*동" not in page


def test_form_on_the_bare_page_verifies_what_is_typed(client, certificate):
    form = client.get("/verify")
    answer = client.get(
        "/verify", query_string={"serial": certificate.serial, "code": certificate.check_code}
    )

    assert form.status_code == 404 and 'action="/verify"' in page_of(form)
    assert answer.status_code == 200 and "홍*동" in page_of(answer)


def test_api_needs_the_code_too(client, certificate):
    address = f"/api/v1/certificates/{certificate.serial}"

    without = client.get(address)
    wrong = client.get(address, query_string={"code": WRONG_CODE})
    unknown = client.get(f"/api/v1/certificates/{UNKNOWN}", query_string={"code": WRONG_CODE})
    right = client.get(address, query_string={"code": format_check_code(certificate.check_code)})

    assert without.status_code == wrong.status_code == unknown.status_code == 404
    assert without.get_json() == wrong.get_json() == unknown.get_json()
    assert right.status_code == 200 and right.get_json()["name"] == "홍*동"


def test_staff_see_the_grouped_code_on_the_completion_page(desk, certificate):
    page = page_of(desk.get(f"/desk/runs/{certificate.enrollment.run_id}/completion"))

    assert format_check_code(certificate.check_code) in page


def test_ledger_lists_the_grouped_code(desk, certificate):
    ledger = desk.get("/desk/certificates/ledger.xlsx", query_string={"year": "2022"})

    rows = list(load_workbook(io.BytesIO(ledger.data)).active.values)
    assert rows[0][-1] == "확인 코드"
    assert rows[1][0] == certificate.serial
    assert rows[1][-1] == format_check_code(certificate.check_code)


def test_printed_certificate_shows_the_code_under_the_qr(client_for, certificate, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    resident = client_for(certificate.enrollment.person)
    pdf = resident.get(f"/me/certificates/{certificate.enrollment_id}.pdf").data
    (tmp_path / "certificate.pdf").write_bytes(pdf)

    text = subprocess.run(
        ["pdftotext", "-layout", "certificate.pdf", "-"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert f"확인 코드 {format_check_code(certificate.check_code)}" in text
    assert f"진위 확인: http://edu.ydp.test/verify/{certificate.serial}" in text


@pytest.mark.real_commits
def test_wrong_codes_are_limited_per_address_on_the_page_and_api_together(
    app, db, database_url, certificate
):
    limited = create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "3 per minute",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
            "PUBLIC_URL": "http://edu.ydp.test",
        }
    )
    serial, code = certificate.serial, certificate.check_code
    # Reading those began a transaction (on SQLite a write lock): end it for the other app.
    db.session.rollback()
    client = limited.test_client()
    try:
        # Opening the page to type the code costs nothing.
        opened = [client.get(f"/verify/{serial}").status_code for _ in range(5)]
        wrong = [
            client.get(f"/verify/{serial}", query_string={"code": WRONG_CODE}).status_code,
            client.get(f"/verify/{UNKNOWN}", query_string={"code": WRONG_CODE}).status_code,
            client.get(
                f"/api/v1/certificates/{serial}", query_string={"code": WRONG_CODE}
            ).status_code,
        ]
        after = client.get(f"/verify/{serial}", query_string={"code": code})
        api_after = client.get(f"/api/v1/certificates/{serial}", query_string={"code": code})
        elsewhere = limited.test_client().get(
            f"/verify/{serial}",
            query_string={"code": code},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
    finally:
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()

    assert opened == [404] * 5
    assert wrong == [404, 404, 404]
    assert after.status_code == 429 and api_after.status_code == 429
    assert elsewhere.status_code == 200
