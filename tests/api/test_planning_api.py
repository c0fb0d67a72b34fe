"""The planning API through the test client: venues, courses, runs and their sessions, staff
tokens only for writes, refusals with their codes."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.api.test_api import assert_error, bearer
from training.accounts.models import Role
from training.catalog.models import Audience, Category, Course, CourseRun, Delivery, Level, Session
from training.clock import SEOUL
from training.enrollment.models import EnrollmentStatus
from training.notifications.models import Notification

COURSE = {
    "title": "스마트폰 사진 정리",
    "category": "smartphone",
    "level": "beginner",
    "audience": "resident",
    "delivery": "in_person",
    "description": "사진을 앨범으로 정리합니다.",
    "hours": 8,
}


@pytest.fixture
def headers(staff):
    return bearer(staff)


@pytest.fixture
def course(db):
    course = Course(
        code="C90",
        title="키오스크 따라하기",
        category=Category.KIOSK,
        level=Level.BEGINNER,
        audience=Audience.RESIDENT,
        delivery=Delivery.IN_PERSON,
    )
    db.session.add(course)
    db.session.commit()
    return course


def run_body(course, room=None, **changes) -> dict:
    body = {
        "course_id": course.id,
        "room_id": room.id if room is not None else None,
        "capacity": 12,
        "registration_opens_at": "2026-08-03T09:00:00+09:00",
        "registration_closes_at": "2026-09-14T18:00:00+09:00",
        "selection": "first_come",
    }
    body.update(changes)
    return body


def seoul(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


# Venues


def test_venues_are_listed_with_their_rooms_for_anyone(client, db, make_room):
    room = make_room(seats=20)
    room.venue.phone = "02-2670-1234"
    db.session.commit()

    response = client.get("/api/v1/venues")

    assert response.status_code == 200
    assert response.get_json() == [
        {
            "id": room.venue.id,
            "name": "평생스마트교육장",
            "address": "서울 영등포구 대림3동",
            "phone": "02-2670-1234",
            "rooms": [{"id": room.id, "name": room.name, "seats": 20}],
        }
    ]


# Courses


def test_staff_add_a_course(client, db, headers):
    response = client.post("/api/v1/courses", headers=headers, json=COURSE)

    assert response.status_code == 201
    data = response.get_json()
    course = db.session.get(Course, data["id"])
    assert course.title == "스마트폰 사진 정리"
    assert data["code"] == course.code
    assert {key: data[key] for key in COURSE} == COURSE
    assert data["is_archived"] is False


def test_patching_a_course_changes_only_the_fields_given(client, db, headers, course):
    response = client.patch(
        f"/api/v1/courses/{course.id}", headers=headers, json={"title": "키오스크 실습", "hours": 6}
    )

    assert response.status_code == 200
    data = response.get_json()
    assert (data["title"], data["hours"], data["category"]) == ("키오스크 실습", 6, "kiosk")
    db.session.refresh(course)
    assert course.title == "키오스크 실습"


def test_patching_a_course_clears_its_hours_with_null(client, db, headers, course):
    course.hours = 10
    db.session.commit()

    response = client.patch(f"/api/v1/courses/{course.id}", headers=headers, json={"hours": None})

    assert response.status_code == 200
    assert response.get_json()["hours"] is None


# Runs


def test_staff_open_a_run_shown_as_the_run_page_shows_it(client, headers, course, make_room):
    room = make_room(seats=20)

    response = client.post("/api/v1/runs", headers=headers, json=run_body(course, room))

    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "scheduled"
    assert (data["course_id"], data["number"], data["room"]) == (course.id, 1, room.name)
    assert (data["capacity"], data["sessions"]) == (12, [])
    assert data["registration_opens_at"] == "2026-08-03T09:00:00+09:00"
    assert client.get(f"/api/v1/runs/{data['id']}").get_json() == data


def test_an_online_run_has_no_room(client, headers, course):
    response = client.post("/api/v1/runs", headers=headers, json=run_body(course, number=7))

    assert response.status_code == 201
    data = response.get_json()
    assert (data["room"], data["venue"], data["number"]) == (None, None, 7)


def test_a_run_over_the_room_seats_is_422(client, headers, course, make_room, count_rows):
    room = make_room(seats=20)

    response = client.post(
        "/api/v1/runs", headers=headers, json=run_body(course, room, capacity=21)
    )

    assert_error(response, 422, "over_room_seats")
    assert count_rows(CourseRun) == 0


def test_raising_the_capacity_confirms_the_waiting_list(
    client, db, headers, make_run, make_enrollment
):
    run = make_run(capacity=1)
    make_enrollment(run)
    waiting = make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()

    response = client.patch(f"/api/v1/runs/{run.id}", headers=headers, json={"capacity": 2})

    assert response.status_code == 200
    data = response.get_json()
    assert (data["capacity"], data["confirmed"], data["waitlisted"]) == (2, 2, 0)
    db.session.refresh(waiting)
    assert waiting.status is EnrollmentStatus.CONFIRMED


def test_lowering_the_capacity_below_the_confirmed_is_422_with_the_count(
    client, db, headers, make_run, make_enrollment
):
    run = make_run(capacity=3)
    make_enrollment(run)
    make_enrollment(run)
    db.session.commit()

    response = client.patch(f"/api/v1/runs/{run.id}", headers=headers, json={"capacity": 1})

    assert_error(response, 422, "below_confirmed")
    assert "2" in response.get_json()["error"]["message"]
    db.session.refresh(run)
    assert run.capacity == 3


def test_moving_a_run_online_with_null(client, db, headers, make_run):
    run = make_run(capacity=10)
    db.session.commit()

    response = client.patch(f"/api/v1/runs/{run.id}", headers=headers, json={"room_id": None})

    assert response.status_code == 200
    assert response.get_json()["room"] is None


def test_moving_a_run_into_a_room_busy_at_its_sessions_is_409_naming_the_other_run(
    client, db, headers, make_run
):
    other = make_run(title="유튜브 첫걸음")
    run = make_run(title="스마트폰 기초")
    db.session.commit()

    response = client.patch(
        f"/api/v1/runs/{run.id}", headers=headers, json={"room_id": other.room_id}
    )

    assert_error(response, 409, "room_busy")
    assert "유튜브 첫걸음 1기" in response.get_json()["error"]["message"]
    db.session.refresh(run)
    assert run.room_id != other.room_id


def test_sessions_of_a_cancelled_run_are_409(client, db, headers, make_run):
    run = make_run()
    db.session.commit()
    client.post(f"/api/v1/runs/{run.id}/cancel", headers=headers, json={"reason": "폐강"})

    response = client.post(
        f"/api/v1/runs/{run.id}/sessions",
        headers=headers,
        json={"starts_at": "2026-04-06T10:00:00+09:00", "ends_at": "2026-04-06T12:00:00+09:00"},
    )

    assert_error(response, 409, "run_cancelled")


def test_cancelling_a_run_cancels_its_enrollments_and_tells_each_person(
    client, db, headers, make_run, make_enrollment
):
    run = make_run(capacity=2)
    held = make_enrollment(run)
    db.session.commit()

    response = client.post(
        f"/api/v1/runs/{run.id}/cancel", headers=headers, json={"reason": "강사 사정"}
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["confirmed"] == 0
    db.session.refresh(held)
    assert held.status is EnrollmentStatus.CANCELLED
    notes = db.session.scalars(
        select(Notification).where(Notification.person_id == held.person_id)
    ).all()
    assert any("강사 사정" in note.message for note in notes)
    assert client.get(f"/api/v1/runs/{run.id}").get_json()["status"] == "cancelled"


def test_cancelling_a_run_without_a_reason_is_400(client, db, headers, make_run):
    run = make_run()
    db.session.commit()

    response = client.post(f"/api/v1/runs/{run.id}/cancel", headers=headers, json={"reason": " "})

    assert_error(response, 400, "reason_required")
    db.session.refresh(run)
    assert not run.is_cancelled


# Sessions


def test_adding_one_session(client, db, headers, make_run):
    run = make_run(sessions=3)
    db.session.commit()

    response = client.post(
        f"/api/v1/runs/{run.id}/sessions",
        headers=headers,
        json={"starts_at": "2026-04-06T10:00:00+09:00", "ends_at": "2026-04-06T12:00:00+09:00"},
    )

    assert response.status_code == 201
    data = response.get_json()
    assert data["skipped"] == []
    [session] = data["sessions"]
    assert (session["starts_at"], session["ends_at"]) == (
        "2026-04-06T10:00:00+09:00",
        "2026-04-06T12:00:00+09:00",
    )
    assert db.session.get(Session, session["id"]).run_id == run.id


def test_times_in_another_offset_are_answered_in_seoul_time(client, db, headers, make_run):
    run = make_run(sessions=1)
    db.session.commit()

    response = client.post(
        f"/api/v1/runs/{run.id}/sessions",
        headers=headers,
        json={"starts_at": "2026-04-06T01:00:00Z", "ends_at": "2026-04-06T03:00:00+00:00"},
    )

    assert response.status_code == 201
    assert response.get_json()["sessions"][0]["starts_at"] == "2026-04-06T10:00:00+09:00"


def test_a_pattern_skips_chuseok_and_a_substitute_holiday(client, headers, course, make_room):
    run = client.post("/api/v1/runs", headers=headers, json=run_body(course, make_room())).json
    pattern = {
        "first_date": "2026-09-21",
        "weekdays": [1, 4],
        "start": "10:00",
        "end": "12:00",
        "count": 4,
    }

    response = client.post(
        f"/api/v1/runs/{run['id']}/sessions", headers=headers, json={"pattern": pattern}
    )

    assert response.status_code == 201
    data = response.get_json()
    assert [s["starts_at"] for s in data["sessions"]] == [
        "2026-09-21T10:00:00+09:00",
        "2026-09-28T10:00:00+09:00",
        "2026-10-01T10:00:00+09:00",
        "2026-10-08T10:00:00+09:00",
    ]
    assert data["skipped"] == [
        {"date": "2026-09-24", "reason": "추석 전날"},
        {"date": "2026-10-05", "reason": "개천절 대체 휴일"},
    ]
    shown = client.get(f"/api/v1/runs/{run['id']}").get_json()
    assert (shown["starts_on"], shown["ends_on"]) == ("2026-09-21", "2026-10-08")
    assert shown["sessions_count"] == 4


def test_a_pattern_up_to_a_last_date(client, headers, course):
    run = client.post("/api/v1/runs", headers=headers, json=run_body(course)).json
    pattern = {
        "first_date": "2026-09-21",
        "weekdays": [5],
        "start": "14:00",
        "end": "16:00",
        "last_date": "2026-10-16",
    }

    response = client.post(
        f"/api/v1/runs/{run['id']}/sessions", headers=headers, json={"pattern": pattern}
    )

    assert response.status_code == 201
    data = response.get_json()
    assert [s["starts_at"][:10] for s in data["sessions"]] == [
        "2026-10-02",
        "2026-10-16",
    ]
    assert [s["date"] for s in data["skipped"]] == ["2026-09-25", "2026-10-09"]


def test_a_session_at_the_time_of_another_run_in_the_room_is_409_naming_it(
    client, db, headers, course, make_run
):
    other = make_run(title="스마트폰 기초")
    db.session.commit()
    run = client.post(
        "/api/v1/runs", headers=headers, json=run_body(course, other.room, capacity=5)
    ).json

    response = client.post(
        f"/api/v1/runs/{run['id']}/sessions",
        headers=headers,
        json={"starts_at": "2026-03-16T11:00:00+09:00", "ends_at": "2026-03-16T13:00:00+09:00"},
    )

    assert_error(response, 409, "room_busy")
    assert "스마트폰 기초 1기" in response.get_json()["error"]["message"]
    assert len(db.session.get(CourseRun, run["id"]).sessions) == 0


def test_a_session_at_the_time_of_the_instructors_other_run_is_409_naming_it(
    client, db, headers, course, make_run, make_person
):
    instructor = make_person(role=Role.INSTRUCTOR, name="김강사")
    other = make_run(title="엑셀 입문")
    other.instructor_id = instructor.id
    db.session.commit()
    run = client.post(
        "/api/v1/runs", headers=headers, json=run_body(course, instructor_id=instructor.id)
    ).json

    response = client.post(
        f"/api/v1/runs/{run['id']}/sessions",
        headers=headers,
        json={"starts_at": "2026-03-23T09:00:00+09:00", "ends_at": "2026-03-23T10:30:00+09:00"},
    )

    assert_error(response, 409, "instructor_busy")
    assert "엑셀 입문 1기" in response.get_json()["error"]["message"]


def test_moving_a_session(client, db, headers, make_run):
    run = make_run(sessions=2)
    session = run.sessions[1]
    db.session.commit()

    response = client.patch(
        f"/api/v1/sessions/{session.id}",
        headers=headers,
        json={"starts_at": "2026-03-24T14:00:00+09:00", "ends_at": "2026-03-24T16:00:00+09:00"},
    )

    assert response.status_code == 200
    assert response.get_json() == {
        "id": session.id,
        "starts_at": "2026-03-24T14:00:00+09:00",
        "ends_at": "2026-03-24T16:00:00+09:00",
    }
    db.session.refresh(session)
    assert session.starts_at == seoul("2026-03-24T14:00")


def test_removing_a_session(client, db, headers, make_run):
    run = make_run(sessions=2)
    session_id = run.sessions[1].id
    db.session.commit()

    response = client.delete(f"/api/v1/sessions/{session_id}", headers=headers)

    assert response.status_code == 204
    assert db.session.get(Session, session_id) is None


# Refusals


WRITES = [
    ("post", "/api/v1/courses", COURSE),
    ("patch", "/api/v1/courses/{course}", {"title": "바뀐 제목"}),
    ("post", "/api/v1/runs", {}),
    ("patch", "/api/v1/runs/{run}", {"capacity": 20}),
    ("post", "/api/v1/runs/{run}/cancel", {"reason": "사정"}),
    (
        "post",
        "/api/v1/runs/{run}/sessions",
        {"starts_at": "2026-04-06T10:00:00+09:00", "ends_at": "2026-04-06T12:00:00+09:00"},
    ),
    (
        "patch",
        "/api/v1/sessions/{session}",
        {"starts_at": "2026-04-06T10:00:00+09:00", "ends_at": "2026-04-06T12:00:00+09:00"},
    ),
    ("delete", "/api/v1/sessions/{session}", None),
]


@pytest.fixture
def targets(db, course, make_run):
    run = make_run(course=course)
    db.session.commit()
    return {"course": course.id, "run": run.id, "session": run.sessions[0].id}


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (None, 401, "unauthorized"),
        (Role.RESIDENT, 403, "forbidden"),
        (Role.INSTRUCTOR, 403, "forbidden"),
    ],
)
def test_planning_writes_are_for_staff_only(
    client, db, make_person, targets, count_rows, method, path, body, role, status, code
):
    if body == {}:
        body = run_body(db.session.get(Course, targets["course"]))
    headers = bearer(make_person(role=role)) if role is not None else {}
    db.session.commit()

    response = getattr(client, method)(path.format(**targets), headers=headers, json=body)

    assert_error(response, status, code)
    assert (count_rows(Course), count_rows(CourseRun), count_rows(Session)) == (1, 1, 3)
    run = db.session.get(CourseRun, targets["run"])
    assert (run.capacity, run.is_cancelled) == (2, False)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/v1/courses/999999", {"title": "x"}),
        ("patch", "/api/v1/runs/999999", {"capacity": 3}),
        ("post", "/api/v1/runs/999999/cancel", {"reason": "사정"}),
        ("patch", "/api/v1/runs/{run}", {"room_id": 999999}),
        ("patch", "/api/v1/runs/{run}", {"instructor_id": 99999999999}),
        ("delete", "/api/v1/sessions/999999", None),
    ],
)
def test_a_missing_row_is_404(client, headers, targets, method, path, body):
    response = getattr(client, method)(path.format(**targets), headers=headers, json=body)

    assert_error(response, 404, "not_found")


def test_a_run_of_a_missing_course_is_404(client, headers, course, count_rows):
    body = run_body(course, course_id=999999)

    assert_error(client.post("/api/v1/runs", headers=headers, json=body), 404, "not_found")
    assert count_rows(CourseRun) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"registration_opens_at": "2026-08-03T09:00:00"},
        {"registration_closes_at": "2026-09-14"},
        {"registration_opens_at": 1780000000},
        {"capacity": "12"},
        {"capacity": 0},
        {"capacity": 99999999999},
        {"capacity": None},
        {"room_id": True},
        {"selection": "random"},
        {"min_age": -1},
        {"max_age": 2**40},
        {"course_id": "1"},
        {"cohort": 3},
    ],
)
def test_a_run_with_a_junk_field_is_400(client, headers, course, count_rows, changes):
    response = client.post("/api/v1/runs", headers=headers, json=run_body(course, **changes))

    assert_error(response, 400, "invalid_parameter")
    assert count_rows(CourseRun) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"course_id": 1},
        {"capacity": None},
        {"number": "2"},
        {"registration_closes_at": "2026-09-14T18:00:00"},
    ],
)
def test_patching_a_run_with_junk_is_400(client, headers, targets, body):
    response = client.patch(f"/api/v1/runs/{targets['run']}", headers=headers, json=body)

    assert_error(response, 400, "invalid_parameter")


@pytest.mark.parametrize(
    "changes",
    [
        {"category": "cooking"},
        {"title": None},
        {"title": "가" * 121},
        {"hours": -1},
        {"hours": "8"},
        {"code": 45},
        {"colour": "red"},
    ],
)
def test_a_course_with_a_junk_field_is_400(client, headers, count_rows, changes):
    response = client.post("/api/v1/courses", headers=headers, json={**COURSE, **changes})

    assert_error(response, 400, "invalid_parameter")
    assert count_rows(Course) == 0


PATTERN = {"first_date": "2026-09-21", "weekdays": [1], "start": "10:00", "end": "12:00"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"starts_at": "2026-04-06T10:00:00+09:00"},
        {"starts_at": "2026-04-06T10:00:00", "ends_at": "2026-04-06T12:00:00"},
        {"starts_at": "2026-04-06T10:00:00+09:00", "ends_at": "2026-04-06T12:00:00+09:00"}
        | {"pattern": {**PATTERN, "count": 2}},
        {"pattern": {**PATTERN, "weekdays": [0], "count": 2}},
        {"pattern": {**PATTERN, "weekdays": [8], "count": 2}},
        {"pattern": {**PATTERN, "weekdays": [], "count": 2}},
        {"pattern": {**PATTERN, "start": "25:00", "count": 2}},
        {"pattern": {**PATTERN, "start": "10:00:00+09:00", "count": 2}},
        {"pattern": {**PATTERN, "first_date": "2026-02-30", "count": 2}},
        {"pattern": {**PATTERN, "count": "2"}},
        {"pattern": {**PATTERN, "count": 201}},
        {"pattern": "mondays"},
    ],
)
def test_sessions_with_junk_are_400(client, db, headers, targets, count_rows, body):
    response = client.post(f"/api/v1/runs/{targets['run']}/sessions", headers=headers, json=body)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in {"invalid_parameter", "invalid_pattern"}
    assert count_rows(Session) == 3


def test_a_pattern_with_neither_count_nor_last_date_is_400(client, headers, targets, count_rows):
    response = client.post(
        f"/api/v1/runs/{targets['run']}/sessions", headers=headers, json={"pattern": PATTERN}
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in {"invalid_parameter", "invalid_pattern"}
    assert count_rows(Session) == 3


def test_moving_a_session_to_a_naive_time_is_400(client, headers, targets):
    response = client.patch(
        f"/api/v1/sessions/{targets['session']}",
        headers=headers,
        json={"starts_at": "2026-04-06T10:00:00", "ends_at": "2026-04-06T12:00:00"},
    )

    assert_error(response, 400, "invalid_parameter")


@pytest.mark.parametrize("path", ["/api/v1/courses", "/api/v1/runs"])
def test_a_body_that_is_not_a_json_object_is_400(client, headers, path):
    assert_error(client.post(path, headers=headers, json=[COURSE]), 400, "invalid_parameter")


# The document


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def codes(document, path: str, method: str, status: int) -> set[str]:
    response = document["paths"][path][method]["responses"][str(status)]
    return set(
        response["content"]["application/json"]["schema"]["properties"]["error"]["properties"][
            "code"
        ]["enum"]
    )


@pytest.mark.parametrize(
    ("path", "method", "status", "expected"),
    [
        ("/runs", "post", 422, {"over_room_seats"}),
        ("/runs/{run_id}", "patch", 422, {"over_room_seats", "below_confirmed"}),
        ("/runs/{run_id}", "patch", 409, {"room_busy", "instructor_busy", "run_cancelled"}),
        ("/runs/{run_id}/sessions", "post", 409, {"room_busy", "instructor_busy"}),
        ("/runs/{run_id}/sessions", "post", 400, {"invalid_parameter", "invalid_pattern"}),
        ("/sessions/{session_id}", "patch", 409, {"room_busy", "instructor_busy"}),
        ("/sessions/{session_id}", "delete", 409, {"session_has_attendance"}),
        ("/runs/{run_id}/cancel", "post", 400, {"reason_required", "invalid_parameter"}),
        ("/courses", "post", 401, {"unauthorized"}),
        ("/courses/{course_id}", "patch", 403, {"forbidden"}),
        ("/courses/{course_id}", "patch", 404, {"not_found"}),
    ],
)
def test_planning_refusals_are_documented(document, path, method, status, expected):
    assert expected <= codes(document, path, method, status)


def test_the_venues_need_no_token_in_the_document(document):
    assert "security" not in document["paths"]["/venues"]["get"]
    assert document["paths"]["/runs"]["post"]["security"] == [{"bearerAuth": []}]


def test_run_dates_follow_a_moved_first_session(client, db, headers, make_run):
    run = make_run(sessions=2)
    first = run.sessions[0]
    db.session.commit()
    earlier = first.starts_at - timedelta(days=2)

    client.patch(
        f"/api/v1/sessions/{first.id}",
        headers=headers,
        json={
            "starts_at": earlier.isoformat(),
            "ends_at": (earlier + timedelta(hours=2)).isoformat(),
        },
    )

    assert client.get(f"/api/v1/runs/{run.id}").get_json()["starts_on"] == "2026-03-14"
