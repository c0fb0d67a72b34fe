"""Delivering the outbox: retries with back-off, giving up, quiet hours, reminders, resends."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from tests.outbox.fakes import ScriptedProvider
from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.errors import RuleError
from training.outbox.channels import DeliveryError
from training.outbox.models import STALE_CLAIM, Channel, OutboxMessage, OutboxStatus
from training.outbox.sender import (
    abandon_stale,
    claim_due,
    is_quiet,
    queue_reminders,
    send_round,
)
from training.outbox.services import mark_called, resend

# 10:00 in Seoul on a Monday: not in the quiet hours.
DAYTIME = NOW
# 22:30 in Seoul.
NIGHT = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


@pytest.fixture
def scripted(app):
    app.config["SMS_BACKEND"] = "tests.outbox.fakes:ScriptedProvider"
    app.config["EMAIL_BACKEND"] = "tests.outbox.fakes:ScriptedProvider"
    ScriptedProvider.script = []
    ScriptedProvider.accepted = []
    yield ScriptedProvider
    ScriptedProvider.script = []
    ScriptedProvider.accepted = []


@pytest.fixture
def make_message(db, make_person):
    def make(channel=Channel.SMS, urgent=False, status=OutboxStatus.PENDING, **columns):
        person = make_person()
        message = OutboxMessage(
            person_id=person.id,
            kind="confirmed",
            channel=channel,
            recipient=person.phone if channel is not Channel.EMAIL else "kim@example.org",
            subject="[영등포구 정보화교육] 수강 확정 안내",
            body="[영등포구] 스마트폰 기초 1기 수강이 확정되었습니다.",
            params={"title": "스마트폰 기초 1기"},
            is_urgent=urgent,
            status=status,
            attempts=columns.pop("attempts", 0),
            next_attempt_at=columns.pop("next_attempt_at", NOW - timedelta(minutes=1)),
            created_at=NOW - timedelta(minutes=1),
            **columns,
        )
        db.session.add(message)
        db.session.flush()
        return message

    return make


def at(moment):
    return lambda: moment


def test_a_due_message_is_written_to_the_outbox_file_by_default(app, db, make_message, tmp_path):
    app.config["OUTBOX_FILE"] = str(tmp_path / "outbox.log")
    message = make_message()

    result = send_round(at(DAYTIME), sender="test")

    assert result.sent == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.sent_at == DAYTIME
    assert message.attempts == 1
    [line] = (tmp_path / "outbox.log").read_text(encoding="utf-8").splitlines()
    written = json.loads(line)
    assert written["id"] == message.id and written["body"] == message.body


def test_a_refused_try_waits_and_the_wait_doubles(app, db, make_message, scripted):
    app.config["OUTBOX_RETRY_SECONDS"] = 60
    scripted.script = [DeliveryError("busy", retry=True), DeliveryError("busy", retry=True)]
    message = make_message()

    send_round(at(DAYTIME), sender="test")
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert message.next_attempt_at == DAYTIME + timedelta(seconds=60)
    assert message.last_error == "busy"

    later = DAYTIME + timedelta(seconds=60)
    send_round(at(later), sender="test")
    db.session.refresh(message)
    assert message.next_attempt_at == later + timedelta(seconds=120)

    send_round(at(later + timedelta(seconds=120)), sender="test")
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 3
    assert [m.id for m in scripted.accepted] == [message.id]


def test_nothing_is_tried_before_its_time(db, make_message, scripted):
    make_message(next_attempt_at=DAYTIME + timedelta(seconds=30))

    result = send_round(at(DAYTIME), sender="test")

    assert result.handled == 0 and scripted.accepted == []


def test_after_the_last_allowed_try_the_message_shows_failed(app, db, make_message, scripted):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    app.config["OUTBOX_RETRY_SECONDS"] = 1
    scripted.script = [DeliveryError("busy", retry=True)] * 2
    message = make_message()

    send_round(at(DAYTIME), sender="test")
    send_round(at(DAYTIME + timedelta(seconds=5)), sender="test")

    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.attempts == 2


def test_a_refusal_for_good_is_not_retried(db, make_message, scripted):
    scripted.script = [DeliveryError("invalid number", retry=False)]
    message = make_message()

    result = send_round(at(DAYTIME), sender="test")

    db.session.refresh(message)
    assert result.failed == 1
    assert message.status is OutboxStatus.FAILED and message.last_error == "invalid number"


def test_an_unexpected_error_is_not_retried_as_the_provider_may_have_it(db, make_message, scripted):
    scripted.script = [TimeoutError("read timed out")]
    message = make_message()

    send_round(at(DAYTIME), sender="test")

    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED
    assert "read timed out" in message.last_error


def test_quiet_hours_hold_texts_back_but_not_urgent_ones_nor_emails(db, make_message, scripted):
    text = make_message()
    urgent = make_message(urgent=True)
    email = make_message(channel=Channel.EMAIL)

    send_round(at(NIGHT), sender="test")

    assert sorted(m.id for m in scripted.accepted) == sorted([urgent.id, email.id])
    db.session.refresh(text)
    assert text.status is OutboxStatus.PENDING


def test_the_file_backend_writes_texts_at_night_as_it_wakes_nobody(app, db, make_message, tmp_path):
    app.config["OUTBOX_FILE"] = str(tmp_path / "outbox.log")
    make_message()

    assert send_round(at(NIGHT), sender="test").sent == 1


def test_a_night_pass_says_how_many_texts_wait_for_the_morning(db, make_message, scripted):
    make_message()
    make_message(urgent=True)

    result = send_round(at(NIGHT), sender="test")

    assert (result.sent, result.held) == (1, 1)


def test_quiet_hours_run_from_nine_at_night_to_eight_in_the_morning(app):
    def seoul(hour):
        return datetime(2026, 3, 2, hour, tzinfo=UTC) - timedelta(hours=9)

    assert [is_quiet(seoul(hour)) for hour in (7, 8, 20, 21)] == [True, False, False, True]


def test_calls_are_left_for_staff(db, make_message, scripted):
    make_message(channel=Channel.CALL)

    assert send_round(at(DAYTIME), sender="test").handled == 0


def test_a_claimed_message_is_not_claimed_again(db, make_message):
    message = make_message()

    first = claim_due(DAYTIME, sender="one", limit=10)
    second = claim_due(DAYTIME, sender="two", limit=10)

    assert [m.id for m in first] == [message.id] and second == []
    assert message.claimed_by == "one"


def test_a_sender_asked_to_stop_finishes_the_message_in_hand_and_hands_back_the_rest(
    db, make_message, scripted
):
    messages = [make_message() for _ in range(3)]
    asked = []

    def stopping():
        # The stop arrives while the first message is being sent.
        answer = bool(asked)
        asked.append(True)
        return answer

    result = send_round(at(DAYTIME), sender="test", stopping=stopping)

    assert result.sent == 1 and len(scripted.accepted) == 1
    for message in messages[1:]:
        db.session.refresh(message)
        assert (message.status, message.claimed_at, message.claimed_by) == (
            OutboxStatus.PENDING,
            None,
            None,
        )
    assert send_round(at(DAYTIME), sender="test").sent == 2


def test_a_claim_left_by_a_stopped_sender_shows_failed_and_is_not_resent(
    db, make_message, scripted
):
    message = make_message()
    claim_due(DAYTIME, sender="stopped", limit=10)

    assert abandon_stale(DAYTIME + STALE_CLAIM / 2) == 0
    assert abandon_stale(DAYTIME + STALE_CLAIM + timedelta(seconds=1)) == 1

    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and scripted.accepted == []


def test_staff_resend_a_failed_message_and_it_goes_out(db, make_message, make_person, scripted):
    message = make_message(status=OutboxStatus.FAILED, attempts=6, last_error="busy")
    staff = make_person(role=Role.STAFF)

    resend(message, actor=staff, now=DAYTIME)
    send_round(at(DAYTIME), sender="test")

    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.resend"))


def test_a_message_being_sent_cannot_be_resent(db, make_message, make_person):
    message = make_message()
    claim_due(DAYTIME, sender="busy", limit=10)

    with pytest.raises(RuleError) as refused:
        resend(message, actor=make_person(role=Role.STAFF), now=DAYTIME + timedelta(minutes=1))

    assert refused.value.code == "not_failed"
    assert message.status is OutboxStatus.SENDING


def test_a_sent_message_cannot_be_resent(db, make_message, make_person):
    message = make_message(status=OutboxStatus.SENT, sent_at=NOW)

    with pytest.raises(RuleError):
        resend(message, actor=make_person(role=Role.STAFF), now=DAYTIME)


def test_staff_mark_a_call_done(db, make_message, make_person):
    message = make_message(channel=Channel.CALL)

    mark_called(message, actor=make_person(role=Role.STAFF), now=DAYTIME)

    assert message.status is OutboxStatus.SENT and message.sent_at == DAYTIME


def first_class_tomorrow(make_run, make_enrollment):
    # make_run's first class: 16 March 2026, 10:00 in Seoul.
    run = make_run()
    enrollments = [make_enrollment(run=run) for _ in range(2)]
    return run, enrollments


def seoul(day, hour):
    return datetime(2026, 3, day, hour, tzinfo=UTC) - timedelta(hours=9)


def test_reminders_are_queued_once_from_the_reminder_hour_the_day_before(
    db, make_run, make_enrollment
):
    run, enrollments = first_class_tomorrow(make_run, make_enrollment)

    assert queue_reminders(seoul(15, 9)) == 0
    assert queue_reminders(seoul(15, 10)) == 2
    assert queue_reminders(seoul(15, 11)) == 0

    reminders = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    ).all()
    assert sorted(m.person_id for m in reminders) == sorted(e.person_id for e in enrollments)


def test_no_reminder_the_day_of_the_second_class(db, make_run, make_enrollment):
    first_class_tomorrow(make_run, make_enrollment)

    assert queue_reminders(seoul(22, 12)) == 0


def test_no_reminder_for_a_cancelled_run(db, make_run, make_enrollment, make_person):
    from training.planning.services import cancel_run

    run, _ = first_class_tomorrow(make_run, make_enrollment)
    cancel_run(run, actor=make_person(role=Role.STAFF), reason="강사 사정", now=seoul(14, 9))

    assert queue_reminders(seoul(15, 10)) == 0


def test_outbox_send_command_reports_what_it_did(app, db, make_message, runner, tmp_path):
    app.config["OUTBOX_FILE"] = str(tmp_path / "outbox.log")
    # Emails: the command runs on the real clock, which may be in the quiet hours for texts.
    make_message(channel=Channel.EMAIL)
    make_message(channel=Channel.EMAIL)

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    assert len((tmp_path / "outbox.log").read_text(encoding="utf-8").splitlines()) == 2
