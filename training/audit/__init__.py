"""The audit trail of changes and of access to personal data.

Entries are never deleted or changed: the database refuses to (see ``models``). That keeps them
longer than 개인정보의 안전성 확보조치 기준 asks: records of access to personal data for at least
two years (제8조, for a controller holding over 50,000 people's data or sensitive data) and
records of granting, changing and revoking access rights for at least three (제5조)."""

from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import select

from training.audit.models import AuditEntry
from training.clock import utcnow
from training.extensions import db
from training.locking import lock_row

RETENTION_YEARS = 2
PERMISSION_RETENTION_YEARS = 3

# A screen that polls (the door screen asks every 5 seconds) is recorded once per this long for
# each person and thing watched: the entries still show who watched which roster and for how
# long, to within a class break, and a two-hour class leaves 12 entries rather than 1,440.
POLLED_VIEW_INTERVAL = timedelta(minutes=10)


def _unproxied(value):
    # current_user is a proxy: record the object it stands for.
    return getattr(value, "_get_current_object", lambda: value)()


def record(actor, action: str, subject, **detail) -> AuditEntry:
    """Add an audit entry for an action by actor (a Person or None for the system) on subject
    (a record, or its model class when there is no record: a log-in with an unknown number),
    from the address of the current request's client if there is one."""
    subject = _unproxied(subject)
    is_model = isinstance(subject, type)
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject.__tablename__,
        subject_id=None if is_model else subject.id,
        detail=detail,
        address=request.remote_addr if has_request_context() else None,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def record_view(
    actor, action: str, subject, *, at_most_every: timedelta | None = None, **detail
) -> AuditEntry | None:
    """Record that actor was shown personal data (action "roster.view", say). With
    at_most_every, nothing is recorded (None) when the actor already has an entry of this
    action for this subject within that time. The caller commits; in a GET view, one marked
    ``writes_on_read``."""
    actor = _unproxied(actor)
    if at_most_every is not None:
        # The actor's row is locked before looking (on SQLite the write transaction of a
        # writes_on_read view already is), so two polls at once cannot both find no entry.
        lock_row(type(actor), actor.id)
        recent = db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.actor_id == actor.id,
                AuditEntry.action == action,
                AuditEntry.subject_type == subject.__tablename__,
                AuditEntry.subject_id == subject.id,
                AuditEntry.created_at > utcnow() - at_most_every,
            )
            .limit(1)
        )
        if recent is not None:
            return None
    return record(actor, action, subject, **detail)
