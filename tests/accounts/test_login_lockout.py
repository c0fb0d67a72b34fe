"""Wrong passwords in a row lock an account for a while, whatever address they come from, and
a refusal takes as long for a number nobody registered as for a registered one."""

from datetime import timedelta

import pytest
from processes import run_in_processes
from sqlalchemy import select

from training.accounts import services
from training.accounts.models import Person, Role
from training.accounts.passwords import format_setup_code, issue_setup_code, use_setup_code
from training.accounts.services import AccountError, authenticate
from training.audit.models import AuditEntry
from training.clock import utcnow
from training.extensions import db as database

PHONE = "010-2345-6789"
RIGHT = "password123"
WRONG = "not-my-password-42"


@pytest.fixture
def member(db, make_person) -> Person:
    person = make_person(phone="01023456789", password=RIGHT)
    db.session.commit()
    return person


def refusal(phone: str, password: str, now=None) -> AccountError:
    with pytest.raises(AccountError) as caught:
        authenticate(phone, password, now=now)
    return caught.value


def test_five_wrong_passwords_in_a_row_lock_out_even_the_right_one(member):
    codes = [refusal(PHONE, WRONG).code for _ in range(5)]

    assert codes == ["invalid_credentials"] * 4 + ["account_locked"]
    locked = refusal(PHONE, RIGHT)
    assert (locked.code, locked.status) == ("account_locked", 429)
    assert "15분 뒤에" in locked.message
    assert "설정 코드" in locked.message


def test_the_lock_ends_after_its_minutes(member):
    start = utcnow()
    for _ in range(5):
        refusal(PHONE, WRONG, now=start)

    assert refusal(PHONE, RIGHT, now=start + timedelta(minutes=14)).code == "account_locked"
    assert authenticate(PHONE, RIGHT, now=start + timedelta(minutes=15, seconds=1)) is member
    assert (member.failed_logins, member.login_locked_until) == (0, None)


def test_the_right_password_starts_the_count_again(member):
    for _ in range(4):
        refusal(PHONE, WRONG)
    authenticate(PHONE, RIGHT)

    assert [refusal(PHONE, WRONG).code for _ in range(4)] == ["invalid_credentials"] * 4


def test_locking_is_on_the_audit_trail(db, member):
    for _ in range(5):
        refusal(PHONE, WRONG)

    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == member.id)
    ).all()
    assert actions == ["auth.login_locked"]


def test_a_set_up_code_from_the_desk_unlocks_the_account(db, member, make_person):
    staff = make_person(role=Role.STAFF)
    for _ in range(5):
        refusal(PHONE, WRONG)

    code = issue_setup_code(member, actor=staff, now=utcnow())
    use_setup_code(PHONE, format_setup_code(code), "brand-new-pass1", now=utcnow())

    assert authenticate(PHONE, "brand-new-pass1") is member


def test_failures_from_different_addresses_count_together(db, client, member):
    for number in range(5):
        client.post(
            "/login",
            data={"phone": PHONE, "password": WRONG},
            environ_base={"REMOTE_ADDR": f"203.0.113.{number}"},
        )

    page = client.post(
        "/login",
        data={"phone": PHONE, "password": RIGHT},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )

    assert "로그인을 잠시 막았습니다" in page.get_data(as_text=True)
    db.session.expire_all()
    assert database.session.get(Person, member.id).login_locked_until is not None


def test_the_api_answers_a_locked_account_with_its_code(client, member):
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"phone": PHONE, "password": WRONG})

    answer = client.post("/api/v1/auth/token", json={"phone": PHONE, "password": RIGHT})

    assert answer.status_code == 429
    assert answer.get_json()["error"]["code"] == "account_locked"


@pytest.mark.parametrize("phone", ["010-9999-9999", "not a phone", PHONE])
def test_every_refusal_checks_one_password_hash(member, monkeypatch, phone):
    """An unknown number is refused after the same work as a known one: one hash check."""
    checked = []
    real_check = services.check_password_hash

    def counting_check(hash_value, password):
        checked.append(hash_value)
        return real_check(hash_value, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)

    refusal(phone, WRONG)

    assert len(checked) == 1


def test_the_unknown_number_is_checked_against_a_hash_as_costly_as_real_ones():
    # Real accounts get generate_password_hash's default method; so does the stand-in.
    from werkzeug.security import generate_password_hash

    method = generate_password_hash("x").split("$", 1)[0]
    assert services._NO_PASSWORD_HASH.split("$", 1)[0] == method


@pytest.mark.real_commits
def test_wrong_passwords_at_once_from_several_processes_are_all_counted(
    app, database_url, make_person
):
    person_id = make_person(phone="01023456789", password=RIGHT).id
    database.session.commit()
    attempt = ("POST", "/api/v1/auth/token", None, {"phone": PHONE, "password": WRONG})

    answers = run_in_processes(database_url, app.instance_path, [[attempt]] * 4)

    assert sorted(status for status, _ in answers) == [401] * 4
    database.session.expire_all()
    assert database.session.get(Person, person_id).failed_logins == 4


def test_staff_see_the_lock_on_the_person_page(db, desk, member):
    for _ in range(5):
        refusal(PHONE, WRONG)
    db.session.commit()

    page = desk.get(f"/desk/people/{member.id}").get_data(as_text=True)

    assert "로그인 잠김" in page
    assert "설정 코드를 발급" in page
