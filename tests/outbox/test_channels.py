"""The delivery channels: the file every install starts with, SOLAPI for texts and 알림톡, SMTP
for email, and the settings that choose them.

SOLAPI is played by a fake service for the exact request and each error, and by a small HTTP
server on 127.0.0.1 for the SDK's own path; SMTP by a real server (aiosmtpd) on 127.0.0.1.
Nothing leaves the machine."""

import asyncio
import json
import logging
import multiprocessing
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from solapi import SolapiMessageService
from solapi.error.MessageNotReceiveError import MessageNotReceivedError
from solapi.model import RequestMessage
from solapi.model.response.send_message_response import FailedMessage, SendMessageResponse

from training.outbox.channels import (
    DeliveryError,
    FileBackend,
    OutgoingMessage,
    SmtpEmailBackend,
    SolapiSmsBackend,
    backend_for,
)
from training.outbox.models import Channel

BODY = (
    "[영등포구] 스마트폰 기초 대기 순번이 되어 수강이 확정되었습니다. "
    "3월 16일(월) 10:00 평생스마트교육장 강의실 1 문의 02-2670-3114"
)
PARAMS = {
    "title": "스마트폰 기초",
    "place": "평생스마트교육장 강의실 1",
    "phone": "02-2670-3114",
    "starts_at": "2026-03-16T01:00:00+00:00",
}
SUBJECT = "[영등포구 정보화교육] 수강이 확정되었습니다"
OFFICE_FROM = "영등포구 정보화교육 <edu@ydp.example>"


def outgoing(**fields) -> OutgoingMessage:
    values = {
        "id": 7,
        "kind": "promoted",
        "channel": Channel.SMS,
        "recipient": "01012345678",
        "subject": "",
        "body": BODY,
        "params": PARAMS,
    }
    values.update(fields)
    return OutgoingMessage(**values)


def email_message(**fields) -> OutgoingMessage:
    return outgoing(channel=Channel.EMAIL, recipient="hong@example.com", subject=SUBJECT, **fields)


