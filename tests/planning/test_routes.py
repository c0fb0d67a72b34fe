"""The planning pages through the test client: who may open them, and each page's wiring
(status, redirect, message); the rules themselves are the services' tests."""

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.catalog.models import Closure, Course, CourseRun, Room, Session, Venue
from training.clock import SEOUL
from training.enrollment.models import EnrollmentStatus
from training.stats.models import Plan

# Chuseok's eve falls on Tuesday 14 September 2027.
PATTERN = {
    "first_date": "2027-09-13",
    "weekdays": ["2"],
    "start": "10:00",
    "end": "12:00",
    "count": "2",
}


def page(response) -> str:
    return response.get_data(as_text=True)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def seoul(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SEOUL)


@pytest.fixture
def course(db, make_run):
    """A course with no runs of its own yet (make_run's run is removed)."""
    run = make_run(title="엑셀 기초")
    course = run.course
    db.session.delete(run)
    db.session.commit()
    return course


@pytest.fixture
def planned_run(db, make_run):
    """A run of 2027 with no sessions yet, registration open until the end of August."""
    run = make_run(
        title="스마트폰 사진 정리",
        starts_on=date(2027, 8, 31),
        sessions=1,
        capacity=10,
        opens_at=datetime(2027, 8, 1, tzinfo=SEOUL),
        closes_at=datetime(2027, 8, 31, tzinfo=SEOUL),
    )
    for session in list(run.sessions):
        db.session.delete(session)
    db.session.commit()
    db.session.refresh(run)
    return run


def run_form(course_id=None, room_id=None, **changes) -> dict:
    form = {
        "room": str(room_id) if room_id else "",
        "instructor": "",
        "capacity": "20",
        "registration_opens_at": "2027-02-01T10:00",
        "registration_closes_at": "2027-02-20T18:00",
        "selection": "first_come",
        "is_district_only": "y",
        "completion_threshold": "80",
        "is_late_attended": "y",
        "lates_per_absence": "0",
        "is_excused_left_out": "y",
    }
    if course_id is not None:
        form["course"] = str(course_id)
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


# Who may open the pages

GET_PAGES = [
    "/manage/",
    "/manage/venues",
    "/manage/venues/new",
    "/manage/courses",
    "/manage/courses/new",
    "/manage/runs",
    "/manage/runs/new",
    "/manage/closures",
    "/manage/plans",
    "/manage/copy",
]


@pytest.mark.parametrize("url", GET_PAGES)
def test_planning_pages_require_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert path_of(response) == "/login"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSTRUCTOR])
def test_planning_pages_are_forbidden_to_non_staff(
    db, client_for, make_person, planned_run, count_rows, role
):
    person = make_person(role=role)
    db.session.commit()
    other = client_for(person)
    venue_id = planned_run.room.venue_id
    urls = GET_PAGES + [
        f"/manage/venues/{venue_id}",
        f"/manage/rooms/{planned_run.room_id}",
        f"/manage/courses/{planned_run.course_id}",
        f"/manage/runs/{planned_run.id}",
        f"/manage/runs/{planned_run.id}/cancel",
        f"/manage/runs/{planned_run.id}/sessions",
    ]
    for url in urls:
        assert other.get(url).status_code == 403, url
    posts = [
        ("/manage/venues/new", {"name": "새 교육장", "address": "영등포"}),
        (f"/manage/runs/{planned_run.id}/cancel", {"reason": "x", "confirm": "y"}),
        (f"/manage/runs/{planned_run.id}/sessions/pattern", {**PATTERN, "confirmed": "1"}),
        (f"/manage/courses/{planned_run.course_id}/archive", {}),
        ("/manage/closures", {"day": "2027-01-05", "venue": "", "reason": "x"}),
    ]
    for url, data in posts:
        response = other.post(url, data=data)
        assert response.status_code == 403, url
        assert "이 페이지를 볼 권한이 없습니다." in page(response)
    assert count_rows(Venue) == 1
    assert count_rows(Session) == 0
    assert count_rows(Closure) == 0
    assert not planned_run.is_cancelled


