"""The command line: flask users add."""

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from training.accounts.models import ConsentMethod, Person, Role
from training.audit.models import AuditEntry


def add_user(runner, *extra, role="staff", phone="010-5555-1234", password="secret123"):
    return runner.invoke(
        args=[
            "users",
            "add",
            "--role",
            role,
            "--name",
            "김담당",
            "--phone",
            phone,
            "--password",
            password,
            *extra,
        ]
    )


@pytest.fixture
def refused(runner, count_rows):
    """Run `flask users add` with some options changed, expect it to fail and add nobody; its
    output."""

    def run(*extra, **options) -> str:
        before = count_rows(Person)
        result = add_user(runner, *extra, **options)
        assert result.exit_code != 0
        assert count_rows(Person) == before
        return result.output

    return run


@pytest.mark.parametrize("role", list(Role))
def test_users_add_prints_the_id_of_a_person_with_that_role(runner, db, role):
    result = add_user(runner, role=role.value)

    assert result.exit_code == 0, result.output
    person_id = int(result.output.strip())
    db.session.expire_all()
    person = db.session.get(Person, person_id)
    assert person is not None
    assert person.role is role
    assert person.name == "김담당"
    assert person.phone == "01055551234"
    assert person.consent_method is ConsentMethod.DESK
    assert check_password_hash(person.password_hash, "secret123")


def test_users_add_takes_birth_year_and_dong(runner, db):
    result = add_user(runner, "--birth-year", "1970", "--dong", "문래동")

    assert result.exit_code == 0, result.output
    person = db.session.get(Person, int(result.output.strip()))
    assert (person.birth_year, person.dong) == (1970, "문래동")


def test_added_staff_can_log_in(runner, app, db):
    result = add_user(runner)
    assert result.exit_code == 0, result.output

    response = app.test_client().post(
        "/login", data={"phone": "010-5555-1234", "password": "secret123"}
    )

    assert response.status_code == 302


def test_a_role_given_from_the_shell_is_on_the_audit_trail(runner, db):
    result = add_user(runner, role="admin")

    person_id = int(result.output.strip())
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.create")).one()
    assert (entry.actor_id, entry.subject_id) == (None, person_id)
    assert (entry.detail["role"], entry.detail["via"]) == ("admin", "cli")


def test_users_add_refuses_a_registered_phone(refused, db, make_person, count_rows):
    make_person(phone="01055551234")
    db.session.commit()

    assert "이미 등록된 휴대전화 번호입니다." in refused()
    assert count_rows(Person) == 1


def test_users_add_refuses_a_short_password(refused):
    assert "비밀번호는 8자 이상이어야 합니다." in refused(password="short")


def test_users_add_refuses_a_bad_phone(refused):
    output = refused(phone="02-123-4567")

    assert "휴대전화 번호를 010-1234-5678 형식으로 적어 주세요." in output


def test_users_add_refuses_an_unknown_role(refused):
    output = refused(role="superuser")

    assert "superuser" in output
    assert "--role" in output


def test_users_add_refuses_a_bad_dong(refused):
    assert "사는 동을 목록에서 골라 주세요." in refused("--dong", "강남동")


def test_users_add_needs_every_required_option(runner, count_rows):
    result = runner.invoke(args=["users", "add", "--role", "staff", "--name", "김담당"])

    assert result.exit_code != 0
    assert "Missing option" in result.output
    assert count_rows(Person) == 0