def free_port() -> int:
    """A loopback port nothing listens on (once the probe socket is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The file


def test_file_backend_appends_one_json_line_per_message(app, tmp_path):
    path = tmp_path / "not-yet" / "outbox.log"
    backend = FileBackend(path, Channel.SMS)

    first = backend.send(outgoing(id=7))
    second = backend.send(outgoing(id=8, kind="reminder", recipient="01098765432"))

    assert (first, second) == ("file-7", "file-8")
    text = path.read_text(encoding="utf-8")
    # Korean is written as Korean, not as \uXXXX escapes: the file is read by people.
    assert "스마트폰 기초" in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["id"] for line in lines] == [7, 8]
    assert lines[1] == {
        "id": 8,
        "kind": "reminder",
        "channel": "sms",
        "recipient": "01098765432",
        "subject": "",
        "body": BODY,
        "written_at": lines[1]["written_at"],
    }
    written_at = datetime.fromisoformat(lines[1]["written_at"])
    assert written_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - written_at).total_seconds()) < 60


def _append_messages(path, writer: int, count: int, barrier) -> None:
    backend = FileBackend(path, Channel.SMS)
    barrier.wait(timeout=60)
    for number in range(count):
        # Lines far longer than a pipe's atomic write, so that only O_APPEND keeps them whole.
        backend.send(outgoing(id=writer * 1000 + number, body=f"{writer}" + "가" * 20000))


def test_file_backend_lines_stay_whole_when_processes_append_at_once(tmp_path):
    """Real processes, as several senders would run."""
    path = tmp_path / "outbox.log"
    # Each process starts a Python of its own and imports the app: three are enough.
    writers, count = 3, 30
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    processes = [
        context.Process(target=_append_messages, args=(path, writer, count, barrier))
        for writer in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(
        writer * 1000 + number for writer in range(writers) for number in range(count)
    )
    for line in lines:
        assert line["body"] == f"{line['id'] // 1000}" + "가" * 20000


def test_file_backend_logs_the_message_without_its_personal_data(app, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="training.outbox")

    FileBackend(tmp_path / "outbox.log", Channel.SMS).send(outgoing(id=7))

    [record] = [r for r in caplog.records if r.name == "training.outbox"]
    assert record.levelno == logging.INFO
    logged = record.getMessage()
    assert "sms message 7 (promoted)" in logged
    assert "01012345678" not in logged
    assert "스마트폰" not in logged


def test_file_backend_that_cannot_write_asks_for_a_retry(app, tmp_path):
    blocker = tmp_path / "instance"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(DeliveryError) as caught:
        FileBackend(blocker / "outbox.log", Channel.EMAIL).send(email_message())

    assert caught.value.retry is True
    assert str(blocker) in caught.value.reason


def test_file_is_the_backend_of_a_fresh_install(app, tmp_path):
    app.config["OUTBOX_FILE"] = str(tmp_path / "outbox.log")

    for channel in (Channel.SMS, Channel.EMAIL):
        backend = backend_for(app, channel)
        assert isinstance(backend, FileBackend)
        assert backend.path == tmp_path / "outbox.log"
        assert backend.channel is channel


# SOLAPI, with a fake service


def solapi_answer(*, accepted=("M4V20260302100000ABCDEFGHIJKLMN",), failed=()) -> dict:
    """The body SOLAPI's send-many/detail answers with."""
    cash = {"requested": 0, "replacement": 0, "refund": 0, "sum": 0}
    return {
        "failedMessageList": [
            {
                "to": "01000000000",
                "from": "0226700000",
                "type": "SMS",
                "statusMessage": status_message,
                "country": "82",
                "messageId": f"M4V2026030210000{index}FAILED",
                "statusCode": status_code,
                "accountId": "26030200000001",
            }
            for index, (status_code, status_message) in enumerate(failed)
        ],
        "groupInfo": {
            "count": {
                "total": len(accepted) + len(failed),
                "sentTotal": 0,
                "sentFailed": 0,
                "sentSuccess": 0,
                "sentPending": 0,
                "sentReplacement": 0,
                "refund": 0,
                "registeredFailed": len(failed),
                "registeredSuccess": len(accepted),
            },
            "countForCharge": {"sms": {"82": len(accepted)}},
            "balance": cash,
            "point": cash,
            "app": {"profit": {"sms": 0}, "appId": None},
            "log": [],
            "status": "SENDING",
            "allowDuplicates": False,
            "isRefunded": False,
            "accountId": "26030200000001",
            "masterAccountId": None,
            "apiVersion": "4",
            "groupId": "G4V20260302100000GROUP",
            "price": {},
            "dateCreated": "2026-03-02T01:00:00.000Z",
            "dateUpdated": "2026-03-02T01:00:00.000Z",
        },
        "messageList": [
            {
                "messageId": message_id,
                "statusCode": "2000",
                "statusMessage": "정상 접수(이통사로 접수 예정) ",
            }
            for message_id in accepted
        ],
    }


class FakeSolapi:
    """Stands in for the SDK's SolapiMessageService: keeps what it is given, answers as told."""

    def __init__(self, answer: dict | None = None, error: Exception | None = None):
        self.answer = answer if answer is not None else solapi_answer()
        self.error = error
        self.sent = []

    def send(self, messages, request_config=None):
        self.sent.append(messages)
        if self.error is not None:
            raise self.error
        return SendMessageResponse.model_validate(self.answer)


def solapi_backend(service, **options) -> SolapiSmsBackend:
    return SolapiSmsBackend(
        api_key="NCS-test-key",
        api_secret="test-secret",
        sender="02-2670-0000",
        service=service,
        **options,
    )


def wire(request: RequestMessage) -> dict:
    """The message as the SDK puts it in the request body."""
    return request.model_dump(exclude_none=True, by_alias=True)


