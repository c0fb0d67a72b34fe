"""Behind a proxy: the client's real address for limits and the audit trail; https only."""

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from training import create_app
from training.audit.models import AuditEntry
from training.extensions import db as _db

LOGIN_LIMIT = 2
WRONG_LOG_IN = {"phone": "010-1111-2222", "password": "wrong-password"}


@contextmanager
def built_app(database_url, **config):
    """An application of the test's own, its database connections closed at the end."""
    app = create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def log_in_from(client, forwarded_for: str, data=WRONG_LOG_IN):
    return client.post("/login", data=data, headers={"X-Forwarded-For": forwarded_for})


@pytest.mark.real_commits
def test_trusted_proxy_gives_each_forwarded_client_its_own_login_limit(app, database_url):
    with built_app(database_url, TRUSTED_PROXIES=1) as proxied:
        client = proxied.test_client()
        for attempt in range(LOGIN_LIMIT):
            assert log_in_from(client, "203.0.113.10").status_code == 200, attempt

        assert log_in_from(client, "203.0.113.10").status_code == 429
        assert log_in_from(client, "203.0.113.11").status_code == 200


@pytest.mark.real_commits
def test_forwarded_for_is_ignored_without_trusted_proxies(app, database_url):
    with built_app(database_url) as direct:
        client = direct.test_client()
        for attempt in range(LOGIN_LIMIT):
            assert log_in_from(client, f"198.51.100.{attempt}").status_code == 200, attempt

        assert log_in_from(client, "198.51.100.99").status_code == 429


@pytest.mark.real_commits
def test_log_in_audit_entry_records_the_forwarded_address(app, database_url, make_person):
    make_person(phone="01023456789", password="password123")
    _db.session.commit()
    right = {"phone": "010-2345-6789", "password": "password123"}
    with built_app(database_url, TRUSTED_PROXIES=1) as proxied:
        response = log_in_from(proxied.test_client(), "203.0.113.20", data=right)

    assert response.status_code == 302
    entry = _db.session.scalars(select(AuditEntry).filter_by(action="auth.login")).one()
    assert entry.address == "203.0.113.20"


def test_https_public_url_makes_cookies_secure_and_sends_hsts(app, database_url):
    with built_app(database_url, PUBLIC_URL="https://edu.example.go.kr") as secure:
        response = secure.test_client().get("/?lang=en")

    assert "Secure" in response.headers["Set-Cookie"]
    assert secure.config["SESSION_COOKIE_SECURE"] and secure.config["REMEMBER_COOKIE_SECURE"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_public_url_sends_no_hsts_and_no_secure_cookies(app, database_url):
    with built_app(database_url, PUBLIC_URL="http://localhost:5000") as plain:
        response = plain.test_client().get("/?lang=en")

    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
