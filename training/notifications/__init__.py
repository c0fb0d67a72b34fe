"""Notifications to people about their enrollments."""

from training.extensions import db
from training.notifications.models import Notification


def queue_notification(person, kind: str, message: str) -> Notification:
    """Queue a message for a person; it appears on their page until read."""
    note = Notification(person_id=person.id, kind=kind, message=message)
    db.session.add(note)
    return note
