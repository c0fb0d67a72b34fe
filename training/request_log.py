"""One JSON line per request on stderr, and a request id that ties it to everything else.

The line names the route pattern (``/verify/<serial>``), never the path or the query string:
those carry phone numbers, pass tokens and certificate serials. Nothing else about the person
is written either: no address, no user id, no form. The request id comes from the proxy's
``X-Request-ID`` when it looks like one, is sent back in the answer and kept on ``g``.
"""

import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request, request_finished, request_started
from flask.logging import wsgi_errors_stream

logger = logging.getLogger("training.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else (long, spaces, quotes, control characters) could forge or break a log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_request_log(app: Flask) -> None:
    """Give every request an id and, unless ACCESS_LOG is off, a JSON line when it ends."""
    if not logger.handlers:
        # Bare JSON lines, whatever the application's own log looks like.
        handler = logging.StreamHandler(wsgi_errors_stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # Signals rather than before_request: request_started comes before every before_request
    # function, so the id exists and the clock runs even when one of them refuses the request.
    request_started.connect(_start, app)
    request_finished.connect(_finish, app)
    app.after_request(_echo_request_id)


def current_request_id() -> str:
    """This request's id (made up on the spot if the request has not been given one)."""
    if "request_id" not in g:
        g.request_id = _incoming_request_id() or uuid.uuid4().hex
    return g.request_id


def log_exception(error: BaseException) -> None:
    """Write an unexpected error as one JSON line: its type, the request id and traceback."""
    _write(
        "error",
        exception=type(error).__name__,
        traceback="".join(traceback.format_exception(error)),
    )


def _incoming_request_id() -> str | None:
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if SANE_REQUEST_ID.fullmatch(value) else None


def _start(sender: Flask, **extra) -> None:
    g.pop("request_id", None)
    current_request_id()
    g.request_started_at = time.perf_counter()


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    return response


def _finish(sender: Flask, response: Response, **extra) -> None:
    if not sender.config.get("ACCESS_LOG", True):
        return
    started = g.get("request_started_at")
    _write(
        "request",
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1) if started else None,
        size=response.content_length,
    )


def _write(event: str, **fields) -> None:
    rule = request.url_rule
    line = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": event,
        "request_id": current_request_id(),
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "endpoint": request.endpoint,
        **fields,
    }
    logger.log(
        logging.ERROR if event == "error" else logging.INFO,
        json.dumps(line, ensure_ascii=False),
    )
