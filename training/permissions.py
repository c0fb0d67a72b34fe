"""Role checks for routes."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def staff_required(view):
    """Division staff and administrators only; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