def test_staff_see_the_planning_link_in_the_header(desk):
    assert 'href="/manage/"' in page(desk.get("/desk/"))


def test_admins_open_the_planning_pages(db, client_for, make_person):
    admin = make_person(role=Role.ADMIN)
    db.session.commit()

    assert client_for(admin).get("/manage/runs").status_code == 200


def test_overview_lists_upcoming_runs(desk, planned_run):
    response = desk.get("/manage/")

    assert response.status_code == 200
    assert "스마트폰 사진 정리 1기" in page(response)
    assert "수업 일정 없음" in page(response)


# Venues and rooms


def test_staff_add_a_venue(desk, db):
    response = desk.post(
        "/manage/venues/new",
        data={
            "name": "창업스마트교육장",
            "address": "서울 영등포구 문래동",
            "phone": "02-2670-1234",
        },
    )

    assert response.status_code == 302
    assert path_of(response) == "/manage/venues"
    venue = db.session.scalar(select(Venue).where(Venue.name == "창업스마트교육장"))
    assert venue.phone == "02-2670-1234"
    assert "창업스마트교육장을(를) 저장했습니다." in page(desk.get("/manage/venues"))


def test_a_venue_without_a_name_is_shown_again_with_the_error(desk, count_rows):
    response = desk.post("/manage/venues/new", data={"name": " ", "address": "문래동"})

    assert response.status_code == 400
    assert "교육장 이름을 적어 주세요." in page(response)
    assert count_rows(Venue) == 0


def test_staff_edit_a_venue(desk, db, make_room):
    venue = make_room().venue
    db.session.commit()

    assert venue.name in page(desk.get(f"/manage/venues/{venue.id}"))
    response = desk.post(
        f"/manage/venues/{venue.id}",
        data={"name": venue.name, "address": "대림3동 새 주소", "phone": ""},
    )

    assert response.status_code == 302
    db.session.refresh(venue)
    assert venue.address == "대림3동 새 주소"
    assert venue.phone is None


def test_staff_add_and_edit_a_room(desk, db, make_room):
    venue = make_room().venue
    db.session.commit()

    response = desk.post(
        f"/manage/venues/{venue.id}/rooms/new",
        data={"name": "강의실 9", "seats": "24", "pcs": "24"},
    )

    assert response.status_code == 302
    room = db.session.scalar(select(Room).where(Room.name == "강의실 9"))
    assert (room.seats, room.pcs) == (24, 24)
    response = desk.post(
        f"/manage/rooms/{room.id}", data={"name": "강의실 9", "seats": "30", "pcs": ""}
    )
    assert response.status_code == 302
    db.session.refresh(room)
    assert (room.seats, room.pcs) == (30, None)


def test_lowering_seats_below_a_runs_capacity_is_refused_on_the_page(desk, db, planned_run):
    room = planned_run.room

    response = desk.post(f"/manage/rooms/{room.id}", data={"name": room.name, "seats": "5"})

    assert response.status_code == 400
    assert "flash-error" in page(response)
    db.session.refresh(room)
    assert room.seats == 28


def test_a_missing_room_or_venue_is_not_found(desk):
    assert desk.get("/manage/rooms/999999").status_code == 404
    assert desk.get("/manage/venues/999999").status_code == 404
    assert desk.get("/manage/venues/999999/rooms/new").status_code == 404


# Courses


def course_form(**changes) -> dict:
    form = {
        "title": "키오스크 주문하기",
        "category": "kiosk",
        "level": "beginner",
        "audience": "resident",
        "delivery": "in_person",
        "description": "햄버거 가게 키오스크로 연습합니다.",
        "hours": "6",
        "completion_threshold": "80",
        "is_late_attended": "y",
        "lates_per_absence": "0",
        "is_excused_left_out": "y",
    }
    form.update(changes)
    return form


