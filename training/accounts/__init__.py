"""Accounts: sign-up, log-in, log-out."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from training.accounts import routes  # noqa: E402, F401
