"""Enrolling, cancelling and a person's own page."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__)

from training.enrollment import routes  # noqa: E402, F401
