"""The audit trail of changes and of access to personal data."""

from flask import has_request_context, request

from training.audit.models import AuditEntry
from training.extensions import db


def record(actor, action: str, subject, **detail) -> AuditEntry:
    """Add an audit entry for an action by actor (a Person or None for the system), from the
    address of the current request's client if there is one."""
    # current_user is a proxy: record the object it stands for.
    subject = getattr(subject, "_get_current_object", lambda: subject)()
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__tablename__,
        subject_id=subject.id,
        detail=detail,
        address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
