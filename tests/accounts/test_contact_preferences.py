"""How people choose to be told about their enrollments: by text message, email or not at
all, and in which language; at sign-up, at the desk, on their own page and through the API."""

import json
import re

import pytest
from sqlalchemy import select

from tests.accounts.test_routes import signup_form
from tests.desk.test_routes import new_person_form
from training.accounts.models import MessageChannel, Person
from training.accounts.services import AccountError, create_person, update_contact
from training.audit.models import AuditEntry


def contact_entries(db) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.update_contact")
    ).all()


def person_with_phone(db, phone: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.phone == phone))


def checked(html: str, name: str) -> list[str]:
    """The values of the radio buttons called name that the page has ticked."""
    inputs = re.findall(r"<input [^>]*>", html)
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in inputs
        if f'name="{name}"' in tag and 'type="radio"' in tag and re.search(r"\schecked\b", tag)
    ]


# The rule, in the service


def register(**changes) -> Person:
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


@pytest.mark.usefixtures("app")
def test_a_new_person_is_told_by_text_message_in_korean_unless_they_choose():
    person = register()

    assert person.message_channel is MessageChannel.SMS
    assert person.email is None
    assert person.locale == "ko"


@pytest.mark.usefixtures("app")
def test_a_new_person_may_choose_email_and_english():
    person = register(message_channel=MessageChannel.EMAIL, email="kim@example.com", locale="en")

    assert person.message_channel is MessageChannel.EMAIL
    assert person.email == "kim@example.com"
    assert person.locale == "en"


@pytest.mark.usefixtures("app")
def test_an_email_typed_in_wide_letters_is_kept_in_ascii_with_its_domain_in_lower_case():
    person = register(message_channel="email", email=" Kim.Young＠Example.COM ")

    assert person.email == "Kim.Young@example.com"


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("channel", [MessageChannel.SMS, MessageChannel.NONE])
def test_an_email_is_not_kept_without_the_email_channel(channel):
    person = register(message_channel=channel, email="kim@example.com")

    assert person.email is None


@pytest.mark.parametrize("email", [None, "", "   "])
def test_the_email_channel_needs_an_address(count_rows, email):
    with pytest.raises(AccountError) as caught:
        register(message_channel=MessageChannel.EMAIL, email=email)

    assert caught.value.code == "email_required"
    assert caught.value.field == "email"
    assert caught.value.message == "이메일로 안내 받으려면 이메일 주소를 적어 주세요."
    assert count_rows(Person) == 0


@pytest.mark.parametrize(
    "email",
    [
        "kim",
        "kim@",
        "@example.com",
        "kim@navercom",
        "kim@@example.com",
        "kim@example..com",
        "kim@-example.com",
        "김영희@example.com",
        "kim young@example.com",
        "kim@exam\nple.com",
        "kim@exam\x00ple.com",
        "k" * 65 + "@example.com",
        "kim@" + "a" * 250 + ".kr",
    ],
)
def test_an_address_that_cannot_be_an_email_is_refused(count_rows, email):
    with pytest.raises(AccountError) as caught:
        register(message_channel=MessageChannel.EMAIL, email=email)

    assert caught.value.code == "invalid_email"
    assert caught.value.field == "email"
    assert count_rows(Person) == 0


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"message_channel": "kakao"}, "invalid_channel"),
        ({"message_channel": None}, "invalid_channel"),
        ({"locale": "ja"}, "invalid_locale"),
        ({"locale": ""}, "invalid_locale"),
    ],
)
def test_an_unknown_channel_or_language_is_refused(count_rows, changes, code):
    with pytest.raises(AccountError) as caught:
        register(**changes)

    assert caught.value.code == code
    assert count_rows(Person) == 0


def test_changing_contact_records_the_changed_fields_without_their_values(db, make_person):
    person = make_person()

    changed = update_contact(
        person,
        message_channel=MessageChannel.EMAIL,
        email="kim@example.com",
        locale="ko",
        actor=person,
    )

    assert changed == ["message_channel", "email"]
    assert person.message_channel is MessageChannel.EMAIL
    assert person.email == "kim@example.com"
    [entry] = contact_entries(db)
    assert entry.actor_id == person.id
    assert entry.subject_id == person.id
    assert entry.detail == {"fields": ["message_channel", "email"]}


def test_saving_the_same_contact_records_nothing(db, make_person):
    person = make_person()

    changed = update_contact(
        person, message_channel=MessageChannel.SMS, email=None, locale="ko", actor=person
    )

    assert changed == []
    assert contact_entries(db) == []


