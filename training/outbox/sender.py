"""Delivering the outbox: claim what is due, hand it to the channel's backend, record the outcome.

A message is claimed (status ``sending``) and committed before it is handed over, so two
senders, on one machine or several, never hold the same row: PostgreSQL skips rows another
sender has locked (``FOR UPDATE SKIP LOCKED``); SQLite's write lock, taken when the claiming
transaction begins, lets one claim run at a time. The outcome is recorded right after the
provider answers. A sender that dies between the two leaves the row ``sending``; whether the
provider got it is unknown, so it is never retried by itself: it shows as failed for staff to
check and resend."""

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from training.catalog.models import CourseRun, Session
from training.clock import SEOUL, to_seoul
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.locking import lock_row
from training.notifications import tell
from training.outbox.channels import DeliveryError, OutgoingMessage, backend_for
from training.outbox.models import STALE_CLAIM, Channel, OutboxMessage, OutboxStatus

log = logging.getLogger("training.outbox")

LAST_ERROR_LENGTH = 500


@dataclass
class Round:
    """What one pass over the outbox did."""

    held: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reminders: int = 0
    abandoned: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def sender_name() -> str:
    """This process, as claims record it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def is_quiet(now: datetime) -> bool:
    """Whether texts must wait: between QUIET_HOURS_START and QUIET_HOURS_END in Seoul."""
    config = current_app.config
    start, end = config["QUIET_HOURS_START"], config["QUIET_HOURS_END"]
    hour = to_seoul(now).hour
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def _holding_texts(now: datetime) -> bool:
    # The file backend wakes nobody: it may write at any hour.
    return is_quiet(now) and current_app.config["SMS_BACKEND"] != "file"


def claim_due(now: datetime, *, sender: str, limit: int) -> list[OutboxMessage]:
    """Claim up to ``limit`` messages due now and mark them sending; the caller commits before
    delivering. In the quiet hours only urgent texts (and emails) are due."""
    due = [
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.channel != Channel.CALL,
    ]
    if _holding_texts(now):
        due.append(or_(OutboxMessage.channel != Channel.SMS, OutboxMessage.is_urgent))
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(and_(*due))
        .order_by(OutboxMessage.is_urgent.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for message in messages:
        message.status = OutboxStatus.SENDING
        message.claimed_at = now
        message.claimed_by = sender
    db.session.flush()
    return messages


def release(ids: list[int]) -> None:
    """Hand claimed messages that were not tried back to the queue: nothing went out, so the
    next pass sends them, rather than staff finding them failed as a stopped sender's."""
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        message.status = OutboxStatus.PENDING
        message.claimed_at = None
        message.claimed_by = None
    db.session.flush()


def deliver(message: OutboxMessage, *, now: datetime) -> OutboxStatus:
    """Hand one claimed message to its channel's backend and record the outcome (the caller
    commits): sent; pending again after a back-off; or failed, for staff to see."""
    outgoing = OutgoingMessage(
        id=message.id,
        kind=message.kind,
        channel=message.channel,
        recipient=message.recipient or "",
        subject=message.subject,
        body=message.body,
        params=dict(message.params or {}),
    )
    message.claimed_at = message.claimed_by = None
    message.attempts += 1
    try:
        provider_id = backend_for(current_app, message.channel).send(outgoing)
    except DeliveryError as error:
        message.last_error = error.reason[:LAST_ERROR_LENGTH]
        if error.retry and message.attempts < current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.PENDING
            message.next_attempt_at = now + retry_delay(message.attempts)
        else:
            message.status = OutboxStatus.FAILED
        log.warning("message %s not delivered (%s): %s", message.id, message.kind, error.reason)
    except Exception as error:  # noqa: BLE001  (an unknown error: the provider may have it)
        message.status = OutboxStatus.FAILED
        message.last_error = f"{type(error).__name__}: {error}"[:LAST_ERROR_LENGTH]
        log.exception("message %s: unexpected error while sending", message.id)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.provider_message_id = provider_id
        message.last_error = None
    db.session.flush()
    return message.status


