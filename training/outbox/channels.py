"""Delivery channels: how a claimed message leaves the building.

The sender hands each message to the backend its channel is configured with (SMS_BACKEND,
EMAIL_BACKEND). A backend returns the provider's id for the message or raises DeliveryError,
which says whether trying again is safe: it is when the message certainly did not get through
to the provider, or the provider turned it away for a passing reason; it is not when the
provider refused it for good, or when nobody can know whether it got it (a timeout after the
request went out), since a second try could text the person twice."""

import importlib
import json
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import httpx
import pydantic
from solapi import SolapiMessageService
from solapi.error.MessageNotReceiveError import MessageNotReceivedError
from solapi.model import KakaoOption, RequestMessage

from training.clock import utcnow
from training.outbox.models import Channel

log = logging.getLogger("training.outbox")

SMTP_TIMEOUT_SECONDS = 20
SMTP_SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox message as a backend sees it: what to send, to whom, and its facts."""

    id: int
    kind: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    params: dict


class DeliveryError(Exception):
    """The message was not delivered. retry=True when it certainly did not reach the provider or
    the provider refused it for a passing reason (safe to try again); retry=False when it must
    not be retried automatically (refused for good, e.g. bad number, or the outcome is unknown,
    e.g. a timeout after the request was sent)."""

    def __init__(self, reason: str, *, retry: bool):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class Backend(Protocol):
    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver the message and return the provider's id for it; raise DeliveryError."""


