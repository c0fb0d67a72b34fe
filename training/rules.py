"""What a service raises when a rule refuses a request, and how a page reports the outcome."""

from collections.abc import Callable

from flask import flash

from training.extensions import db


class RuleError(Exception):
    """A rule refused the request: a code for API clients, a message safe to show."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def commit_and_flash(action: Callable, success: str | Callable) -> bool:
    """Run one service call; on success commit and flash the success message (text, or a
    function of the call's result, evaluated before the commit); on a refusal roll back and
    flash why. Returns whether it succeeded."""
    try:
        result = action()
    except RuleError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    message = success(result) if callable(success) else success
    db.session.commit()
    flash(message, "success")
    return True
