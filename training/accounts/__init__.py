"""Accounts: sign-up, log-in, log-out, passwords, and staff looking after people."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from training.accounts import people_routes, routes  # noqa: E402, F401
