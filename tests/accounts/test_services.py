"""Account rules, called directly: phone numbers, masking, sign-up, log-in and tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import has_request_context
from sqlalchemy import select

from training.accounts.auth_sessions import start_session
from training.accounts.models import AuthKind, ConsentMethod, Person, Role
from training.accounts.services import (
    AccountError,
    authenticate,
    create_person,
    format_phone,
    issue_token,
    load_session_user,
    mask_name,
    mask_phone,
    normalize_phone,
    person_for_token,
    validate_person_fields,
)
from training.audit.models import AuditEntry
from training.clock import utcnow

# Every test runs in the application context and outside any request, as the CLI does.
pytestmark = pytest.mark.usefixtures("app")

# A fixed moment for issuing tokens: conftest's NOW (10:00 in Seoul).
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def sign_up(**changes) -> Person:
    fields = {
        "name": "김영희",
        "phone": "010-2345-6789",
        "birth_year": 1955,
        "dong": "문래동",
        "password": "correct horse",
        "consent": True,
    }
    fields.update(changes)
    return create_person(**fields)


@pytest.fixture
def refusal(count_rows):
    """Sign up with some fields changed, expect an AccountError and nobody added; the error."""

    def refuse(**changes) -> AccountError:
        before = count_rows(Person)
        with pytest.raises(AccountError) as caught:
            sign_up(**changes)
        assert count_rows(Person) == before
        return caught.value

    return refuse


# Phone numbers and masking


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("010-1234-5678", "01012345678"),
        (" 010 1234 5678 ", "01012345678"),
        ("01012345678", "01012345678"),
        ("011-123-4567", "0111234567"),
    ],
)
def test_normalize_phone_keeps_mobile_digits(raw, digits):
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize("raw", ["02-123-4567", "abc", "", None, "010-1234-56789", "010-123"])
def test_normalize_phone_rejects_non_mobile(raw):
    with pytest.raises(AccountError) as caught:
        normalize_phone(raw)

    assert caught.value.code == "invalid_phone"
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("홍길동", "홍*동"), ("남궁민수", "남**수"), ("이산", "이*"), ("김", "김")],
)
def test_mask_name_keeps_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("digits", "masked"), [("01012345678", "010-****-5678"), ("0111234567", "011-****-4567")]
)
def test_mask_phone_hides_middle_digits(digits, masked):
    assert mask_phone(digits) == masked


@pytest.mark.parametrize(
    ("digits", "shown"), [("01012345678", "010-1234-5678"), ("0111234567", "011-123-4567")]
)
def test_format_phone_adds_hyphens(digits, shown):
    assert format_phone(digits) == shown


# Sign-up


def test_create_person_refuses_without_consent(refusal):
    error = refusal(consent=False)

    assert (error.code, error.field) == ("consent_required", "consent")


@pytest.mark.parametrize("birth_year", ["abc", None, 1899, 2025])
def test_create_person_refuses_bad_birth_year(refusal, birth_year):
    error = refusal(birth_year=birth_year)

    assert (error.code, error.field) == ("invalid_birth_year", "birth_year")


@pytest.mark.parametrize("birth_year", [1906, 2021])
def test_birth_year_edges_are_accepted(birth_year):
    now = datetime(2026, 6, 1, tzinfo=UTC)

    assert validate_person_fields("김영희", birth_year, "문래동", now=now)[1] == birth_year


@pytest.mark.parametrize("birth_year", [1905, 2022])
def test_birth_year_beyond_edges_is_refused(birth_year):
    now = datetime(2026, 6, 1, tzinfo=UTC)

    with pytest.raises(AccountError) as caught:
        validate_person_fields("김영희", birth_year, "문래동", now=now)

    assert caught.value.code == "invalid_birth_year"


@pytest.mark.parametrize("dong", ["강남동", "", "문래"])
def test_create_person_refuses_bad_dong(refusal, dong):
    error = refusal(dong=dong)

    assert (error.code, error.field) == ("invalid_dong", "dong")


def test_create_person_accepts_outside_district():
    assert sign_up(dong="구외").is_district_resident is False


@pytest.mark.parametrize("name", ["", " ", "김", "가" * 41])
def test_create_person_refuses_bad_name(refusal, name):
    assert refusal(name=name).code == "invalid_name"


def test_create_person_strips_name():
    assert sign_up(name="  김영희 ").name == "김영희"


@pytest.mark.parametrize("password", ["short", "1234567", ""])
def test_create_person_refuses_short_password(refusal, password):
    error = refusal(password=password)

    assert (error.code, error.field) == ("weak_password", "password")


def test_create_person_refuses_overlong_password(refusal):
    assert refusal(password="x" * 129).code == "weak_password"


def test_create_person_refuses_invalid_phone(refusal):
    assert refusal(phone="02-123-4567").code == "invalid_phone"


def test_create_person_refuses_taken_phone(count_rows, refusal):
    sign_up(phone="010-2345-6789")

    error = refusal(phone="010 2345 6789", name="박철수")

    assert (error.code, error.status) == ("phone_taken", 409)
    assert count_rows(Person) == 1


def test_create_person_stores_cleaned_fields(app):
    person = sign_up(phone="010-2345-6789", dong="대림3동", birth_year="1955")

    assert person.id is not None
    assert (person.phone, person.birth_year, person.dong) == ("01023456789", 1955, "대림3동")
    assert person.role is Role.RESIDENT
    assert person.consent_version == app.config["CONSENT_VERSION"]
    assert person.consent_method is ConsentMethod.ONLINE


def test_create_person_hashes_password():
    person = sign_up(password="correct horse")

    assert person.password_hash
    assert "correct horse" not in person.password_hash


def test_create_person_without_password_cannot_log_in():
    person = sign_up(password=None)

    assert person.password_hash is None
    assert person.can_log_in is False


def test_create_person_by_staff_writes_audit_entry(db, make_person):
    staff = make_person(role=Role.STAFF)

    person = sign_up(created_by=staff, consent_method=ConsentMethod.DESK, password=None)

    entries = db.session.scalars(select(AuditEntry)).all()
    assert [(e.action, e.actor_id, e.subject_id) for e in entries] == [
        ("person.create", staff.id, person.id)
    ]
    assert person.created_by_id == staff.id


def test_create_person_by_self_writes_no_audit_entry(db):
    sign_up()

    assert db.session.scalars(select(AuditEntry)).all() == []


def test_refusal_outside_request_raises_account_error(db):
    assert not has_request_context()
    with pytest.raises(AccountError) as caught:
        sign_up(phone="02-123-4567")

    assert caught.value.code == "invalid_phone"


# Log-in


def test_authenticate_with_right_password_returns_person():
    person = sign_up(phone="010-2345-6789", password="correct horse")

    assert authenticate("010-2345-6789", "correct horse") is person
    assert person.last_login_at is not None


@pytest.mark.parametrize(
    ("phone", "password"),
    [
        ("010-2345-6789", "wrong horse"),
        ("010-2345-6789", ""),
        ("010-2345-6789", None),
        ("010-9999-9999", "correct horse"),
        ("not a phone", "correct horse"),
    ],
)
def test_authenticate_refuses_wrong_password_or_unknown_phone(phone, password):
    sign_up(phone="010-2345-6789", password="correct horse")

    with pytest.raises(AccountError) as caught:
        authenticate(phone, password)

    assert (caught.value.code, caught.value.status) == ("invalid_credentials", 401)


def test_authenticate_refuses_person_without_password():
    sign_up(phone="010-2345-6789", password=None)

    with pytest.raises(AccountError) as caught:
        authenticate("010-2345-6789", "")

    assert caught.value.code == "invalid_credentials"


def test_authenticate_refuses_inactive_person():
    person = sign_up(phone="010-2345-6789", password="correct horse")
    person.is_active = False

    with pytest.raises(AccountError) as caught:
        authenticate("010-2345-6789", "correct horse")

    assert caught.value.code == "invalid_credentials"


# API tokens and sessions


def test_token_names_the_person_it_was_issued_to(make_person):
    person = make_person()
    make_person()

    assert person_for_token(issue_token(person)) is person


def test_token_stops_working_after_auth_version_changes(db, make_person):
    person = make_person()
    token = issue_token(person)

    person.auth_version += 1
    db.session.flush()

    assert person_for_token(token) is None
    assert person_for_token(issue_token(person)) is person


def test_token_of_inactive_person_is_refused(db, make_person):
    person = make_person()
    token = issue_token(person)

    person.is_active = False
    db.session.flush()

    assert person_for_token(token) is None


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 500])
def test_malformed_token_is_refused(make_person, token):
    make_person()

    assert person_for_token(token) is None


def test_token_with_one_character_changed_is_refused(make_person):
    token = issue_token(make_person())
    altered = "A" if token[10] != "A" else "B"

    assert person_for_token(token[:10] + altered + token[11:]) is None


def test_expired_token_is_refused(app, make_person):
    person = make_person()
    token = issue_token(person, now=NOW)
    age = timedelta(seconds=app.config["API_TOKEN_MAX_AGE"] + 60)

    assert person_for_token(token, now=NOW + age) is None


def test_token_within_max_age_is_accepted(app, make_person):
    person = make_person()
    token = issue_token(person, now=NOW)
    age = timedelta(seconds=app.config["API_TOKEN_MAX_AGE"] - 60)

    assert person_for_token(token, now=NOW + age) is person


def test_token_for_deleted_person_is_refused(db, make_person):
    person = make_person()
    token = issue_token(person)

    db.session.delete(person)
    db.session.flush()

    assert person_for_token(token) is None


def test_session_user_with_current_version_is_loaded(make_person):
    person = make_person()
    secret = start_session(person, AuthKind.WEB, now=utcnow())

    assert load_session_user(person.get_id(), secret) is person


def test_session_user_with_stale_version_is_none(db, make_person):
    person = make_person()
    session_id, secret = person.get_id(), start_session(person, AuthKind.WEB, now=utcnow())

    person.auth_version += 1
    db.session.flush()

    assert load_session_user(session_id, secret) is None


def test_session_user_without_the_secret_is_none(make_person):
    person = make_person()
    start_session(person, AuthKind.WEB, now=utcnow())

    assert load_session_user(person.get_id()) is None


@pytest.mark.parametrize("user_id", ["", "abc", "1", "1:2:3", "x:1"])
def test_session_user_with_malformed_id_is_none(make_person, user_id):
    make_person()

    assert load_session_user(user_id) is None
