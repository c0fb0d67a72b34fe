"""/healthz and /readyz answer the process manager and the load balancer, cheaply and openly."""

import pytest
from sqlalchemy.exc import OperationalError

from tests.hardening.redis_store import redis_or_skip
from training.audit.models import AuditEntry
from training.extensions import db as _db

LOCAL_REDIS = "redis://127.0.0.1:6379/3"
# Nothing listens on port 1: the connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _assert_probe_answer(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_says_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    _assert_probe_answer(response)


def test_healthz_answers_even_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(_db.session, "execute", broken)

    assert client.get("/healthz").status_code == 200


def test_readyz_with_memory_rate_limits_checks_only_the_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}
    _assert_probe_answer(response)


def test_readyz_is_not_ready_when_the_database_does_not_answer(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(_db.session, "execute", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready", "checks": {"database": "failed"}}
    _assert_probe_answer(response)


def test_readyz_is_not_ready_when_redis_does_not_answer(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = DEAD_REDIS

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "redis": "failed"},
    }
    _assert_probe_answer(response)


def test_readyz_is_ready_when_redis_answers(app, client):
    redis_or_skip(LOCAL_REDIS).close()
    app.config["RATELIMIT_STORAGE_URI"] = LOCAL_REDIS

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_log_in_no_csrf_token_and_write_no_audit_entry(
    app, client, path, count_rows
):
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    assert count_rows(AuditEntry) == 0


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_ignore_a_language_choice(client, path):
    # ?lang= sets a cookie on pages; a probe's answer stays cookie-free.
    response = client.get(f"{path}?lang=en")

    assert response.status_code == 200
    _assert_probe_answer(response)
