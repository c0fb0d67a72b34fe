"""Staff planning ("운영 관리"): venues, courses, runs and their sessions, closures, plans."""

from flask import Blueprint

bp = Blueprint("planning", __name__, url_prefix="/manage")
