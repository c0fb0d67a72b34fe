"""Accounts: sign-up, log-in, log-out, passwords, and staff looking after people."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
