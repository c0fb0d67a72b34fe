"""The check-in API: a person's pass, a session's roster and check-ins by pass.

The API uses the real clock, so the session here began five minutes ago."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from training.catalog.models import Session
from training.checkin.models import Attendance
from training.clock import to_seoul
from training.extensions import db
from training.passes.tokens import pass_token_for, reissue_pass


def checkins(session: Session) -> str:
    return f"/api/v1/sessions/{session.id}/checkins"


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def attendance_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance))


# The pass


def test_my_pass_is_the_qr_payload(client, bearer, student):
    response = client.get("/api/v1/me/pass", headers=bearer(student))

    assert response.status_code == 200
    assert response.get_json() == {"token": pass_token_for(student)}


def test_my_pass_needs_a_token(client):
    assert client.get("/api/v1/me/pass").status_code == 401


# Check-ins


def test_check_in_by_the_instructor_is_created(
    client, bearer, instructor, live_session, enrollment
):
    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(enrollment.person)},
        headers=bearer(instructor),
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["result"] == "present"
    attendance = body["attendance"]
    assert attendance["session_id"] == live_session.id
    assert attendance["enrollment_id"] == enrollment.id
    assert attendance["status"] == "present"
    assert attendance["method"] == "scanner"
    assert datetime.fromisoformat(attendance["checked_in_at"])


def test_check_in_by_staff_is_created(client, bearer, staff_member, live_session, student):
    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(student)},
        headers=bearer(staff_member),
    )

    assert response.status_code == 201


def test_repeated_check_in_answers_already_with_the_first_time(
    client, bearer, instructor, live_session, student
):
    headers = bearer(instructor)
    first = client.post(
        checkins(live_session), json={"token": pass_token_for(student)}, headers=headers
    )

    again = client.post(
        checkins(live_session), json={"token": pass_token_for(student)}, headers=headers
    )

    assert again.status_code == 200
    assert again.get_json()["result"] == "already"
    first_time = first.get_json()["attendance"]["checked_in_at"]
    assert again.get_json()["attendance"]["checked_in_at"] == first_time
    assert attendance_rows() == 1


def test_check_in_by_a_resident_is_forbidden(client, bearer, live_session, student):
    response = client.post(
        checkins(live_session), json={"token": pass_token_for(student)}, headers=bearer(student)
    )

    assert_error(response, 403, "forbidden")
    assert attendance_rows() == 0


def test_check_in_by_another_instructor_is_forbidden(
    client, bearer, other_instructor, live_session, student
):
    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(student)},
        headers=bearer(other_instructor),
    )

    assert_error(response, 403, "forbidden")
    assert attendance_rows() == 0


def test_check_in_to_a_missing_session_is_not_found(client, bearer, instructor, student):
    response = client.post(
        "/api/v1/sessions/999999/checkins",
        json={"token": pass_token_for(student)},
        headers=bearer(instructor),
    )

    assert_error(response, 404, "not_found")


def test_check_in_needs_a_token(client, live_session, student):
    db.session.commit()

    response = client.post(checkins(live_session), json={"token": pass_token_for(student)})

    assert response.status_code == 401


def test_garbage_pass_is_invalid_pass(client, bearer, instructor, live_session, student):
    response = client.post(
        checkins(live_session), json={"token": "not a pass"}, headers=bearer(instructor)
    )

    assert_error(response, 400, "invalid_pass")


def test_reissued_pass_is_revoked_pass(
    client, bearer, instructor, staff_member, live_session, student
):
    old_token = pass_token_for(student)
    reissue_pass(student, actor=staff_member)
    db.session.commit()

    response = client.post(
        checkins(live_session), json={"token": old_token}, headers=bearer(instructor)
    )

    assert_error(response, 403, "revoked_pass")
    assert attendance_rows() == 0


def test_pass_of_someone_not_in_the_run_is_not_enrolled(
    client, bearer, instructor, live_session, make_person
):
    stranger = make_person()
    db.session.commit()

    response = client.post(
        checkins(live_session), json={"token": pass_token_for(stranger)}, headers=bearer(instructor)
    )

    assert_error(response, 404, "not_enrolled")


def test_check_in_long_before_the_session_is_outside_window(
    client, bearer, instructor, live_session, student
):
    later = Session(
        run_id=live_session.run_id,
        starts_at=datetime.now(UTC) + timedelta(days=2),
        ends_at=datetime.now(UTC) + timedelta(days=2, hours=2),
    )
    db.session.add(later)
    db.session.commit()

    response = client.post(
        checkins(later), json={"token": pass_token_for(student)}, headers=bearer(instructor)
    )

    assert_error(response, 409, "outside_window")


def test_scanned_at_that_is_not_iso_is_refused(client, bearer, instructor, live_session, student):
    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(student), "scanned_at": "yesterday at noon"},
        headers=bearer(instructor),
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_time"
    assert attendance_rows() == 0


def test_scanned_at_without_an_offset_is_refused(client, bearer, instructor, live_session, student):
    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(student), "scanned_at": "2026-03-16T10:02:00"},
        headers=bearer(instructor),
    )

    assert response.status_code == 400


def test_scanned_at_is_the_time_recorded(client, bearer, instructor, live_session, student):
    scanned = (live_session.starts_at + timedelta(minutes=1)).replace(microsecond=0)

    response = client.post(
        checkins(live_session),
        json={"token": pass_token_for(student), "scanned_at": to_seoul(scanned).isoformat()},
        headers=bearer(instructor),
    )

    assert response.status_code == 201
    recorded = datetime.fromisoformat(response.get_json()["attendance"]["checked_in_at"])
    assert recorded == scanned


def test_body_without_a_token_is_refused(client, bearer, instructor, live_session, student):
    response = client.post(checkins(live_session), json={"pass": "x"}, headers=bearer(instructor))

    assert_error(response, 400, "invalid_parameter")


# The roster


def test_roster_lists_the_session_counts_and_people(
    client, bearer, instructor, live_session, enrollment
):
    headers = bearer(instructor)
    client.post(
        checkins(live_session), json={"token": pass_token_for(enrollment.person)}, headers=headers
    )

    response = client.get(f"/api/v1/sessions/{live_session.id}/roster", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["session"]["id"] == live_session.id
    assert body["session"]["run_id"] == live_session.run_id
    assert body["session"]["title"] == live_session.run.title
    assert set(body["session"]) == {"id", "run_id", "title", "starts_at", "ends_at", "closed_at"}
    assert body["counts"] == {"present": 1, "late": 0, "absent": 0, "excused": 0, "expected": 1}
    [line] = body["roster"]
    assert line["enrollment_id"] == enrollment.id
    assert line["person_id"] == enrollment.person_id
    assert line["name"] == "박출석"
    assert line["phone_last4"] == enrollment.person.phone[-4:]
    assert line["attendance"]["status"] == "present"


def test_roster_shows_no_attendance_before_a_scan(
    client, bearer, instructor, live_session, student
):
    response = client.get(f"/api/v1/sessions/{live_session.id}/roster", headers=bearer(instructor))

    assert response.get_json()["roster"][0]["attendance"] is None


def test_roster_is_forbidden_to_residents(client, bearer, live_session, student):
    response = client.get(f"/api/v1/sessions/{live_session.id}/roster", headers=bearer(student))

    assert_error(response, 403, "forbidden")


def test_roster_is_forbidden_to_another_instructor(client, bearer, other_instructor, live_session):
    db.session.commit()

    response = client.get(
        f"/api/v1/sessions/{live_session.id}/roster", headers=bearer(other_instructor)
    )

    assert_error(response, 403, "forbidden")
