"""Enrolling, cancelling and "my page" through the test client."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.notifications.models import Notification


def enrollment_of(db, run, person) -> Enrollment | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.run_id == run.id,
            Enrollment.person_id == person.id,
            Enrollment.status != EnrollmentStatus.CANCELLED,
        )
    )


@pytest.fixture
def enrolled(db, make_open_run, make_person, client_for):
    """A person who enrolled through the page in an open run: (run, person, their client)."""
    run = make_open_run()
    person = make_person()
    db.session.commit()
    client = client_for(person)
    client.post(f"/runs/{run.id}/enroll")
    return run, person, client


def test_enrolling_requires_login(client, db, make_open_run, count_rows):
    run = make_open_run()
    db.session.commit()

    response = client.post(f"/runs/{run.id}/enroll")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert f"/runs/{run.id}/enroll" in response.headers["Location"].replace("%2F", "/")
    assert count_rows(Enrollment) == 0


def test_enrolling_in_a_run_with_seats_confirms(client_for, db, make_open_run, make_person):
    run = make_open_run(title="키오스크 익히기", capacity=2)
    person = make_person()
    db.session.commit()
    client = client_for(person)

    response = client.post(f"/runs/{run.id}/enroll")

    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    html = client.get("/me").get_data(as_text=True)
    assert "수강이 확정되었습니다." in html
    assert "키오스크 익히기 1기" in html
    assert "수강 확정" in html
    enrollment = enrollment_of(db, run, person)
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.channel is Channel.WEB


def test_enrolling_in_a_full_run_waitlists_with_position(
    client_for, db, make_open_run, make_person
):
    run = make_open_run(capacity=1)
    first, second, third = make_person(), make_person(), make_person()
    db.session.commit()
    client_for(first).post(f"/runs/{run.id}/enroll")
    client_for(second).post(f"/runs/{run.id}/enroll")
    client = client_for(third)

    response = client.post(f"/runs/{run.id}/enroll", follow_redirects=True)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "자리가 모두 찼습니다. 대기 2번으로 등록되었습니다." in html
    assert "대기 2번" in html
    assert enrollment_of(db, run, third).waitlist_position == 2


def test_run_page_shows_my_status_after_enrolling(enrolled):
    run, _, client = enrolled

    html = client.get(f"/runs/{run.id}").get_data(as_text=True)

    assert "내 신청 상태:" in html
    assert "수강 확정" in html


def test_enrolling_twice_is_refused_with_a_message(enrolled, count_rows):
    run, _, client = enrolled

    response = client.post(f"/runs/{run.id}/enroll", follow_redirects=True)

    assert "이미 신청한 강좌입니다." in response.get_data(as_text=True)
    assert count_rows(Enrollment) == 1


def test_enrolling_outside_the_window_is_refused_with_a_message(
    client_for, db, make_open_run, make_person, count_rows
):
    run = make_open_run(opens=timedelta(days=1), closes=timedelta(days=5))
    person = make_person()
    db.session.commit()
    client = client_for(person)

    response = client.post(f"/runs/{run.id}/enroll")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/runs/{run.id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "지금은 수강신청 기간이 아닙니다." in html
    assert count_rows(Enrollment) == 0


def test_enrolling_in_a_missing_run_is_404(client_for, db, make_person):
    person = make_person()
    db.session.commit()

    response = client_for(person).post("/runs/999999/enroll")

    assert response.status_code == 404


def test_enroll_by_get_is_not_allowed(client_for, db, make_open_run, make_person, count_rows):
    run = make_open_run()
    person = make_person()
    db.session.commit()

    response = client_for(person).get(f"/runs/{run.id}/enroll")

    assert response.status_code == 405
    assert count_rows(Enrollment) == 0


def test_cancelling_promotes_the_first_waitlisted(client_for, db, make_open_run, make_person):
    run = make_open_run(title="유튜브 시작하기", capacity=1)
    holder, waiting = make_person(), make_person()
    db.session.commit()
    holder_client, waiting_client = client_for(holder), client_for(waiting)
    holder_client.post(f"/runs/{run.id}/enroll", follow_redirects=True)
    waiting_client.post(f"/runs/{run.id}/enroll", follow_redirects=True)
    assert enrollment_of(db, run, waiting).status is EnrollmentStatus.WAITLISTED
    enrollment = enrollment_of(db, run, holder)

    response = holder_client.post(f"/me/enrollments/{enrollment.id}/cancel")

    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    assert "신청을 취소했습니다." in holder_client.get("/me").get_data(as_text=True)
    assert enrollment_of(db, run, holder) is None
    html = waiting_client.get("/me").get_data(as_text=True)
    assert "<strong>수강 확정</strong>" in html
    assert "<strong>대기 1번</strong>" not in html
    assert "유튜브 시작하기 1기 대기 순번이 되어 수강이 확정되었습니다." in html


def test_notifications_can_be_marked_read(client_for, db, make_person):
    person = make_person()
    db.session.add(Notification(person_id=person.id, kind="promoted", message="알림 시험"))
    db.session.commit()
    client = client_for(person)
    assert "알림 시험" in client.get("/me").get_data(as_text=True)

    response = client.post("/me/notifications/read")

    assert response.status_code == 302
    assert "알림 시험" not in client.get("/me").get_data(as_text=True)


def test_cancelling_someone_elses_enrollment_is_404(client_for, db, make_open_run, make_person):
    run = make_open_run()
    owner, other = make_person(), make_person()
    db.session.commit()
    client_for(owner).post(f"/runs/{run.id}/enroll")
    enrollment = enrollment_of(db, run, owner)

    response = client_for(other).post(f"/me/enrollments/{enrollment.id}/cancel")

    assert response.status_code == 404
    assert enrollment_of(db, run, owner).status is EnrollmentStatus.CONFIRMED


def test_cancelling_a_missing_enrollment_is_404(client_for, db, make_person):
    person = make_person()
    db.session.commit()

    response = client_for(person).post("/me/enrollments/999999/cancel")

    assert response.status_code == 404


def test_cancelling_twice_says_it_is_already_cancelled(db, enrolled):
    run, person, client = enrolled
    enrollment_id = enrollment_of(db, run, person).id
    client.post(f"/me/enrollments/{enrollment_id}/cancel")

    response = client.post(f"/me/enrollments/{enrollment_id}/cancel", follow_redirects=True)

    assert response.status_code == 200
    assert "이미 취소된 신청입니다." in response.get_data(as_text=True)


def test_cancelling_requires_login(client, db, make_open_run, make_person, make_enrollment):
    run = make_open_run()
    person = make_person()
    enrollment = make_enrollment(run, person)
    db.session.commit()

    response = client.post(f"/me/enrollments/{enrollment.id}/cancel")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert enrollment_of(db, run, person) is not None


def test_my_page_says_when_there_is_nothing_yet(client_for, db, make_person):
    person = make_person(name="이순자")
    db.session.commit()

    html = client_for(person).get("/me").get_data(as_text=True)

    assert "이순자님의 수강신청 내역입니다." in html
    assert "아직 신청한 강좌가 없습니다." in html


# Cancelling once classes have begun, and what the cancel page promises


@pytest.fixture
def started(db, make_open_run, make_person, make_enrollment, client_for):
    """A person confirmed in a run whose first class was yesterday: (enrollment, their client)."""
    run = make_open_run(days_ahead=-1, sessions=3)
    run.room.venue.phone = "02-2670-3100"
    person = make_person()
    enrollment = make_enrollment(run, person)
    db.session.commit()
    return enrollment, client_for(person)


def test_cancel_page_of_a_started_run_says_to_phone_the_venue(started):
    enrollment, client = started

    response = client.get(f"/me/enrollments/{enrollment.id}/cancel")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "온라인으로 취소할 수 없습니다" in html
    assert "평생스마트교육장(02-2670-3100)에 전화해 주세요." in html
    assert 'href="tel:0226703100"' in html
    assert "네, 취소합니다" not in html


def test_cancelling_a_started_run_online_is_refused(db, started):
    enrollment, client = started

    response = client.post(f"/me/enrollments/{enrollment.id}/cancel", follow_redirects=True)

    assert "수업이 이미 시작되어 온라인으로는 취소할 수 없습니다." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status is EnrollmentStatus.CONFIRMED


def test_my_page_offers_no_cancel_button_for_a_started_run(
    db, started, make_open_run, make_enrollment
):
    enrollment, client = started
    upcoming = make_enrollment(make_open_run(title="엑셀 기초"), enrollment.person)
    db.session.commit()

    html = client.get("/me").get_data(as_text=True)

    assert f"/me/enrollments/{enrollment.id}/cancel" not in html
    assert f"/me/enrollments/{upcoming.id}/cancel" in html
    assert "평생스마트교육장(02-2670-3100)에 전화해 주세요." in html


def test_cancel_page_promises_the_seat_to_the_next_person_only_when_someone_waits(
    db, make_open_run, make_person, make_enrollment, client_for
):
    run = make_open_run(capacity=1)
    person = make_person()
    enrollment = make_enrollment(run, person)
    db.session.commit()
    client = client_for(person)
    passes_on = "자리는 대기 중인 다음 분께 바로 넘어가며"

    alone = client.get(f"/me/enrollments/{enrollment.id}/cancel").get_data(as_text=True)
    make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    with_queue = client.get(f"/me/enrollments/{enrollment.id}/cancel").get_data(as_text=True)

    assert passes_on not in alone
    assert "취소하면 확정된 자리를 잃습니다." in alone
    assert passes_on in with_queue