def test_staff_add_a_course_with_a_generated_code(desk, db):
    response = desk.post("/manage/courses/new", data=course_form())

    assert response.status_code == 302
    assert path_of(response) == "/manage/courses"
    course = db.session.scalar(select(Course).where(Course.title == "키오스크 주문하기"))
    assert course.code
    assert course.hours == 6
    listing = page(desk.get("/manage/courses"))
    assert "키오스크 주문하기 과정을 저장했습니다." in listing
    assert course.code in listing


def test_a_course_with_a_bad_choice_is_shown_again(desk, count_rows):
    response = desk.post("/manage/courses/new", data=course_form(category="cooking"))

    assert response.status_code == 400
    assert "입력한 내용을 확인해 주세요" in page(response)
    assert count_rows(Course) == 0


def test_staff_edit_a_course(desk, db, course):
    form_page = page(desk.get(f"/manage/courses/{course.id}"))
    assert 'value="엑셀 기초"' in form_page

    response = desk.post(
        f"/manage/courses/{course.id}",
        data=course_form(title="엑셀 기초 다지기", level="intermediate"),
    )

    assert response.status_code == 302
    db.session.refresh(course)
    assert course.title == "엑셀 기초 다지기"
    assert course.level.value == "intermediate"


def test_staff_archive_and_restore_a_course(desk, db, planned_run):
    course = planned_run.course

    response = desk.post(f"/manage/courses/{course.id}/archive")
    assert response.status_code == 302
    db.session.refresh(course)
    assert course.is_archived
    assert course.title in page(desk.get("/manage/courses?archived=1"))
    assert course.title not in page(desk.get("/manage/courses"))

    desk.post(f"/manage/courses/{course.id}/restore")
    db.session.refresh(course)
    assert not course.is_archived


def test_a_course_without_runs_is_deleted(desk, db, course, count_rows):
    response = desk.post(f"/manage/courses/{course.id}/delete")

    assert response.status_code == 302
    assert count_rows(Course) == 0
    assert "엑셀 기초 과정을 지웠습니다." in page(desk.get("/manage/courses"))


def test_a_course_with_runs_is_not_deleted(desk, db, planned_run, count_rows):
    response = desk.post(f"/manage/courses/{planned_run.course_id}/delete", follow_redirects=True)

    assert "flash-error" in page(response)
    assert count_rows(Course) == 1


# Runs


def test_staff_open_a_run_and_are_sent_to_its_sessions(desk, db, course, make_room):
    room = make_room(seats=24)
    db.session.commit()

    response = desk.post("/manage/runs/new", data=run_form(course.id, room.id))

    assert response.status_code == 302
    run = db.session.scalar(select(CourseRun).where(CourseRun.course_id == course.id))
    assert path_of(response) == f"/manage/runs/{run.id}/sessions"
    assert (run.number, run.capacity, run.room_id) == (1, 20, room.id)
    assert run.registration_opens_at == datetime(2027, 2, 1, 10, tzinfo=SEOUL)
    assert "엑셀 기초 1기을(를) 만들었습니다." in page(desk.get(path_of(response)))


def test_the_new_run_page_starts_from_the_courses_completion_rule(desk, db, course):
    course.completion_threshold = 70
    db.session.commit()

    response = desk.get(f"/manage/runs/new?course_id={course.id}")

    assert response.status_code == 200
    assert 'value="70"' in page(response)


def test_a_run_over_the_rooms_seats_is_refused_on_the_page(desk, db, course, make_room, count_rows):
    room = make_room(seats=24)
    db.session.commit()

    response = desk.post("/manage/runs/new", data=run_form(course.id, room.id, capacity="30"))

    assert response.status_code == 400
    assert "flash-error" in page(response)
    assert count_rows(CourseRun) == 0


def test_a_run_without_a_course_is_shown_again(desk, count_rows):
    response = desk.post("/manage/runs/new", data=run_form())

    assert response.status_code == 400
    assert count_rows(CourseRun) == 0


