"""People: a person's page for staff, set-up codes, password changes, and administrators
changing roles and closing accounts."""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from training import create_app
from training.accounts import auth_sessions
from training.accounts.models import AuthKind, AuthSession, Person, Role
from training.accounts.passwords import (
    MAX_WRONG_SETUP_TRIES,
    change_password,
    issue_setup_code,
    use_setup_code,
)
from training.accounts.people import change_role, set_active
from training.accounts.services import AccountError, issue_token
from training.audit.models import AuditEntry
from training.certificates.services import issue_certificate
from training.checkin.models import Attendance, AttendanceStatus, CheckInMethod
from training.clock import utcnow
from training.extensions import db as _db
from training.passes.cards import PassCard, build_pass_cards_pdf
from training.passes.tokens import make_pass_token

NEW_PASSWORD = "my-own-secret-9"
CODE = re.compile(r"\b(\d{4}-\d{4})\b")


def is_logged_in(client) -> bool:
    return client.get("/me").status_code == 200


def setup_form(phone: str, code: str, password: str = NEW_PASSWORD) -> dict:
    return {
        "phone": phone,
        "code": code,
        "new_password": password,
        "new_password_again": password,
    }


def audit_entries(db, action: str, person: Person) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action, AuditEntry.subject_id == person.id)
    ).all()


@pytest.fixture
def admin(db, make_person):
    person = make_person(role=Role.ADMIN, name="관리자")
    db.session.commit()
    return person


@pytest.fixture
def resident(db, make_person):
    person = make_person(name="김영희")
    db.session.commit()
    return person


# Set-up codes


