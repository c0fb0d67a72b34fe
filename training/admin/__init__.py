"""Administration for admins only: the audit trail, searched and exported."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
