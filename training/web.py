"""What every page shares: security headers, language choice, template filters."""

from datetime import date, datetime

from flask import abort, g, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from training.accounts.services import format_phone, mask_name, mask_phone
from training.db_types import to_seoul
from training.labels import (
    audience_labels,
    category_labels,
    delivery_labels,
    level_labels,
    role_labels,
    selection_labels,
    status_labels,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


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
        chosen = g.get("chosen_locale")
        if chosen and request.cookies.get("lang") != chosen:
            response.set_cookie(
                "lang", chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
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
            "audience_label": lambda v: audience_labels()[v],
            "category_label": lambda v: category_labels()[v],
            "delivery_label": lambda v: delivery_labels()[v],
            "level_label": lambda v: level_labels()[v],
            "selection_label": lambda v: selection_labels()[v],
            "status_label": lambda v: status_labels()[v],
            "role_label": lambda v: role_labels()[v],
            "site_name": _("영등포구 스마트 정보화교육"),
            "locale": str(get_locale() or "ko"),
        }
