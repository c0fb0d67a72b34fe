"""flask --app training outbox send [--loop]: deliver the messages waiting in the outbox."""

import signal
import time

import click
from flask import current_app
from sqlalchemy import func, select

from training.clock import utcnow
from training.extensions import db
from training.outbox.models import Channel, OutboxMessage, OutboxStatus
from training.outbox.sender import send_round, sender_name


@click.group("outbox")
def outbox_command():
    """The messages to people: deliver them, see what waits."""


@outbox_command.command("send")
@click.option("--loop", is_flag=True, help="Keep sending as messages arrive, until stopped.")
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds between passes with --loop (default TRAINING_OUTBOX_POLL_SECONDS, 5).",
)
def send_command(loop, interval):
    """Deliver what is due: texts, emails and reminders, with retries and quiet hours."""
    interval = interval or current_app.config["OUTBOX_POLL_SECONDS"]
    sender = sender_name()
    stopping = []

    def stop(signum, frame):
        # Finish the message in hand; a claim left half-way would need staff to check it.
        stopping.append(signum)

    if loop:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        click.echo(f"Sending as {sender}, a pass every {interval} s; stop with Ctrl-C.")
    while True:
        result = send_round(utcnow, sender=sender, stopping=lambda: bool(stopping))
        if result.handled or result.reminders or result.abandoned or result.held or not loop:
            click.echo(_summary(result))
        if not loop or stopping:
            break
        _sleep(interval, stopping)
    db.session.remove()


@outbox_command.command("status")
def status_command():
    """Count the outbox's messages by status, and the calls staff still owe."""
    rows = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, func.count())
        .group_by(OutboxMessage.status, OutboxMessage.channel)
        .order_by(OutboxMessage.status, OutboxMessage.channel)
    ).all()
    for status, channel, count in rows:
        click.echo(f"{status.value:10} {channel.value:6} {count}")
    calls = sum(
        count
        for status, channel, count in rows
        if channel is Channel.CALL and status is OutboxStatus.PENDING
    )
    if calls:
        click.echo(f"{calls} people to phone: see the outbox page.")


def _summary(result) -> str:
    text = (
        f"sent {result.sent}, to retry {result.retried}, failed {result.failed}, "
        f"reminders queued {result.reminders}"
    )
    if result.abandoned:
        text += f", {result.abandoned} left by a stopped sender marked failed"
    if result.held:
        text += f"; {result.held} texts wait for the end of the quiet hours"
    return text


def _sleep(seconds: int, stopping: list) -> None:
    deadline = time.monotonic() + seconds
    while not stopping and time.monotonic() < deadline:
        time.sleep(min(0.2, seconds))
