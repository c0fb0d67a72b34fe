"""Who may open what: one role check for the pages and the API."""

from functools import wraps

from flask import abort, request
from flask_login import current_user

from training.accounts.models import Role
from training.extensions import login_manager

STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})
DOOR_ROLES = STAFF_ROLES | {Role.INSTRUCTOR}


def current_person():
    """The person making the request: the API's bearer-token holder, or the logged-in user
    of the pages; None for an anonymous visitor."""
    if request.path.startswith("/api/"):
        from training.api.auth import current_api_user

        return current_api_user()
    return current_user if current_user.is_authenticated else None


def role_required(*roles: Role):
    """Only people with one of the roles: an anonymous visitor is sent to log in (401 in the
    API), anyone else gets 403."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            person = current_person()
            if person is None:
                if request.path.startswith("/api/"):
                    abort(401)
                return login_manager.unauthorized()
            if person.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
door_staff_required = role_required(*DOOR_ROLES)