def test_runs_are_listed_by_year_twenty_a_page_and_searchable(desk, db, make_run):
    for week in range(21):
        make_run(title="스마트폰 기초", starts_on=date(2027, 1, 5) + timedelta(weeks=week))
    make_run(title="유튜브 영상 만들기", starts_on=date(2027, 9, 7))
    make_run(title="유튜브 영상 만들기", starts_on=date(2026, 9, 7))
    db.session.commit()

    first = page(desk.get("/manage/runs?year=2027"))
    second = page(desk.get("/manage/runs?year=2027&page=2"))
    found = page(desk.get("/manage/runs?year=2027&q=유튜브"))
    second_half = page(desk.get("/manage/runs?year=2027&half=2"))

    assert "강좌 22개 · 1/2쪽" in first
    assert first.count("스마트폰 기초") == 20
    assert "강좌 22개 · 2/2쪽" in second
    assert "유튜브 영상 만들기 1기" in second
    assert "강좌 1개" in found and "스마트폰 기초" not in found
    assert "유튜브 영상 만들기 1기" in second_half and "스마트폰 기초" not in second_half


def test_staff_change_a_runs_capacity(desk, db, planned_run):
    assert 'value="10"' in page(desk.get(f"/manage/runs/{planned_run.id}"))

    response = desk.post(
        f"/manage/runs/{planned_run.id}",
        data=run_form(
            room_id=planned_run.room_id,
            capacity="12",
            registration_opens_at="2027-08-01T00:00",
            registration_closes_at="2027-08-31T00:00",
        ),
    )

    assert response.status_code == 302
    db.session.refresh(planned_run)
    assert planned_run.capacity == 12
    assert "스마트폰 사진 정리 1기을(를) 저장했습니다." in page(desk.get(path_of(response)))


def test_lowering_capacity_below_the_confirmed_is_refused_on_the_page(
    desk, db, planned_run, make_enrollment
):
    for _ in range(3):
        make_enrollment(planned_run)
    db.session.commit()

    response = desk.post(
        f"/manage/runs/{planned_run.id}",
        data=run_form(room_id=planned_run.room_id, capacity="2"),
    )

    assert response.status_code == 400
    assert "flash-error" in page(response)
    db.session.refresh(planned_run)
    assert planned_run.capacity == 10


def test_cancelling_a_run_asks_for_a_reason_and_a_confirmation(
    desk, db, planned_run, make_enrollment
):
    make_enrollment(planned_run)
    db.session.commit()

    asked = page(desk.get(f"/manage/runs/{planned_run.id}/cancel"))
    assert "신청 1건이 모두 취소되고" in asked
    response = desk.post(f"/manage/runs/{planned_run.id}/cancel", data={"reason": "인원 부족"})
    assert response.status_code == 400
    assert "확인란에 표시해 주세요." in page(response)
    assert not planned_run.is_cancelled


def test_staff_cancel_a_run(desk, db, planned_run, make_enrollment):
    enrollment = make_enrollment(planned_run)
    db.session.commit()

    response = desk.post(
        f"/manage/runs/{planned_run.id}/cancel", data={"reason": "신청 인원 부족", "confirm": "y"}
    )

    assert response.status_code == 302
    assert path_of(response) == "/manage/runs"
    db.session.refresh(planned_run)
    db.session.refresh(enrollment)
    assert planned_run.cancel_reason == "신청 인원 부족"
    assert enrollment.status is EnrollmentStatus.CANCELLED
    assert "폐강했습니다" in page(desk.get("/manage/runs?year=2027"))
    again = desk.get(f"/manage/runs/{planned_run.id}/cancel", follow_redirects=True)
    assert "이미 폐강한 강좌입니다." in page(again)


def test_a_missing_run_is_not_found(desk):
    for url in (
        "/manage/runs/999999",
        "/manage/runs/999999/cancel",
        "/manage/runs/999999/sessions",
    ):
        assert desk.get(url).status_code == 404, url


# Sessions


