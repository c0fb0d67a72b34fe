"""Log-ins, refused log-ins, log-outs and API tokens are on the audit trail with the client's
address; a refused attempt keeps neither the password nor a number no one has registered."""

import json

import pytest
from sqlalchemy import select

from training.accounts.models import Person, Role
from training.accounts.passwords import format_setup_code, issue_setup_code
from training.audit.models import AuditEntry
from training.clock import utcnow

ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}
WRONG_PASSWORD = "not-my-password-42"


def entries(db, action: str) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


@pytest.fixture
def member(db, make_person) -> Person:
    person = make_person(phone="01023456789")
    db.session.commit()
    return person


def test_a_log_in_is_recorded_with_the_address(db, client, member):
    response = client.post(
        "/login", data={"phone": "010-2345-6789", "password": "password123"}, environ_base=ADDRESS
    )

    assert response.status_code == 302
    (entry,) = entries(db, "auth.login")
    assert (entry.actor_id, entry.subject_id, entry.address) == (
        member.id,
        member.id,
        "203.0.113.7",
    )
    assert entry.detail == {"by": "password"}


def test_a_refused_log_in_names_the_person_and_not_the_password(db, client, member):
    response = client.post(
        "/login", data={"phone": "010-2345-6789", "password": WRONG_PASSWORD}, environ_base=ADDRESS
    )

    assert response.status_code == 200
    assert "맞지 않습니다" in response.get_data(as_text=True)
    (entry,) = entries(db, "auth.login_failed")
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (None, "people", member.id)
    assert entry.address == "203.0.113.7"
    assert entry.detail == {"channel": "web"}
    assert entries(db, "auth.login") == []


def test_a_refused_log_in_with_an_unknown_number_keeps_it_masked(db, client):
    client.post("/login", data={"phone": "010-7777-1234", "password": WRONG_PASSWORD})

    (entry,) = entries(db, "auth.login_failed")
    assert (entry.subject_type, entry.subject_id) == ("people", None)
    assert entry.detail == {"channel": "web", "phone": "010-****-1234"}
    kept = json.dumps(entry.detail)
    assert "7777" not in kept and WRONG_PASSWORD not in kept


def test_a_refused_log_in_with_no_phone_number_at_all_keeps_nothing_typed(db, client):
    client.post("/login", data={"phone": "홍길동 01077", "password": WRONG_PASSWORD})

    (entry,) = entries(db, "auth.login_failed")
    assert entry.detail == {"channel": "web", "phone": None}


def test_a_log_out_is_recorded(db, client_for, member):
    client = client_for(member)

    response = client.post("/logout", environ_base=ADDRESS)

    assert response.status_code == 302
    (entry,) = entries(db, "auth.logout")
    assert (entry.actor_id, entry.address) == (member.id, "203.0.113.7")


def test_signing_up_is_a_log_in(db, client):
    client.post(
        "/signup",
        data={
            "name": "김영희",
            "phone": "010-2345-6789",
            "birth_year": "1956",
            "dong": "대림3동",
            "password": "long-enough-1",
            "password_again": "long-enough-1",
            "consent": "y",
        },
    )

    (entry,) = entries(db, "auth.login")
    assert entry.detail == {"by": "signup"}


def test_setting_a_password_with_a_code_is_a_log_in(db, client, make_person):
    staff = make_person(role=Role.STAFF)
    person = make_person(phone="01055551234", password=None)
    code = issue_setup_code(person, actor=staff, now=utcnow())
    db.session.commit()

    response = client.post(
        "/setup",
        data={
            "phone": "010-5555-1234",
            "code": format_setup_code(code),
            "new_password": "long-enough-1",
            "new_password_again": "long-enough-1",
        },
    )

    assert response.status_code == 302
    (entry,) = entries(db, "auth.login")
    assert (entry.actor_id, entry.detail) == (person.id, {"by": "setup_code"})


def test_an_api_token_is_recorded(db, client, member):
    response = client.post(
        "/api/v1/auth/token",
        json={"phone": "010-2345-6789", "password": "password123"},
        environ_base=ADDRESS,
    )

    assert response.status_code == 200
    (entry,) = entries(db, "auth.token_issue")
    assert (entry.actor_id, entry.address, entry.detail) == (
        member.id,
        "203.0.113.7",
        {"by": "password"},
    )


def test_a_refused_api_token_is_recorded_though_the_request_is_refused(db, client, member):
    response = client.post(
        "/api/v1/auth/token", json={"phone": "010-2345-6789", "password": WRONG_PASSWORD}
    )

    assert response.status_code == 401
    db.session.expire_all()
    (entry,) = entries(db, "auth.login_failed")
    assert (entry.subject_id, entry.detail) == (member.id, {"channel": "api"})
    assert entries(db, "auth.token_issue") == []


def test_signing_up_through_the_api_issues_a_recorded_token(db, client):
    response = client.post(
        "/api/v1/auth/signup",
        json={
            "name": "김영희",
            "phone": "010-2345-6789",
            "password": "long-enough-1",
            "birth_year": 1956,
            "dong": "대림3동",
            "consent": True,
        },
    )

    assert response.status_code == 201
    (entry,) = entries(db, "auth.token_issue")
    assert (entry.actor_id, entry.detail) == (response.get_json()["id"], {"by": "signup"})
