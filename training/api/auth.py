"""Bearer-token authentication for the API."""

from functools import wraps

from flask import g, request

from training.accounts.services import person_for_token
from training.errors import api_error


def current_api_user():
    """The person named by the request's bearer token, or None."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.api_user = person_for_token(token.strip()) if scheme.lower() == "bearer" else None
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
