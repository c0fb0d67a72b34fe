"""Queueing messages with the change they tell of, and what staff do with them."""

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from training import audit
from training.accounts.models import MessageChannel, Person
from training.errors import RuleError
from training.extensions import db
from training.locking import lock_row
from training.outbox.models import Channel, OutboxMessage, OutboxStatus

# Korean mobile numbers; a landline (02-..., 031-...) cannot receive a text message.
MOBILE = re.compile(r"01[016789][0-9]{7,8}")


class OutboxError(RuleError):
    """A refused action on a message; the message is safe to show."""


def route_for(person: Person) -> tuple[Channel, str | None] | None:
    """How a message reaches the person, and at which number or address: by their chosen
    channel when their details allow it, else a phone call by staff; None when they chose
    not to be sent messages (their page still shows them)."""
    if person.anonymized_at is not None or person.message_channel is MessageChannel.NONE:
        return None
    if person.message_channel is MessageChannel.EMAIL and person.email:
        return Channel.EMAIL, person.email
    if (
        person.message_channel is MessageChannel.SMS
        and person.phone
        and MOBILE.fullmatch(person.phone)
    ):
        return Channel.SMS, person.phone
    return Channel.CALL, person.phone


def queue_message(
    person: Person,
    kind: str,
    *,
    subject: str,
    body: str,
    params: dict,
    now: datetime,
    run_id: int | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a message for the person to the outbox, in the caller's transaction, so that it
    goes out if and only if the change it tells of is committed."""
    route = route_for(person)
    if route is None:
        return None
    channel, recipient = route
    message = OutboxMessage(
        person_id=person.id,
        run_id=run_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        params=params,
        is_urgent=urgent,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    db.session.add(message)
    return message


def resend(message: OutboxMessage, *, actor: Person, now: datetime) -> OutboxMessage:
    """Put a failed message (or one whose sender stopped mid-way) back in line, at once."""
    message = lock_row(OutboxMessage, message.id)
    if message.status is not OutboxStatus.FAILED and not message.is_stopped(now):
        raise OutboxError("not_failed", _("실패한 메시지만 다시 보낼 수 있습니다."), status=409)
    if message.channel is Channel.CALL or message.recipient is None:
        raise OutboxError("no_recipient", _("보낼 연락처가 없는 메시지입니다."), status=409)
    previous = message.status
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.claimed_at = message.claimed_by = None
    message.handled_by_id = actor.id
    db.session.flush()
    audit.record(actor, "outbox.resend", message, previous_status=previous.value)
    return message


def mark_called(message: OutboxMessage, *, actor: Person, now: datetime) -> OutboxMessage:
    """Staff phoned the person and told them: the message is done."""
    message = lock_row(OutboxMessage, message.id)
    if message.channel is not Channel.CALL or message.status is not OutboxStatus.PENDING:
        raise OutboxError("not_a_pending_call", _("전화 안내를 기다리는 메시지가 아닙니다."), 409)
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.handled_by_id = actor.id
    db.session.flush()
    audit.record(actor, "outbox.called", message, person_id=message.person_id)
    return message


def cancel_pending_for(person: Person) -> int:
    """Cancel the person's messages not yet sent (they withdrew, or were anonymized)."""
    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.person_id == person.id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    for message in messages:
        message.status = OutboxStatus.CANCELLED
    return len(messages)
