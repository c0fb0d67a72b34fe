"""What every page shares: security headers, language choice, template filters."""

from collections.abc import Callable
from datetime import date, datetime

from flask import abort, flash, g, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from training.accounts.services import format_phone, mask_name, mask_phone
from training.clock import to_seoul
from training.errors import RuleError
from training.extensions import db

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Sent only when the public address is https (SESSION_COOKIE_SECURE is then on).
HSTS = "max-age=31536000; includeSubDomains"


def commit_and_flash(action: Callable, success: str | Callable) -> bool:
    """Run one service call; on success commit and flash the success message (text, or a
    function of the call's result, evaluated before the commit); on a refusal roll back and
    flash why. Returns whether it succeeded."""
    try:
        result = action()
    except RuleError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    message = success(result) if callable(success) else success
    db.session.commit()
    flash(message, "success")
    return True


def accepts_json(view):
    """Mark a page view that the page's own script calls with a JSON body."""
    view.accepts_json = True
    return view


def register_web_helpers(app) -> None:
    @app.before_request
    def refuse_json_to_pages():
        # Pages take HTML form posts; JSON belongs to /api/ and to views marked for it.
        if not request.is_json or request.path.startswith("/api/"):
            return
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if not getattr(view, "accepts_json", False):
            abort(415)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        chosen = g.get("chosen_locale")
        if chosen and request.cookies.get("lang") != chosen:
            response.set_cookie(
                "lang",
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response

    @app.template_filter("kst")
    def kst(value: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
        if value is None:
            return ""
        return format_datetime(to_seoul(value), pattern)

    @app.template_filter("day")
    def day(value: date | None, pattern: str = "yyyy-MM-dd (E)") -> str:
        if value is None:
            return ""
        return format_date(value, pattern)

    @app.template_filter("hm")
    def hour_minute(value: datetime) -> str:
        return to_seoul(value).strftime("%H:%M")

    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_name"] = mask_name

    @app.context_processor
    def labels():
        return {
            "site_name": _("영등포구 스마트 정보화교육"),
            "locale": str(get_locale() or "ko"),
            "centre_contacts": centre_contacts,
        }


def centre_contacts() -> list:
    """Each education centre's name, address and phone, for the footer: pages tell people to
    phone the centre. An error page rendered while the database is away shows none."""
    from training.catalog.services import list_venues

    try:
        return list_venues()
    except SQLAlchemyError:
        db.session.rollback()
        return []
