"""Bearer-token authentication for the API."""

from functools import wraps

from flask import g, request

from training.accounts.services import person_for_token
from training.errors import api_error


def presented_token() -> str | None:
    """The bearer token the request presents, whether or not it is any good."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_api_user():
    """The person named by the request's bearer token, or None."""
    if "api_user" not in g:
        token = presented_token()
        g.api_user = person_for_token(token) if token else None
    return g.api_user


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_api_user() is None:
            return api_error(
                "unauthorized", "A valid bearer token is required (Authorization: Bearer ...).", 401
            )
        return view(*args, **kwargs)

    return wrapped