def test_solapi_sends_a_plain_text_from_the_office_number(app):
    service = FakeSolapi()

    provider_id = solapi_backend(service).send(outgoing())

    [request] = service.sent
    assert isinstance(request, RequestMessage)
    # No type: SOLAPI picks SMS or LMS by length.
    assert wire(request) == {
        "from": "0226700000",
        "to": "01012345678",
        "text": BODY,
        "country": "82",
        "autoTypeDetect": True,
    }
    assert provider_id == "M4V20260302100000ABCDEFGHIJKLMN"


def test_solapi_sends_alimtalk_with_the_template_and_the_facts_as_variables(app):
    service = FakeSolapi()
    backend = solapi_backend(
        service,
        kakao_pfid="KA01PF2603020000000000000000",
        kakao_templates={"promoted": "KA01TP2603020000000000PROMOTED"},
    )

    backend.send(outgoing(params={**PARAMS, "place": None}))

    [request] = service.sent
    assert wire(request) == {
        "from": "0226700000",
        "to": "01012345678",
        "country": "82",
        "autoTypeDetect": True,
        "kakaoOptions": {
            "pfId": "KA01PF2603020000000000000000",
            "templateId": "KA01TP2603020000000000PROMOTED",
            "variables": {
                "#{title}": "스마트폰 기초",
                "#{place}": "",
                "#{phone}": "02-2670-3114",
                "#{starts_at}": "2026-03-16T01:00:00+00:00",
            },
            # When KakaoTalk cannot deliver, SOLAPI sends the same text as an SMS.
            "disableSms": False,
        },
    }


def test_solapi_sends_a_plain_text_for_a_kind_without_a_template(app):
    service = FakeSolapi()
    backend = solapi_backend(
        service,
        kakao_pfid="KA01PF2603020000000000000000",
        kakao_templates={"promoted": "KA01TP2603020000000000PROMOTED"},
    )

    backend.send(outgoing(kind="no_show_bar"))

    [request] = service.sent
    assert request.kakao_options is None
    assert request.text == BODY


def test_solapi_without_a_kakao_channel_sends_plain_text_even_with_templates(app):
    service = FakeSolapi()
    backend = solapi_backend(
        service, kakao_templates={"promoted": "KA01TP2603020000000000PROMOTED"}
    )

    backend.send(outgoing())

    [request] = service.sent
    assert request.kakao_options is None
    assert request.text == BODY


def test_solapi_refusing_the_message_is_final_and_says_why(app):
    answer = solapi_answer(accepted=(), failed=[("1062", "유효하지 않은 수신번호")])
    failure = FailedMessage.model_validate(answer["failedMessageList"][0])
    service = FakeSolapi(error=MessageNotReceivedError([failure]))

    with pytest.raises(DeliveryError) as caught:
        solapi_backend(service).send(outgoing())

    assert caught.value.retry is False
    assert "1062 유효하지 않은 수신번호" in caught.value.reason


def test_solapi_answer_listing_the_message_as_failed_is_final(app):
    answer = solapi_answer(accepted=("M4V1",), failed=[("3059", "변작된 발신번호")])

    with pytest.raises(DeliveryError) as caught:
        solapi_backend(FakeSolapi(answer)).send(outgoing())

    assert caught.value.retry is False
    assert "3059 변작된 발신번호" in caught.value.reason


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        # The request never left: safe to send again.
        (httpx.ConnectError("[Errno 111] Connection refused"), True),
        (httpx.ConnectError("[Errno -2] Name or service not known"), True),
        (httpx.ConnectTimeout("timed out"), True),
        # Sent, and no answer: SOLAPI may have it.
        (httpx.ReadTimeout("timed out"), False),
        (httpx.WriteTimeout("timed out"), False),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), False),
        # What the SDK raises for a refusal (4xx): nothing was taken.
        (Exception("NotEnoughBalance", "잔액이 부족합니다."), True),
        # ... and for a server error (5xx): the outcome is unknown.
        (Exception("UnknownError", "<html>502 Bad Gateway</html>"), False),
    ],
    ids=[
        "refused",
        "dns",
        "connect-timeout",
        "read-timeout",
        "write-timeout",
        "disconnected",
        "http-4xx",
        "http-5xx",
    ],
)
def test_solapi_errors_are_retried_only_when_nothing_can_have_been_sent(app, error, retry):
    with pytest.raises(DeliveryError) as caught:
        solapi_backend(FakeSolapi(error=error)).send(outgoing())

    assert caught.value.retry is retry
    assert caught.value.reason