def test_a_refused_change_changes_nothing(db, make_person):
    person = make_person()

    with pytest.raises(AccountError):
        update_contact(
            person, message_channel=MessageChannel.EMAIL, email="kim", locale="en", actor=person
        )

    assert person.message_channel is MessageChannel.SMS
    assert person.locale == "ko"
    assert contact_entries(db) == []


# Sign-up page


def test_signup_offers_the_channels_with_text_messages_chosen(client):
    html = client.get("/signup").get_data(as_text=True)

    assert "안내 받는 방법" in html
    assert "문자 (기본)" in html and "이메일" in html and "받지 않음" in html
    assert checked(html, "message_channel") == ["sms"]
    assert 'type="email"' in html
    assert "이메일을 고른 분만 적어 주세요." in html
    assert "이메일 주소: 이메일로 안내 받기를 고른 분만" in html


def test_signup_on_the_korean_page_stores_the_choice_and_korean(client, db):
    response = client.post(
        "/signup", data=signup_form(message_channel="email", email="younghee@example.com")
    )

    assert response.status_code == 302
    person = person_with_phone(db, "01023456789")
    assert person.message_channel is MessageChannel.EMAIL
    assert person.email == "younghee@example.com"
    assert person.locale == "ko"


def test_signup_on_the_english_page_stores_english(client, db):
    client.get("/signup?lang=en")

    response = client.post("/signup", data=signup_form(message_channel="none"))

    assert response.status_code == 302
    person = person_with_phone(db, "01023456789")
    assert person.message_channel is MessageChannel.NONE
    assert person.locale == "en"


def test_signup_without_a_choice_means_text_messages(client, db):
    client.post("/signup", data=signup_form())

    assert person_with_phone(db, "01023456789").message_channel is MessageChannel.SMS


def test_signup_with_email_chosen_but_no_address_says_so_and_creates_nobody(client, count_rows):
    response = client.post("/signup", data=signup_form(message_channel="email", email=""))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "이메일로 안내 받으려면 이메일 주소를 적어 주세요." in html
    assert 'id="email-error"' in html
    assert count_rows(Person) == 0


def test_signup_with_a_bad_email_is_refused(client, count_rows):
    response = client.post(
        "/signup", data=signup_form(message_channel="email", email="younghee@navercom")
    )

    assert response.status_code == 200
    assert "이메일 주소를 name@example.com 처럼 적어 주세요." in response.get_data(as_text=True)
    assert count_rows(Person) == 0


def test_signup_with_an_unknown_channel_is_refused(client, count_rows):
    response = client.post("/signup", data=signup_form(message_channel="kakao"))

    assert response.status_code == 200
    assert 'id="message_channel-error"' in response.get_data(as_text=True)
    assert count_rows(Person) == 0


# My account page


@pytest.fixture
def member(db, make_person):
    person = make_person(name="박순자", phone="01055556666")
    db.session.commit()
    return person


def account_form(**changes) -> dict:
    form = {"message_channel": "sms", "email": "", "locale": "ko"}
    form.update(changes)
    return form


def test_my_account_needs_log_in(client):
    response = client.get("/me/account")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_my_account_shows_the_person_and_their_choices(client_for, member):
    html = client_for(member).get("/me/account").get_data(as_text=True)

    assert "박순자" in html
    assert "010-****-6666" in html and "01055556666" not in html
    assert "당산2동" in html
    assert checked(html, "message_channel") == ["sms"]
    assert checked(html, "locale") == ["ko"]
    assert 'href="/me/password"' in html


def test_the_header_and_my_page_link_to_my_account(client_for, member):
    html = client_for(member).get("/me").get_data(as_text=True)
    header = re.search(r"<header.*?</header>", html, re.S).group(0)
    main = re.search(r"<main.*?</main>", html, re.S).group(0)

    # The header's menu is written twice, in full for wide screens and behind 메뉴 for phones.
    assert header.count('href="/me/account"') == 2
    assert main.count('href="/me/account"') == 1


def test_my_account_saves_the_choice_and_audits_only_the_field_names(client_for, member, db):
    client = client_for(member)

    response = client.post(
        "/me/account", data=account_form(message_channel="email", email="soonja@example.com")
    )

    assert response.status_code == 302
    db.session.refresh(member)
    assert member.message_channel is MessageChannel.EMAIL
    assert member.email == "soonja@example.com"
    [entry] = contact_entries(db)
    assert entry.detail == {"fields": ["message_channel", "email"]}
    assert "soonja" not in json.dumps(entry.detail)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "내 정보를 저장했습니다." in page
    assert 'value="soonja@example.com"' in page


