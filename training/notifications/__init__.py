"""Notifications to people about their enrollments."""

from datetime import datetime

from sqlalchemy import select, update

from training.extensions import db
from training.notifications.models import Notification


def queue_notification(person, kind: str, message: str) -> Notification:
    """Queue a message for a person; it appears on their page until read."""
    note = Notification(person_id=person.id, kind=kind, message=message)
    db.session.add(note)
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