def test_solapi_refusal_reason_names_the_providers_code(app):
    error = Exception("NotEnoughBalance", "잔액이 부족합니다.")

    with pytest.raises(DeliveryError) as caught:
        solapi_backend(FakeSolapi(error=error)).send(outgoing())

    assert "NotEnoughBalance 잔액이 부족합니다." in caught.value.reason


def test_solapi_message_without_a_number_is_final_and_not_sent(app):
    service = FakeSolapi()

    with pytest.raises(DeliveryError) as caught:
        solapi_backend(service).send(outgoing(recipient=""))

    assert caught.value.retry is False
    assert service.sent == []


# SOLAPI, through the real SDK


def solapi_config(app, **extra) -> None:
    app.config.update(
        SMS_BACKEND="solapi",
        SMS_API_KEY="NCS-test-key",
        SMS_API_SECRET="test-secret",
        SMS_SENDER="02-2670-0000",
        **extra,
    )


def test_solapi_backend_is_built_on_the_sdk_service_from_config(app):
    solapi_config(
        app,
        SMS_KAKAO_PFID="KA01PF2603020000000000000000",
        SMS_KAKAO_TEMPLATES='{"promoted": "KA01TP2603020000000000PROMOTED"}',
    )

    backend = backend_for(app, Channel.SMS)

    assert isinstance(backend, SolapiSmsBackend)
    assert isinstance(backend.service, SolapiMessageService)
    assert backend.service.auth_info == {"api_key": "NCS-test-key", "api_secret": "test-secret"}
    assert backend.sender == "02-2670-0000"
    assert backend.kakao_pfid == "KA01PF2603020000000000000000"
    assert backend.kakao_templates == {"promoted": "KA01TP2603020000000000PROMOTED"}


class _SolapiStandIn(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.requests.append(
            (self.path, self.headers["Authorization"], json.loads(self.rfile.read(length)))
        )
        status, body = self.server.answer
        if isinstance(body, str):
            data, content_type = body.encode(), "text/html; charset=utf-8"
        else:
            data = json.dumps(body, ensure_ascii=False).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        """Keep the test run's output quiet."""


@pytest.fixture
def direct_http(monkeypatch):
    """No proxy from the environment between the SDK and 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def solapi_server(direct_http):
    """An HTTP server on 127.0.0.1 answering as SOLAPI would; ``.answer`` is (status, body),
    a body given as text is sent as an HTML page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SolapiStandIn)
    server.requests = []
    server.answer = (200, solapi_answer())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def real_sdk_backend(app, base_url: str) -> SolapiSmsBackend:
    solapi_config(app)
    backend = backend_for(app, Channel.SMS)
    backend.service.base_url = base_url
    return backend


def test_solapi_through_the_sdk_posts_the_signed_message(app, solapi_server):
    backend = real_sdk_backend(app, f"http://127.0.0.1:{solapi_server.server_port}")

    provider_id = backend.send(outgoing())

    assert provider_id == "M4V20260302100000ABCDEFGHIJKLMN"
    [(path, authorization, body)] = solapi_server.requests
    assert path == "/messages/v4/send-many/detail"
    assert authorization.startswith("HMAC-SHA256 ApiKey=NCS-test-key, ")
    assert body["messages"] == [
        {
            "from": "0226700000",
            "to": "01012345678",
            "text": BODY,
            "country": "82",
            "autoTypeDetect": True,
        }
    ]


