"""The staff desk: rosters, enrolling people in person or by phone, lotteries."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