def held_for_quiet_hours(now: datetime) -> int:
    """How many texts are due but wait for the end of the quiet hours."""
    if not _holding_texts(now):
        return 0
    return db.session.scalar(
        select(db.func.count()).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel == Channel.SMS,
            OutboxMessage.is_urgent.is_(False),
        )
    )


def retry_delay(attempts: int) -> timedelta:
    """The wait after the given number of failed tries: OUTBOX_RETRY_SECONDS, doubling."""
    base = current_app.config["OUTBOX_RETRY_SECONDS"]
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def abandon_stale(now: datetime) -> int:
    """Mark failed the messages whose sender stopped before recording an outcome."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - STALE_CLAIM,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for message in messages:
        message.status = OutboxStatus.FAILED
        message.claimed_at = message.claimed_by = None
        message.last_error = "sender stopped before the outcome was known: check, then resend"
    db.session.flush()
    return len(messages)


def queue_reminders(now: datetime) -> int:
    """From REMINDER_HOUR the day before a run's first class, queue a reminder for each
    confirmed trainee, once (a key per enrollment and session)."""
    local = to_seoul(now)
    if local.hour < current_app.config["REMINDER_HOUR"]:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    day_start = datetime.combine(tomorrow, datetime.min.time(), SEOUL)
    first = (
        select(Session.run_id, db.func.min(Session.starts_at).label("starts_at"))
        .group_by(Session.run_id)
        .subquery()
    )
    run_ids = db.session.scalars(
        select(first.c.run_id).where(
            first.c.starts_at >= day_start, first.c.starts_at < day_start + timedelta(days=1)
        )
    ).all()
    queued = 0
    for run_id in run_ids:
        # Two senders at the same hour: the second waits here and finds the keys taken.
        run = lock_row(CourseRun, run_id)
        if run.is_cancelled:
            continue
        session_id = run.sessions[0].id
        enrollments = db.session.scalars(
            select(Enrollment)
            .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED)
            .order_by(Enrollment.id)
        ).all()
        keys = {enrollment: f"reminder:{enrollment.id}:{session_id}" for enrollment in enrollments}
        taken = set(
            db.session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))
            )
        )
        for enrollment, key in keys.items():
            if key in taken:
                continue
            if tell(enrollment.person, "reminder", run=run, now=now, dedupe_key=key):
                queued += 1
    db.session.flush()
    return queued


def send_round(
    now_source,
    *,
    sender: str | None = None,
    limit: int | None = None,
    stopping=lambda: False,
) -> Round:
    """One pass: queue reminders, give up on abandoned claims, then claim and deliver batches
    until nothing is due, or until ``stopping()`` says the sender is asked to stop: then the
    message in hand is finished and the rest of the claim handed back. ``now_source`` is called
    for each step's moment. Commits as it goes: a claim, and each outcome, are their own
    transactions."""
    sender = sender or sender_name()
    limit = limit or current_app.config["OUTBOX_BATCH"]
    result = Round()
    result.reminders = queue_reminders(now_source())
    db.session.commit()
    result.abandoned = abandon_stale(now_source())
    db.session.commit()
    while True:
        claimed = claim_due(now_source(), sender=sender, limit=limit)
        ids = [message.id for message in claimed]
        db.session.commit()
        if not ids:
            result.held = held_for_quiet_hours(now_source())
            db.session.rollback()
            return result
        for position, message_id in enumerate(ids):
            if stopping():
                release(ids[position:])
                db.session.commit()
                return result
            message = db.session.get(OutboxMessage, message_id)
            status = deliver(message, now=now_source())
            db.session.commit()
            if status is OutboxStatus.SENT:
                result.sent += 1
            elif status is OutboxStatus.PENDING:
                result.retried += 1
            else:
                result.failed += 1