@pytest.mark.parametrize(
    ("status", "body", "retry", "reason"),
    [
        (
            200,
            solapi_answer(accepted=(), failed=[("1062", "유효하지 않은 수신번호")]),
            False,
            "1062",
        ),
        (400, {"errorCode": "NotEnoughBalance", "errorMessage": "잔액 부족"}, True, "잔액 부족"),
        (500, {"errorCode": "InternalError"}, False, "outcome unknown"),
        # A proxy in the office network turning the request away with a page of its own.
        (403, "<html><body>Access denied</body></html>", True, "Access denied"),
        (200, "<html><body>Maintenance</body></html>", False, "outcome unknown"),
        (200, {"groupInfo": {}}, False, "outcome unknown"),
    ],
    ids=[
        "message-refused",
        "request-refused",
        "server-error",
        "proxy-refused",
        "not-json",
        "unexpected-json",
    ],
)
def test_solapi_through_the_sdk_maps_each_answer(app, solapi_server, status, body, retry, reason):
    solapi_server.answer = (status, body)
    backend = real_sdk_backend(app, f"http://127.0.0.1:{solapi_server.server_port}")

    with pytest.raises(DeliveryError) as caught:
        backend.send(outgoing())

    assert caught.value.retry is retry
    assert reason in caught.value.reason


def test_solapi_through_the_sdk_unreachable_is_retried(app, direct_http):
    backend = real_sdk_backend(app, f"http://127.0.0.1:{free_port()}")

    with pytest.raises(DeliveryError) as caught:
        backend.send(outgoing())

    assert caught.value.retry is True
    assert "unreachable" in caught.value.reason


# SMTP, against a real server on 127.0.0.1


class Mailbox:
    """An aiosmtpd handler that keeps what it is given and answers as told."""

    def __init__(self):
        self.received = []
        self.mail_reply = None
        self.rcpt_reply = None
        self.data_delay = 0.0
        self.logins = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


@pytest.fixture
def mail_server():
    """Start an SMTP server on 127.0.0.1 (no TLS); returns its Mailbox and port. With
    ``logins=True`` it offers AUTH, which it would otherwise only offer under TLS."""
    controllers = []

    def start(*, logins: bool = False):
        mailbox = Mailbox()
        options = {"authenticator": mailbox.authenticate, "auth_require_tls": False}
        controller = Controller(
            mailbox,
            hostname="127.0.0.1",
            port=free_port(),
            server_hostname="mail.test",
            **(options if logins else {}),
        )
        controller.start()
        controllers.append(controller)
        return mailbox, controller.port

    yield start
    for controller in controllers:
        controller.stop()
        controller.loop.close()


def smtp_config(app, port: int, **extra) -> None:
    app.config.update(
        EMAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_FROM=OFFICE_FROM,
        SMTP_SECURITY="none",
        **extra,
    )


def smtp_backend(port: int, **options) -> SmtpEmailBackend:
    return SmtpEmailBackend("127.0.0.1", port, OFFICE_FROM, security="none", **options)


def test_smtp_delivers_the_korean_subject_and_body_with_its_headers(app, mail_server):
    mailbox, port = mail_server()
    smtp_config(app, port)

    message_id = backend_for(app, Channel.EMAIL).send(email_message(id=42))

    [envelope] = mailbox.received
    assert envelope.mail_from == "edu@ydp.example"
    assert envelope.rcpt_tos == ["hong@example.com"]
    received = message_from_bytes(envelope.original_content, policy=default_policy)
    assert received["Subject"] == SUBJECT
    assert received.get_content().strip() == BODY
    assert received.get_content_charset() == "utf-8"
    assert received["From"].addresses[0].display_name == "영등포구 정보화교육"
    assert received["From"].addresses[0].addr_spec == "edu@ydp.example"
    assert received["To"] == "hong@example.com"
    assert received["X-Training-Outbox-Id"] == "42"
    assert received["Message-ID"] == message_id
    assert message_id.startswith("<") and message_id.endswith("@ydp.example>")
    assert received["Date"].datetime.tzinfo is not None
    # On the wire the message is plain ASCII (RFC 2047 headers, base64 body), so it passes
    # through servers that take only 7-bit mail.
    envelope.original_content.decode("ascii")


