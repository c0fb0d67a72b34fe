"""Certificate pages and API: verification, downloads, staff printing, ledger, CLI."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.certificates.models import Certificate
from training.certificates.services import issue_certificate, revoke_certificate
from training.enrollment.models import EnrollmentStatus

ENDED = datetime(2022, 4, 1, 3, tzinfo=UTC)


@pytest.fixture
def completed(db, make_run, make_person, make_enrollment):
    """A 2022 run and a trainee who completed it."""
    run = make_run(starts_on=date(2022, 3, 2), title="스마트폰 기초")
    person = make_person(name="홍길동")
    enrollment = make_enrollment(run, person, completed_at=ENDED)
    db.session.commit()
    return enrollment


@pytest.fixture
def certificate(db, completed):
    issued = issue_certificate(completed, actor=None)
    db.session.commit()
    return issued


def test_verify_page_shows_a_valid_certificate_with_a_masked_name(client, certificate):
    page = client.get(
        f"/verify/{certificate.serial}", query_string={"code": certificate.check_code}
    ).get_data(as_text=True)

    assert "유효한 수료증" in page
    assert "홍*동" in page and "홍길동" not in page
    assert "스마트폰 기초" in page


def test_verify_page_of_an_unknown_serial_is_a_404_asking_for_the_code(client):
    response = client.get("/verify/YDP-2022-99999")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "확인 코드" in page and 'name="code"' in page


def test_api_answers_valid_then_revoked(client, db, certificate, make_person):
    address = f"/api/v1/certificates/{certificate.serial}"
    code = {"code": certificate.check_code}
    valid = client.get(address, query_string=code).get_json()
    revoke_certificate(certificate, actor=make_person(role=Role.STAFF), reason="착오 발급")
    db.session.commit()
    revoked = client.get(address, query_string=code).get_json()

    assert valid["status"] == "valid" and valid["name"] == "홍*동"
    assert set(valid) == {"serial", "status", "name", "course", "period", "hours", "issued_on"}
    assert revoked["status"] == "revoked"


def test_api_unknown_serial_is_404_with_an_error_code(client):
    response = client.get("/api/v1/certificates/nope")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_resident_issues_own_certificate_by_post_then_downloads_it(db, client_for, completed):
    client = client_for(completed.person)

    issued = client.post(f"/me/certificates/{completed.id}")
    again = client.post(f"/me/certificates/{completed.id}")
    download = client.get(f"/me/certificates/{completed.id}.pdf")

    assert issued.status_code == 303
    assert issued.headers["Location"].endswith(f"/me/certificates/{completed.id}.pdf")
    assert again.status_code == 303
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert len(db.session.scalars(select(Certificate)).all()) == 1


def test_my_page_issues_certificates_with_a_post_form(db, client_for, completed):
    page = client_for(completed.person).get("/me").get_data(as_text=True)

    assert f'<form method="post" action="/me/certificates/{completed.id}">' in page
    assert f'href="/me/certificates/{completed.id}.pdf"' not in page


def test_getting_a_certificate_not_yet_issued_offers_to_issue_it(db, client_for, completed):
    response = client_for(completed.person).get(f"/me/certificates/{completed.id}.pdf")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert f'<form method="post" action="/me/certificates/{completed.id}">' in page
    assert db.session.scalars(select(Certificate)).all() == []


def test_resident_downloads_an_existing_certificate(db, client_for, certificate):
    enrollment = certificate.enrollment

    response = client_for(enrollment.person).get(f"/me/certificates/{enrollment.id}.pdf")

    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_resident_is_told_a_revoked_certificate_is_revoked(db, client_for, certificate, staff):
    revoke_certificate(certificate, actor=staff, reason="착오 발급")
    db.session.commit()
    client = client_for(certificate.enrollment.person)

    response = client.get(f"/me/certificates/{certificate.enrollment_id}.pdf")

    assert response.status_code == 302
    assert "취소된 수료증" in client.get("/me").get_data(as_text=True)


def test_resident_cannot_get_or_issue_someone_elses_certificate(
    db, client_for, completed, make_person
):
    person = make_person(name="김다른")
    db.session.commit()
    other = client_for(person)

    assert other.get(f"/me/certificates/{completed.id}.pdf").status_code == 404
    assert other.post(f"/me/certificates/{completed.id}").status_code == 404
    assert db.session.scalars(select(Certificate)).all() == []


def test_uncompleted_trainee_gets_a_message_not_a_pdf(db, client_for, make_run, make_enrollment):
    enrollment = make_enrollment(make_run(starts_on=date(2022, 3, 2)))
    db.session.commit()
    client = client_for(enrollment.person)

    posted = client.post(f"/me/certificates/{enrollment.id}")
    got = client.get(f"/me/certificates/{enrollment.id}.pdf")

    assert posted.status_code == 302 and got.status_code == 302
    assert "수료하지 않은" in client.get("/me").get_data(as_text=True)
    assert db.session.scalars(select(Certificate)).all() == []


def test_staff_issue_a_runs_missing_certificates_by_post_then_print(
    db, desk, completed, make_enrollment
):
    make_enrollment(completed.run, completed_at=ENDED)
    make_enrollment(completed.run, status=EnrollmentStatus.CONFIRMED)
    db.session.commit()

    issued = desk.post(f"/desk/runs/{completed.run_id}/certificates")
    printed = desk.get(f"/desk/runs/{completed.run_id}/certificates.pdf")

    assert issued.status_code == 303
    assert issued.headers["Location"].endswith(f"/desk/runs/{completed.run_id}/certificates.pdf")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    serials = sorted(c.serial for c in db.session.scalars(select(Certificate)))
    assert serials == ["YDP-2022-00001", "YDP-2022-00002"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificates.print"))


def test_printing_a_run_by_get_issues_nothing(db, desk, completed):
    response = desk.get(f"/desk/runs/{completed.run_id}/certificates.pdf")

    assert response.status_code == 302
    assert db.session.scalars(select(Certificate)).all() == []


def test_completion_page_issues_with_a_post_form(db, desk, completed):
    page = desk.get(f"/desk/runs/{completed.run_id}/completion").get_data(as_text=True)

    assert f'action="/desk/runs/{completed.run_id}/certificates"' in page
    assert f'href="/desk/runs/{completed.run_id}/certificates.pdf"' not in page


def test_issuing_for_a_run_is_for_staff_only(db, client_for, completed):
    client = client_for(completed.person)

    assert client.post(f"/desk/runs/{completed.run_id}/certificates").status_code == 403
    assert db.session.scalars(select(Certificate)).all() == []


def test_completion_page_is_for_staff_only(db, client_for, completed):
    assert (
        client_for(completed.person).get(f"/desk/runs/{completed.run_id}/completion").status_code
        == 403
    )


def test_staff_judge_completion_after_the_run(db, desk, completed):
    page = desk.get(f"/desk/runs/{completed.run_id}/completion")
    response = desk.post(f"/desk/runs/{completed.run_id}/complete")

    assert page.status_code == 200 and "홍길동" in page.get_data(as_text=True)
    assert response.status_code == 302
    db.session.expire_all()
    # No attendance was recorded: the rule withdraws completion.
    assert completed.completed_at is None


def test_staff_grant_completion_with_a_reason(db, desk, completed):
    completed.completed_at = None
    db.session.commit()

    desk.post(
        f"/desk/enrollments/{completed.id}/completion",
        data={"decision": "granted", "reason": "보강 수업 이수"},
    )

    db.session.expire_all()
    assert completed.completed_at is not None
    assert completed.completion_reason == "보강 수업 이수"


def test_staff_revoke_and_reissue(db, desk, certificate):
    reissued = desk.post(f"/desk/certificates/{certificate.serial}/reissue")
    revoked = desk.post(
        f"/desk/certificates/{certificate.serial}/revoke", data={"reason": "본인 요청"}
    )

    assert reissued.status_code == 200 and reissued.data.startswith(b"%PDF")
    assert revoked.status_code == 302
    db.session.expire_all()
    assert certificate.reissue_count == 1 and certificate.revoked_reason == "본인 요청"


def test_ledger_xlsx_lists_the_years_certificates_masked(db, desk, certificate):
    response = desk.get("/desk/certificates/ledger.xlsx?year=2022")

    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "일련번호"
    assert rows[1][0] == certificate.serial and rows[1][1] == "홍*동"
    assert rows[-1][0] == "합계"
    assert sheet.freeze_panes == "A2"
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "certificates.ledger_export")
    )


def test_ledger_needs_a_year(desk):
    assert desk.get("/desk/certificates/ledger.xlsx?year=abc").status_code == 400


def test_cli_issues_and_writes_a_run(db, runner, completed, tmp_path):
    output = tmp_path / "run.pdf"

    result = runner.invoke(args=["certificates", "--run", str(completed.run_id), "-o", output])

    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF")
    assert db.session.scalar(select(Certificate.serial)) == "YDP-2022-00001"


def test_cli_by_month_takes_runs_that_ended_then(db, runner, completed, tmp_path):
    output = tmp_path / "month.pdf"
    month = f"{completed.run.ends_on:%Y-%m}"

    result = runner.invoke(args=["certificates", "--month", month, "-o", output])

    assert result.exit_code == 0, result.output
    assert "1 certificates written" in result.output


def test_cli_needs_exactly_one_of_run_or_month(runner, tmp_path):
    result = runner.invoke(args=["certificates", "-o", tmp_path / "x.pdf"])

    assert result.exit_code != 0
    assert "exactly one" in result.output


def test_printed_qr_leads_to_a_page_that_says_valid(db, client, client_for, completed, tmp_path):
    import shutil
    import subprocess
    from urllib.parse import urlsplit

    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    resident = client_for(completed.person)
    resident.post(f"/me/certificates/{completed.id}")
    pdf = resident.get(f"/me/certificates/{completed.id}.pdf").data
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "certificate.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(page))]

    assert len(decoded) == 1
    scanned = urlsplit(decoded[0])
    answer = client.get(f"{scanned.path}?{scanned.query}")
    assert answer.status_code == 200
    assert "유효한 수료증" in answer.get_data(as_text=True)
