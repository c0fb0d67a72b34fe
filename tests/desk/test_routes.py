"""The staff desk through the test client: access, enrolling for people, lottery, roster."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from training.accounts.models import ConsentMethod, Person, Role
from training.audit.models import AuditEntry
from training.catalog.models import Audience, Selection
from training.clock import SEOUL
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus


def new_person_form(**changes) -> dict:
    form = {
        "name": "최말순",
        "phone": "010-3333-4444",
        "birth_year": "1948",
        "dong": "신길1동",
        "consent": "y",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Who may use the desk


def test_desk_requires_login(client):
    response = client.get("/desk/")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSTRUCTOR])
def test_desk_is_forbidden_to_non_staff(
    client_for, db, make_person, make_open_run, count_rows, role
):
    run = make_open_run()
    person = make_person(role=role)
    db.session.commit()
    other = client_for(person)

    for method, url in [
        ("GET", "/desk/"),
        ("GET", f"/desk/runs/{run.id}"),
        ("POST", f"/desk/runs/{run.id}/enroll"),
        ("POST", f"/desk/runs/{run.id}/enroll-new"),
        ("POST", f"/desk/runs/{run.id}/draw"),
    ]:
        response = other.open(url, method=method, data={"phone": person.phone})
        assert response.status_code == 403, url
        assert "이 페이지를 볼 권한이 없습니다." in response.get_data(as_text=True)
    assert count_rows(Enrollment) == 0
    assert "roster.view" not in audit_actions(db)


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_desk_lists_runs_for_staff(client_for, db, make_person, make_open_run, role):
    make_open_run(title="영상 편집 입문")
    person = make_person(role=role)
    db.session.commit()

    response = client_for(person).get("/desk/")

    assert response.status_code == 200
    assert "영상 편집 입문 1기" in response.get_data(as_text=True)


def test_roster_of_a_missing_run_is_404(desk):
    assert desk.get("/desk/runs/999999").status_code == 404


# Enrolling a registered person


def test_desk_enrolls_a_registered_person_by_phone(desk, db, make_open_run, make_person, staff):
    run = make_open_run()
    person = make_person(name="한복순", phone="01055556666")
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/enroll", data={"phone": "010-5555-6666"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/runs/{run.id}"
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.channel is Channel.DESK
    assert enrollment.created_by_id == staff.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.create"))
    assert entry is not None
    assert entry.actor_id == staff.id
    assert entry.subject_id == enrollment.id
    html = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "한복순님: 수강이 확정되었습니다." in html
    assert "010-5555-6666" in html


def test_desk_enrolling_an_unknown_phone_says_so(desk, db, make_open_run, count_rows):
    run = make_open_run()
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/enroll", data={"phone": "010-9999-0000"})

    assert response.status_code == 400
    assert "등록되지 않은 번호입니다. 아래에서 새로 등록해 주세요." in response.get_data(
        as_text=True
    )
    assert count_rows(Enrollment) == 0


@pytest.mark.parametrize("phone", ["", "12345", "02-123-4567"])
def test_desk_enrolling_with_a_bad_phone_shows_a_field_error(
    desk, db, make_open_run, count_rows, phone
):
    run = make_open_run()
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/enroll", data={"phone": phone})

    assert response.status_code == 400
    assert "휴대전화 번호를 " in response.get_data(as_text=True)
    assert count_rows(Enrollment) == 0


def test_desk_enrolling_into_a_missing_run_is_404(desk):
    response = desk.post("/desk/runs/999999/enroll", data={"phone": "010-5555-6666"})

    assert response.status_code == 404


def test_desk_refusal_is_flashed_with_the_persons_name(
    desk, db, make_open_run, make_person, count_rows
):
    run = make_open_run(audience=Audience.STAFF)
    make_person(name="오영수", phone="01077778888")
    db.session.commit()

    response = desk.post(
        f"/desk/runs/{run.id}/enroll", data={"phone": "01077778888"}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "오영수님: 직원 교육은 구청 직원만 신청할 수 있습니다." in response.get_data(
        as_text=True
    )
    assert count_rows(Enrollment) == 0


# Registering and enrolling a new person


def test_desk_registers_a_new_person_and_enrolls_them(desk, db, make_open_run, staff):
    run = make_open_run()
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/enroll-new", data=new_person_form())

    # The set-up code is shown once, on the page answering the registration.
    assert response.status_code == 200
    assert re.search(r"\b\d{4}-\d{4}\b", response.get_data(as_text=True))
    assert f'href="/desk/runs/{run.id}"' in response.get_data(as_text=True)
    person = db.session.scalar(select(Person).where(Person.phone == "01033334444"))
    assert person is not None
    assert person.consent_method is ConsentMethod.DESK
    assert person.password_hash is None
    assert person.setup_code_hash is not None
    assert person.created_by_id == staff.id
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.channel is Channel.DESK
    assert {"person.create", "enrollment.create"} <= set(audit_actions(db))


def test_desk_new_person_without_consent_is_refused(desk, db, make_open_run, count_rows):
    run = make_open_run()
    db.session.commit()
    people_before = count_rows(Person)

    response = desk.post(f"/desk/runs/{run.id}/enroll-new", data=new_person_form(consent=None))

    assert response.status_code == 400
    assert "본인의 개인정보 수집·이용 동의가 있어야 등록할 수 있습니다." in response.get_data(
        as_text=True
    )
    assert count_rows(Person) == people_before
    assert count_rows(Enrollment) == 0


def test_desk_new_person_with_a_registered_phone_is_refused(
    desk, db, make_open_run, make_person, count_rows
):
    run = make_open_run()
    make_person(phone="01033334444")
    db.session.commit()
    people_before = count_rows(Person)

    response = desk.post(f"/desk/runs/{run.id}/enroll-new", data=new_person_form())

    assert response.status_code == 400
    assert "이미 등록된 휴대전화 번호입니다." in response.get_data(as_text=True)
    assert count_rows(Person) == people_before
    assert count_rows(Enrollment) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_year": "abcd"}, "태어난 해를 네 자리 숫자로 적어 주세요."),
        ({"birth_year": None}, "태어난 해를 네 자리 숫자로 적어 주세요."),
        ({"dong": "강남동"}, 'id="dong-error"'),
        ({"name": "김"}, "이름을 2자 이상 40자 이하로 적어 주세요."),
    ],
)
def test_desk_new_person_with_bad_fields_shows_errors(
    desk, db, make_open_run, count_rows, changes, message
):
    run = make_open_run()
    db.session.commit()
    people_before = count_rows(Person)

    response = desk.post(f"/desk/runs/{run.id}/enroll-new", data=new_person_form(**changes))

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_rows(Person) == people_before


def test_desk_new_person_not_eligible_stays_registered_without_enrollment(
    desk, db, make_open_run, count_rows
):
    run = make_open_run(audience=Audience.STAFF)
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/enroll-new", data=new_person_form())

    assert response.status_code == 200
    person = db.session.scalar(select(Person).where(Person.phone == "01033334444"))
    assert person is not None
    assert person.setup_code_hash is not None
    assert count_rows(Enrollment) == 0
    html = response.get_data(as_text=True)
    assert "최말순님: 직원 교육은 구청 직원만 신청할 수 있습니다." in html


# Lottery


def test_desk_draws_a_closed_lottery(desk, db, make_open_run, make_enrollment):
    run = make_open_run(
        capacity=2,
        selection=Selection.LOTTERY,
        opens=timedelta(days=-5),
        closes=timedelta(hours=-1),
    )
    for _ in range(5):
        make_enrollment(run, status=EnrollmentStatus.APPLIED)
    db.session.commit()
    assert "추첨하기" in desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)

    response = desk.post(f"/desk/runs/{run.id}/draw")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/runs/{run.id}"
    db.session.expire_all()
    statuses = list(
        db.session.scalars(select(Enrollment.status).where(Enrollment.run_id == run.id))
    )
    assert statuses.count(EnrollmentStatus.CONFIRMED) == 2
    assert statuses.count(EnrollmentStatus.WAITLISTED) == 3
    positions = sorted(
        db.session.scalars(
            select(Enrollment.waitlist_position).where(
                Enrollment.run_id == run.id, Enrollment.waitlist_position.is_not(None)
            )
        )
    )
    assert positions == [1, 2, 3]
    assert "lottery.draw" in audit_actions(db)
    html = desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)
    assert "추첨을 마쳤습니다. 신청 5명" in html


def test_desk_lottery_cannot_be_drawn_while_registration_is_open(
    desk, db, make_open_run, make_enrollment
):
    run = make_open_run(selection=Selection.LOTTERY)
    make_enrollment(run, status=EnrollmentStatus.APPLIED)
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/draw", follow_redirects=True)

    assert response.status_code == 200
    assert "신청 기간이 끝난 뒤에 추첨할 수 있습니다." in response.get_data(as_text=True)
    assert db.session.scalar(select(Enrollment.status)) is EnrollmentStatus.APPLIED


# Roster and cancelling


def test_viewing_the_roster_is_recorded(
    desk, db, make_open_run, make_person, make_enrollment, staff
):
    run = make_open_run()
    make_enrollment(run, make_person(name="윤정희"))
    db.session.commit()

    response = desk.get(f"/desk/runs/{run.id}")

    assert response.status_code == 200
    assert "윤정희" in response.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.view"))
    assert entry is not None
    assert entry.actor_id == staff.id
    assert entry.subject_id == run.id


def test_desk_cancel_promotes_the_first_waitlisted(desk, db, make_open_run, make_person, staff):
    run = make_open_run(capacity=1)
    holder, waiting = make_person(), make_person(phone="01012120000")
    db.session.commit()
    desk.post(f"/desk/runs/{run.id}/enroll", data={"phone": holder.phone})
    desk.post(f"/desk/runs/{run.id}/enroll", data={"phone": waiting.phone})
    held = db.session.scalar(select(Enrollment).where(Enrollment.person_id == holder.id))

    response = desk.post(f"/desk/enrollments/{held.id}/cancel", data={"reason": "본인 전화 요청"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/runs/{run.id}"
    db.session.expire_all()
    promoted = db.session.scalar(select(Enrollment).where(Enrollment.person_id == waiting.id))
    assert promoted.status is EnrollmentStatus.CONFIRMED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.cancel"))
    assert (entry.actor_id, entry.detail["reason"]) == (staff.id, "본인 전화 요청")


def test_desk_cancel_of_a_missing_enrollment_is_404(desk):
    assert desk.post("/desk/enrollments/999999/cancel").status_code == 404


def test_desk_cancel_asks_for_confirmation_first(
    desk, db, make_open_run, make_person, make_enrollment
):
    run = make_open_run()
    enrollment = make_enrollment(run, make_person(name="윤정희"))
    db.session.commit()
    roster = desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)
    assert f'href="/desk/enrollments/{enrollment.id}/cancel"' in roster

    response = desk.get(f"/desk/enrollments/{enrollment.id}/cancel")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "윤정희님의 신청을 취소할까요?" in html
    assert "취소 사유" in html
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status is EnrollmentStatus.CONFIRMED


def test_desk_cancel_without_a_reason_is_refused(
    desk, db, make_open_run, make_enrollment, count_rows
):
    run = make_open_run()
    enrollment = make_enrollment(run)
    db.session.commit()

    response = desk.post(f"/desk/enrollments/{enrollment.id}/cancel", data={"reason": "   "})

    assert response.status_code == 400
    assert "취소 사유를 적어 주세요." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status is EnrollmentStatus.CONFIRMED
    assert "enrollment.cancel" not in audit_actions(db)


def test_desk_cancel_page_says_the_seat_passes_on_only_when_someone_waits(
    desk, db, make_open_run, make_enrollment
):
    run = make_open_run(capacity=1)
    held = make_enrollment(run)
    db.session.commit()
    passes_on = "이 자리는 대기 1번인 분께 바로 넘어가고"

    alone = desk.get(f"/desk/enrollments/{held.id}/cancel").get_data(as_text=True)
    make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    with_queue = desk.get(f"/desk/enrollments/{held.id}/cancel").get_data(as_text=True)

    assert passes_on not in alone
    assert "기다리는 분이 없어 자리는 빈자리로 남습니다." in alone
    assert passes_on in with_queue


def test_desk_cancels_a_started_run_for_someone_with_a_reason(
    desk, db, make_open_run, make_enrollment
):
    run = make_open_run(days_ahead=-1, sessions=3)
    enrollment = make_enrollment(run)
    db.session.commit()
    page = desk.get(f"/desk/enrollments/{enrollment.id}/cancel").get_data(as_text=True)
    assert "수업이 이미 시작된 강좌입니다." in page

    response = desk.post(
        f"/desk/enrollments/{enrollment.id}/cancel",
        data={"reason": "건강 문제로 중도 포기"},
        follow_redirects=True,
    )

    assert "홍길동님의 신청을 취소했습니다." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status is EnrollmentStatus.CANCELLED


def test_desk_cancel_of_a_cancelled_enrollment_goes_back_to_the_roster(
    desk, db, make_open_run, make_enrollment
):
    run = make_open_run()
    enrollment = make_enrollment(run, status=EnrollmentStatus.CANCELLED)
    db.session.commit()

    response = desk.get(f"/desk/enrollments/{enrollment.id}/cancel", follow_redirects=True)

    assert response.request.path == f"/desk/runs/{run.id}"
    assert "이미 취소된 신청입니다." in response.get_data(as_text=True)


def test_desk_roster_dates_show_the_year(desk, db, make_open_run, make_enrollment):
    run = make_open_run()
    enrollment = make_enrollment(run)
    db.session.commit()

    html = desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)

    assert enrollment.created_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M") in html


# The lists of runs


def test_desk_run_list_dates_show_the_year(desk, db, make_open_run):
    run = make_open_run()
    db.session.commit()

    html = desk.get("/desk/").get_data(as_text=True)

    assert f"{run.starts_on:%Y-%m-%d} ~ {run.ends_on:%Y-%m-%d}" in html


def test_desk_finds_upcoming_runs_by_title(desk, db, make_open_run):
    make_open_run(title="키오스크 따라하기")
    make_open_run(title="엑셀 기초")
    db.session.commit()

    html = desk.get("/desk/?q=키오스크").get_data(as_text=True)

    assert "키오스크 따라하기 1기" in html
    assert "엑셀 기초 1기" not in html


def test_desk_ended_runs_are_paged_and_page_links_keep_the_search(desk, db, make_open_run):
    for day in range(1, 23):
        make_open_run(days_ahead=-30 - day, sessions=1, title=f"지난 강좌 {day:02d}")
    make_open_run(days_ahead=-60, sessions=1, title="다른 강좌")
    db.session.commit()

    first = desk.get("/desk/?view=ended&q=지난").get_data(as_text=True)
    second = desk.get("/desk/?view=ended&q=지난&page=2").get_data(as_text=True)

    assert "지난 강좌 01 1기" in first
    assert "지난 강좌 20 1기" in first
    assert "지난 강좌 21 1기" not in first
    assert "다른 강좌" not in first
    assert "/desk/?view=ended&amp;q=%EC%A7%80%EB%82%9C&amp;page=2" in first
    assert "지난 강좌 21 1기" in second
    assert "지난 강좌 22 1기" in second
    assert "지난 강좌 01 1기" not in second


def test_desk_run_list_ignores_a_junk_page_number(desk, db, make_open_run):
    make_open_run(days_ahead=-30, sessions=1, title="지난 강좌")
    db.session.commit()

    for page in ("x", "-5", "99999999999999999999"):
        response = desk.get(f"/desk/?view=ended&page={page}")
        assert response.status_code == 200
        assert "지난 강좌 1기" in response.get_data(as_text=True)


# Lottery confirmation


def closed_lottery(make_open_run, make_enrollment, applicants: int = 3):
    run = make_open_run(
        capacity=2,
        selection=Selection.LOTTERY,
        opens=timedelta(days=-5),
        closes=timedelta(hours=-1),
    )
    for _ in range(applicants):
        make_enrollment(run, status=EnrollmentStatus.APPLIED)
    return run


def test_desk_draw_asks_for_confirmation_first(desk, db, make_open_run, make_enrollment):
    run = closed_lottery(make_open_run, make_enrollment)
    db.session.commit()
    roster = desk.get(f"/desk/runs/{run.id}").get_data(as_text=True)
    assert f'href="/desk/runs/{run.id}/draw"' in roster

    response = desk.get(f"/desk/runs/{run.id}/draw")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "추첨은 한 번만 할 수 있고 되돌릴 수 없습니다." in html
    assert "메모 (선택)" in html
    db.session.expire_all()
    assert db.session.get(type(run), run.id).lottery_drawn_at is None


def test_desk_draw_records_the_note_in_the_audit_entry(
    desk, db, make_open_run, make_enrollment, staff
):
    run = closed_lottery(make_open_run, make_enrollment)
    db.session.commit()

    response = desk.post(f"/desk/runs/{run.id}/draw", data={"reason": "신청자 2명 참관"})

    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.draw"))
    assert (entry.actor_id, entry.detail["reason"]) == (staff.id, "신청자 2명 참관")


def test_desk_draw_page_of_a_drawn_lottery_offers_no_second_draw(
    desk, db, make_open_run, make_enrollment
):
    run = closed_lottery(make_open_run, make_enrollment)
    db.session.commit()
    desk.post(f"/desk/runs/{run.id}/draw")

    html = desk.get(f"/desk/runs/{run.id}/draw").get_data(as_text=True)

    assert "에 추첨했습니다." in html
    assert 'method="post"' not in html.split("<main", 1)[-1]