def test_smtp_logs_in_when_a_user_is_set(app, mail_server):
    mailbox, port = mail_server(logins=True)
    smtp_config(app, port, SMTP_USER="edu@ydp.example", SMTP_PASSWORD="secret-1234")

    backend_for(app, Channel.EMAIL).send(email_message())

    assert mailbox.logins == [("edu@ydp.example", "secret-1234")]
    assert len(mailbox.received) == 1


def test_smtp_without_a_user_does_not_log_in(app, mail_server):
    mailbox, port = mail_server(logins=True)

    smtp_backend(port).send(email_message())

    assert mailbox.logins == []
    assert len(mailbox.received) == 1


def test_smtp_refused_connection_is_retried(app):
    with pytest.raises(DeliveryError) as caught:
        smtp_backend(free_port()).send(email_message())

    assert caught.value.retry is True
    assert "unreachable" in caught.value.reason


@pytest.fixture
def hanging_up_server():
    """A server on 127.0.0.1 that greets like a mail server and hangs up at once."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"220 mail.test ESMTP\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    thread.join(timeout=5)
    listener.close()


def test_smtp_disconnected_before_the_message_is_retried(app, hanging_up_server):
    with pytest.raises(DeliveryError) as caught:
        smtp_backend(hanging_up_server).send(email_message())

    assert caught.value.retry is True


@pytest.mark.parametrize(
    ("reply", "retry"),
    [
        ("550 5.1.1 No such user", False),
        ("450 4.2.1 Mailbox busy, try later", True),
    ],
    ids=["for-good", "for-now"],
)
def test_smtp_refused_address_is_retried_only_for_a_passing_reason(app, mail_server, reply, retry):
    mailbox, port = mail_server()
    mailbox.rcpt_reply = reply

    with pytest.raises(DeliveryError) as caught:
        smtp_backend(port).send(email_message())

    assert caught.value.retry is retry
    assert reply[:3] in caught.value.reason
    assert mailbox.received == []


def test_smtp_server_closing_before_the_message_is_retried(app, mail_server):
    mailbox, port = mail_server()
    mailbox.mail_reply = "421 4.3.2 Service shutting down"

    with pytest.raises(DeliveryError) as caught:
        smtp_backend(port).send(email_message())

    assert caught.value.retry is True
    assert mailbox.received == []


def test_smtp_no_answer_after_the_message_was_given_is_not_retried(app, mail_server):
    mailbox, port = mail_server()
    mailbox.data_delay = 1.0

    with pytest.raises(DeliveryError) as caught:
        smtp_backend(port, timeout=0.3).send(email_message())

    assert caught.value.retry is False
    assert "outcome unknown" in caught.value.reason


def test_smtp_starttls_not_offered_sends_nothing_in_clear(app, mail_server):
    mailbox, port = mail_server()

    with pytest.raises(DeliveryError) as caught:
        SmtpEmailBackend("127.0.0.1", port, OFFICE_FROM, security="starttls").send(email_message())

    assert caught.value.retry is False
    assert "STARTTLS" in caught.value.reason
    assert mailbox.received == []


# Choosing a backend


class RecordingBackend:
    """A provider plugged in by its dotted path, as other tests plug in fakes."""

    def __init__(self, config):
        self.config = config

    def send(self, message):
        return f"recorded-{message.id}"


def test_dotted_path_builds_the_named_class_with_the_config(app):
    app.config["SMS_BACKEND"] = "tests.outbox.test_channels:RecordingBackend"
    app.config["EMAIL_BACKEND"] = "tests.outbox.test_channels:RecordingBackend"

    for channel in (Channel.SMS, Channel.EMAIL):
        backend = backend_for(app, channel)
        # By behaviour, not isinstance: the import by path may load this module a second time.
        assert backend.send(outgoing(id=9)) == "recorded-9"
        assert backend.config is app.config


SOLAPI_KEYS = {"SMS_API_KEY": "k", "SMS_API_SECRET": "s", "SMS_SENDER": "0226700000"}
SMTP_SETTINGS = {"SMTP_HOST": "mail.ydp.example", "SMTP_FROM": "edu@ydp.example"}


@pytest.mark.parametrize(
    ("channel", "settings", "named"),
    [
        (
            Channel.SMS,
            {"SMS_BACKEND": "solapi"},
            "TRAINING_SMS_API_KEY, TRAINING_SMS_API_SECRET, TRAINING_SMS_SENDER",
        ),
        (
            Channel.SMS,
            {"SMS_BACKEND": "solapi", "SMS_API_KEY": "k", "SMS_API_SECRET": "s"},
            "needs TRAINING_SMS_SENDER",
        ),
        (
            Channel.SMS,
            {"SMS_BACKEND": "solapi", **SOLAPI_KEYS, "SMS_KAKAO_TEMPLATES": "{promoted: KA01}"},
            "TRAINING_SMS_KAKAO_TEMPLATES",
        ),
        (
            Channel.SMS,
            {"SMS_BACKEND": "solapi", **SOLAPI_KEYS, "SMS_KAKAO_TEMPLATES": '["KA01"]'},
            "TRAINING_SMS_KAKAO_TEMPLATES",
        ),
        (Channel.SMS, {"SMS_BACKEND": "twilio"}, "TRAINING_SMS_BACKEND"),
        (Channel.EMAIL, {"EMAIL_BACKEND": "smtp"}, "TRAINING_SMTP_HOST, TRAINING_SMTP_FROM"),
        (
            Channel.EMAIL,
            {"EMAIL_BACKEND": "smtp", **SMTP_SETTINGS, "SMTP_USER": "edu"},
            "TRAINING_SMTP_PASSWORD",
        ),
        (
            Channel.EMAIL,
            {"EMAIL_BACKEND": "smtp", **SMTP_SETTINGS, "SMTP_SECURITY": "tls"},
            "TRAINING_SMTP_SECURITY",
        ),
        (
            Channel.EMAIL,
            {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "mail.ydp.example", "SMTP_FROM": "edu"},
            "TRAINING_SMTP_FROM",
        ),
        (Channel.EMAIL, {"EMAIL_BACKEND": "solapi"}, "TRAINING_EMAIL_BACKEND"),
        (
            Channel.EMAIL,
            {"EMAIL_BACKEND": "tests.outbox.test_channels:Nowhere"},
            "TRAINING_EMAIL_BACKEND",
        ),
        (Channel.EMAIL, {"EMAIL_BACKEND": "training.nowhere:Backend"}, "TRAINING_EMAIL_BACKEND"),
    ],
    ids=[
        "solapi-nothing",
        "solapi-no-sender",
        "templates-not-json",
        "templates-not-a-map",
        "unknown-sms",
        "smtp-nothing",
        "smtp-user-without-password",
        "smtp-security",
        "smtp-from",
        "unknown-email",
        "no-such-class",
        "no-such-module",
    ],
)
def test_misconfiguration_names_the_variable_to_set(app, channel, settings, named):
    app.config.update(settings)

    with pytest.raises(ValueError) as caught:
        backend_for(app, channel)

    assert named in str(caught.value)


def test_solapi_error_names_only_the_missing_settings(app):
    app.config.update(SMS_BACKEND="solapi", SMS_API_KEY="k", SMS_API_SECRET="s")

    with pytest.raises(ValueError) as caught:
        backend_for(app, Channel.SMS)

    assert "TRAINING_SMS_API_KEY" not in str(caught.value)


def test_calls_have_no_backend(app):
    with pytest.raises(ValueError, match="staff phone"):
        backend_for(app, Channel.CALL)
