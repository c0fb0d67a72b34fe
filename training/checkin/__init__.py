"""Check-in at the classroom door: today's sessions, scanning, self check-in."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/checkin")
