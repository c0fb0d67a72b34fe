"""The check-in rules called directly: window and lateness, idempotent scans, passes, manual
marks, closing, the no-show rule, walk-ins, self check-in and who runs which session.

Times are built around the fixture run's first session (Monday 2026-03-16, 10:00-12:00 in
Seoul); the defaults apply: the door opens 30 minutes before the start, a check-in more than
10 minutes after the start is late, and closing the first session bars no-shows for 60 days."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.catalog.models import Session
from training.checkin.closing import close_session
from training.checkin.models import Attendance, AttendanceStatus, CheckInMethod
from training.checkin.noshow import lift_bar
from training.checkin.rosters import can_run_session, sessions_today_for
from training.checkin.scans import (
    CheckInError,
    add_walk_in,
    check_in_by_pass,
    check_in_window,
    mark_attendance,
    person_for_pass,
    record_check_in,
    status_at,
)
from training.checkin.selfcheckin import current_step, self_check_in, self_check_in_code
from training.clock import to_seoul
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import EnrollmentError, enroll_person
from training.errors import RuleError
from training.extensions import db
from training.notifications.models import Notification
from training.passes.tokens import make_pass_token, pass_token_for, reissue_pass

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def scan(session, person, actor, now, scanned_at=None):
    return record_check_in(
        session, person, actor=actor, method=CheckInMethod.SCANNER, now=now, scanned_at=scanned_at
    )


def refusal_code(call, *args, **kwargs) -> str:
    with pytest.raises(CheckInError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def attendances_of(session) -> list[Attendance]:
    db.session.expire_all()
    return db.session.scalars(select(Attendance).where(Attendance.session_id == session.id)).all()


def audit_entries(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def student(run, enroll):
    """A person confirmed in the run."""
    return enroll(run).person


@pytest.fixture
def start(first_session):
    return first_session.starts_at


@pytest.fixture
def end(first_session):
    return first_session.ends_at


# The window and lateness


def test_window_opens_thirty_minutes_before_start_and_closes_at_end(first_session, start, end):
    assert check_in_window(first_session) == (start - 30 * MINUTE, end)


def test_check_in_as_the_window_opens_is_accepted(first_session, student, instructor, start):
    outcome = scan(first_session, student, instructor, now=start - 30 * MINUTE)

    assert outcome.result == "present"


def test_check_in_a_second_before_the_window_opens_is_outside_window(
    first_session, student, instructor, start
):
    code = refusal_code(scan, first_session, student, instructor, now=start - 30 * MINUTE - SECOND)

    assert code == "outside_window"
    assert attendances_of(first_session) == []


def test_check_in_at_the_end_of_the_session_is_accepted(first_session, student, instructor, end):
    outcome = scan(first_session, student, instructor, now=end)

    assert outcome.result == "late"


def test_check_in_a_second_after_the_end_is_outside_window(first_session, student, instructor, end):
    code = refusal_code(scan, first_session, student, instructor, now=end + SECOND)

    assert code == "outside_window"


def test_ten_minutes_after_start_is_still_present(first_session, start):
    assert status_at(first_session, start + 10 * MINUTE) is AttendanceStatus.PRESENT


def test_a_second_past_ten_minutes_after_start_is_late(first_session, start):
    assert status_at(first_session, start + 10 * MINUTE + SECOND) is AttendanceStatus.LATE


# Recording a scan


def test_first_scan_records_present_and_says_it_was_created(
    first_session, student, instructor, start
):
    outcome = scan(first_session, student, instructor, now=start - 5 * MINUTE)

    assert (outcome.result, outcome.created, outcome.person) == ("present", True, student)
    [attendance] = attendances_of(first_session)
    assert attendance.status is AttendanceStatus.PRESENT
    assert attendance.checked_in_at == start - 5 * MINUTE
    assert attendance.recorded_by_id == instructor.id
    assert attendance.method is CheckInMethod.SCANNER


def test_first_scan_after_the_grace_period_records_late(first_session, student, instructor, start):
    outcome = scan(first_session, student, instructor, now=start + 25 * MINUTE)

    assert (outcome.result, outcome.created) == ("late", True)
    [attendance] = attendances_of(first_session)
    assert attendance.status is AttendanceStatus.LATE


def test_second_scan_answers_already_and_keeps_the_first_time(
    first_session, student, instructor, start
):
    scan(first_session, student, instructor, now=start - 5 * MINUTE)

    again = scan(first_session, student, instructor, now=start + 20 * MINUTE)

    assert (again.result, again.created) == ("already", False)
    [attendance] = attendances_of(first_session)
    assert attendance.checked_in_at == start - 5 * MINUTE
    assert attendance.status is AttendanceStatus.PRESENT


def test_scan_time_beyond_the_clock_skew_in_the_future_is_outside_window(
    first_session, student, instructor, start
):
    code = refusal_code(
        scan, first_session, student, instructor, now=start, scanned_at=start + 121 * SECOND
    )

    assert code == "outside_window"


def test_scan_time_within_the_clock_skew_is_accepted(first_session, student, instructor, start):
    outcome = scan(first_session, student, instructor, now=start, scanned_at=start + 120 * SECOND)

    assert outcome.result == "present"


def test_offline_scan_time_decides_lateness(first_session, student, instructor, start):
    outcome = scan(
        first_session, student, instructor, now=start + 40 * MINUTE, scanned_at=start + 2 * MINUTE
    )

    assert outcome.result == "present"
    [attendance] = attendances_of(first_session)
    assert attendance.checked_in_at == start + 2 * MINUTE
    assert attendance.recorded_at == start + 40 * MINUTE


def test_offline_scan_sent_after_the_session_ended_is_accepted(
    first_session, student, instructor, start, end
):
    outcome = scan(first_session, student, instructor, now=end + 30 * MINUTE, scanned_at=start)

    assert outcome.result == "present"


def test_offline_scan_made_before_the_window_is_outside_window(
    first_session, student, instructor, start
):
    code = refusal_code(
        scan, first_session, student, instructor, now=start, scanned_at=start - 31 * MINUTE
    )

    assert code == "outside_window"


def test_person_without_enrollment_is_not_enrolled(first_session, make_person, instructor, start):
    stranger = make_person()

    code = refusal_code(scan, first_session, stranger, instructor, now=start)

    assert code == "not_enrolled"
    assert attendances_of(first_session) == []


@pytest.mark.parametrize(
    "status",
    [EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELLED, EnrollmentStatus.APPLIED],
    ids=lambda status: status.value,
)
def test_person_not_confirmed_is_not_enrolled(
    first_session, run, enroll, instructor, start, status
):
    person = enroll(run, status=status).person

    code = refusal_code(scan, first_session, person, instructor, now=start)

    assert code == "not_enrolled"


def test_person_enrolled_in_another_run_is_not_enrolled(
    first_session, make_run, enroll, instructor, start
):
    person = enroll(make_run(title="키오스크 연습")).person

    code = refusal_code(scan, first_session, person, instructor, now=start)

    assert code == "not_enrolled"


# Passes


def test_current_pass_names_its_holder(student):
    assert person_for_pass(pass_token_for(student)) == student


def test_check_in_by_pass_checks_in_the_holder(first_session, student, instructor, start):
    outcome = check_in_by_pass(
        first_session,
        pass_token_for(student),
        actor=instructor,
        method=CheckInMethod.CAMERA,
        now=start,
    )

    assert (outcome.result, outcome.person) == ("present", student)


def test_pass_of_an_older_version_after_reissue_is_revoked(student, staff_member):
    old_token = pass_token_for(student)
    reissue_pass(student, actor=staff_member)

    with pytest.raises(CheckInError) as caught:
        person_for_pass(old_token)

    assert (caught.value.code, caught.value.status) == ("revoked_pass", 403)


def test_reissued_pass_is_accepted(student, staff_member):
    reissue_pass(student, actor=staff_member)

    assert person_for_pass(pass_token_for(student)) == student


def test_pass_of_a_version_not_yet_issued_is_invalid(app, student):
    token = make_pass_token(student.id, student.pass_version + 1, app.config["SECRET_KEY"])

    assert refusal_code(person_for_pass, token) == "invalid_pass"


def test_pass_of_a_person_who_does_not_exist_is_invalid(app):
    token = make_pass_token(999_999, 1, app.config["SECRET_KEY"])

    assert refusal_code(person_for_pass, token) == "invalid_pass"


def _with_char_changed(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda token: token[:-1], id="truncated"),
        pytest.param(lambda token: token[:10], id="cut-in-half"),
        pytest.param(lambda token: _with_char_changed(token, 6), id="person-changed"),
        pytest.param(lambda token: _with_char_changed(token, len(token) - 2), id="mac-changed"),
        pytest.param(lambda token: token + "A", id="too-long"),
        pytest.param(lambda token: "YDP2" + token[4:], id="wrong-prefix"),
        pytest.param(lambda token: "hello world", id="garbage"),
        pytest.param(lambda token: "", id="empty"),
        pytest.param(lambda token: "https://example.com/" + token, id="url"),
    ],
)
def test_spoiled_pass_is_invalid(student, spoil):
    token = spoil(pass_token_for(student))

    with pytest.raises(CheckInError) as caught:
        person_for_pass(token)

    assert (caught.value.code, caught.value.status) == ("invalid_pass", 400)


def test_pass_signed_with_another_secret_is_invalid(student):
    token = make_pass_token(student.id, student.pass_version, "another-secret")

    assert refusal_code(person_for_pass, token) == "invalid_pass"


def test_pass_of_an_inactive_person_is_revoked(student):
    student.is_active = False
    db.session.flush()

    assert refusal_code(person_for_pass, pass_token_for(student)) == "revoked_pass"


# Changes after the fact


def test_scan_after_closing_turns_absent_into_present(first_session, student, instructor, start):
    close_session(first_session, actor=instructor, now=start + 15 * MINUTE)

    outcome = scan(
        first_session, student, instructor, now=start + 20 * MINUTE, scanned_at=start + 2 * MINUTE
    )

    assert outcome.result == "present"
    [attendance] = attendances_of(first_session)
    assert attendance.status is AttendanceStatus.PRESENT
    assert attendance.checked_in_at == start + 2 * MINUTE


def test_scan_after_closing_turns_absent_into_late(first_session, student, instructor, start):
    close_session(first_session, actor=instructor, now=start + 15 * MINUTE)

    outcome = scan(first_session, student, instructor, now=start + 20 * MINUTE)

    assert outcome.result == "late"
    [attendance] = attendances_of(first_session)
    assert attendance.status is AttendanceStatus.LATE


def test_scan_after_closing_is_audited_with_before_and_after(
    first_session, student, instructor, start
):
    close_session(first_session, actor=instructor, now=start + 15 * MINUTE)

    scan(first_session, student, instructor, now=start + 20 * MINUTE)

    [entry] = audit_entries("attendance.change")
    assert entry.actor_id == instructor.id
    assert (entry.detail["before"], entry.detail["after"]) == ("absent", "late")


def test_offline_scan_sent_after_closing_lifts_the_no_show_bar(
    first_session, student, instructor, start
):
    close_session(first_session, actor=instructor, now=start + 15 * MINUTE)

    scan(first_session, student, instructor, now=start + 20 * MINUTE, scanned_at=start)

    db.session.refresh(student)
    assert student.barred_until is None


def test_excused_without_reason_is_refused(first_session, run, enroll, instructor, start):
    enrollment = enroll(run)

    code = refusal_code(
        mark_attendance,
        first_session,
        enrollment,
        AttendanceStatus.EXCUSED,
        actor=instructor,
        reason="  ",
        now=start,
    )

    assert code == "reason_required"
    assert attendances_of(first_session) == []


def test_excused_with_reason_records_the_note(first_session, run, enroll, instructor, start):
    enrollment = enroll(run)

    mark_attendance(
        first_session,
        enrollment,
        AttendanceStatus.EXCUSED,
        actor=instructor,
        reason="병원 진료",
        now=start,
    )

    [attendance] = attendances_of(first_session)
    assert attendance.status is AttendanceStatus.EXCUSED
    assert attendance.note == "병원 진료"
    assert attendance.recorded_by_id == instructor.id


def test_manual_mark_is_audited_with_before_and_after(
    first_session, run, enroll, instructor, start
):
    enrollment = enroll(run)
    scan(first_session, enrollment.person, instructor, now=start)

    mark_attendance(
        first_session,
        enrollment,
        AttendanceStatus.EXCUSED,
        actor=instructor,
        reason="병원 진료",
        now=start + 30 * MINUTE,
    )

    [entry] = audit_entries("attendance.change")
    assert entry.actor_id == instructor.id
    assert entry.detail["before"] == "present"
    assert entry.detail["after"] == "excused"
    assert entry.detail["reason"] == "병원 진료"


def test_manual_check_in_is_audited(first_session, student, instructor, start):
    record_check_in(
        first_session, student, actor=instructor, method=CheckInMethod.MANUAL, now=start
    )

    [entry] = audit_entries("attendance.change")
    assert entry.actor_id == instructor.id
    assert (entry.detail["before"], entry.detail["after"]) == (None, "present")


def test_excusing_an_absence_after_closing_lifts_the_no_show_bar(
    first_session, run, enroll, instructor, end
):
    enrollment = enroll(run)
    close_session(first_session, actor=instructor, now=end)

    mark_attendance(
        first_session,
        enrollment,
        AttendanceStatus.EXCUSED,
        actor=instructor,
        reason="병원 진료",
        now=end + MINUTE,
    )

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until is None


# Closing a session


def test_closing_marks_everyone_not_checked_in_absent(
    first_session, run, enroll, instructor, start, end
):
    came = enroll(run)
    missing = [enroll(run), enroll(run)]
    scan(first_session, came.person, instructor, now=start)

    absent = close_session(first_session, actor=instructor, now=end)

    assert absent == 2
    marks = {a.enrollment_id: a for a in attendances_of(first_session)}
    assert marks[came.id].status is AttendanceStatus.PRESENT
    for enrollment in missing:
        assert marks[enrollment.id].status is AttendanceStatus.ABSENT
        assert marks[enrollment.id].method is CheckInMethod.CLOSING


def test_closing_marks_only_confirmed_people(first_session, run, enroll, instructor, end):
    enroll(run, status=EnrollmentStatus.WAITLISTED)
    enroll(run, status=EnrollmentStatus.CANCELLED)

    absent = close_session(first_session, actor=instructor, now=end)

    assert absent == 0
    assert attendances_of(first_session) == []


def test_closing_records_when_and_by_whom(first_session, instructor, end):
    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(first_session)
    assert first_session.closed_at == end
    assert first_session.closed_by_id == instructor.id


def test_closing_twice_is_refused(first_session, instructor, end):
    close_session(first_session, actor=instructor, now=end)

    code = refusal_code(close_session, first_session, actor=instructor, now=end + MINUTE)

    assert code == "already_closed"


# The no-show rule


def test_closing_the_first_session_bars_absentees_for_sixty_days(
    first_session, student, instructor, end
):
    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(student)
    assert student.barred_until == end + timedelta(days=60)
    assert first_session.run.title in student.barred_reason


def test_no_show_bar_queues_a_notification(first_session, student, instructor, end):
    close_session(first_session, actor=instructor, now=end)

    [note] = db.session.scalars(select(Notification).where(Notification.person_id == student.id))
    assert note.kind == "no_show"
    assert "첫 수업에 연락 없이 나오지 않아" in note.message
    assert f"{to_seoul(student.barred_until).day}일" in note.message


def test_no_show_bar_is_audited(first_session, student, instructor, end):
    close_session(first_session, actor=instructor, now=end)

    [entry] = audit_entries("person.bar")
    assert (entry.subject_type, entry.subject_id) == ("people", student.id)


def test_closing_the_first_session_does_not_bar_people_who_came(
    first_session, student, instructor, start, end
):
    scan(first_session, student, instructor, now=start + 20 * MINUTE)

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(student)
    assert student.barred_until is None


def test_closing_the_first_session_does_not_bar_the_excused(
    first_session, run, enroll, instructor, start, end
):
    enrollment = enroll(run)
    mark_attendance(
        first_session,
        enrollment,
        AttendanceStatus.EXCUSED,
        actor=instructor,
        reason="입원",
        now=start,
    )

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until is None


def test_closing_the_first_session_bars_someone_marked_absent_by_hand(
    first_session, run, enroll, instructor, start, end
):
    enrollment = enroll(run)
    mark_attendance(first_session, enrollment, AttendanceStatus.ABSENT, actor=instructor, now=start)

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until == end + timedelta(days=60)


def _cancelled(enroll, run, start, cancelled_before, cancelled_by=None):
    """An enrollment confirmed long ago and cancelled `cancelled_before` the first session."""
    enrollment = enroll(
        run,
        status=EnrollmentStatus.CANCELLED,
        confirmed_at=start - timedelta(days=20),
        cancelled_at=start - cancelled_before,
    )
    enrollment.cancelled_by_id = (cancelled_by or enrollment.person).id
    db.session.flush()
    return enrollment


def test_closing_the_first_session_bars_a_self_cancellation_a_day_ahead(
    first_session, run, enroll, instructor, start, end
):
    enrollment = _cancelled(enroll, run, start, timedelta(days=1))

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until == end + timedelta(days=60)


def test_cancelling_three_days_ahead_is_not_barred(
    first_session, run, enroll, instructor, start, end
):
    enrollment = _cancelled(enroll, run, start, timedelta(days=3))

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until is None


def test_cancelling_exactly_two_days_ahead_is_not_barred(
    first_session, run, enroll, instructor, start, end
):
    enrollment = _cancelled(enroll, run, start, timedelta(days=2))

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until is None


def test_self_cancellation_after_the_first_session_began_is_barred(
    first_session, run, enroll, instructor, start, end
):
    # Missed the first session and cancelled while it was on: absent without cancelling ahead.
    enrollment = _cancelled(enroll, run, start, -30 * MINUTE)

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until == end + timedelta(days=60)


def test_late_cancellation_by_staff_is_not_barred(
    first_session, run, enroll, instructor, staff_member, start, end
):
    enrollment = _cancelled(enroll, run, start, timedelta(hours=5), cancelled_by=staff_member)

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(enrollment.person)
    assert enrollment.person.barred_until is None


def test_closing_a_later_session_bars_nobody(run, student, instructor):
    second = run.sessions[1]

    close_session(second, actor=instructor, now=second.ends_at)

    db.session.refresh(student)
    assert student.barred_until is None
    assert audit_entries("person.bar") == []


def test_no_show_rule_switched_off_bars_nobody(app, first_session, student, instructor, end):
    app.config["NO_SHOW_RULE"] = False

    close_session(first_session, actor=instructor, now=end)

    db.session.refresh(student)
    assert student.barred_until is None


@pytest.fixture
def next_run(make_run, end):
    """A later run whose registration is open when the first session has ended."""
    return make_run(
        title="키오스크 연습",
        starts_on=date(2026, 4, 13),
        opens_at=end - timedelta(days=1),
        closes_at=end + timedelta(days=7),
    )


def test_barred_person_cannot_enroll(first_session, student, instructor, end, next_run):
    close_session(first_session, actor=instructor, now=end)

    with pytest.raises(EnrollmentError) as caught:
        enroll_person(next_run, student, now=end + timedelta(days=1))

    assert caught.value.code == "barred"


def test_lifting_the_bar_lets_the_person_enroll_again(
    first_session, student, instructor, staff_member, end, next_run
):
    close_session(first_session, actor=instructor, now=end)

    lift_bar(student, actor=staff_member)

    enrollment = enroll_person(next_run, student, now=end + timedelta(days=1))
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert (student.barred_until, student.barred_reason) == (None, None)


def test_lifting_the_bar_is_audited(first_session, student, instructor, staff_member, end):
    close_session(first_session, actor=instructor, now=end)

    lift_bar(student, actor=staff_member)

    [entry] = audit_entries("person.unbar")
    assert entry.actor_id == staff_member.id
    assert entry.subject_id == student.id


# Walk-ins


def enrollments_in(run, person) -> list[Enrollment]:
    return db.session.scalars(
        select(Enrollment).where(Enrollment.run_id == run.id, Enrollment.person_id == person.id)
    ).all()


def test_walk_in_enrolls_at_the_desk_and_checks_in(
    first_session, run, make_person, staff_member, start
):
    person = make_person()

    outcome = add_walk_in(first_session, person, actor=staff_member, now=start)

    assert (outcome.result, outcome.created) == ("present", True)
    [enrollment] = enrollments_in(run, person)
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.channel is Channel.DESK
    assert outcome.attendance.enrollment_id == enrollment.id


def test_walk_in_is_refused_when_the_run_is_full(
    first_session, run, enroll, make_person, staff_member, start
):
    run.capacity = 1
    enroll(run)
    person = make_person()

    code = refusal_code(add_walk_in, first_session, person, actor=staff_member, now=start)

    assert code == "run_full"
    assert enrollments_in(run, person) == []


def test_walk_in_promotes_a_waitlisted_person_instead_of_enrolling_twice(
    first_session, run, enroll, staff_member, start
):
    waiting = enroll(run, status=EnrollmentStatus.WAITLISTED)

    outcome = add_walk_in(first_session, waiting.person, actor=staff_member, now=start)

    assert outcome.result == "present"
    [enrollment] = enrollments_in(run, waiting.person)
    assert enrollment.id == waiting.id
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.waitlist_position is None


def walk_in_refusal(session, person, **kwargs) -> str:
    with pytest.raises(RuleError) as caught:
        add_walk_in(session, person, **kwargs)
    return caught.value.code


def test_walk_in_of_a_barred_person_is_refused(
    first_session, run, make_person, staff_member, start
):
    person = make_person()
    person.barred_until = start + timedelta(days=30)

    code = walk_in_refusal(first_session, person, actor=staff_member, now=start)

    assert code == "barred"
    assert enrollments_in(run, person) == []


def test_walk_in_of_someone_the_course_is_not_for_is_refused(
    first_session, run, make_person, staff_member, start
):
    colleague = make_person(role=Role.STAFF)

    code = walk_in_refusal(first_session, colleague, actor=staff_member, now=start)

    assert code == "not_eligible"
    assert enrollments_in(run, colleague) == []


def test_walk_in_beyond_the_active_limit_is_refused(
    app, first_session, run, make_run, enroll, make_person, staff_member, start
):
    app.config["MAX_ACTIVE_ENROLLMENTS"] = 1
    person = make_person()
    enroll(make_run(session_hour=14), person)

    code = walk_in_refusal(first_session, person, actor=staff_member, now=start)

    assert code == "too_many_enrollments"


def test_walk_in_of_a_person_confirmed_at_the_same_hours_is_refused(
    first_session, run, make_run, enroll, make_person, staff_member, start
):
    person = make_person()
    enroll(make_run(), person)  # the same days and hours

    code = walk_in_refusal(first_session, person, actor=staff_member, now=start)

    assert code == "schedule_conflict"
    assert enrollments_in(run, person) == []


def test_staff_reason_lets_a_refused_walk_in_through_and_is_recorded(
    first_session, run, make_person, staff_member, start
):
    person = make_person()
    person.barred_until = start + timedelta(days=30)

    outcome = add_walk_in(
        first_session,
        person,
        actor=staff_member,
        override_reason="사정을 듣고 담당자가 허용",
        now=start,
    )

    assert outcome.result == "present"
    [enrollment] = enrollments_in(run, person)
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    [entry] = audit_entries("enrollment.rule_override")
    assert (entry.actor_id, entry.subject_id) == (staff_member.id, enrollment.id)
    assert entry.detail["codes"] == ["barred"]
    assert entry.detail["reason"] == "사정을 듣고 담당자가 허용"


def test_an_instructor_cannot_override_a_refused_walk_in(
    first_session, run, make_person, instructor, start
):
    person = make_person()
    person.barred_until = start + timedelta(days=30)

    code = walk_in_refusal(
        first_session, person, actor=instructor, override_reason="괜찮겠지", now=start
    )

    assert code == "override_not_allowed"
    assert enrollments_in(run, person) == []


def test_a_reason_does_not_make_room_at_the_door(
    first_session, run, enroll, make_person, staff_member, start
):
    run.capacity = 1
    enroll(run)

    code = walk_in_refusal(
        first_session, make_person(), actor=staff_member, override_reason="자리 추가", now=start
    )

    assert code == "run_full"


# Self check-in


def test_self_check_in_with_the_current_code(first_session, student, start):
    code = self_check_in_code(first_session, current_step(start))

    outcome = self_check_in(student, code, session=first_session, now=start)

    assert (outcome.result, outcome.person) == ("present", student)
    assert outcome.attendance.method is CheckInMethod.SELF


def test_self_check_in_with_the_previous_steps_code(first_session, student, start):
    code = self_check_in_code(first_session, current_step(start) - 1)

    outcome = self_check_in(student, code, session=first_session, now=start)

    assert outcome.result == "present"


def test_self_check_in_with_a_code_two_steps_old_is_refused(first_session, student, start):
    code = self_check_in_code(first_session, current_step(start) - 2)

    assert refusal_code(self_check_in, student, code, session=first_session, now=start) == (
        "invalid_code"
    )
    assert attendances_of(first_session) == []


def test_self_check_in_with_another_sessions_code_is_refused(
    first_session, make_live_session, student, start
):
    elsewhere = make_live_session(None, title="키오스크 연습")
    code = self_check_in_code(elsewhere, current_step(start))

    assert refusal_code(self_check_in, student, code, session=first_session, now=start) == (
        "invalid_code"
    )


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", "", "１２３４５６", "12 34 5"])
def test_self_check_in_refuses_anything_but_six_digits(first_session, student, start, typed):
    assert refusal_code(self_check_in, student, typed, session=first_session, now=start) == (
        "invalid_code"
    )


def test_self_check_in_checks_in_only_the_caller(first_session, run, enroll, start):
    caller = enroll(run)
    enroll(run)  # a neighbour in the same class, who must stay unmarked
    code = self_check_in_code(first_session, current_step(start))

    self_check_in(caller.person, code, session=first_session, now=start)

    [attendance] = attendances_of(first_session)
    assert attendance.enrollment_id == caller.id
    assert attendance.recorded_by_id == caller.person_id


def test_self_check_in_by_someone_not_enrolled_is_refused(first_session, make_person, start):
    code = self_check_in_code(first_session, current_step(start))

    assert refusal_code(self_check_in, make_person(), code, session=first_session, now=start) == (
        "not_enrolled"
    )
    assert attendances_of(first_session) == []


def test_self_check_in_without_a_session_finds_todays(first_session, student, start):
    code = self_check_in_code(first_session, current_step(start))

    outcome = self_check_in(student, code, now=start)

    assert outcome.attendance.session_id == first_session.id


# Who runs which session, and what is on today


def test_instructor_sees_only_own_sessions_today(
    make_run, run, first_session, instructor, other_instructor, start
):
    theirs = make_run(title="키오스크 연습")
    theirs.instructor_id = other_instructor.id
    db.session.flush()

    assert sessions_today_for(instructor, now=start) == [first_session]


def test_staff_see_every_session_today(make_run, run, first_session, staff_member, start):
    other = make_run(title="키오스크 연습", session_hour=14)

    assert sessions_today_for(staff_member, now=start) == [first_session, other.sessions[0]]


def test_today_is_the_seoul_day(run, first_session, instructor, start):
    # 00:30-02:30 in Seoul on the day is still the day before in UTC; 08:00 the next day in
    # Seoul is still the day itself in UTC.
    early = Session(
        run_id=run.id,
        starts_at=datetime(2026, 3, 15, 15, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 15, 17, 30, tzinfo=UTC),
    )
    next_morning = Session(
        run_id=run.id,
        starts_at=datetime(2026, 3, 16, 23, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 17, 0, 0, tzinfo=UTC),
    )
    db.session.add_all([early, next_morning])
    db.session.flush()

    assert sessions_today_for(instructor, now=start) == [early, first_session]


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_staff_can_run_any_session(first_session, make_person, role):
    assert can_run_session(make_person(role=role), first_session)


def test_instructor_can_run_own_session(first_session, instructor):
    assert can_run_session(instructor, first_session)


def test_instructor_cannot_run_another_instructors_session(first_session, other_instructor):
    assert not can_run_session(other_instructor, first_session)


def test_resident_cannot_run_a_session(first_session, student):
    assert not can_run_session(student, first_session)
