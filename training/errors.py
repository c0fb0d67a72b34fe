"""The services' refusals, error pages for people and JSON errors for API clients."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from training.extensions import db
from training.request_log import log_exception


class RuleError(Exception):
    """A rule refused the request: a code for API clients, a message safe to show."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def wants_json() -> bool:
    return request.path.startswith("/api/")


def asks_for_json() -> bool:
    """The client, a page's own script say, prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def api_error(code: str, message: str, status: int):
    """The API's error shape: {"error": {"code", "message"}}."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("요청을 이해할 수 없습니다. 입력한 내용을 확인해 주세요."),
        401: _("로그인이 필요합니다."),
        403: _("이 페이지를 볼 권한이 없습니다."),
        404: _("찾는 페이지가 없습니다."),
        405: _("허용되지 않은 요청 방식입니다."),
        413: _("보낸 내용이 너무 큽니다."),
        415: _("지원하지 않는 형식으로 보낸 요청입니다."),
        429: _("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
        500: _("일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."),
    }
    return messages.get(status, _("요청을 처리할 수 없습니다."))


def register_error_handlers(app) -> None:
    @app.errorhandler(RuleError)
    def rule_error(error: RuleError):
        # Nothing a refused request did may be kept.
        db.session.rollback()
        if wants_json():
            return api_error(error.code, error.message, error.status)
        return render_template("error.html", status=error.status, message=error.message), (
            error.status
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("페이지가 오래되어 요청을 처리하지 못했습니다. 새로고침 후 다시 시도해 주세요.")
        if wants_json():
            return api_error("csrf_failed", message, 400)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = _http_message(status)
        # A page's script that sent a body too big gets an answer it can read. Other errors
        # stay HTML for it: the door screen takes an HTML answer for a stale page.
        if wants_json() or (status == 413 and asks_for_json()):
            return api_error(HTTP_CODES.get(status, "error"), message, status)
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # The database's constraints are the last guard behind the services' rules: a
        # request that slips past a rule (a race, say) is refused, never half-applied.
        db.session.rollback()
        # The route's pattern and the first line of the database's message name the
        # constraint; the path and PostgreSQL's DETAIL line can carry a phone number.
        app.logger.warning(
            "Constraint refused %s %s: %s",
            request.method,
            request.url_rule.rule if request.url_rule else "-",
            str(error.orig).splitlines()[0] if str(error.orig) else type(error.orig).__name__,
        )
        message = _("다른 요청과 겹쳐 처리하지 못했습니다. 다시 시도해 주세요.")
        if wants_json():
            return api_error("conflict", message, 409)
        return render_template("error.html", status=409, message=message), 409

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        log_exception(error)
        try:
            return http_error(InternalServerError())
        except Exception:  # the error page itself failed: answer in plain text
            return _http_message(500), 500, {"Content-Type": "text/plain; charset=utf-8"}
