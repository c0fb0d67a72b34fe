"""Enrolling, cancelling and a person's own page."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__)
