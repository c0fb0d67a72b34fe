"""Server-side log-in sessions: logging out ends a browser's session for good, a new password
ends every other one, and 내 정보 lists where the person is logged in."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW, recorded_statements
from training.accounts import auth_sessions
from training.accounts.auth_sessions import describe_user_agent, start_session
from training.accounts.models import AuthKind, AuthSession
from training.accounts.services import issue_token, load_session_user, person_for_token
from training.audit.models import AuditEntry

NEW_PASSWORD = "a-new-password-1"
PHONE_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-S911N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture
def member(db, make_person):
    person = make_person()
    db.session.commit()
    return person


def is_logged_in(client) -> bool:
    return client.get("/me").status_code == 200


def copy_of(app, client):
    """Another client holding a copy of the client's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def web_sessions(person) -> list[AuthSession]:
    return [s for s in auth_sessions.live_sessions(person, now=NOW) if s.kind is AuthKind.WEB]


def actions(db) -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


# Logging in and out


def test_logging_in_starts_a_session_on_the_server(db, client_for, member):
    client_for(member)

    started = db.session.scalars(select(AuthSession)).one()
    assert started.person_id == member.id
    assert started.kind is AuthKind.WEB
    assert started.ended_at is None
    assert started.auth_version == member.auth_version


def test_copied_session_cookie_stops_working_after_logout(app, client_for, member):
    browser = client_for(member)
    copy = copy_of(app, browser)
    assert is_logged_in(copy)

    browser.post("/logout")

    assert not is_logged_in(browser)
    assert not is_logged_in(copy)


def test_logout_records_why_the_session_ended(db, client_for, member):
    client_for(member).post("/logout")

    ended = db.session.scalars(select(AuthSession)).one()
    assert ended.ended_at is not None
    assert ended.end_reason == "logout"


def test_session_cookie_without_its_server_session_is_refused(app, db, client_for, member):
    browser = client_for(member)
    db.session.execute(AuthSession.__table__.delete())
    db.session.commit()

    assert not is_logged_in(browser)


def test_expired_session_is_refused(app, db, client_for, member):
    browser = client_for(member)
    started = db.session.scalars(select(AuthSession)).one()
    started.expires_at = started.created_at - timedelta(seconds=1)
    db.session.commit()

    assert not is_logged_in(browser)


def test_session_lasts_session_max_days(app, db, member):
    secret = start_session(member, AuthKind.WEB, now=NOW)
    days = timedelta(days=app.config["SESSION_MAX_DAYS"])

    assert load_session_user(member.get_id(), secret, now=NOW + days - timedelta(minutes=1))
    assert load_session_user(member.get_id(), secret, now=NOW + days) is None


def test_session_of_another_person_is_refused(db, make_person, member):
    other = make_person()
    secret = start_session(other, AuthKind.WEB, now=NOW)

    assert load_session_user(member.get_id(), secret, now=NOW) is None


def test_api_token_does_not_open_a_browser_session(db, member):
    token = issue_token(member, now=NOW)

    assert load_session_user(member.get_id(), token, now=NOW) is None


def test_loading_the_logged_in_person_takes_one_query(db, member):
    user_id, secret = member.get_id(), start_session(member, AuthKind.WEB, now=NOW)
    db.session.expire_all()

    with recorded_statements() as statements:
        loaded = load_session_user(user_id, secret, now=NOW)

    assert loaded.id == member.id
    assert len(statements) == 1


def test_checking_an_api_token_takes_one_query(db, member):
    token = issue_token(member, now=NOW)
    db.session.expire_all()

    with recorded_statements() as statements:
        loaded = person_for_token(token, now=NOW)

    assert loaded.id == member.id
    assert len(statements) == 1


# 내 정보: where the person is logged in


def test_account_page_lists_browsers_and_tokens(app, db, client_for, member):
    phone = app.test_client()
    phone.post(
        "/login",
        data={"phone": member.phone, "password": "password123"},
        headers={"User-Agent": PHONE_CHROME},
    )
    issue_token(member, label="curl")
    db.session.commit()

    page = client_for(member).get("/me/account").get_data(as_text=True)

    assert "로그인된 곳" in page
    assert "Chrome, Android" in page
    assert "API 토큰" in page and "curl" in page
    assert page.count("/me/sessions/") == 3 + 1  # three places and 다른 기기 모두 로그아웃
    assert "지금 이 기기" in page


