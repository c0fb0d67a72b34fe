"""Junk input on every route never gives a server error, whoever sends it."""

import pytest

from training.accounts.models import Role
from training.accounts.services import issue_token

LONG = "가" * 5000
HUGE = "99999999999999999999"
WEIRD = "\u202e\U0001f600\ufeff\u0000\ud7a3"


@pytest.fixture
def world(app, db, make_person, make_open_run, make_enrollment, client_for):
    """A run with one enrollment, a resident's and a staff member's logged-in clients (with
    their API headers), and anonymous visitors."""
    run = make_open_run()
    resident = make_person()
    staff = make_person(role=Role.STAFF)
    enrollment = make_enrollment(run, resident)
    db.session.commit()
    clients = {"anonymous": (None, {})}
    for name, person in (("resident", resident), ("staff", staff)):
        headers = {"Authorization": f"Bearer {issue_token(person)}"}
        clients[name] = (client_for(person), headers)
    return {"app": app, "run": run.id, "enrollment": enrollment.id, "clients": clients}


def route(method: str, path: str, variants: dict[str, dict]):
    """One route and the junk to send it: variant name -> test client keyword arguments.

    The path may hold {run} and {enrollment} (filled with real ids) and {id} (filled with
    each variant's "id")."""
    return pytest.param(method, path, variants, id=f"{method} {path}")


JUNK_IDS = {
    f"id={label}": {"id": value}
    for label, value in [
        ("huge", HUGE),
        ("very-long", "9" * 2000),
        ("negative", "-1"),
        ("zero", "0"),
        ("text", "abc"),
        ("unicode-and-null", "%EA%B0%80%00"),
    ]
}
EMPTY_FILTERS = "&venue=&category=&level=&audience=&delivery="


SIGNUP_FORM = {
    "name": "홍길동",
    "phone": "010-4444-1234",
    "birth_year": "1950",
    "dong": "당산2동",
    "password": "password123",
    "password_again": "password123",
    "consent": "y",
}
DESK_FORM = {
    "name": "김말순",
    "phone": "010-4444-2222",
    "birth_year": "1950",
    "dong": "대림1동",
    "consent": "y",
}
API_SIGNUP = {
    "name": "홍길동",
    "phone": "010-4444-3333",
    "password": "password123",
    "birth_year": 1950,
    "dong": "당산2동",
    "consent": True,
}


def changed(base: dict, **changes) -> dict:
    """A copy of a form or body with some fields changed."""
    return {**base, **changes}


def raw_json(body) -> dict:
    return {"data": body, "content_type": "application/json"}


