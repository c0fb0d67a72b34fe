"""Stand-ins for a messaging provider, plugged in as SMS_BACKEND = "tests.outbox.fakes:<Class>"."""

import os
import random
import time

from training.outbox.channels import DeliveryError


class ScriptedProvider:
    """Answers each send with the next outcome of ``script`` (an exception to raise, or None to
    accept), accepting once the script runs out; remembers what it accepted."""

    script: list = []
    accepted: list = []

    def __init__(self, config):
        self.config = config

    def send(self, message):
        outcome = type(self).script.pop(0) if type(self).script else None
        if outcome is not None:
            raise outcome
        type(self).accepted.append(message)
        return f"scripted-{message.id}"


class FlakyProvider:
    """Refuses about a third of the sends as a provider under strain would (safe to retry),
    and appends every message it accepts to the file named by FLAKY_PROVIDER_FILE, one line
    per delivery, so that several sender processes can be checked for duplicates."""

    def __init__(self, config):
        self.path = os.environ["FLAKY_PROVIDER_FILE"]

    def send(self, message):
        # A provider takes a few milliseconds to answer; it also widens the window in which two
        # senders could both hold the same message.
        time.sleep(random.uniform(0.002, 0.01))
        if random.random() < 0.35:
            raise DeliveryError("503 Service Unavailable", retry=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.id} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return f"flaky-{message.id}"
