"""What the outbox page reads: the counts by tab, and failures put in plain words."""

import smtplib
from datetime import timedelta

import pytest

from training.clock import utcnow
from training.outbox.channels import (
    DeliveryError,
    FileBackend,
    OutgoingMessage,
    SmtpEmailBackend,
    SolapiSmsBackend,
    _smtp_error,
)
from training.outbox.listings import Tab, failure_hint, tab_counts
from training.outbox.models import STALE_CLAIM, Channel, OutboxMessage, OutboxStatus
from training.outbox.sender import abandon_stale

UNKNOWN = "받았는지 알 수 없습니다"
BAD_RECIPIENT = "이 번호나 주소로는 받을 수 없다고 합니다"
NO_CONNECTION = "발송 설정에 문제가 있습니다"


def _reason(send) -> str:
    """The reason a channel gives when it refuses."""
    with pytest.raises(DeliveryError) as refused:
        send()
    return refused.value.reason


def _outgoing(channel: Channel, recipient: str = "") -> OutgoingMessage:
    return OutgoingMessage(
        id=1, kind="confirmed", channel=channel, recipient=recipient, subject="", body="", params={}
    )


def test_a_message_to_no_number_or_address_asks_staff_to_check_the_contact(app):
    sms = SolapiSmsBackend(api_key="k", api_secret="s", sender="0226703114", service=object())
    email = SmtpEmailBackend("127.0.0.1", 25, "edu@ydp.example")

    for reason in (
        _reason(lambda: sms.send(_outgoing(Channel.SMS))),
        _reason(lambda: email.send(_outgoing(Channel.EMAIL))),
        _smtp_error(
            smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"no such user")}),
            data_begun=False,
        ).reason,
    ):
        assert BAD_RECIPIENT in failure_hint(reason), reason


def test_a_message_that_may_have_arrived_says_so(app):
    lost = _smtp_error(smtplib.SMTPServerDisconnected("gone"), data_begun=True).reason

    assert UNKNOWN in failure_hint(lost)


def test_a_message_abandoned_by_a_stopped_sender_says_it_may_have_arrived(app, db, make_person):
    person = make_person()
    message = OutboxMessage(
        person_id=person.id,
        kind="confirmed",
        channel=Channel.SMS,
        recipient=person.phone,
        body="안내",
        params={},
        status=OutboxStatus.SENDING,
        claimed_at=utcnow() - STALE_CLAIM - timedelta(minutes=1),
    )
    db.session.add(message)
    db.session.flush()

    abandon_stale(utcnow())

    assert UNKNOWN in failure_hint(message.last_error)


def test_an_unreachable_provider_or_unwritable_file_points_at_the_settings(app, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    backend = FileBackend(blocked / "outbox.log", Channel.SMS)
    unwritable = _reason(lambda: backend.send(_outgoing(Channel.SMS, "01012345678")))
    unreachable = _smtp_error(ConnectionRefusedError("refused"), data_begun=False).reason

    assert NO_CONNECTION in failure_hint(unwritable)
    assert NO_CONNECTION in failure_hint(unreachable)


def test_an_error_nobody_foresaw_is_just_not_sent(app):
    assert failure_hint("KeyError: 'title'") == "보내지 못했습니다."


def test_counts_put_calls_apart_and_sending_with_pending(app, db, make_person):
    person = make_person()
    now = utcnow()
    for channel, status in (
        (Channel.SMS, OutboxStatus.PENDING),
        (Channel.EMAIL, OutboxStatus.SENDING),
        (Channel.CALL, OutboxStatus.PENDING),
        (Channel.CALL, OutboxStatus.SENT),
        (Channel.SMS, OutboxStatus.FAILED),
    ):
        db.session.add(
            OutboxMessage(
                person_id=person.id,
                kind="confirmed",
                channel=channel,
                recipient=person.phone,
                body="안내",
                params={},
                status=status,
                claimed_at=now if status is OutboxStatus.SENDING else None,
                sent_at=now if status is OutboxStatus.SENT else None,
            )
        )
    db.session.flush()

    assert tab_counts() == {
        Tab.PENDING: 2,
        Tab.CALL: 1,
        Tab.FAILED: 1,
        Tab.SENT: 1,
        Tab.CANCELLED: 0,
    }