def test_ending_another_browser_from_the_account_page_logs_it_out(db, client_for, member):
    here = client_for(member)
    there = client_for(member)
    theirs = max(web_sessions(member), key=lambda s: s.id)

    response = here.post(f"/me/sessions/{theirs.id}/end", follow_redirects=True)

    assert "그곳에서 로그아웃했습니다." in response.get_data(as_text=True)
    assert not is_logged_in(there)
    assert is_logged_in(here)
    assert "session.end" in actions(db)


def test_ending_this_browser_from_the_account_page_logs_out(db, client_for, member):
    here = client_for(member)
    (mine,) = web_sessions(member)

    response = here.post(f"/me/sessions/{mine.id}/end", follow_redirects=True)

    assert "로그아웃되었습니다." in response.get_data(as_text=True)
    assert not is_logged_in(here)


def test_revoking_a_token_from_the_account_page(app, db, client_for, member):
    token = issue_token(member)
    db.session.commit()
    (listed,) = [s for s in auth_sessions.live_sessions(member, now=NOW) if s.kind is AuthKind.API]

    client_for(member).post(f"/me/sessions/{listed.id}/end")

    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert "token.revoke" in actions(db)


def test_someone_elses_session_cannot_be_ended(db, client_for, make_person, member):
    other = make_person()
    db.session.commit()
    theirs = client_for(other)
    (their_session,) = web_sessions(other)

    response = client_for(member).post(
        f"/me/sessions/{their_session.id}/end", follow_redirects=True
    )

    assert "이미 로그아웃된 곳이거나 없는 곳입니다." in response.get_data(as_text=True)
    assert is_logged_in(theirs)


def test_logging_out_everywhere_else_keeps_this_browser(app, db, client_for, member):
    here = client_for(member)
    there = client_for(member)
    token = issue_token(member)
    db.session.commit()

    response = here.post("/me/sessions/end-others", follow_redirects=True)

    assert "다른 기기에서 모두 로그아웃했습니다." in response.get_data(as_text=True)
    assert is_logged_in(here)
    assert not is_logged_in(there)
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "session.end_others")
    ).one()
    assert entry.detail["count"] == 2


def test_session_pages_need_a_login(client):
    assert client.post("/me/sessions/1/end").status_code == 302
    assert client.post("/me/sessions/end-others").status_code == 302


# Labels


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (PHONE_CHROME, "Chrome, Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari, iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge, Windows",
        ),
        ("curl/8.4.0", "curl"),
        ("python-requests/2.31", "python-requests"),
        ("", ""),
        (None, ""),
        ("<script>", ""),
    ],
)
def test_user_agent_is_named_in_a_few_words(user_agent, label):
    assert describe_user_agent(user_agent) == label


@pytest.mark.parametrize("session_id", ["0", "99999999999999999999"])
def test_ending_a_place_that_is_not_there_changes_nothing(client_for, member, session_id):
    here = client_for(member)

    response = here.post(f"/me/sessions/{session_id}/end", data={"junk": "\x00"})

    # An id beyond the database's integers may already be refused as a page not found.
    assert response.status_code in (302, 404)
    assert is_logged_in(here)


def test_sessions_ended_or_expired_over_thirty_days_ago_are_forgotten(db, make_person):
    person = make_person()
    ended_long_ago = start_session(person, AuthKind.WEB, now=NOW - timedelta(days=60))
    start_session(person, AuthKind.API, now=NOW - timedelta(days=90))  # expired 60 days ago
    ended_lately = start_session(person, AuthKind.WEB, now=NOW - timedelta(days=5))
    live = start_session(person, AuthKind.WEB, now=NOW)
    for secret, when in ((ended_long_ago, 59), (ended_lately, 4)):
        row = db.session.scalar(
            select(AuthSession).where(AuthSession.key_hash == auth_sessions.hash_secret(secret))
        )
        auth_sessions.end_session(row, now=NOW - timedelta(days=when), reason="logout")

    assert auth_sessions.forget_old_sessions(NOW) == 2

    kept = db.session.scalars(select(AuthSession.key_hash)).all()
    assert sorted(kept) == sorted(auth_sessions.hash_secret(s) for s in (ended_lately, live))
