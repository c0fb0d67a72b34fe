"""QR attendance passes: the signed token, the resident's pass page and printed wallet cards."""

from flask import Blueprint

bp = Blueprint("passes", __name__)
