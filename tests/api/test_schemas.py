"""The generated OpenAPI document: enums from the models, error codes read from the code the
routes reach, and the run list's limit applied by the database."""

from pathlib import Path

import pytest
from sqlalchemy import event

from training.accounts.models import Role
from training.api import refusals
from training.api.auth import token_required
from training.api.refusals import Refusal, refusals_of
from training.catalog.models import Audience, Selection
from training.catalog.services import RunFilters
from training.checkin.models import AttendanceStatus, CheckInMethod
from training.checkin.scans import CheckInError
from training.enrollment.listings import list_runs
from training.enrollment.models import Channel, EnrollmentStatus
from training.enrollment.services import EnrollmentError
from training.errors import api_error

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def codes(document, path: str, method: str, status: int) -> set[str]:
    response = document["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    return set(schema["properties"]["error"]["properties"]["code"]["enum"])


@pytest.mark.parametrize(
    "enum", [Audience, Selection, EnrollmentStatus, Channel, AttendanceStatus, CheckInMethod, Role]
)
def test_enumerations_are_the_models_enums(document, enum):
    schema = document["components"]["schemas"][enum.__name__]

    assert schema["enum"] == [member.value for member in enum]


def test_check_in_refusals_are_documented_with_their_statuses(document):
    path, method = "/sessions/{session_id}/checkins", "post"

    assert {"invalid_pass", "invalid_time", "invalid_parameter"} <= codes(
        document, path, method, 400
    )
    assert codes(document, path, method, 401) == {"unauthorized"}
    assert {"revoked_pass", "forbidden"} <= codes(document, path, method, 403)
    assert {"not_enrolled", "not_found"} <= codes(document, path, method, 404)
    assert "outside_window" in codes(document, path, method, 409)


def test_enrollment_refusals_are_documented_with_their_statuses(document):
    path, method = "/runs/{run_id}/enrollments", "post"

    assert {"not_eligible", "forbidden"} <= codes(document, path, method, 403)
    assert {"already_enrolled", "registration_closed"} <= codes(document, path, method, 409)
    assert codes(document, path, method, 429) == {"rate_limited"}


def test_operations_without_input_document_no_invalid_parameter(document):
    assert "400" not in document["paths"]["/me"]["get"]["responses"]
    assert "400" not in document["paths"]["/runs/{run_id}"]["get"]["responses"]


# How refusals are found: these functions stand for a service and a route.


def _service(flag: bool) -> None:
    if flag:
        raise EnrollmentError("made_up_rule", "A rule invented for this test.")
    _deeper_rule()


def _deeper_rule() -> None:
    raise CheckInError("deeper_rule", "Another one.", status=403)


def _unreached() -> None:
    raise EnrollmentError("never_called", "The view does not call this.")


@token_required
def _view():
    _service(True)
    return api_error("missing_thing", "Not here.", 404)


def test_refusals_are_read_through_calls_and_decorators(monkeypatch):
    monkeypatch.setattr(refusals, "PROJECT", REPOSITORY)

    assert refusals_of(_view) == {
        Refusal(409, "made_up_rule"),
        Refusal(403, "deeper_rule"),
        Refusal(404, "missing_thing"),
        Refusal(401, "unauthorized"),
    }


def _forgiving_service():
    try:
        _service(True)
    except EnrollmentError as refusal:
        # made_up_rule is dealt with here; deeper_rule, a CheckInError, is not caught.
        print(refusal.code)
    try:
        _unreached()
    except EnrollmentError as refusal:
        return refusal  # handed back to a caller that may raise it


def test_refusals_a_caller_catches_are_not_the_operations(monkeypatch):
    monkeypatch.setattr(refusals, "PROJECT", REPOSITORY)

    assert refusals_of(_forgiving_service) == {
        Refusal(403, "deeper_rule"),
        Refusal(409, "never_called"),
    }


def _view_importing_late():
    # As a module does to break an import cycle.
    from training.errors import api_error as answer

    return answer("imported_late", "Found through an import inside the function.", 404)


def test_refusals_are_read_through_imports_inside_a_function(monkeypatch):
    monkeypatch.setattr(refusals, "PROJECT", REPOSITORY)

    assert refusals_of(_view_importing_late) == {Refusal(404, "imported_late")}


# The run list's limit


def test_runs_limit_is_applied_by_the_database(client, db, make_open_run):
    for index in range(4):
        make_open_run(14 + index, title=f"강좌 {index}", sessions=1)
    db.session.commit()
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        runs = client.get("/api/v1/runs?limit=2").get_json()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)

    assert len(runs) == 2
    [listing] = [s for s in statements if "FROM course_runs" in s and "count(" in s.lower()]
    assert "LIMIT" in listing.upper()


def test_list_runs_limit_keeps_the_first_runs_in_order(db, make_open_run):
    for index in range(5):
        make_open_run(20 - index, title=f"강좌 {index}", sessions=1)
    db.session.commit()

    everything = list_runs(RunFilters())
    first_three = list_runs(RunFilters(), limit=3)

    assert [listing.run.id for listing in first_three] == [
        listing.run.id for listing in everything[:3]
    ]
