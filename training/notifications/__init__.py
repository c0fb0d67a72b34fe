"""Telling people about their enrollments: on their page, and by the channel they chose."""

from datetime import datetime

from sqlalchemy import select, update

from training.catalog.models import CourseRun
from training.clock import utcnow
from training.extensions import db
from training.notifications.models import Notification
from training.outbox import texts
from training.outbox.services import queue_message


def tell(
    person,
    kind: str,
    *,
    run: CourseRun | None = None,
    now: datetime | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
    **facts,
) -> Notification | None:
    """Tell the person of an event, in their language: a note on their page and a message in
    the outbox, both in the caller's transaction. ``facts`` are what the text of ``kind``
    quotes besides the run's (a waiting-list position, a reason, a serial...)."""
    if person.anonymized_at is not None:
        return None
    now = now or utcnow()
    facts = {**(texts.run_facts(run, now=now) if run is not None else {}), **facts}
    subject, body = texts.render(kind, facts, person.locale)
    note = Notification(person_id=person.id, kind=kind, message=body, created_at=now)
    db.session.add(note)
    queue_message(
        person,
        kind,
        subject=subject,
        body=body,
        params=texts.shown(facts, person.locale),
        now=now,
        run_id=run.id if run is not None else None,
        urgent=urgent,
        dedupe_key=dedupe_key,
    )
    return note


def unread_notifications(person) -> list[Notification]:
    """The person's unread messages, newest first."""
    return db.session.scalars(
        select(Notification)
        .where(Notification.person_id == person.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc())
    ).all()


def mark_notifications_read(person, *, now: datetime) -> None:
    """Mark every unread message of the person read."""
    db.session.execute(
        update(Notification)
        .where(Notification.person_id == person.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