def test_a_pattern_is_previewed_with_the_skipped_days_before_anything_is_made(
    desk, planned_run, count_rows
):
    response = desk.post(f"/manage/runs/{planned_run.id}/sessions/pattern", data=PATTERN)

    text = page(response)
    assert response.status_code == 200
    assert "만들 수업 2회" in text
    assert "2027-09-21" in text and "2027-09-28" in text
    assert "2027-09-14" in text and "추석" in text
    assert count_rows(Session) == 0


def test_a_confirmed_pattern_makes_the_sessions(desk, db, planned_run):
    response = desk.post(
        f"/manage/runs/{planned_run.id}/sessions/pattern", data={**PATTERN, "confirmed": "1"}
    )

    assert response.status_code == 302
    assert path_of(response) == f"/manage/runs/{planned_run.id}/sessions"
    db.session.refresh(planned_run)
    assert [session.starts_at for session in planned_run.sessions] == [
        seoul("2027-09-21", 10),
        seoul("2027-09-28", 10),
    ]
    text = page(desk.get(path_of(response)))
    assert "수업 2회를 만들었습니다." in text
    assert "2027-09-14" in text


def test_a_pattern_without_weekdays_is_shown_again(desk, planned_run, count_rows):
    response = desk.post(
        f"/manage/runs/{planned_run.id}/sessions/pattern", data={**PATTERN, "weekdays": []}
    )

    assert response.status_code == 400
    assert "요일을 하나 이상 골라 주세요." in page(response)
    assert count_rows(Session) == 0


def test_a_pattern_with_both_count_and_last_date_is_refused(desk, planned_run, count_rows):
    response = desk.post(
        f"/manage/runs/{planned_run.id}/sessions/pattern",
        data={**PATTERN, "last_date": "2027-10-30"},
    )

    assert response.status_code == 400
    assert count_rows(Session) == 0


def test_staff_add_one_session(desk, db, planned_run):
    response = desk.post(
        f"/manage/runs/{planned_run.id}/sessions/add",
        data={"day": "2027-09-30", "start": "14:00", "end": "16:00"},
    )

    assert response.status_code == 302
    db.session.refresh(planned_run)
    assert [(s.starts_at, s.ends_at) for s in planned_run.sessions] == [
        (seoul("2027-09-30", 14), seoul("2027-09-30", 16))
    ]
    assert "수업 하나를 더했습니다." in page(desk.get(path_of(response)))


def test_a_session_in_a_busy_room_is_refused_naming_the_other_run(desk, db, make_run, planned_run):
    other = make_run(title="키오스크 활용", starts_on=date(2027, 9, 30), sessions=1)
    other.room_id = planned_run.room_id
    db.session.commit()

    response = desk.post(
        f"/manage/runs/{planned_run.id}/sessions/add",
        data={"day": "2027-09-30", "start": "10:00", "end": "12:00"},
    )

    assert response.status_code == 409
    assert "키오스크 활용 1기" in page(response)
    db.session.refresh(planned_run)
    assert planned_run.sessions == []


def test_staff_move_a_session(desk, db, make_run):
    run = make_run(starts_on=date(2027, 9, 6), sessions=2)
    db.session.commit()
    session = run.sessions[1]

    form_page = page(desk.get(f"/manage/sessions/{session.id}"))
    assert 'value="2027-09-13"' in form_page
    response = desk.post(
        f"/manage/sessions/{session.id}",
        data={"day": "2027-09-17", "start": "13:00", "end": "15:00"},
    )

    assert response.status_code == 302
    assert path_of(response) == f"/manage/runs/{run.id}/sessions"
    db.session.refresh(session)
    assert session.starts_at == seoul("2027-09-17", 13)
    assert "수업을 옮겼습니다." in page(desk.get(path_of(response)))


