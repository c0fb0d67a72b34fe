"""The public catalogue of courses and runs."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from training.catalog import routes  # noqa: E402, F401
