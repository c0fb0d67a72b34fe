"""Completion certificates: judging completion, printing, verifying, the issue ledger."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