class FileBackend:
    """Writes each message as a JSON line to a file and sends nothing: the default, so that a
    fresh install cannot text or mail anyone by accident."""

    def __init__(self, path: str | Path, channel: Channel):
        self.path = Path(path)
        self.channel = channel

    def send(self, message: OutgoingMessage) -> str:
        """Append the message to the file as one line."""
        line = json.dumps(
            {
                "id": message.id,
                "kind": message.kind,
                "channel": message.channel.value,
                "recipient": message.recipient,
                "subject": message.subject,
                "body": message.body,
                "written_at": utcnow().isoformat(),
            },
            ensure_ascii=False,
        )
        data = (line + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The file holds phone numbers and addresses: readable by the application only.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # With O_APPEND each write lands whole at the end of the file, so lines from
                # several senders never interleave, as long as a line is a single write.
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as error:
            raise DeliveryError(f"could not write {self.path}: {error}", retry=True) from error
        log.info(
            "%s message %s (%s) written to %s",
            self.channel.value,
            message.id,
            message.kind,
            self.path,
        )
        return f"file-{message.id}"


class SolapiSmsBackend:
    """Text messages through SOLAPI: KakaoTalk 알림톡 for the kinds with a registered template
    (SOLAPI sends a text instead when KakaoTalk cannot deliver), SMS or LMS for the rest."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        sender: str,
        kakao_pfid: str | None = None,
        kakao_templates: dict[str, str] | None = None,
        service=None,
    ):
        self.sender = sender
        self.kakao_pfid = kakao_pfid
        self.kakao_templates = dict(kakao_templates or {})
        if service is None:
            service = SolapiMessageService(api_key=api_key, api_secret=api_secret)
        self.service = service

    def request_for(self, message: OutgoingMessage) -> RequestMessage:
        """The SDK message for an outbox message: 알림톡 when its kind has a template."""
        template_id = self.kakao_templates.get(message.kind) if self.kakao_pfid else None
        if template_id is None:
            # No type given: SOLAPI picks SMS or LMS by the length of the text.
            return RequestMessage(from_=self.sender, to=message.recipient, text=message.body)
        # SOLAPI builds the 알림톡 from the registered template and these variables, and its
        # fallback text from the same; a text of our own beside them is not supported.
        return RequestMessage(
            from_=self.sender,
            to=message.recipient,
            kakao_options=KakaoOption(
                pf_id=self.kakao_pfid,
                template_id=template_id,
                variables=kakao_variables(message.params),
                disable_sms=False,
            ),
        )

    def send(self, message: OutgoingMessage) -> str:
        """Send the message through SOLAPI and return SOLAPI's id for it."""
        if not message.recipient:
            raise DeliveryError("no phone number to send to", retry=False)
        request = self.request_for(message)
        try:
            response = self.service.send(request)
        except MessageNotReceivedError as error:
            raise DeliveryError(_solapi_failures(error.failed_messages), retry=False) from error
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise DeliveryError(f"SOLAPI unreachable: {error}", retry=True) from error
        except httpx.RequestError as error:
            raise DeliveryError(
                f"no answer from SOLAPI after the request was sent, outcome unknown: "
                f"{type(error).__name__} {error}",
                retry=False,
            ) from error
        except pydantic.ValidationError as error:
            raise DeliveryError(
                "SOLAPI's answer could not be read, outcome unknown", retry=False
            ) from error
        except json.JSONDecodeError as error:
            # The SDK reads a refusal's body as JSON: a proxy's HTML error page ends here.
            raise DeliveryError(
                f"the request was refused with an unreadable answer: {error.doc[:200]}",
                retry=True,
            ) from error
        except Exception as error:
            # The SDK raises a bare Exception for HTTP errors: (code, message) for a refusal
            # (4xx), ("UnknownError", body) for a server error (5xx).
            if type(error) is not Exception:
                raise
            raise _solapi_http_error(error) from error
        failed = response.failed_message_list or []
        if failed or response.group_info.count.registered_failed:
            raise DeliveryError(_solapi_failures(failed), retry=False)
        if response.message_list:
            return response.message_list[0].message_id
        return response.group_info.group_id


def kakao_variables(params: dict) -> dict[str, str]:
    """A message's facts as KakaoTalk template variables: ``#{key}`` to text."""
    return {f"#{{{key}}}": _variable_text(value) for key, value in params.items()}


def _variable_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _solapi_failures(failed_messages) -> str:
    if not failed_messages:
        return "SOLAPI did not accept the message"
    reasons = "; ".join(f"{item.status_code} {item.status_message}" for item in failed_messages)
    return f"SOLAPI refused the message: {reasons}"


def _solapi_http_error(error: Exception) -> DeliveryError:
    code, *detail = [str(arg) for arg in error.args] or ["UnknownError"]
    text = " ".join([code, *detail])[:300]
    if code == "UnknownError" or not detail:
        # A server error, or an answer without a body to read: SOLAPI may have taken it.
        return DeliveryError(f"SOLAPI failed, outcome unknown: {text}", retry=False)
    # The whole request was turned away before any message in it was taken (the balance, the
    # rate, the key), so another try cannot send twice.
    return DeliveryError(f"SOLAPI refused the request: {text}", retry=True)


class _DataWatch:
    """Remembers whether the DATA command was begun: from then on a lost connection leaves
    unknown whether the server kept the message."""

    data_begun = False

    def data(self, msg):
        self.data_begun = True
        return super().data(msg)


class _SMTP(_DataWatch, smtplib.SMTP):
    pass


class _SMTPSSL(_DataWatch, smtplib.SMTP_SSL):
    pass


class SmtpEmailBackend:
    """Email through the office's SMTP server."""

    def __init__(
        self,
        host: str,
        port: int,
        from_address: str,
        *,
        user: str | None = None,
        password: str | None = None,
        security: str = "starttls",
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ):
        if security not in SMTP_SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SMTP_SECURITY)}")
        self.host = host
        self.port = port
        self.from_address = from_address
        self.domain = parseaddr(from_address)[1].rpartition("@")[2]
        self.user = user
        self.password = password
        self.security = security
        self.timeout = timeout

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        """The email for an outbox message, in UTF-8, with a Message-ID and the outbox id."""
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.from_address
        email["To"] = message.recipient
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = make_msgid(domain=self.domain)
        email["X-Training-Outbox-Id"] = str(message.id)
        # base64 carries the Korean text intact through servers that only take 7-bit mail.
        email.set_content(message.body, charset="utf-8", cte="base64")
        return email

    def send(self, message: OutgoingMessage) -> str:
        """Hand the email to the SMTP server and return its Message-ID."""
        if not message.recipient:
            raise DeliveryError("no email address to send to", retry=False)
        email = self.compose(message)
        smtp = None
        try:
            smtp = self._connect()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as error:
            if smtp is not None:
                smtp.close()
            raise _smtp_error(error, data_begun=smtp is not None and smtp.data_begun) from error
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            # The server has accepted the message; a failed goodbye changes nothing.
            smtp.close()
        return email["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return _SMTPSSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        smtp = _SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                # Refuses (SMTPNotSupportedError) rather than go on in clear text.
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


def _smtp_error(error: Exception, *, data_begun: bool) -> DeliveryError:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return DeliveryError(
            f"the mail server refused the address: {code} {_text(text)}", retry=_passing(code)
        )
    if isinstance(error, smtplib.SMTPConnectError):
        return DeliveryError(
            f"the mail server would not take mail: {error.smtp_code} {_text(error.smtp_error)}",
            retry=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryError(
            f"the mail server refused: {error.smtp_code} {_text(error.smtp_error)}",
            retry=_passing(error.smtp_code),
        )
    if isinstance(error, ssl.SSLError):
        return DeliveryError(f"TLS with the mail server failed: {error}", retry=False)
    # SMTPException is an OSError too: only a lost connection and the socket's own errors
    # (refused, unreachable, timed out) are about the network.
    if isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(
        error, smtplib.SMTPException
    ):
        if data_begun:
            return DeliveryError(
                f"the connection was lost while the mail server took the message, "
                f"outcome unknown: {type(error).__name__} {error}",
                retry=False,
            )
        return DeliveryError(f"mail server unreachable: {type(error).__name__} {error}", retry=True)
    # SMTPNotSupportedError, or a login the server offers no way to do: settings to fix.
    return DeliveryError(f"the mail server cannot take this mail: {error}", retry=False)


def _passing(code: int) -> bool:
    """SMTP's own word: 4xx replies are for now, 5xx for good."""
    return 400 <= code < 500


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_BACKEND_SETTING = {Channel.SMS: "SMS_BACKEND", Channel.EMAIL: "EMAIL_BACKEND"}


def backend_for(app, channel: Channel) -> Backend:
    """The backend configured for the channel (SMS_BACKEND / EMAIL_BACKEND), built from
    app.config; a misconfiguration (solapi without key/secret/sender, smtp without host/from,
    unknown name) raises a clear ValueError naming the TRAINING_* variable to set."""
    if channel not in _BACKEND_SETTING:
        raise ValueError(f"{channel.value} messages are not sent: staff phone the person")
    setting = _BACKEND_SETTING[channel]
    config = app.config
    name = str(config.get(setting) or "file").strip()
    if ":" in name:
        return _imported_class(name, setting)(config)
    if name == "file":
        path = config.get("OUTBOX_FILE") or Path(app.instance_path) / "outbox.log"
        return FileBackend(path, channel)
    if channel is Channel.SMS and name == "solapi":
        return _solapi_backend(config)
    if channel is Channel.EMAIL and name == "smtp":
        return _smtp_backend(config)
    choices = "file, solapi" if channel is Channel.SMS else "file, smtp"
    raise ValueError(f"TRAINING_{setting}={name!r} is not a backend: use {choices} or module:Class")


def _imported_class(path: str, setting: str):
    module_name, _, class_name = path.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"TRAINING_{setting}={path!r}: write it as module:Class")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"TRAINING_{setting}={path!r} cannot be imported: {error}") from error