def test_staff_remove_a_session(desk, db, make_run, count_rows):
    run = make_run(starts_on=date(2027, 9, 6), sessions=2)
    db.session.commit()

    response = desk.post(f"/manage/sessions/{run.sessions[1].id}/remove")

    assert response.status_code == 302
    assert count_rows(Session) == 1
    assert "수업 하나를 뺐습니다." in page(desk.get(path_of(response)))


def test_a_missing_session_is_not_found(desk):
    assert desk.get("/manage/sessions/999999").status_code == 404
    assert desk.post("/manage/sessions/999999/remove").status_code == 404


# Closure days


def test_staff_add_and_remove_a_closure_day(desk, db, count_rows):
    response = desk.post(
        "/manage/closures", data={"day": "2027-04-15", "venue": "", "reason": "구청 행사"}
    )

    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert (closure.day, closure.venue_id, closure.reason) == (date(2027, 4, 15), None, "구청 행사")
    assert "구청 행사" in page(desk.get("/manage/closures"))

    response = desk.post(f"/manage/closures/{closure.id}/remove")
    assert response.status_code == 302
    assert count_rows(Closure) == 0


def test_a_closure_without_a_reason_is_shown_again(desk, count_rows):
    response = desk.post("/manage/closures", data={"day": "2027-04-15", "venue": ""})

    assert response.status_code == 400
    assert "사유를 적어 주세요." in page(response)
    assert count_rows(Closure) == 0


def test_a_pattern_skips_a_closure_day_with_its_reason(desk, db, planned_run):
    db.session.add(Closure(day=date(2027, 9, 21), venue_id=None, reason="교육장 소독"))
    db.session.commit()

    text = page(desk.post(f"/manage/runs/{planned_run.id}/sessions/pattern", data=PATTERN))

    assert "교육장 소독" in text
    assert "2027-10-05" in text


# Yearly plans


def test_staff_save_a_yearly_plan_per_audience(desk, db):
    response = desk.post(
        "/manage/plans?year=2027",
        data={"staff-year": "2027", "staff-runs": "12", "staff-hours": "87"},
    )

    assert response.status_code == 302
    plan = db.session.scalar(select(Plan))
    assert (plan.year, plan.audience.value, plan.runs, plan.hours) == (2027, "staff", 12, 87)
    text = page(desk.get("/manage/plans?year=2027"))
    assert "2027년 직원 계획을 저장했습니다." in text
    assert 'value="87.0"' in text or 'value="87"' in text


def test_a_plan_with_a_negative_count_is_shown_again(desk, count_rows):
    response = desk.post(
        "/manage/plans",
        data={"resident-year": "2027", "resident-runs": "-1", "resident-hours": "1"},
    )

    assert response.status_code == 400
    assert count_rows(Plan) == 0


# Copying a term


def test_copying_a_term_shows_a_preview_and_makes_nothing(desk, db, make_run, count_rows):
    make_run(title="스마트폰 기초", starts_on=date(2027, 3, 2), sessions=2)
    db.session.commit()
    form = {"source_from": "2027-03-01", "source_to": "2027-03-31", "shift_weeks": "26"}

    response = desk.post("/manage/copy", data=form)

    text = page(response)
    assert response.status_code == 200
    assert "새로 만들 강좌 1개" in text
    assert "스마트폰 기초 2기" in text
    assert count_rows(CourseRun) == 1


def test_staff_copy_a_term(desk, db, make_run, count_rows):
    source = make_run(title="스마트폰 기초", starts_on=date(2027, 3, 2), sessions=2)
    db.session.commit()
    form = {
        "source_from": "2027-03-01",
        "source_to": "2027-03-31",
        "shift_weeks": "26",
        "confirmed": "1",
    }

    response = desk.post("/manage/copy", data=form)

    assert response.status_code == 302
    assert path_of(response) == "/manage/runs"
    copied = db.session.scalar(select(CourseRun).where(CourseRun.id != source.id))
    assert copied.number == 2
    assert copied.starts_on == date(2027, 8, 31)
    assert "강좌 1개를 복사했습니다." in page(desk.get("/manage/runs?year=2027"))