def test_desk_registered_person_sets_password_with_code_and_logs_in(app, db, desk, make_open_run):
    run = make_open_run()
    db.session.commit()

    registered = desk.post(
        f"/desk/runs/{run.id}/enroll-new",
        data={
            "name": "박순자",
            "phone": "010-5555-1234",
            "birth_year": "1950",
            "dong": "대림3동",
            "consent": "y",
        },
    )
    assert registered.status_code == 200
    code = CODE.search(registered.get_data(as_text=True)).group(1)
    assert "no-store" in registered.headers["Cache-Control"]

    resident = app.test_client()
    set_up = resident.post("/setup", data=setup_form("010-5555-1234", code))
    assert set_up.status_code == 302
    assert is_logged_in(resident)

    elsewhere = app.test_client()
    login = elsewhere.post("/login", data={"phone": "01055551234", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert is_logged_in(elsewhere)


def test_login_page_links_to_setup(client):
    page = client.get("/login").get_data(as_text=True)

    assert 'href="/setup"' in page
    assert "설정 코드로 비밀번호를 만드세요" in page


def test_used_code_cannot_be_used_twice(db, resident, staff):
    code = issue_setup_code(resident, actor=staff, now=NOW)
    use_setup_code(resident.phone, code, NEW_PASSWORD, now=NOW)

    with pytest.raises(AccountError) as refused:
        use_setup_code(resident.phone, code, "another-secret-1", now=NOW)

    assert refused.value.code == "invalid_setup_code"


def test_expired_code_is_refused(db, resident, staff):
    code = issue_setup_code(resident, actor=staff, now=NOW - timedelta(days=15))

    with pytest.raises(AccountError) as refused:
        use_setup_code(resident.phone, code, NEW_PASSWORD, now=NOW)

    assert refused.value.code == "setup_code_expired"


def test_new_code_replaces_the_earlier_one(db, resident, staff):
    first = issue_setup_code(resident, actor=staff, now=NOW)
    second = issue_setup_code(resident, actor=staff, now=NOW)

    with pytest.raises(AccountError):
        use_setup_code(resident.phone, first, NEW_PASSWORD, now=NOW)
    assert use_setup_code(resident.phone, second, NEW_PASSWORD, now=NOW) == resident


def test_wrong_codes_void_the_code_after_the_limit(app, db, resident, staff):
    code = issue_setup_code(resident, actor=staff, now=utcnow())
    db.session.commit()
    wrong = "0000-0000" if code != "00000000" else "1111-1111"
    client = app.test_client()

    statuses = [
        client.post("/setup", data=setup_form(resident.phone, wrong)).status_code
        for _ in range(MAX_WRONG_SETUP_TRIES)
    ]
    right = client.post("/setup", data=setup_form(resident.phone, code))

    assert statuses == [400] * (MAX_WRONG_SETUP_TRIES - 1) + [429]
    assert right.status_code == 400
    assert "맞지 않습니다" in right.get_data(as_text=True)
    assert not is_logged_in(client)
    assert len(audit_entries(db, "person.setup_code_void", resident)) == 1


def test_wrong_tries_before_a_new_code_do_not_count_against_it(db, resident, staff):
    issue_setup_code(resident, actor=staff, now=NOW)
    for _ in range(MAX_WRONG_SETUP_TRIES - 1):
        with pytest.raises(AccountError):
            use_setup_code(resident.phone, "not-it", NEW_PASSWORD, now=NOW)
    code = issue_setup_code(resident, actor=staff, now=NOW)

    with pytest.raises(AccountError) as refused:
        use_setup_code(resident.phone, "not-it", NEW_PASSWORD, now=NOW)

    assert refused.value.code == "invalid_setup_code"
    assert use_setup_code(resident.phone, code, NEW_PASSWORD, now=NOW) == resident


def test_eleventh_setup_try_in_a_minute_is_rate_limited(app, database_url):
    limited = create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = limited.test_client()
    try:
        for attempt in range(10):
            response = client.post("/setup", data=setup_form("010-9876-5432", "1234-5678"))
            assert response.status_code == 400, attempt

        response = client.post("/setup", data=setup_form("010-9876-5432", "1234-5678"))

        assert response.status_code == 429
    finally:
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_setup_code_card_prints_the_code_in_place_of_the_run():
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    card = PassCard(
        name="박순자",
        masked_phone="010-****-1234",
        token=make_pass_token(1, 1, "secret"),
        run_title=None,
        issued_on="2026-03-02",
        setup_code="1234-5678",
        setup_code_expires_on="2026-03-16",
    )

    pdf = build_pass_cards_pdf([card])
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()

    assert "1234-5678" in text
    assert "2026-03-16" in text


def test_setting_password_with_a_code_ends_other_sessions(db, resident, staff, client_for, app):
    old_session = client_for(resident)
    code = issue_setup_code(resident, actor=staff, now=utcnow())
    db.session.commit()

    app.test_client().post("/setup", data=setup_form(resident.phone, code))

    assert not is_logged_in(old_session)


def test_staff_cannot_issue_a_code_for_an_admin(db, staff, admin):
    with pytest.raises(AccountError) as refused:
        issue_setup_code(admin, actor=staff, now=NOW)

    assert refused.value.status == 403
    assert admin.setup_code_hash is None


def test_issuing_a_code_from_the_person_page_shows_it_once_and_prints_it(db, desk, resident):
    page = desk.post(f"/desk/people/{resident.id}/setup-code")
    code = CODE.search(page.get_data(as_text=True)).group(1)
    card = desk.post(f"/desk/people/{resident.id}/setup-code/card.pdf", data={"code": code})
    forged = desk.post(
        f"/desk/people/{resident.id}/setup-code/card.pdf", data={"code": "1234-5678"}
    )

    assert page.status_code == 200
    assert code.replace("-", "") not in (resident.setup_code_hash or "")
    assert len(audit_entries(db, "person.setup_code_issue", resident)) == 1
    assert card.status_code == 200
    assert card.headers["Content-Type"] == "application/pdf"
    assert forged.status_code == 400


# Changing one's password


def test_password_change_ends_other_sessions_but_not_the_current_one(app, db, resident, client_for):
    here = client_for(resident)
    there = client_for(resident)
    token = issue_token(resident)

    changed = here.post(
        "/me/password",
        data={
            "current_password": "password123",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert changed.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(there)
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    ended = db.session.scalars(select(AuthSession).where(AuthSession.ended_at.is_not(None)))
    assert {s.end_reason for s in ended} == {"password"}
    live = auth_sessions.live_sessions(resident, now=utcnow())
    assert len([s for s in live if s.kind is AuthKind.WEB]) == 1
    login = app.test_client().post(
        "/login", data={"phone": resident.phone, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


def test_password_change_needs_the_current_password(db, resident):
    with pytest.raises(AccountError) as refused:
        change_password(resident, "not-my-password", NEW_PASSWORD, now=NOW)

    assert refused.value.field == "current_password"


def test_password_change_keeps_the_password_rules(client_for, resident):
    response = client_for(resident).post(
        "/me/password",
        data={
            "current_password": "password123",
            "new_password": "short",
            "new_password_again": "short",
        },
    )

    assert response.status_code == 400
    assert "8자 이상" in response.get_data(as_text=True)


# Roles and accounts


def test_admin_changes_a_role_audited_with_the_reason(db, client_for, admin, resident):
    response = client_for(admin).post(
        f"/desk/people/{resident.id}/role", data={"role": "staff", "reason": "신규 채용"}
    )

    assert response.status_code == 302
    assert resident.role is Role.STAFF
    (entry,) = audit_entries(db, "person.role_change", resident)
    assert entry.actor_id == admin.id
    assert entry.detail == {"role": "staff", "previous": "resident", "reason": "신규 채용"}


def test_role_change_needs_a_reason(db, admin, resident):
    with pytest.raises(AccountError) as refused:
        change_role(resident, Role.STAFF, actor=admin, reason="  ")

    assert refused.value.code == "reason_required"
    assert resident.role is Role.RESIDENT


def test_staff_cannot_change_roles_or_close_accounts(db, desk, staff, resident):
    role = desk.post(f"/desk/people/{resident.id}/role", data={"role": "admin", "reason": "x"})
    closed = desk.post(f"/desk/people/{resident.id}/account", data={"close": "1", "reason": "x"})

    assert role.status_code == 403
    assert closed.status_code == 403
    assert resident.role is Role.RESIDENT
    assert resident.is_active
    with pytest.raises(AccountError) as refused:
        change_role(staff, Role.ADMIN, actor=staff, reason="승진")
    assert refused.value.status == 403
    assert staff.role is Role.STAFF


def test_admin_cannot_demote_or_deactivate_themself(db, client_for, admin):
    admin_client = client_for(admin)

    demoted = admin_client.post(
        f"/desk/people/{admin.id}/role", data={"role": "staff", "reason": "실수"}
    )
    closed = admin_client.post(
        f"/desk/people/{admin.id}/account", data={"close": "1", "reason": "실수"}
    )

    assert demoted.status_code == 400
    assert closed.status_code == 400
    assert "자기 자신의 계정은 정지할 수 없습니다" in closed.get_data(as_text=True)
    assert admin.role is Role.ADMIN
    assert admin.is_active
    with pytest.raises(AccountError) as refused:
        set_active(admin, False, actor=admin, reason="실수")
    assert refused.value.code == "own_account"


def test_deactivation_ends_sessions_and_tokens_audited_with_the_reason(
    app, db, client_for, admin, resident
):
    their_session = client_for(resident)
    token = issue_token(resident)

    response = client_for(admin).post(
        f"/desk/people/{resident.id}/account", data={"close": "1", "reason": "본인 요청"}
    )

    assert response.status_code == 302
    assert not resident.is_active
    assert not is_logged_in(their_session)
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    (entry,) = audit_entries(db, "person.deactivate", resident)
    assert entry.detail == {"reason": "본인 요청"}
    login = app.test_client().post(
        "/login", data={"phone": resident.phone, "password": "password123"}
    )
    assert login.status_code == 200


def test_reactivated_account_logs_in_again(db, client_for, admin, resident):
    set_active(resident, False, actor=admin, reason="본인 요청")
    db.session.commit()

    reopened = client_for(admin).post(
        f"/desk/people/{resident.id}/account", data={"close": "0", "reason": "다시 수강"}
    )

    assert reopened.status_code == 302
    assert is_logged_in(client_for(resident))


# The person's page


def test_person_page_shows_enrollments_attendance_certificate_and_bar(
    db, desk, resident, make_run, make_enrollment
):
    run = make_run()
    enrollment = make_enrollment(run, resident, completed_at=NOW)
    first, second, _third = run.sessions
    db.session.add_all(
        [
            Attendance(
                session_id=first.id,
                enrollment_id=enrollment.id,
                status=AttendanceStatus.PRESENT,
                checked_in_at=first.starts_at,
                method=CheckInMethod.SCANNER,
            ),
            Attendance(
                session_id=second.id,
                enrollment_id=enrollment.id,
                status=AttendanceStatus.ABSENT,
            ),
        ]
    )
    certificate = issue_certificate(enrollment, actor=None, now=NOW)
    resident.barred_until = NOW + timedelta(days=3650)
    resident.barred_reason = "첫 수업 결석으로 제한"
    db.session.commit()

    page = desk.get(f"/desk/people/{resident.id}")
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert run.title in text
    assert "결석 1" in text
    assert certificate.serial in text
    # Read out to a resident on the phone, for the verification page.
    assert f"{certificate.check_code[:4]}-{certificate.check_code[4:]}" in text
    assert "첫 수업 결석으로 제한" in text
    assert len(audit_entries(db, "person.view", resident)) == 1


def test_person_page_is_for_staff_only(client_for, resident):
    assert client_for(resident).get(f"/desk/people/{resident.id}").status_code == 403


def test_people_search_links_to_the_person_page(desk, resident):
    page = desk.get("/desk/people", query_string={"q": "김영희"}).get_data(as_text=True)

    assert f'href="/desk/people/{resident.id}"' in page


def test_people_search_lists_everyone_of_a_role(desk, staff, resident):
    page = desk.get("/desk/people", query_string={"role": "staff"}).get_data(as_text=True)

    assert f'href="/desk/people/{staff.id}"' in page
    assert f'href="/desk/people/{resident.id}"' not in page