def _missing(config, *keys: str) -> list[str]:
    return [f"TRAINING_{key}" for key in keys if not config.get(key)]


def _solapi_backend(config) -> SolapiSmsBackend:
    missing = _missing(config, "SMS_API_KEY", "SMS_API_SECRET", "SMS_SENDER")
    if missing:
        raise ValueError(f"SMS_BACKEND=solapi needs {', '.join(missing)}")
    return SolapiSmsBackend(
        api_key=config["SMS_API_KEY"],
        api_secret=config["SMS_API_SECRET"],
        sender=config["SMS_SENDER"],
        kakao_pfid=config.get("SMS_KAKAO_PFID") or None,
        kakao_templates=_kakao_templates(config.get("SMS_KAKAO_TEMPLATES")),
    )


def _kakao_templates(value) -> dict[str, str]:
    if not value:
        return {}
    example = 'e.g. {"promoted": "KA01TP..."}'
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"TRAINING_SMS_KAKAO_TEMPLATES is not JSON ({example})") from error
    if not isinstance(value, dict) or not all(
        isinstance(template, str) and template for template in value.values()
    ):
        raise ValueError(
            f"TRAINING_SMS_KAKAO_TEMPLATES must map message kinds to template ids ({example})"
        )
    return value


def _smtp_backend(config) -> SmtpEmailBackend:
    missing = _missing(config, "SMTP_HOST", "SMTP_FROM")
    if config.get("SMTP_USER"):
        missing += _missing(config, "SMTP_PASSWORD")
    if missing:
        raise ValueError(f"EMAIL_BACKEND=smtp needs {', '.join(missing)}")
    if "@" not in parseaddr(config["SMTP_FROM"])[1]:
        raise ValueError("TRAINING_SMTP_FROM must be an email address, e.g. edu@example.go.kr")
    security = str(config.get("SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SMTP_SECURITY:
        raise ValueError(f"TRAINING_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    return SmtpEmailBackend(
        config["SMTP_HOST"],
        int(config["SMTP_PORT"]),
        config["SMTP_FROM"],
        user=config.get("SMTP_USER") or None,
        password=config.get("SMTP_PASSWORD") or None,
        security=security,
    )
