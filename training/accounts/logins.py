"""Log-ins, log-outs and API tokens on the audit trail: who began to act as whom, how, and
(the entry takes it from the request) from which address."""

from training import audit
from training.accounts.models import Person
from training.accounts.services import (
    AccountError,
    authenticate,
    find_by_phone,
    mask_phone,
    normalize_phone,
)

WEB = "web"
API = "api"


def log_in(phone: str, password: str, *, channel: str) -> Person:
    """The person with this phone and password, their log-in recorded; a refused attempt is
    recorded before AccountError is raised, and the caller commits it: failed attempts are
    what a trail of log-ins is most often read for."""
    try:
        person = authenticate(phone, password)
    except AccountError:
        _record_refusal(phone, channel)
        raise
    record_log_in(person, channel=channel, by="password")
    return person


def record_log_in(person: Person, *, channel: str, by: str) -> None:
    """Record that a session (on the web) or a bearer token (through the API) began for the
    person, by their password, their sign-up or a set-up code."""
    action = "auth.token_issue" if channel == API else "auth.login"
    audit.record(person, action, person, by=by)


def record_log_out(person: Person) -> None:
    """Record that the person ended their session."""
    audit.record(person, "auth.logout", person)


def _record_refusal(phone: str, channel: str) -> None:
    # Never the password, and never the number of someone who is not registered: a known
    # number is named by its person, an unknown one kept masked (010-****-5678), which is
    # enough to see one number tried again and again.
    try:
        digits = normalize_phone(phone)
    except AccountError:
        digits = None
    person = find_by_phone(digits) if digits else None
    if person is not None:
        audit.record(None, "auth.login_failed", person, channel=channel)
    else:
        audit.record(
            None,
            "auth.login_failed",
            Person,
            channel=channel,
            phone=mask_phone(digits) if digits else None,
        )
