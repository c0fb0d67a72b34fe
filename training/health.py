"""Probes for the process manager and the load balancer: /healthz says the process answers,
/readyz that what a request needs answers too (the database, and Redis when the rate limits
are kept there).

Both are open to anyone and cheap: no log-in, no session, no rate limit, no audit entry, and
nothing a cache may keep. What failed is logged here; the answer names only which check."""

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from training.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)
# Probes come often and from the machine itself, and never change anything.
limiter.exempt(bp)
csrf.exempt(bp)

# A dead Redis must not hold the probe (and a worker) for the operating system's TCP timeout.
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_SCHEMES = ("redis://", "rediss://")


@bp.route("/healthz")
def healthz():
    return _answer({"status": "ok"}, 200)


@bp.route("/readyz")
def readyz():
    checks = {"database": _check_database()}
    storage = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if storage.startswith(REDIS_SCHEMES):
        checks["redis"] = _check_redis(storage)
    if all(result == "ok" for result in checks.values()):
        return _answer({"status": "ready", "checks": checks}, 200)
    return _answer({"status": "not_ready", "checks": checks}, 503)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_database() -> str:
    """SELECT 1 on the application's own engine and pool."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("Readiness: the database did not answer: %s", error)
        return "failed"
    return "ok"


def _check_redis(url: str) -> str:
    """PING the rate limits' Redis on a connection of its own, with a short timeout."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError) as error:
        current_app.logger.warning("Readiness: Redis did not answer: %s", error)
        return "failed"
    finally:
        client.close()
    return "ok"
