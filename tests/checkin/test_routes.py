"""The check-in pages and the JSON the door screen talks to, through the test client.

The routes use the real clock, so the session here began five minutes ago and check-in is
open now."""

import io
import os
import re
from datetime import timedelta

import pytest
import qrcode
from sqlalchemy import select

from training.catalog.models import Session
from training.checkin.models import Attendance, AttendanceStatus
from training.checkin.selfcheckin import current_step, self_check_in_code
from training.clock import utcnow
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.extensions import db
from training.passes.tokens import pass_token_for


@pytest.fixture
def door(login, instructor, live_session):
    """The live session's instructor, logged in."""
    db.session.commit()
    return login(instructor)


def url(session: Session, action: str = "") -> str:
    return f"/checkin/sessions/{session.id}" + (f"/{action}" if action else "")


def attendance_of(enrollment: Enrollment) -> Attendance | None:
    db.session.expire_all()
    return db.session.scalar(select(Attendance).where(Attendance.enrollment_id == enrollment.id))


def png_of(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer)
    return buffer.getvalue()


# Today's sessions and the screen


def test_today_lists_only_the_instructors_own_sessions(
    door, make_live_session, live_session, other_instructor
):
    theirs = make_live_session(other_instructor, title="키오스크 연습")
    db.session.commit()

    response = door.get("/checkin/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert url(live_session) in page
    assert url(theirs) not in page


def test_today_lists_every_session_for_staff(
    login, staff_member, make_live_session, live_session, other_instructor
):
    theirs = make_live_session(other_instructor, title="키오스크 연습")
    db.session.commit()

    page = login(staff_member).get("/checkin/").get_data(as_text=True)

    assert url(live_session) in page
    assert url(theirs) in page


def test_today_is_forbidden_to_residents(login, student):
    assert login(student).get("/checkin/").status_code == 403


def test_today_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/checkin/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_screen_is_forbidden_to_another_instructor(login, other_instructor, live_session):
    db.session.commit()

    assert login(other_instructor).get(url(live_session)).status_code == 403


def test_screen_of_a_missing_session_is_not_found(door):
    assert door.get("/checkin/sessions/999999").status_code == 404


def test_screen_shows_the_scanner_field_to_the_runs_instructor(door, live_session):
    response = door.get(url(live_session))

    assert response.status_code == 200
    assert 'id="scan-input"' in response.get_data(as_text=True)


# Scans


def test_scan_checks_in_the_holder_of_the_pass(door, live_session, enrollment):
    response = door.post(
        url(live_session, "scan"), json={"token": pass_token_for(enrollment.person)}
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["result"] == "present"
    assert body["name"] == "박출석"
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_second_scan_answers_already(door, live_session, student):
    token = pass_token_for(student)
    door.post(url(live_session, "scan"), json={"token": token})

    response = door.post(url(live_session, "scan"), json={"token": token})

    assert response.status_code == 200
    assert response.get_json()["result"] == "already"


def test_scan_of_a_bad_token_is_invalid_pass(door, live_session, student):
    response = door.post(url(live_session, "scan"), json={"token": "YDP1NOTAREALPASS"})

    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_pass"


def test_scan_by_another_instructor_is_forbidden(login, other_instructor, live_session, student):
    response = login(other_instructor).post(
        url(live_session, "scan"), json={"token": pass_token_for(student)}
    )

    assert response.status_code == 403


def test_scan_from_a_plain_form_redirects_with_a_message(door, live_session, enrollment):
    response = door.post(
        url(live_session, "scan"),
        data={"token": pass_token_for(enrollment.person)},
        follow_redirects=True,
    )

    assert response.request.path == url(live_session)
    assert "박출석님 출석" in response.get_data(as_text=True)
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_camera_frame_with_a_pass_checks_in(door, live_session, enrollment):
    token = pass_token_for(enrollment.person)

    response = door.post(url(live_session, "frame"), data=png_of(token), content_type="image/png")

    assert response.status_code == 201
    body = response.get_json()
    assert (body["result"], body["token"]) == ("present", token)
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_camera_frame_without_a_code_answers_no_code(door, live_session, enrollment):
    response = door.post(
        url(live_session, "frame"), data=os.urandom(4096), content_type="image/jpeg"
    )

    assert response.status_code == 200
    assert response.get_json()["result"] == "no_code"
    assert attendance_of(enrollment) is None


def test_manual_check_in_by_enrollment(door, live_session, enrollment):
    response = door.post(url(live_session, "manual"), json={"enrollment_id": enrollment.id})

    assert response.status_code == 201
    assert response.get_json()["result"] == "present"
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_state_counts_present_and_expected(door, live_session, enrollment, enroll):
    enroll(live_session.run)
    db.session.commit()
    door.post(url(live_session, "scan"), json={"token": pass_token_for(enrollment.person)})

    state = door.get(url(live_session, "state")).get_json()

    assert state["counts"]["present"] == 1
    assert state["counts"]["expected"] == 2
    assert state["closed"] is False


# Marks, walk-ins and closing


def test_mark_excused_with_a_reason(door, live_session, enrollment):
    response = door.post(
        url(live_session, "mark"),
        data={"enrollment_id": str(enrollment.id), "status": "excused", "reason": "병원 진료"},
    )

    assert response.status_code == 302
    attendance = attendance_of(enrollment)
    assert attendance.status is AttendanceStatus.EXCUSED
    assert attendance.note == "병원 진료"


def test_walk_in_by_staff_enrolls_and_checks_in(login, staff_member, live_session, make_person):
    person = make_person(name="최현장")
    db.session.commit()

    response = login(staff_member).post(url(live_session, "walk-in"), data={"phone": person.phone})

    assert response.status_code == 302
    [enrollment] = db.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.channel is Channel.DESK
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_walk_in_by_an_instructor_is_forbidden(door, live_session, make_person):
    person = make_person()
    db.session.commit()

    response = door.post(url(live_session, "walk-in"), data={"phone": person.phone})

    assert response.status_code == 403
    assert (
        db.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id)).all() == []
    )


