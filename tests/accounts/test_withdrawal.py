"""회원 탈퇴 through the pages: the person's own page, staff's page for a person, the
`purge` command, and the pages that still show an anonymized person's records."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import NOW
from tests.stats import attendance
from training.accounts.models import Person, Role
from training.accounts.retention import anonymize_person
from training.accounts.services import issue_token
from training.audit.models import AuditEntry
from training.certificates.models import Certificate
from training.checkin.models import AttendanceStatus

WITHDRAW = "/me/withdraw"
LONG_AGO = datetime(2020, 1, 6, 1, 0, tzinfo=UTC)
ANONYMIZED_PHONE = "01098765432"


def anonymize_url(person: Person) -> str:
    return f"/desk/people/{person.id}/anonymize"


@pytest.fixture
def resident(db, make_person):
    person = make_person(name="홍길동")
    db.session.commit()
    return person


@pytest.fixture
def logged_in(client_for, resident):
    return client_for(resident)


def fresh(db, person: Person) -> Person:
    db.session.expire_all()
    return db.session.get(Person, person.id)


# The person's own page ------------------------------------------------------------------------


def test_withdraw_page_needs_login(client):
    response = client.get(WITHDRAW)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_withdraw_page_says_what_goes_and_what_stays(logged_in):
    page = logged_in.get(WITHDRAW).get_data(as_text=True)

    assert "회원 탈퇴" in page
    assert "휴대전화 번호, 이메일 주소, 비밀번호" in page
    assert "수료증 진위 확인" in page
    assert 'name="password"' in page and 'name="confirm"' in page


def test_withdraw_page_lists_the_places_given_up(db, logged_in, resident, make_open_run):
    run = make_open_run(title="키오스크 활용")
    db.session.commit()
    logged_in.post(f"/runs/{run.id}/enroll")

    page = logged_in.get(WITHDRAW).get_data(as_text=True)

    assert "취소되는 신청" in page and "키오스크 활용" in page


def test_a_wrong_password_is_refused_and_nothing_changes(db, logged_in, resident):
    response = logged_in.post(WITHDRAW, data={"password": "not-my-password", "confirm": "y"})

    assert response.status_code == 400
    assert "비밀번호가 맞지 않습니다." in response.get_data(as_text=True)
    person = fresh(db, resident)
    assert (person.name, person.anonymized_at, person.is_active) == ("홍길동", None, True)


def test_the_confirmation_box_is_required(db, logged_in, resident):
    response = logged_in.post(WITHDRAW, data={"password": "password123"})

    assert response.status_code == 400
    assert "탈퇴하려면 확인란에 표시해 주세요." in response.get_data(as_text=True)
    assert fresh(db, resident).anonymized_at is None


def test_withdrawing_anonymizes_logs_out_and_the_old_session_no_longer_works(
    db, app, logged_in, resident
):
    phone = resident.phone
    cookie = logged_in.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    response = logged_in.post(WITHDRAW, data={"password": "password123", "confirm": "y"})

    assert response.status_code == 302
    goodbye = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "탈퇴했습니다." in goodbye
    person = fresh(db, resident)
    assert (person.name, person.phone, person.anonymized_at is not None) == ("홍*동", None, True)
    # The cookie the person had before withdrawing opens nothing any more.
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert other.get("/me").status_code == 302
    refused = app.test_client().post("/login", data={"phone": phone, "password": "password123"})
    assert refused.status_code == 200


def test_the_last_administrator_is_told_why_they_cannot_withdraw(db, client_for, make_person):
    admin = make_person(role=Role.ADMIN, name="관리자")
    db.session.commit()

    page = client_for(admin).get(WITHDRAW).get_data(as_text=True)

    assert "마지막 관리자 계정은 파기할 수 없습니다." in page
    assert 'name="password"' not in page


# Staff, for a person ----------------------------------------------------------------------


def test_staff_anonymize_a_person_with_a_reason(db, desk, resident, staff):
    page = desk.get(anonymize_url(resident))
    assert page.status_code == 200
    assert "홍길동님의 개인정보를 파기할까요?" in page.get_data(as_text=True)

    response = desk.post(anonymize_url(resident), data={"reason": "본인 전화 요청"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/desk/people")
    listing = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "홍*동님의 개인정보를 파기했습니다." in listing
    person = fresh(db, resident)
    assert person.anonymized_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.anonymize"))
    assert (entry.actor_id, entry.detail["reason"]) == (staff.id, "본인 전화 요청")


def test_staff_must_give_a_reason(db, desk, resident):
    response = desk.post(anonymize_url(resident), data={"reason": "  "})

    assert response.status_code == 400
    assert "사유를 적어 주세요." in response.get_data(as_text=True)
    assert fresh(db, resident).anonymized_at is None


def test_staff_are_told_when_a_rule_refuses(db, desk, make_person):
    admin = make_person(role=Role.ADMIN, name="관리자")
    db.session.commit()

    response = desk.post(anonymize_url(admin), data={"reason": "퇴직"})

    assert response.status_code == 403
    assert "관리자만 파기할 수 있습니다." in response.get_data(as_text=True)
    assert fresh(db, admin).anonymized_at is None


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSTRUCTOR])
def test_residents_and_instructors_may_not_anonymize_anyone(
    db, client_for, make_person, resident, role
):
    someone = client_for(make_person(role=role, name="김다른"))

    assert someone.get(anonymize_url(resident)).status_code == 403
    assert someone.post(anonymize_url(resident), data={"reason": "장난"}).status_code == 403
    assert fresh(db, resident).anonymized_at is None


def test_the_person_page_offers_the_anonymizing_page(desk, resident):
    page = desk.get(f"/desk/people/{resident.id}").get_data(as_text=True)

    assert anonymize_url(resident) in page


# Pages that still show an anonymized person's records ----------------------------------


@pytest.fixture
def anonymized(db, make_person, make_run, make_enrollment, staff):
    """A trainee of a run that ended in 2022, with their mark and certificate, anonymized."""
    person = make_person(name="홍길동", birth_year=1955, phone=ANONYMIZED_PHONE)
    run = make_run(starts_on=date(2022, 5, 2), sessions=1, title="스마트폰 기초")
    enrollment = make_enrollment(run, person, completed_at=datetime(2022, 5, 2, 5, tzinfo=UTC))
    db.session.add(attendance(run.sessions[0], enrollment, AttendanceStatus.PRESENT))
    db.session.add(
        Certificate(serial="YDP-2022-00001", year=2022, number=1, enrollment_id=enrollment.id)
    )
    db.session.flush()
    anonymize_person(person, actor=staff, reason="본인 요청", now=NOW)
    db.session.commit()
    return enrollment


def test_the_person_page_shows_an_anonymized_person(desk, anonymized):
    page = desk.get(f"/desk/people/{anonymized.person_id}").get_data(as_text=True)

    assert "홍*동" in page and "개인정보 파기됨" in page and "70세 이상" in page
    assert anonymize_url(anonymized.person) not in page


def test_desk_search_finds_an_anonymized_person_by_name_only(desk, anonymized):
    by_name = desk.get("/desk/people", query_string={"q": "홍"}).get_data(as_text=True)
    by_role = desk.get("/desk/people", query_string={"role": "resident"})

    assert "홍*동" in by_name and "개인정보 파기됨" in by_name
    assert by_role.status_code == 200
    by_phone = desk.get("/desk/people", query_string={"q": ANONYMIZED_PHONE[-4:]})
    assert "홍*동" not in by_phone.get_data(as_text=True)


def test_the_roster_and_door_screen_show_an_anonymized_trainee(desk, anonymized, staff, client):
    run = anonymized.run
    roster = desk.get(f"/desk/runs/{run.id}")
    screen = desk.get(f"/checkin/sessions/{run.sessions[0].id}")
    api = client.get(
        f"/api/v1/sessions/{run.sessions[0].id}/roster",
        headers={"Authorization": f"Bearer {issue_token(staff)}"},
    )

    assert roster.status_code == 200 and "홍*동" in roster.get_data(as_text=True)
    assert screen.status_code == 200 and "홍*동" in screen.get_data(as_text=True)
    assert api.status_code == 200
    assert [(line["name"], line["phone_last4"]) for line in api.get_json()["roster"]] == [
        ("홍*동", None)
    ]


def test_attendance_sheets_keep_the_mark_without_a_phone(desk, anonymized):
    response = desk.get(f"/desk/runs/{anonymized.run_id}/attendance.xlsx")

    sheet = load_workbook(io.BytesIO(response.data)).active
    row = [cell.value for cell in sheet[5]]
    assert row[:4] == [1, "홍*동", "–", "출석"]
    assert desk.get(f"/desk/runs/{anonymized.run_id}/attendance.pdf").status_code == 200


def test_certificates_still_verify_print_and_list_without_a_birth_year(
    db, client, desk, anonymized
):
    code = db.session.scalar(select(Certificate.check_code))
    verified = client.get("/verify/YDP-2022-00001", query_string={"code": code}).get_data(
        as_text=True
    )
    reprinted = desk.post("/desk/certificates/YDP-2022-00001/reissue")
    ledger = desk.get("/desk/certificates/ledger.xlsx", query_string={"year": "2022"})

    assert "유효한 수료증" in verified and "홍*동" in verified
    assert reprinted.status_code == 200 and reprinted.mimetype == "application/pdf"
    cells = [cell.value for cell in load_workbook(io.BytesIO(ledger.data)).active[2]]
    assert cells[:3] == ["YDP-2022-00001", "홍*동", "-"]


def test_an_anonymized_account_cannot_be_reopened(db, client_for, make_person, anonymized):
    admin = client_for(make_person(role=Role.ADMIN, name="관리자"))

    response = admin.post(
        f"/desk/people/{anonymized.person_id}/account", data={"close": "0", "reason": "실수"}
    )

    assert response.status_code == 400
    assert "개인정보를 파기한 계정은 다시 열 수 없습니다." in response.get_data(as_text=True)
    assert fresh(db, anonymized.person).is_active is False


# The purge command ----------------------------------------------------------------------


@pytest.fixture
def idle(db, make_person):
    person = make_person(name="김오래")
    person.created_at = LONG_AGO
    db.session.commit()
    return person


def test_purge_dry_run_prints_who_and_changes_nothing(db, runner, idle, resident, count_rows):
    entries = count_rows(AuditEntry)

    result = runner.invoke(args=["purge", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"would anonymize {idle.id}\t김*래" in result.output
    assert "홍" not in result.output
    assert "1 would be anonymized" in result.output and "nothing was changed" in result.output
    assert fresh(db, idle).anonymized_at is None
    assert count_rows(AuditEntry) == entries


def test_purge_anonymizes_with_progress_and_a_summary(db, runner, idle, resident):
    result = runner.invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "1/1 people done" in result.output
    assert "1 anonymized, 0 kept" in result.output
    assert "log-in sessions ended or expired over 30 days ago deleted" in result.output
    assert fresh(db, idle).name == "김*래"
    assert fresh(db, resident).anonymized_at is None


# The API --------------------------------------------------------------------------------


def bearer(person: Person) -> dict:
    return {"Authorization": f"Bearer {issue_token(person)}"}


def test_staff_anonymize_a_person_through_the_api(db, client, resident, staff):
    response = client.post(
        f"/api/v1/people/{resident.id}/anonymize",
        json={"reason": "본인 전화 요청"},
        headers=bearer(staff),
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["name"], body["age_band"], body["dong"]) == (
        resident.id,
        "홍*동",
        "60대",
        "당산2동",
    )
    assert fresh(db, resident).anonymized_at is not None


def test_the_api_refuses_residents_and_a_missing_reason(db, client, resident, staff):
    url = f"/api/v1/people/{resident.id}/anonymize"

    by_resident = client.post(url, json={"reason": "장난"}, headers=bearer(resident))
    without_reason = client.post(url, json={"reason": " "}, headers=bearer(staff))

    assert by_resident.status_code == 403
    assert without_reason.status_code == 400
    assert without_reason.get_json()["error"]["code"] == "reason_required"
    assert fresh(db, resident).anonymized_at is None


def test_the_api_refuses_the_last_administrator(db, client, make_person):
    admin = make_person(role=Role.ADMIN, name="관리자")
    db.session.commit()

    response = client.post(
        f"/api/v1/people/{admin.id}/anonymize", json={"reason": "퇴직"}, headers=bearer(admin)
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"


def test_my_account_leads_to_withdrawal(client_for, make_person):
    person = make_person()

    html = client_for(person).get("/me/account").get_data(as_text=True)

    assert 'href="/me/withdraw"' in html
