"""The API's schema machinery: spectree validates each request against the operation's
schema classes and generates the OpenAPI document from them; the refusals each operation may
answer with are read from its code (training.api.refusals)."""

import copy
from functools import wraps
from http import HTTPStatus
from typing import get_type_hints

from flask import current_app, request
from pydantic import ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from training.api import bp
from training.api.refusals import Refusal, refusals_of
from training.api.schemas import ErrorJson
from training.errors import HTTP_CODES, RuleError

BEARER = {"bearerAuth": []}
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INTEGRITY_REFUSAL = Refusal(409, "conflict")
BODY_TOO_LARGE = Refusal(413, HTTP_CODES[413])


class InvalidParameter(RuleError):
    """A parameter or body that does not have the documented shape."""

    code = "invalid_parameter"
    status = 400

    def __init__(self, message: str):
        super().__init__(self.code, message, self.status)


def _refuse_invalid_input(request, response, error, instance, model_adapter) -> None:
    """Spectree's hook after validating a request: refusals are the API's error body."""
    if error is not None:
        raise InvalidParameter(_describe(error))


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"'{where}': {first['msg']}"


spec = SpecTree(
    "flask",
    mode="strict",
    title="Yeongdeungpo-gu smart education API",
    version="1.0.0",
    description="Course runs, enrollment and waiting lists, QR passes and check-in, "
    "certificates and statistics. Times are ISO 8601 with the Asia/Seoul offset. Every "
    'refusal is {"error": {"code", "message"}}; each operation lists its codes.',
    security_schemes=[
        SecurityScheme(
            name="bearerAuth", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        )
    ],
    before=_refuse_invalid_input,
    validation_error_status=400,
    validation_error_model=ErrorJson,
    naming_strategy=lambda model: model.__name__.removesuffix("Json"),
    nested_naming_strategy=lambda parent, child: child.removesuffix("Json"),
)


def api_operation(*, optional_body=False, secured=False, **responses):
    """Declare an operation: its answers by status (HTTP_200=SomeJson, ...); the view's
    `json` and `query` parameters, annotated with schema classes, receive the validated body
    and query string. A body, when there is one, must be a JSON object."""

    def decorate(view):
        validated = spec.validate(resp=Response(**responses), security=BEARER if secured else None)(
            view
        )
        if "json" not in get_type_hints(view):
            return validated

        @wraps(validated)
        def wrapped(*args, **kwargs):
            _require_json_object(optional=optional_body)
            return validated(*args, **kwargs)

        return wrapped

    return decorate


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _require_json_object(optional: bool) -> None:
    # Spectree reads a missing or unreadable body as {}; an absent body may mean "no
    # options", but one that is there and is not a JSON object is refused.
    if optional and not request.get_data(cache=True):
        return
    if request.mimetype in FORM_TYPES:
        # Spectree would validate the form fields instead of the body, and hand the view none.
        raise InvalidParameter("The body must be JSON (Content-Type: application/json).")
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise InvalidParameter("The body must be a JSON object.")


def openapi_document() -> dict:
    """The OpenAPI document of /api/v1, generated from the routes' declarations."""
    prefix = bp.url_prefix
    generated = spec.spec
    document = copy.deepcopy(generated)
    document["servers"] = [{"url": prefix}]
    paths = {}
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != bp.name:
            continue
        path = _openapi_path(rule.rule)
        item = generated["paths"].get(path)
        if item is None:
            continue
        view = current_app.view_functions[rule.endpoint]
        local = path.removeprefix(prefix) or "/"
        # One path may have a view for each method (GET and PATCH /runs/{run_id}): each
        # operation's refusals are those of its own view.
        operations = paths.setdefault(local, {})
        for method, operation in item.items():
            if method.upper() not in rule.methods:
                continue
            operations[method] = copy.deepcopy(operation)
            operations[method]["responses"] = {
                **{s: r for s, r in operation["responses"].items() if int(s) < 400},
                **_refusal_responses(view, method.upper()),
            }
    document["paths"] = dict(sorted(paths.items()))
    return document


def _openapi_path(rule: str) -> str:
    path, _ = spec.backend.parse_path(rule, None)
    return path


def _refusal_responses(view, method: str) -> dict:
    refusals = refusals_of(view)
    metadata = spec.get_function_metadata(view)
    if metadata is not None and (metadata.query or metadata.json):
        refusals.add(Refusal(InvalidParameter.status, InvalidParameter.code))
    if metadata is not None and metadata.json:
        # A body past MAX_CONTENT_LENGTH is refused as it is read.
        refusals.add(BODY_TOO_LARGE)
    if method in WRITING_METHODS:
        # The database's constraints are the last guard (training.errors): a write that
        # races past a rule is refused as a conflict.
        refusals.add(INTEGRITY_REFUSAL)
    by_status: dict[int, list[str]] = {}
    for refusal in sorted(refusals):
        by_status.setdefault(refusal.status, []).append(refusal.code)
    return {
        str(status): {
            "description": f"{HTTPStatus(status).phrase}: " + ", ".join(codes),
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [{"$ref": "#/components/schemas/Error"}],
                        "properties": {
                            "error": {"properties": {"code": {"type": "string", "enum": codes}}}
                        },
                    }
                }
            },
        }
        for status, codes in sorted(by_status.items())
    }