def test_walk_in_refused_by_a_rule_asks_staff_for_a_reason(
    login, staff_member, live_session, make_person
):
    person = make_person(name="최제한")
    person.barred_until = utcnow() + timedelta(days=30)
    db.session.commit()

    response = login(staff_member).post(url(live_session, "walk-in"), data={"phone": person.phone})

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "새 수강신청이 제한되어 있습니다" in page
    assert 'name="override_reason"' in page
    assert f'value="{person.phone}"' in page
    assert (
        db.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id)).all() == []
    )


def test_walk_in_with_a_reason_enrolls_a_refused_person(
    login, staff_member, live_session, make_person
):
    person = make_person(name="최제한")
    person.barred_until = utcnow() + timedelta(days=30)
    db.session.commit()

    response = login(staff_member).post(
        url(live_session, "walk-in"),
        data={"phone": person.phone, "override_reason": "담당자가 사정을 확인함"},
    )

    assert response.status_code == 302
    [enrollment] = db.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_walk_in_to_a_full_run_says_so_on_the_screen(
    login, staff_member, live_session, enroll, make_person
):
    for _ in range(live_session.run.capacity):
        enroll(live_session.run)
    person = make_person()
    db.session.commit()
    client = login(staff_member)

    response = client.post(
        url(live_session, "walk-in"), data={"phone": person.phone, "override_reason": "예외"}
    )

    assert response.status_code == 302
    assert "빈자리가 없어 현장 등록을 할 수 없습니다." in client.get(url(live_session)).get_data(
        as_text=True
    )


def test_close_marks_absentees(door, live_session, enrollment):
    response = door.post(url(live_session, "close"))

    assert response.status_code == 302
    assert attendance_of(enrollment).status is AttendanceStatus.ABSENT
    assert db.session.get(Session, live_session.id).closed_at is not None


# Self check-in


def test_code_gives_six_digits_a_lifetime_and_a_link(door, live_session):
    body = door.get(url(live_session, "code")).get_json()

    assert re.fullmatch(r"[0-9]{6}", body["code"])
    assert 0 < body["expires_in"] <= 15
    assert f"/checkin/self?session={live_session.id}&code={body['code']}" in body["url"]


def test_code_svg_is_an_svg_image(door, live_session):
    response = door.get(url(live_session, "code.svg"))

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_code_is_forbidden_to_residents(login, student, live_session):
    assert login(student).get(url(live_session, "code")).status_code == 403


def current_code(session: Session) -> str:
    return self_check_in_code(session, current_step(utcnow()))


def test_self_page_prefills_the_code(login, student, live_session):
    code = current_code(live_session)

    response = login(student).get(f"/checkin/self?session={live_session.id}&code={code}")

    assert response.status_code == 200
    assert f'value="{code}"' in response.get_data(as_text=True)


def test_self_check_in_with_the_code_shows_present(login, enrollment, live_session):
    response = login(enrollment.person).post(
        "/checkin/self", data={"session": str(live_session.id), "code": current_code(live_session)}
    )

    assert response.status_code == 200
    assert "박출석님 출석" in response.get_data(as_text=True)
    assert attendance_of(enrollment).status is AttendanceStatus.PRESENT


def test_self_check_in_with_a_wrong_code_shows_the_error(login, enrollment, live_session):
    step = current_step(utcnow())
    valid = {self_check_in_code(live_session, s) for s in (step - 1, step, step + 1)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)

    response = login(enrollment.person).post(
        "/checkin/self", data={"session": str(live_session.id), "code": wrong}
    )

    assert response.status_code == 200
    assert "코드가 맞지 않거나 시간이 지났습니다" in response.get_data(as_text=True)
    assert attendance_of(enrollment) is None


def test_self_check_in_needs_a_login(client, live_session):
    db.session.commit()

    response = client.get(f"/checkin/self?session={live_session.id}")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_screen_is_forbidden_to_residents(login, student, live_session):
    assert login(student).get(url(live_session)).status_code == 403
