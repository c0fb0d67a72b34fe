"""The JSON API through the test client: description, sign-up, tokens, runs, enrollments."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from training import create_app
from training.accounts.models import Person, Role
from training.accounts.services import issue_token
from training.catalog.models import Audience
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.extensions import db as _db


def bearer(person) -> dict:
    return {"Authorization": f"Bearer {issue_token(person)}"}


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def signup_body(**changes) -> dict:
    body = {
        "name": "김영희",
        "phone": "010-2345-6789",
        "password": "long-enough-1",
        "birth_year": 1956,
        "dong": "대림3동",
        "consent": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


# The description


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    validate(response.get_json())


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))

    assert routes
    assert routes - documented == set()
    assert documented - routes == set()


# Sign-up and tokens


def test_signup_returns_a_token_that_works(client, db):
    response = client.post("/api/v1/auth/signup", json=signup_body())

    assert response.status_code == 201
    data = response.get_json()
    assert isinstance(data["token"], str) and data["token"]
    person = db.session.get(Person, data["id"])
    assert person.phone == "01023456789"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {data['token']}"})
    assert me.status_code == 200
    assert me.get_json() == {
        "id": person.id,
        "name": "김영희",
        "role": "resident",
        "birth_year": 1956,
        "dong": "대림3동",
        "message_channel": "sms",
        "email": None,
        "locale": "ko",
    }


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"consent": None}, 400, "consent_required"),
        ({"consent": False}, 400, "consent_required"),
        ({"consent": "yes"}, 400, "consent_required"),
        ({"phone": "02-123-4567"}, 400, "invalid_phone"),
        ({"password": "short"}, 400, "weak_password"),
        ({"dong": "강남동"}, 400, "invalid_dong"),
        ({"name": "김"}, 400, "invalid_name"),
        ({"birth_year": 1800}, 400, "invalid_birth_year"),
        ({"birth_year": "1956"}, 400, "invalid_parameter"),
        ({"birth_year": True}, 400, "invalid_parameter"),
        ({"birth_year": None}, 400, "invalid_parameter"),
        ({"name": 123}, 400, "invalid_parameter"),
        ({"password": None}, 400, "invalid_parameter"),
    ],
)
def test_signup_refusals_are_json_errors(client, count_rows, changes, status, code):
    response = client.post("/api/v1/auth/signup", json=signup_body(**changes))

    assert_error(response, status, code)
    assert count_rows(Person) == 0


def test_signup_with_a_registered_phone_is_409(client, db, make_person, count_rows):
    make_person(phone="01023456789")
    db.session.commit()

    response = client.post("/api/v1/auth/signup", json=signup_body())

    assert_error(response, 409, "phone_taken")
    assert count_rows(Person) == 1


def test_token_for_the_right_password(client, db, make_person):
    person = make_person(phone="01098765432")
    db.session.commit()

    response = client.post(
        "/api/v1/auth/token", json={"phone": "010-9876-5432", "password": "password123"}
    )

    assert response.status_code == 200
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["id"] == person.id


@pytest.mark.parametrize(
    ("phone", "password"),
    [("010-9876-5432", "wrong-password"), ("010-1111-2222", "password123"), ("x", "y")],
)
def test_token_for_wrong_credentials_is_401(client, db, make_person, phone, password):
    make_person(phone="01098765432")
    db.session.commit()

    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": password})

    assert_error(response, 401, "invalid_credentials")


def test_token_without_a_json_body_is_400(client):
    response = client.post("/api/v1/auth/token", data={"phone": "010", "password": "x"})

    assert_error(response, 400, "invalid_parameter")


# Bearer authentication


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "bearer  "],
)
def test_my_enrollments_need_a_valid_token(client, header):
    headers = {"Authorization": header} if header is not None else {}

    response = client.get("/api/v1/me/enrollments", headers=headers)

    assert_error(response, 401, "unauthorized")


def test_my_enrollments_with_a_token(client, db, make_person):
    person = make_person()
    db.session.commit()

    response = client.get("/api/v1/me/enrollments", headers=bearer(person))

    assert response.status_code == 200
    assert response.get_json() == []


def test_token_stops_working_when_the_person_is_deactivated(client, db, make_person):
    person = make_person()
    db.session.commit()
    headers = bearer(person)
    person.is_active = False
    db.session.commit()

    response = client.get("/api/v1/me", headers=headers)

    assert_error(response, 401, "unauthorized")


# Runs


@pytest.fixture
def many_runs(db, make_open_run):
    """60 open resident runs over three months, a staff run, and a closed run."""
    for index in range(60):
        make_open_run(14 + index, title=f"구민 강좌 {index:02d}", sessions=1)
    staff_run = make_open_run(title="직원 강좌", audience=Audience.STAFF, sessions=1)
    closed_run = make_open_run(
        title="마감 강좌", sessions=1, opens=timedelta(days=-10), closes=timedelta(days=-1)
    )
    db.session.commit()
    return {"staff": staff_run.id, "closed": closed_run.id}


def test_runs_lists_every_run(client, many_runs):
    response = client.get("/api/v1/runs")

    assert response.status_code == 200
    runs = response.get_json()
    assert len(runs) == 62
    assert len({run["id"] for run in runs}) == 62
    first = runs[0]
    assert first["capacity"] == 2
    assert first["seats_left"] == 2
    assert first["registration_opens_at"].endswith("+09:00")


def test_runs_open_filter(client, many_runs):
    ids = {run["id"] for run in client.get("/api/v1/runs?open=1").get_json()}

    assert len(ids) == 61
    assert many_runs["closed"] not in ids
    everything = client.get("/api/v1/runs?open=0").get_json()
    assert len(everything) == 62


def test_runs_audience_filter(client, many_runs):
    staff_runs = client.get("/api/v1/runs?audience=staff").get_json()
    resident_runs = client.get("/api/v1/runs?audience=resident").get_json()

    assert [run["id"] for run in staff_runs] == [many_runs["staff"]]
    assert len(resident_runs) == 61
    assert all(run["audience"] == "resident" for run in resident_runs)


def test_runs_month_filter(client, many_runs):
    start = datetime.now(UTC).date() + timedelta(days=40)
    month = f"{start.year:04d}-{start.month:02d}"

    runs = client.get(f"/api/v1/runs?month={month}").get_json()

    assert runs
    assert len(runs) < 62
    assert all(run["starts_on"][:7] <= month <= run["ends_on"][:7] for run in runs)


def test_runs_limit(client, many_runs):
    runs = client.get("/api/v1/runs?limit=5").get_json()

    assert len(runs) == 5
    starts = [run["starts_on"] for run in runs]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    "query",
    [
        "open=2",
        "open=yes",
        "audience=x",
        "audience=",
        "month=2026-13",
        "month=2026-3",
        "month=march",
        "limit=0",
        "limit=abc",
        "limit=-1",
        "limit=10001",
        "limit=%C2%B2",
        "limit=99999999999999999999999",
    ],
)
def test_runs_invalid_parameters_are_400(client, query):
    response = client.get(f"/api/v1/runs?{query}")

    assert_error(response, 400, "invalid_parameter")


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12"])
def test_runs_month_at_the_edge_of_the_calendar_is_answered(client, month):
    response = client.get(f"/api/v1/runs?month={month}")

    if response.status_code == 200:
        assert response.get_json() == []
    else:
        assert_error(response, 400, "invalid_parameter")


def test_run_detail_has_sessions_in_seoul_time(client, db, make_open_run):
    run = make_open_run(sessions=3, session_hour=14)
    db.session.commit()

    response = client.get(f"/api/v1/runs/{run.id}")

    assert response.status_code == 200
    data = response.get_json()
    assert data["id"] == run.id
    assert data["sessions_count"] == 3
    assert len(data["sessions"]) == 3
    first = data["sessions"][0]
    assert first["starts_at"] == f"{run.starts_on.isoformat()}T14:00:00+09:00"
    for session in data["sessions"]:
        assert "+09:00" in session["starts_at"]
        assert "+09:00" in session["ends_at"]
        assert datetime.fromisoformat(session["starts_at"]).utcoffset() == timedelta(hours=9)


def test_missing_run_is_404_json(client):
    assert_error(client.get("/api/v1/runs/999999"), 404, "not_found")


def test_unknown_api_path_is_404_json(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_json(client):
    assert_error(client.put("/api/v1/runs"), 405, "method_not_allowed")


# Enrollments


@pytest.fixture
def people(db, make_person):
    made = {name: make_person(name=name) for name in ("가나다", "라마바", "사아자")}
    made["staff"] = make_person(role=Role.STAFF, name="직원")
    db.session.commit()
    return made


def enroll(client, run_id, person, body=None):
    return client.post(f"/api/v1/runs/{run_id}/enrollments", headers=bearer(person), json=body)


def test_enrolling_confirms_then_waitlists_in_order(client, db, make_open_run, people):
    run = make_open_run(capacity=1)
    db.session.commit()

    first = enroll(client, run.id, people["가나다"])
    second = enroll(client, run.id, people["라마바"])
    third = enroll(client, run.id, people["사아자"])

    assert first.status_code == 201
    assert {key: first.get_json()[key] for key in ("status", "waitlist_position")} == {
        "status": "confirmed",
        "waitlist_position": None,
    }
    assert isinstance(first.get_json()["id"], int)
    assert first.get_json()["channel"] == "api"
    assert second.status_code == 201
    assert second.get_json()["status"] == "waitlisted"
    assert second.get_json()["waitlist_position"] == 1
    assert third.status_code == 201
    assert third.get_json()["waitlist_position"] == 2


def test_enrolling_requires_a_token(client, db, make_open_run, count_rows):
    run = make_open_run()
    db.session.commit()

    response = client.post(f"/api/v1/runs/{run.id}/enrollments")

    assert_error(response, 401, "unauthorized")
    assert count_rows(Enrollment) == 0


def test_enrolling_twice_is_409(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()
    enroll(client, run.id, people["가나다"])

    response = enroll(client, run.id, people["가나다"])

    assert_error(response, 409, "already_enrolled")


def test_enrolling_outside_the_window_is_409(client, db, make_open_run, people):
    run = make_open_run(opens=timedelta(days=1), closes=timedelta(days=3))
    db.session.commit()

    assert_error(enroll(client, run.id, people["가나다"]), 409, "registration_closed")


def test_enrolling_in_a_staff_run_as_resident_is_403(client, db, make_open_run, people):
    run = make_open_run(audience=Audience.STAFF)
    db.session.commit()

    assert_error(enroll(client, run.id, people["가나다"]), 403, "not_eligible")


def test_enrolling_in_a_missing_run_is_404(client, people):
    assert_error(enroll(client, 999999, people["가나다"]), 404, "not_found")


def my_enrollments(client, person) -> list[dict]:
    response = client.get("/api/v1/me/enrollments", headers=bearer(person))
    assert response.status_code == 200
    return response.get_json()


def test_cancelling_promotes_the_first_waitlisted(client, db, make_open_run, people):
    run = make_open_run(capacity=1)
    db.session.commit()
    held = enroll(client, run.id, people["가나다"]).get_json()
    enroll(client, run.id, people["라마바"])
    enroll(client, run.id, people["사아자"])

    response = client.delete(f"/api/v1/enrollments/{held['id']}", headers=bearer(people["가나다"]))

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["cancelled_at"].endswith("+09:00")
    [promoted] = my_enrollments(client, people["라마바"])
    assert promoted["status"] == "confirmed"
    assert promoted["waitlist_position"] is None
    [still_waiting] = my_enrollments(client, people["사아자"])
    assert still_waiting["status"] == "waitlisted"
    assert still_waiting["waitlist_position"] == 1


def test_cancelling_twice_is_409(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()
    held = enroll(client, run.id, people["가나다"]).get_json()
    url = f"/api/v1/enrollments/{held['id']}"
    client.delete(url, headers=bearer(people["가나다"]))

    assert_error(client.delete(url, headers=bearer(people["가나다"])), 409, "not_cancellable")


def test_resident_cannot_cancel_someone_elses_enrollment(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()
    held = enroll(client, run.id, people["가나다"]).get_json()

    response = client.delete(f"/api/v1/enrollments/{held['id']}", headers=bearer(people["라마바"]))

    assert_error(response, 404, "not_found")
    assert my_enrollments(client, people["가나다"])[0]["status"] == "confirmed"


def test_staff_can_cancel_someone_elses_enrollment(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()
    held = enroll(client, run.id, people["가나다"]).get_json()

    response = client.delete(f"/api/v1/enrollments/{held['id']}", headers=bearer(people["staff"]))

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert my_enrollments(client, people["가나다"])[0]["status"] == "cancelled"


def test_cancelling_a_missing_enrollment_is_404(client, people):
    response = client.delete("/api/v1/enrollments/999999", headers=bearer(people["staff"]))

    assert_error(response, 404, "not_found")


def test_staff_enrolls_another_person(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()
    resident = people["가나다"]

    response = enroll(client, run.id, people["staff"], {"person_id": resident.id})

    assert response.status_code == 201
    data = response.get_json()
    assert data["person_id"] == resident.id
    assert data["status"] == "confirmed"
    assert data["channel"] == "desk"
    assert my_enrollments(client, resident)[0]["id"] == data["id"]


def test_resident_cannot_enroll_another_person(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()

    response = enroll(client, run.id, people["가나다"], {"person_id": people["라마바"].id})

    assert_error(response, 403, "forbidden")
    assert my_enrollments(client, people["라마바"]) == []


@pytest.mark.parametrize(
    ("person_id", "status", "code"),
    [
        (999999, 404, "not_found"),
        ("1", 400, "invalid_parameter"),
        (1.5, 400, "invalid_parameter"),
        (True, 400, "invalid_parameter"),
        (99999999999999999999, 404, "not_found"),
    ],
)
def test_staff_enrolling_a_bad_person_id(
    client, db, make_open_run, people, count_rows, person_id, status, code
):
    run = make_open_run()
    db.session.commit()

    response = enroll(client, run.id, people["staff"], {"person_id": person_id})

    assert_error(response, status, code)
    assert count_rows(Enrollment) == 0


@pytest.mark.parametrize(
    "body",
    ["[]", "[1, 2]", '"text"', "42", "{", "{'person_id': 1}", "null", "\xff\xfe"],
    ids=[
        "empty-array",
        "array",
        "string",
        "number",
        "truncated",
        "single-quotes",
        "null",
        "not-utf8",
    ],
)
def test_enrolling_with_a_body_that_is_not_a_json_object_is_400(
    client, db, make_open_run, people, count_rows, body
):
    run = make_open_run()
    db.session.commit()

    response = client.post(
        f"/api/v1/runs/{run.id}/enrollments",
        headers=bearer(people["가나다"]),
        data=body.encode("latin-1") if body == "\xff\xfe" else body,
        content_type="application/json",
    )

    assert_error(response, 400, "invalid_parameter")
    assert count_rows(Enrollment) == 0


def test_enrolling_with_an_empty_object_enrolls_yourself(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()

    response = enroll(client, run.id, people["가나다"], {})

    assert response.status_code == 201
    assert response.get_json()["person_id"] == people["가나다"].id


@pytest.mark.parametrize("path", ["/api/v1/auth/signup", "/api/v1/auth/token"])
@pytest.mark.parametrize("body", ["[]", "{", "null", '"x"'])
def test_auth_with_a_body_that_is_not_a_json_object_is_400(client, count_rows, path, body):
    response = client.post(path, data=body, content_type="application/json")

    assert_error(response, 400, "invalid_parameter")
    assert count_rows(Person) == 0


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
@pytest.mark.parametrize("path", ["/api/v1/auth/signup", "/api/v1/auth/token"])
def test_a_json_body_sent_as_a_form_is_400_not_500(client, count_rows, path, content_type):
    body = '{"phone": "010-1234-5678", "password": "password123"}'

    response = client.post(path, data=body, content_type=content_type)

    assert_error(response, 400, "invalid_parameter")
    assert count_rows(Person) == 0


# Rate limits


def test_eleventh_failed_token_request_in_a_minute_is_rate_limited(app, database_url):
    limited = create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = limited.test_client()
    body = {"phone": "010-1234-5678", "password": "wrong-password"}
    try:
        for attempt in range(10):
            response = client.post("/api/v1/auth/token", json=body)
            assert response.status_code == 401, attempt

        response = client.post("/api/v1/auth/token", json=body)

        assert_error(response, 429, "rate_limited")
    finally:
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_channel_of_an_api_enrollment_is_recorded(client, db, make_open_run, people):
    run = make_open_run()
    db.session.commit()

    data = enroll(client, run.id, people["가나다"]).get_json()

    db.session.expire_all()
    enrollment = db.session.get(Enrollment, data["id"])
    assert enrollment.channel is Channel.API
    assert enrollment.status is EnrollmentStatus.CONFIRMED
