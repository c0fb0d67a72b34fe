"""Request bodies are bounded: MAX_CONTENT_LENGTH for every view, and a smaller limit of its
own for a view that takes only small bodies (a camera frame), refused before it is read.

A body over the limit is refused with 413 when Werkzeug opens the request's stream, which
happens before the view runs: the CSRF check opens it to look for a form field. The limit of
a view is therefore set from the URL map, before any before_request function."""

from collections.abc import Callable

from flask import Flask, request


def limit_body(max_bytes: int) -> Callable:
    """Mark a view whose request body may be at most max_bytes."""

    def mark(view):
        view.max_body_bytes = max_bytes
        return view

    return mark


def init_body_limits(app: Flask) -> None:
    """Apply a marked view's own limit in place of MAX_CONTENT_LENGTH."""

    @app.url_value_preprocessor
    def apply_view_body_limit(endpoint, values):
        view = app.view_functions.get(endpoint) if endpoint else None
        limit = getattr(view, "max_body_bytes", None)
        if limit is not None:
            request.max_content_length = limit
