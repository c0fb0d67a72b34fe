"""Rate limits kept in Redis are shared by every worker and every server."""

import uuid

import pytest

from tests.hardening.redis_store import redis_or_skip
from training import create_app
from training.extensions import db as _db

REDIS_URL = "redis://127.0.0.1:6379/3"
LOGIN_LIMIT = 3


def _worker(database_url: str):
    """One worker's (or one server's) application, with limits kept in Redis."""
    return create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"training-test-{uuid.uuid4().hex}",
            "RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.mark.real_commits
def test_two_workers_share_one_login_limit_in_redis(app, database_url):
    store = redis_or_skip(REDIS_URL)
    # The limiter keys on the client's address: one of this test's own keeps its count apart.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    workers = [_worker(database_url), _worker(database_url)]
    clients = [worker.test_client() for worker in workers]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = address
    tries = {"phone": "010-1111-2222", "password": "wrong-password"}
    try:
        for attempt in range(LOGIN_LIMIT):
            response = clients[attempt % 2].post("/login", data=tries)
            assert response.status_code == 200, attempt

        assert clients[0].post("/login", data=tries).status_code == 429
        assert clients[1].post("/login", data=tries).status_code == 429
        assert any(address in key.decode() for key in store.scan_iter(match=f"*{address}*"))
    finally:
        store.close()
        for worker in workers:
            with worker.app_context():
                _db.session.remove()
                _db.engine.dispose()
