"""Two senders in two processes, a provider that refuses a third of the sends at random:
every message is delivered, and none twice."""

import collections
from datetime import UTC, datetime, timedelta

import pytest
from processes import run_together
from sqlalchemy import func, select

from training.extensions import db
from training.outbox.models import Channel, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.real_commits

MESSAGES = 150
SENDERS = 2


def _send_until_done(app, sender):
    """Run passes until no message waits or is in flight; how many this sender delivered."""
    from training.outbox.sender import send_round

    delivered = 0
    with app.app_context():
        for _ in range(2000):
            # Small claims, so that the two senders take turns rather than one draining all.
            result = send_round(lambda: datetime.now(UTC), sender=sender, limit=5)
            delivered += result.sent
            left = db.session.scalar(
                select(func.count()).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            )
            db.session.rollback()
            if not left:
                return delivered
    raise AssertionError("messages still waiting after 2,000 passes")


def test_two_senders_deliver_every_message_exactly_once_through_a_flaky_provider(
    app, database_url, make_person, monkeypatch, tmp_path
):
    deliveries = tmp_path / "deliveries.txt"
    # The sender processes build their apps from the environment.
    monkeypatch.setenv("TRAINING_SMS_BACKEND", "tests.outbox.fakes:FlakyProvider")
    monkeypatch.setenv("TRAINING_EMAIL_BACKEND", "tests.outbox.fakes:FlakyProvider")
    monkeypatch.setenv("TRAINING_OUTBOX_RETRY_SECONDS", "0")
    monkeypatch.setenv("TRAINING_OUTBOX_MAX_ATTEMPTS", "100")
    # Urgent texts and emails go out at any hour, so the test does not depend on the clock.
    monkeypatch.setenv("FLAKY_PROVIDER_FILE", str(deliveries))
    due = datetime.now(UTC) - timedelta(minutes=1)
    for index in range(MESSAGES):
        person = make_person(password=None)
        db.session.add(
            OutboxMessage(
                person_id=person.id,
                kind="confirmed",
                channel=Channel.SMS if index % 3 else Channel.EMAIL,
                recipient=person.phone if index % 3 else f"p{index}@example.org",
                subject="수강 확정 안내",
                body=f"메시지 {index}",
                params={},
                is_urgent=True,
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=due,
            )
        )
    db.session.commit()
    ids = set(db.session.scalars(select(OutboxMessage.id)))

    delivered = run_together(
        _send_until_done,
        database_url,
        app.instance_path,
        [[f"sender-{n}"] for n in range(SENDERS)],
    )

    lines = deliveries.read_text().splitlines()
    counts = collections.Counter(int(line.split()[0]) for line in lines)
    assert set(counts) == ids
    assert [message_id for message_id, n in counts.items() if n > 1] == []
    assert sum(delivered) == MESSAGES
    if database_url.startswith("postgresql"):
        # Both senders took part: the claims really were shared out, past each other's locks.
        # (SQLite's write lock is not fair: on a busy machine one sender may win every claim,
        # which changes nothing above.)
        assert len({line.split()[1] for line in lines}) == SENDERS
    db.session.expire_all()
    statuses = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    assert dict(statuses) == {OutboxStatus.SENT: MESSAGES}
    retried = db.session.scalar(select(func.count()).where(OutboxMessage.attempts > 1))
    assert retried > 0, "the provider refused nothing: the retries went untested"
