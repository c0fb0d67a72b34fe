"""The one limit on guessing check codes, shared by the verification page and the API."""

from flask import current_app, request

from training.extensions import limiter

SCOPE = "certificate-verification"


def _limit() -> str:
    # A check code is a secret like a password: guessing it is held to the log-in limit.
    return current_app.config["RATELIMIT_LOGIN"]


def _is_wrong_try(response) -> bool:
    # Opening the page to type a code costs nothing; a refused code counts.
    return response.status_code == 404 and bool(request.args.get("code"))


def verification_limit():
    """Limit wrong check codes per address, counted together on the page and the API."""
    return limiter.shared_limit(_limit, scope=SCOPE, deduct_when=_is_wrong_try)
