"""Every answer of /api/v1 that the suite provokes, from any app and any test client, is held
to the generated OpenAPI document: its operation and status are documented, and its body
validates against the documented schema (error codes included: each status lists its codes).

A test whose request got an answer the document does not describe fails, naming it."""

import json
import re
from datetime import date, datetime
from functools import cache

import pytest
from flask import request, request_finished
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:training:openapi"
_violations: list[str] = []

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@formats.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@cache
def _document() -> dict:
    from training.api.spec import openapi_document

    # Through JSON, as clients read it.
    return json.loads(json.dumps(openapi_document()))


@cache
def _validator(pointer: str) -> Draft202012Validator:
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(_document()))
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=registry, format_checker=formats
    )


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def check_api_response(sender, response, **extra) -> None:
    """Compare one answer with the document; what does not match is kept for the test."""
    rule = request.url_rule
    if rule is None or request.blueprint != "api":
        return  # unrouted (404, 405): no operation to hold it to
    document = _document()
    prefix = document["servers"][0]["url"]
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(prefix)
    method = request.method.lower()
    where = f"{request.method} {request.path} -> {response.status_code}"
    operation = document["paths"].get(path, {}).get(method)
    if operation is None:
        _violations.append(f"{where}: operation not in the document")
        return
    answer = operation["responses"].get(str(response.status_code))
    if answer is None:
        _violations.append(f"{where}: status not documented for {method.upper()} {path}")
        return
    if "content" not in answer:
        return
    if not response.is_json:
        _violations.append(f"{where}: documented as JSON, sent {response.mimetype}")
        return
    pointer = "/".join(
        [
            "/paths",
            _escape(path),
            method,
            "responses",
            str(response.status_code),
            "content",
            _escape("application/json"),
            "schema",
        ]
    )
    body = response.get_json()
    for error in _validator(pointer).iter_errors(body):
        location = "/".join(str(part) for part in error.absolute_path) or "(body)"
        _violations.append(f"{where}: {location}: {error.message}")


request_finished.connect(check_api_response)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    _violations.clear()
    result = yield
    if _violations:
        found = list(_violations)
        _violations.clear()
        pytest.fail("API answers that the OpenAPI document does not describe:\n" + "\n".join(found))
    return result
