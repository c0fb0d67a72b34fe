"""The six-digit self check-in code cannot be guessed: wrong codes close a session's self
check-in to the person after a few, tries are rate-limited per person, and wrong codes sent
at the same moment from separate processes are all counted."""

import uuid

import pytest
from processes import run_together
from sqlalchemy import func, select

from training import create_app
from training.audit.models import AuditEntry
from training.catalog.models import Session
from training.checkin.models import Attendance, AttendanceStatus, SelfCheckInFailures
from training.checkin.scans import CheckInError
from training.checkin.selfcheckin import current_step, self_check_in, self_check_in_code
from training.clock import utcnow
from training.extensions import db

MAX_FAILURES = 5


def right_code(session: Session) -> str:
    return self_check_in_code(session, current_step(utcnow()))


def wrong_code(*sessions: Session) -> str:
    """A code that is none of these sessions' codes around now."""
    step = current_step(utcnow())
    valid = {self_check_in_code(s, n) for s in sessions for n in (step - 1, step, step + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def failures_of(person, session: Session) -> int:
    return (
        db.session.scalar(
            select(SelfCheckInFailures.failures).where(
                SelfCheckInFailures.person_id == person.id,
                SelfCheckInFailures.session_id == session.id,
            )
        )
        or 0
    )


def attendances_of(session: Session) -> list[Attendance]:
    return db.session.scalars(select(Attendance).where(Attendance.session_id == session.id)).all()


def lockout_entries(session: Session) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "checkin.self_locked",
            AuditEntry.subject_type == "sessions",
            AuditEntry.subject_id == session.id,
        )
    ).all()


def refusal(person, code: str, session: Session | None = None) -> CheckInError:
    with pytest.raises(CheckInError) as refused:
        self_check_in(person, code, session=session)
    return refused.value


def type_wrong_codes(person, session: Session, times: int) -> list[str]:
    """The refusals' codes for this many wrong codes typed for the session."""
    return [refusal(person, wrong_code(session), session).code for _ in range(times)]


@pytest.fixture
def other_session(make_live_session, instructor, enroll, student) -> Session:
    """A second session today, of another run the student is confirmed in."""
    session = make_live_session(instructor, title="키오스크 연습")
    enroll(session.run, student)
    return session


# The service


def test_fifth_wrong_code_closes_that_sessions_self_check_in(student, live_session):
    codes = type_wrong_codes(student, live_session, MAX_FAILURES)

    assert codes == ["invalid_code"] * (MAX_FAILURES - 1) + ["self_check_in_locked"]
    assert failures_of(student, live_session) == MAX_FAILURES
    assert len(lockout_entries(live_session)) == 1


def test_right_code_is_refused_once_locked(student, live_session):
    type_wrong_codes(student, live_session, MAX_FAILURES)

    refused = refusal(student, right_code(live_session), live_session)

    assert refused.code == "self_check_in_locked"
    assert refused.status == 403
    assert "강사" in refused.message


def test_lockout_leaves_another_sessions_self_check_in_open(student, live_session, other_session):
    type_wrong_codes(student, live_session, MAX_FAILURES)

    outcome = self_check_in(student, right_code(other_session), session=other_session)

    assert outcome.attendance.session_id == other_session.id
    assert failures_of(student, other_session) == 0


def test_wrong_code_without_a_session_counts_against_each_of_todays_sessions(
    student, live_session, other_session
):
    refusal(student, wrong_code(live_session, other_session))

    assert failures_of(student, live_session) == 1
    assert failures_of(student, other_session) == 1


def test_without_a_session_the_right_code_of_a_locked_session_is_refused(
    student, live_session, other_session
):
    type_wrong_codes(student, live_session, MAX_FAILURES)

    refused = refusal(student, right_code(live_session))

    assert refused.code == "self_check_in_locked"
    assert failures_of(student, other_session) == 0


def test_right_code_before_the_lock_checks_in_and_keeps_the_count(student, live_session):
    type_wrong_codes(student, live_session, MAX_FAILURES - 1)

    outcome = self_check_in(student, right_code(live_session), session=live_session)

    assert outcome.result == "present"
    assert failures_of(student, live_session) == MAX_FAILURES - 1
    assert type_wrong_codes(student, live_session, 1) == ["self_check_in_locked"]


def test_locked_out_tries_are_not_audited_again(student, live_session):
    type_wrong_codes(student, live_session, MAX_FAILURES + 2)

    assert len(lockout_entries(live_session)) == 1


def test_max_failures_comes_from_the_config(app, student, live_session):
    app.config["SELF_CHECKIN_MAX_FAILURES"] = 2

    assert type_wrong_codes(student, live_session, 2) == ["invalid_code", "self_check_in_locked"]


# The page


def post_code(client, session: Session, code: str):
    return client.post("/checkin/self", data={"session": str(session.id), "code": code})


