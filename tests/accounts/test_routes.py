"""Sign-up, log-in and log-out pages through the test client."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from training.accounts.models import ConsentMethod, Person, Role


def signup_form(**changes) -> dict:
    form = {
        "name": "김영희",
        "phone": "010-2345-6789",
        "birth_year": "1956",
        "dong": "대림3동",
        "password": "long-enough-1",
        "password_again": "long-enough-1",
        "consent": "y",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def is_logged_in(client) -> bool:
    return client.get("/me").status_code == 200


@pytest.fixture
def member(db, make_person):
    """A registered person (with make_person's password), committed."""
    person = make_person()
    db.session.commit()
    return person


@pytest.fixture
def logged_in(client_for, member):
    """A client logged in as a registered person."""
    return client_for(member)


def log_in_then_go_to(client, person, target: str):
    """Log in through the form with `next` set to the target; the response."""
    return client.post(
        "/login",
        query_string={"next": target},
        data={"phone": person.phone, "password": "password123"},
    )


# Sign-up


def test_signup_registers_logs_in_and_redirects(client, db):
    response = client.post("/signup", data=signup_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    person = db.session.scalar(select(Person).where(Person.phone == "01023456789"))
    assert person is not None
    assert person.role is Role.RESIDENT
    assert person.consent_method is ConsentMethod.ONLINE
    assert person.password_hash and "long-enough-1" not in person.password_hash
    me = client.get("/me")
    assert me.status_code == 200
    html = me.get_data(as_text=True)
    assert "가입되었습니다." in html
    assert "김영희님의 수강신청 내역입니다." in html


def test_signup_follows_a_local_next(client):
    response = client.post("/signup?next=/runs/7", data=signup_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/runs/7"


def test_signup_without_consent_is_refused(client, count_rows):
    response = client.post("/signup", data=signup_form(consent=None))

    assert response.status_code == 200
    assert "개인정보 수집·이용에 동의해야 가입할 수 있습니다." in response.get_data(as_text=True)
    assert count_rows(Person) == 0
    assert not is_logged_in(client)


def test_signup_with_a_registered_phone_says_so(client, db, make_person, count_rows):
    make_person(phone="01023456789")
    db.session.commit()

    response = client.post("/signup", data=signup_form(phone="010-2345-6789"))

    assert response.status_code == 200
    assert "이미 등록된 휴대전화 번호입니다." in response.get_data(as_text=True)
    assert count_rows(Person) == 1
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "phone", ["010-２３４５-６７８９", "010٢٣٤٥٦٧٨٩"], ids=["fullwidth", "arabic"]
)
def test_signup_with_the_same_phone_in_other_digits_is_not_a_second_account(
    client, db, make_person, count_rows, phone
):
    make_person(phone="01023456789")
    db.session.commit()

    response = client.post("/signup", data=signup_form(phone=phone))

    assert response.status_code == 200
    assert count_rows(Person) == 1
    assert not is_logged_in(client)


def test_signup_with_different_passwords_is_refused(client, count_rows):
    response = client.post("/signup", data=signup_form(password_again="something-else"))

    assert response.status_code == 200
    assert "두 비밀번호가 같지 않습니다." in response.get_data(as_text=True)
    assert count_rows(Person) == 0


def test_signup_with_a_short_password_is_refused(client, count_rows):
    response = client.post("/signup", data=signup_form(password="short", password_again="short"))

    assert response.status_code == 200
    assert "비밀번호는 8자 이상이어야 합니다." in response.get_data(as_text=True)
    assert count_rows(Person) == 0


@pytest.mark.parametrize("birth_year", ["abcd", "", "1e3", "1956.0", "1800", "2030"])
def test_signup_with_a_bad_birth_year_shows_a_field_error(client, count_rows, birth_year):
    response = client.post("/signup", data=signup_form(birth_year=birth_year))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="birth_year-error"' in html
    assert "태어난 해를 네 자리 숫자로 적어 주세요." in html
    assert count_rows(Person) == 0


def test_signup_with_a_bad_phone_shows_a_field_error(client, count_rows):
    response = client.post("/signup", data=signup_form(phone="02-123-4567"))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="phone-error"' in html
    assert "휴대전화 번호를 010-1234-5678 형식으로 적어 주세요." in html
    assert count_rows(Person) == 0


def test_signup_page_shows_what_is_collected_and_for_how_long(client):
    html = client.get("/signup").get_data(as_text=True)

    assert "개인정보 수집·이용 동의" in html
    assert "마지막 수강 후 2년." in html


def test_signup_when_logged_in_goes_to_my_page(logged_in):
    response = logged_in.get("/signup")

    assert response.status_code == 302
    assert response.headers["Location"] == "/me"


# Log-in


def test_login_with_the_right_password_logs_in(client, db, make_person):
    person = make_person(name="박철수", phone="01098765432")
    db.session.commit()

    response = client.post("/login", data={"phone": "010-9876-5432", "password": "password123"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = client.get("/me").get_data(as_text=True)
    assert "박철수님, 반갑습니다." in html
    db.session.refresh(person)
    assert person.last_login_at is not None


@pytest.mark.parametrize(
    ("phone", "password"),
    [
        ("010-9876-5432", "wrong-password"),
        ("010-1111-2222", "password123"),
        ("not a phone", "password123"),
    ],
)
def test_login_with_wrong_credentials_is_refused(client, db, make_person, phone, password):
    make_person(phone="01098765432")
    db.session.commit()

    response = client.post("/login", data={"phone": phone, "password": password})

    assert response.status_code == 200
    assert "휴대전화 번호 또는 비밀번호가 맞지 않습니다." in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_person_registered_at_the_desk_cannot_log_in_without_a_password(client, db, make_person):
    person = make_person(password=None)
    db.session.commit()

    response = client.post("/login", data={"phone": person.phone, "password": ""})

    assert response.status_code == 200
    assert not is_logged_in(client)


@pytest.mark.parametrize("target", ["/me", "/runs/3?lang=en"])
def test_login_follows_a_local_next(client, member, target):
    response = log_in_then_go_to(client, member, target)

    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/login",
        "///evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_to_another_site(client, member, target):
    response = log_in_then_go_to(client, member, target)

    assert response.status_code == 302
    location = response.headers["Location"]
    # Browsers read a backslash as a slash and drop tabs and newlines in URLs.
    as_browser_reads_it = location.replace("\\", "/").replace("\t", "").replace("\n", "")
    parts = urlsplit(as_browser_reads_it)
    assert not parts.scheme and not parts.netloc, location
    assert as_browser_reads_it.startswith("/") and not as_browser_reads_it.startswith("//")


def test_login_page_requires_nothing_and_logged_in_people_skip_it(client, logged_in):
    assert client.get("/login").status_code == 200

    response = logged_in.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/me"


# Log-out


def test_logout_by_get_is_not_allowed(logged_in):
    response = logged_in.get("/logout")

    assert response.status_code == 405
    assert is_logged_in(logged_in)


def test_logout_by_post_logs_out(logged_in):
    response = logged_in.post("/logout", follow_redirects=True)

    assert response.status_code == 200
    assert "로그아웃되었습니다." in response.get_data(as_text=True)
    assert not is_logged_in(logged_in)


def test_my_page_requires_login(client):
    response = client.get("/me")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