ROUTES = [
    # Ids in paths
    route("GET", "/runs/{id}", JUNK_IDS),
    route("POST", "/runs/{id}/enroll", JUNK_IDS),
    route("POST", "/me/enrollments/{id}/cancel", JUNK_IDS),
    route("GET", "/desk/runs/{id}", JUNK_IDS),
    route("POST", "/desk/runs/{id}/enroll", JUNK_IDS),
    route("POST", "/desk/runs/{id}/enroll-new", JUNK_IDS),
    route("POST", "/desk/runs/{id}/draw", JUNK_IDS),
    route("POST", "/desk/enrollments/{id}/cancel", JUNK_IDS),
    route("GET", "/api/v1/runs/{id}", JUNK_IDS),
    route("POST", "/api/v1/runs/{id}/enrollments", JUNK_IDS),
    route("DELETE", "/api/v1/enrollments/{id}", JUNK_IDS),
    route(
        "GET",
        "/{id}",
        {"very-long-path": {"id": "x" * 5000}, "unicode-path": {"id": WEIRD.replace("\0", "")}},
    ),
    # Query strings
    route(
        "GET",
        "/",
        {
            "null-bytes": {"query_string": dict.fromkeys(["month", "venue", "audience"], "\0")},
            "long": {"query_string": {"month": LONG, "venue": LONG, "has_seats": LONG}},
            "unicode": {"query_string": {"month": WEIRD, "venue": WEIRD, "audience": WEIRD}},
            "huge-venue": {"query_string": f"month={EMPTY_FILTERS}&venue={HUGE}"},
            "year-zero": {"query_string": f"month=0000-01{EMPTY_FILTERS}"},
            "last-month": {"query_string": f"month=9999-12{EMPTY_FILTERS}"},
            "unicode-digit-month": {"query_string": f"month=٢٠٢٦-03{EMPTY_FILTERS}"},
            "lang-null-byte": {"query_string": {"lang": "\0"}},
            "lang-long": {"query_string": {"lang": LONG}},
        },
    ),
    route(
        "GET",
        "/api/v1/runs",
        {
            "null-bytes": {"query_string": dict.fromkeys(["open", "audience", "month"], "\0")},
            "long": {"query_string": {"month": LONG, "limit": LONG, "audience": LONG}},
            "superscript-limit": {"query_string": {"limit": "²"}},
            "arabic-digit-limit": {"query_string": {"limit": "١٠"}},
            "huge-limit": {"query_string": {"limit": HUGE}},
            "year-zero": {"query_string": {"month": "0000-01"}},
            "last-month": {"query_string": {"month": "9999-12"}},
            "unicode-digit-month": {"query_string": {"month": "٢٠٢٦-03"}},
        },
    ),
    route(
        "GET",
        "/login",
        {
            "null-next": {"query_string": {"next": "\0"}},
            "long-next": {"query_string": {"next": LONG}},
        },
    ),
    # Forms
    route(
        "POST",
        "/signup",
        {
            "empty": {"data": {}},
            "long": {"data": dict.fromkeys(SIGNUP_FORM, LONG)},
            "unicode": {
                "data": changed(
                    SIGNUP_FORM,
                    name=WEIRD,
                    phone="010" + "١" * 8,
                    birth_year="١٩٥٠",
                    password=WEIRD * 3,
                    password_again=WEIRD * 3,
                )
            },
            "null-byte-name": {"data": changed(SIGNUP_FORM, name="홍\0길동")},
            "huge-birth-year": {"data": changed(SIGNUP_FORM, birth_year="9" * 400)},
            "json-body": {"json": SIGNUP_FORM},
            "json-array-body": {"json": [1, 2]},
            "binary": {"data": b"\xff\xfe\0", "content_type": "application/x-www-form-urlencoded"},
        },
    ),
    route(
        "POST",
        "/login",
        {
            "empty": {"data": {}},
            "long": {"data": {"phone": LONG, "password": LONG}},
            "null-bytes": {"data": {"phone": "010\x001234", "password": "\0"}},
            "newline-next": {
                "query_string": {"next": "/\n/evil.example"},
                "data": {"phone": "01000000000", "password": "wrong"},
            },
            "json-body": {"json": {"phone": "01012345678"}},
            "json-array-body": {"json": [1, 2]},
            "binary": {"data": b"\xff\xfe\0", "content_type": "application/x-www-form-urlencoded"},
        },
    ),
    route(
        "POST",
        "/logout",
        {"junk": {"data": {"x": LONG}}, "json-array-body": {"json": [1]}},
    ),
    route(
        "POST",
        "/me/notifications/read",
        {"junk": {"data": {"x": WEIRD}}, "json-array-body": {"json": [1]}},
    ),
    route(
        "POST",
        "/runs/{run}/enroll",
        {"junk": {"data": {"csrf_token": LONG}}, "json-array-body": {"json": [1]}},
    ),
    route(
        "POST",
        "/me/enrollments/{enrollment}/cancel",
        {"junk": {"data": {"x": LONG}}, "json-array-body": {"json": [1, 2]}},
    ),
    route(
        "POST",
        "/desk/runs/{run}/enroll",
        {
            "empty": {"data": {}},
            "long": {"data": {"phone": LONG}},
            "null-byte": {"data": {"phone": "010\x0012345678"}},
            "json-array-body": {"json": [1]},
        },
    ),
    route(
        "POST",
        "/desk/runs/{run}/enroll-new",
        {
            "empty": {"data": {}},
            "long": {"data": dict.fromkeys(DESK_FORM, LONG)},
            "huge-birth-year": {"data": changed(DESK_FORM, birth_year="9" * 400)},
            "null-byte-name": {"data": changed(DESK_FORM, name="김\0순")},
            "json-array-body": {"json": [1]},
        },
    ),
    route(
        "POST",
        "/desk/runs/{run}/draw",
        {"not-a-lottery": {"data": {"x": "y"}}, "json-array-body": {"json": [1]}},
    ),
    route(
        "POST",
        "/desk/enrollments/{enrollment}/cancel",
        {"junk": {"data": {"x": LONG}}, "json-array-body": {"json": [1]}},
    ),
    # JSON API bodies
    route(
        "POST",
        "/api/v1/auth/signup",
        {
            "string-birth-year": {"json": changed(API_SIGNUP, birth_year="1950")},
            "bool-birth-year": {"json": changed(API_SIGNUP, birth_year=True)},
            "huge-birth-year": {"json": changed(API_SIGNUP, birth_year=10**30)},
            "wrong-types": {
                "json": changed(
                    API_SIGNUP,
                    name=["홍"],
                    phone={"a": 1},
                    password=12345678,
                    birth_year=1950.5,
                    dong=None,
                    consent="true",
                )
            },
            "null-byte-name": {"json": changed(API_SIGNUP, name="홍\0길동")},
            "long": {"json": changed(API_SIGNUP, name=LONG, phone=LONG, password=LONG, dong=LONG)},
            "form-encoded": {"data": {"name": "홍길동", "consent": "true"}},
            "text-plain": {"data": "{}", "content_type": "text/plain"},
            "malformed": raw_json("{"),
            "deeply-nested": raw_json("[" * 100000 + "]" * 100000),
        },
    ),
    route(
        "POST",
        "/api/v1/auth/token",
        {
            "wrong-types": {"json": {"phone": 1012345678, "password": None}},
            "null-bytes": {"json": {"phone": "010\x001234", "password": "\0"}},
            "not-utf8": {"data": b"\xff\xfe{", "content_type": "application/json"},
            "malformed": raw_json("{"),
            "deeply-nested": raw_json("[" * 100000 + "]" * 100000),
        },
    ),
    route(
        "POST",
        "/api/v1/runs/{run}/enrollments",
        {
            "array": {"json": [1]},
            "malformed": raw_json("{"),
            "bool-person": {"json": {"person_id": True}},
            "huge-person": {"json": {"person_id": 10**20}},
            "string-person": {"json": {"person_id": "1"}},
            "negative-person": {"json": {"person_id": -1}},
            "form-encoded": {"data": {"person_id": "1"}},
            "deeply-nested": raw_json("[" * 100000 + "]" * 100000),
        },
    ),
    route("DELETE", "/api/v1/enrollments/{enrollment}", {"array-body": {"json": [1]}}),
    route("PUT", "/api/v1/runs/{run}", {"wrong-method": {"json": {}}}),
    route("PATCH", "/runs/{run}", {"wrong-method": {}}),
]


@pytest.mark.parametrize(("method", "path", "variants"), ROUTES)
def test_junk_input_never_causes_a_server_error(world, method, path, variants):
    failures = []
    for variant, kwargs in variants.items():
        kwargs = dict(kwargs)
        url = path.format(run=world["run"], enrollment=world["enrollment"], id=kwargs.pop("id", ""))
        for who, (client, api_headers) in world["clients"].items():
            # A new anonymous visitor each time: a sign-up that works would log one in.
            client = client or world["app"].test_client()
            headers = api_headers if url.startswith("/api/") else {}
            response = client.open(url, method=method, headers=headers, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{variant} as {who}: {response.status_code}")
            elif url.startswith("/api/v1/") and not response.is_json:
                failures.append(f"{variant} as {who}: {response.status_code} not JSON")
    assert not failures, f"{method} {path}: " + "; ".join(failures)