def test_wrong_codes_are_kept_though_the_check_in_is_refused(login, student, live_session):
    client = login(student)

    post_code(client, live_session, wrong_code(live_session))
    post_code(client, live_session, wrong_code(live_session))

    db.session.expire_all()
    assert failures_of(student, live_session) == 2


def test_locked_person_is_sent_to_the_instructor(login, student, live_session):
    client = login(student)
    for _ in range(MAX_FAILURES):
        post_code(client, live_session, wrong_code(live_session))

    response = post_code(client, live_session, right_code(live_session))

    page = response.get_data(as_text=True)
    assert "휴대전화로 출석할 수 없습니다" in page
    assert "강사에게 출석을 확인해 달라고" in page
    db.session.expire_all()
    assert len(lockout_entries(live_session)) == 1
    assert attendances_of(live_session) == []


def test_instructor_checks_in_a_locked_person_by_name(
    login, instructor, student, enrollment, live_session
):
    client = login(student)
    for _ in range(MAX_FAILURES):
        post_code(client, live_session, wrong_code(live_session))

    response = login(instructor).post(
        f"/checkin/sessions/{live_session.id}/manual", json={"enrollment_id": enrollment.id}
    )

    assert response.status_code == 201
    db.session.expire_all()
    [attendance] = attendances_of(live_session)
    assert attendance.status is AttendanceStatus.PRESENT


def test_door_screen_shows_who_is_locked_out(
    login, instructor, student, live_session, enroll, make_person
):
    enroll(live_session.run, make_person(name="최정상"))
    type_wrong_codes(student, live_session, MAX_FAILURES)
    db.session.commit()

    page = login(instructor).get(f"/checkin/sessions/{live_session.id}").get_data(as_text=True)

    assert page.count("자가 출석 막힘") == 1


# The rate limit, per person


@pytest.fixture
def limited_app(app, database_url):
    """An application of the test's own with rate limits on, three self check-in tries a
    minute."""
    limited = create_app(
        {
            "TESTING": True,
            "RATELIMIT": True,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": f"self-checkin-{uuid.uuid4().hex}",
            "RATELIMIT_SELF_CHECKIN": "3 per minute",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def logged_in(app, phone: str):
    client = app.test_client()
    response = client.post("/login", data={"phone": phone, "password": "password123"})
    assert response.status_code == 302
    return client


@pytest.mark.real_commits
def test_fourth_try_in_a_minute_is_refused_for_that_person_only(
    limited_app, live_session, enroll, make_person
):
    first, second = make_person(name="박첫째"), make_person(name="김둘째")
    enroll(live_session.run, first)
    enroll(live_session.run, second)
    db.session.commit()
    session_id, code, phones = (
        live_session.id,
        wrong_code(live_session),
        (first.phone, second.phone),
    )
    # This test's own session must hold no lock while the other application writes.
    db.session.close()
    tries = {"session": str(session_id), "code": code}
    # Both from the same address: the limit is the person's, not the address's.
    first_client, second_client = (logged_in(limited_app, phone) for phone in phones)
    for attempt in range(3):
        assert first_client.post("/checkin/self", data=tries).status_code == 200, attempt

    limited = first_client.post("/checkin/self", data=tries)

    assert limited.status_code == 429
    assert "요청이 너무 많습니다" in limited.get_data(as_text=True)
    assert second_client.post("/checkin/self", data=tries).status_code == 200
    again = logged_in(limited_app, phones[0])
    assert again.post("/checkin/self", data=tries).status_code == 429
    assert limited_app.test_client().post("/checkin/self", data=tries).status_code == 302


# Wrong codes at the same moment


def _type_wrong_code(app, item):
    """Type a wrong code as the self check-in page does, committing the refused try's count;
    answers the refusal's code."""
    from training.accounts.models import Person
    from training.checkin.selfcheckin import SelfCheckInRefused

    person_id, session_id, code = item
    with app.app_context():
        person = db.session.get(Person, person_id)
        try:
            self_check_in(person, code, session=db.session.get(Session, session_id))
        except SelfCheckInRefused as refused:
            db.session.commit()
            return refused.code
        return "checked_in"


@pytest.mark.real_commits
def test_wrong_codes_at_the_same_moment_are_all_counted(app, database_url, student, live_session):
    item = (student.id, live_session.id, wrong_code(live_session))
    student_id, session_id = student.id, live_session.id

    answers = run_together(
        _type_wrong_code, database_url, app.instance_path, [[item]] * MAX_FAILURES
    )

    assert sorted(answers) == ["invalid_code"] * (MAX_FAILURES - 1) + ["self_check_in_locked"]
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.sum(SelfCheckInFailures.failures)).where(
                SelfCheckInFailures.person_id == student_id,
                SelfCheckInFailures.session_id == session_id,
            )
        )
        == MAX_FAILURES
    )
    assert len(lockout_entries(db.session.get(Session, session_id))) == 1