def test_my_account_with_email_chosen_but_no_address_says_so_and_keeps_the_old_choice(
    client_for, member, db
):
    response = client_for(member).post("/me/account", data=account_form(message_channel="email"))

    assert response.status_code == 400
    assert "이메일로 안내 받으려면 이메일 주소를 적어 주세요." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.message_channel is MessageChannel.SMS
    assert contact_entries(db) == []


def test_choosing_another_channel_removes_the_email(client_for, member, db):
    member.message_channel = MessageChannel.EMAIL
    member.email = "soonja@example.com"
    db.session.commit()

    client_for(member).post("/me/account", data=account_form(message_channel="none"))

    db.session.refresh(member)
    assert member.message_channel is MessageChannel.NONE
    assert member.email is None


def test_choosing_english_saves_it_and_shows_the_pages_in_english(client_for, member, db):
    client = client_for(member)

    response = client.post("/me/account", data=account_form(locale="en"))

    assert response.status_code == 302
    db.session.refresh(member)
    assert member.locale == "en"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Change password" in page
    assert client.get_cookie("lang").value == "en"
    # The language stays when the person goes on to another page.
    assert "My applications" in client.get("/me").get_data(as_text=True)


def test_my_account_refuses_a_post_without_its_token(app, client_for, member, db):
    client = client_for(member)
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/me/account", data=account_form(locale="en"))

    assert response.status_code == 400
    db.session.refresh(member)
    assert member.locale == "ko"


# The desk


def test_the_desk_registers_a_person_who_wants_email(desk, db, make_open_run):
    run = make_open_run()
    db.session.commit()

    response = desk.post(
        f"/desk/runs/{run.id}/enroll-new",
        data=new_person_form(message_channel="email", email="malsoon@example.com"),
    )

    assert response.status_code == 200
    person = person_with_phone(db, "01033334444")
    assert person.message_channel is MessageChannel.EMAIL
    assert person.email == "malsoon@example.com"
    assert person.locale == "ko"


def test_the_desk_form_offers_the_channels_with_text_messages_chosen(desk, db, make_open_run):
    run = make_open_run()
    db.session.commit()

    html = desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)

    assert checked(html, "message_channel") == ["sms"]
    assert 'name="email"' in html


def test_the_desk_refuses_email_without_an_address(desk, db, make_open_run, count_rows):
    run = make_open_run()
    db.session.commit()
    before = count_rows(Person)

    response = desk.post(
        f"/desk/runs/{run.id}/enroll-new", data=new_person_form(message_channel="email")
    )

    assert response.status_code == 400
    assert "이메일로 안내 받으려면 이메일 주소를 적어 주세요." in response.get_data(as_text=True)
    assert count_rows(Person) == before


def test_the_persons_page_shows_staff_the_channel_and_email(desk, db, make_person):
    person = make_person()
    person.message_channel = MessageChannel.EMAIL
    person.email = "gildong@example.com"
    db.session.commit()

    html = desk.get(f"/desk/people/{person.id}").get_data(as_text=True)

    assert "안내 받는 방법" in html
    assert "gildong@example.com" in html


# The API


def signup_body(**changes) -> dict:
    body = {
        "name": "김영희",
        "phone": "010-2345-6789",
        "password": "long-enough-1",
        "birth_year": 1956,
        "dong": "대림3동",
        "consent": True,
    }
    body.update(changes)
    return body


def test_api_signup_without_the_new_fields_means_text_messages_in_korean(client):
    response = client.post("/api/v1/auth/signup", json=signup_body())

    assert response.status_code == 201
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['token']}"}
    ).get_json()
    assert (me["message_channel"], me["email"], me["locale"]) == ("sms", None, "ko")


def test_api_signup_with_the_new_fields_stores_them(client):
    response = client.post(
        "/api/v1/auth/signup",
        json=signup_body(message_channel="email", email="younghee@example.com", locale="en"),
    )

    assert response.status_code == 201
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['token']}"}
    ).get_json()
    assert (me["message_channel"], me["email"], me["locale"]) == (
        "email",
        "younghee@example.com",
        "en",
    )


def test_api_signup_in_english_without_a_locale_is_english(client, db):
    response = client.post("/api/v1/auth/signup?lang=en", json=signup_body())

    assert response.status_code == 201
    assert db.session.get(Person, response.get_json()["id"]).locale == "en"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"message_channel": "email"}, "email_required"),
        ({"message_channel": "email", "email": "kim@navercom"}, "invalid_email"),
        ({"message_channel": "kakao"}, "invalid_parameter"),
        ({"locale": "ja"}, "invalid_parameter"),
        ({"email": 5}, "invalid_parameter"),
    ],
)
def test_api_signup_refusals_about_contact(client, count_rows, changes, code):
    response = client.post("/api/v1/auth/signup", json=signup_body(**changes))

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert count_rows(Person) == 0
