"""Completion of runs, staff decisions and certificate serials, called as services."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.audit.models import AuditEntry
from training.certificates.models import Certificate
from training.certificates.services import (
    CertificateError,
    complete_run,
    decide_completion,
    find_certificate,
    format_serial,
    issue_certificate,
    reissue_certificate,
    revoke_certificate,
)
from training.checkin.models import Attendance, AttendanceStatus
from training.enrollment.models import CompletionOverride, EnrollmentStatus

PRESENT = AttendanceStatus.PRESENT
ABSENT = AttendanceStatus.ABSENT
EXCUSED = AttendanceStatus.EXCUSED
LATE = AttendanceStatus.LATE

# A ten-week run from 2 March 2022 ends on 4 May 2022; its last class is 10:00-12:00 in Seoul.
RUN_START = date(2022, 3, 2)
AFTER_LAST_CLASS = datetime(2022, 5, 4, 4, 0, tzinfo=UTC)  # 13:00 in Seoul, the last day
EVENING_BEFORE_LAST_DAY = datetime(2022, 5, 3, 14, 0, tzinfo=UTC)  # 23:00 in Seoul
COMPLETED = datetime(2022, 5, 4, 6, 0, tzinfo=UTC)
ISSUED = datetime(2022, 5, 10, 1, 0, tzinfo=UTC)


@pytest.fixture
def ten_week_run(db, make_run):
    """A run of ten weekly sessions from RUN_START, with the given completion settings."""

    def make(**settings):
        run = make_run(starts_on=RUN_START, sessions=10, capacity=30)
        for name, value in settings.items():
            setattr(run, name, value)
        db.session.flush()
        return run

    return make


@pytest.fixture
def trainee(db, make_enrollment):
    """A confirmed enrollment in the run with one mark per session, in session order."""

    def make(run, statuses, **columns):
        enrollment = make_enrollment(run, **columns)
        for session, status in zip(run.sessions, statuses, strict=False):
            came = status in (PRESENT, LATE)
            db.session.add(
                Attendance(
                    session_id=session.id,
                    enrollment_id=enrollment.id,
                    status=status,
                    checked_in_at=session.starts_at if came else None,
                )
            )
        db.session.flush()
        return enrollment

    return make


@pytest.fixture
def completed(make_run, make_enrollment):
    """A completed enrollment in a run that starts on the given day (three weekly sessions)."""

    def make(starts_on: date = RUN_START, run=None):
        run = run or make_run(starts_on=starts_on)
        return make_enrollment(run, completed_at=COMPLETED)

    return make


def issue(enrollment):
    return issue_certificate(enrollment, actor=None, now=ISSUED)


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(CertificateError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def audit_entries(db, action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# complete_run


def test_complete_run_refuses_before_the_last_day(ten_week_run, trainee):
    run = ten_week_run()
    enrollment = trainee(run, [PRESENT] * 10)

    assert refusal(complete_run, run, now=EVENING_BEFORE_LAST_DAY) == "run_not_ended"
    assert enrollment.completed_at is None


def test_complete_run_completes_those_meeting_the_rule(ten_week_run, trainee):
    run = ten_week_run()
    meets = trainee(run, [PRESENT] * 8 + [ABSENT] * 2)
    falls_short = trainee(run, [PRESENT] * 7 + [ABSENT] * 3)

    assert complete_run(run, now=AFTER_LAST_CLASS) == 1

    assert meets.completed_at == AFTER_LAST_CLASS
    assert falls_short.completed_at is None


def test_complete_run_clears_completion_no_longer_met(ten_week_run, trainee):
    run = ten_week_run()
    corrected = trainee(run, [PRESENT] * 7 + [ABSENT] * 3, completed_at=COMPLETED)

    assert complete_run(run, now=AFTER_LAST_CLASS) == 0

    assert corrected.completed_at is None


def test_complete_run_again_keeps_the_first_completion_date(ten_week_run, trainee):
    run = ten_week_run()
    enrollment = trainee(run, [PRESENT] * 10, completed_at=COMPLETED)

    complete_run(run, now=AFTER_LAST_CLASS)

    assert enrollment.completed_at == COMPLETED


def test_complete_run_counts_unmarked_sessions_as_absences(ten_week_run, trainee):
    run = ten_week_run()
    enrollment = trainee(run, [PRESENT] * 7)

    complete_run(run, now=AFTER_LAST_CLASS)

    assert enrollment.completed_at is None


@pytest.mark.parametrize(
    ("settings", "statuses", "is_completed"),
    [
        ({"completion_threshold": 70}, [PRESENT] * 7 + [ABSENT] * 3, True),
        ({"is_late_attended": False}, [PRESENT] * 7 + [LATE] * 3, False),
        ({"lates_per_absence": 3}, [PRESENT] * 5 + [LATE] * 3 + [ABSENT] * 2, False),
        ({"is_excused_left_out": False}, [PRESENT] * 7 + [EXCUSED] * 2 + [ABSENT], False),
    ],
    ids=["threshold", "late_not_attended", "lates_per_absence", "excused_counted"],
)
def test_complete_run_judges_by_the_runs_own_settings(
    ten_week_run, trainee, settings, statuses, is_completed
):
    """The same marks give the opposite outcome under the default rule."""
    default_run, own_run = ten_week_run(), ten_week_run(**settings)
    by_default = trainee(default_run, statuses)
    by_own_rule = trainee(own_run, statuses)

    complete_run(default_run, now=AFTER_LAST_CLASS)
    complete_run(own_run, now=AFTER_LAST_CLASS)

    assert (by_own_rule.completed_at is not None) is is_completed
    assert (by_default.completed_at is not None) is not is_completed


def test_granted_override_completes_below_the_threshold(ten_week_run, trainee):
    run = ten_week_run()
    granted = trainee(run, [PRESENT] * 5, completion_override=CompletionOverride.GRANTED)

    assert complete_run(run, now=AFTER_LAST_CLASS) == 1

    assert granted.completed_at == AFTER_LAST_CLASS


def test_withdrawn_override_keeps_someone_above_the_threshold_uncompleted(ten_week_run, trainee):
    run = ten_week_run()
    withdrawn = trainee(
        run,
        [PRESENT] * 10,
        completion_override=CompletionOverride.WITHDRAWN,
        completed_at=COMPLETED,
    )

    assert complete_run(run, now=AFTER_LAST_CLASS) == 0

    assert withdrawn.completed_at is None


@pytest.mark.parametrize(
    "status", [EnrollmentStatus.CANCELLED, EnrollmentStatus.APPLIED], ids=lambda s: s.value
)
def test_complete_run_judges_only_confirmed_enrollments(ten_week_run, trainee, status):
    run = ten_week_run()
    not_confirmed = trainee(run, [PRESENT] * 10, status=status)

    assert complete_run(run, now=AFTER_LAST_CLASS) == 0

    assert not_confirmed.completed_at is None


# decide_completion


def test_decide_completion_requires_a_reason(ten_week_run, trainee, staff):
    enrollment = trainee(ten_week_run(), [PRESENT] * 5)

    code = refusal(
        decide_completion, enrollment, CompletionOverride.GRANTED, actor=staff, reason="  "
    )

    assert code == "reason_required"
    assert enrollment.completion_override is None
    assert enrollment.completed_at is None


def test_granting_completion_is_audited_with_the_reason(db, ten_week_run, trainee, staff):
    enrollment = trainee(ten_week_run(), [PRESENT] * 5)

    decide_completion(
        enrollment, CompletionOverride.GRANTED, actor=staff, reason="입원 증빙", now=COMPLETED
    )

    assert enrollment.completed_at == COMPLETED
    [entry] = audit_entries(db, "completion.granted")
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        staff.id,
        "enrollments",
        enrollment.id,
    )
    assert entry.detail == {"before": False, "after": True, "reason": "입원 증빙"}


def test_withdrawing_completion_is_audited_with_the_reason(db, ten_week_run, trainee, staff):
    enrollment = trainee(ten_week_run(), [PRESENT] * 10, completed_at=COMPLETED)

    decide_completion(enrollment, CompletionOverride.WITHDRAWN, actor=staff, reason="대리 출석")

    assert enrollment.completed_at is None
    [entry] = audit_entries(db, "completion.withdrawn")
    assert entry.actor_id == staff.id
    assert entry.detail == {"before": True, "after": False, "reason": "대리 출석"}


def test_decide_completion_refuses_an_enrollment_not_confirmed(ten_week_run, trainee, staff):
    enrollment = trainee(ten_week_run(), [PRESENT] * 10, status=EnrollmentStatus.CANCELLED)

    code = refusal(
        decide_completion, enrollment, CompletionOverride.GRANTED, actor=staff, reason="확인"
    )

    assert code == "not_enrolled"
    assert enrollment.completed_at is None


# Serials


def test_format_serial_pads_the_number_to_five_digits():
    assert format_serial(2022, 1) == "YDP-2022-00001"


def test_serials_of_a_year_run_one_two_three(completed):
    serials = [issue(completed()).serial for _ in range(3)]

    assert serials == ["YDP-2022-00001", "YDP-2022-00002", "YDP-2022-00003"]


def test_a_new_year_starts_at_one(completed):
    issue(completed(date(2022, 3, 2)))
    issue(completed(date(2022, 9, 7)))

    certificate = issue(completed(date(2023, 3, 8)))

    assert (certificate.serial, certificate.year, certificate.number) == (
        "YDP-2023-00001",
        2023,
        1,
    )


def test_serial_year_is_the_year_the_run_ended(completed):
    # Three weekly sessions from 21 December 2022: the last is on 4 January 2023.
    certificate = issue(completed(date(2022, 12, 21)))

    assert certificate.serial == "YDP-2023-00001"


def test_issuing_twice_returns_the_same_certificate_and_uses_no_number(completed, count_rows):
    first = completed()
    certificate = issue(first)

    again = issue(first)
    other = issue(completed())

    assert again.id == certificate.id
    assert other.serial == "YDP-2022-00002"
    assert count_rows(Certificate) == 2


def test_issue_refuses_an_uncompleted_enrollment_and_uses_no_number(
    make_run, make_enrollment, completed, count_rows
):
    run = make_run(starts_on=RUN_START)
    uncompleted = make_enrollment(run)

    assert refusal(issue, uncompleted) == "not_completed"

    assert count_rows(Certificate) == 0
    assert issue(completed(run=run)).serial == "YDP-2022-00001"


def test_reissue_keeps_the_serial_and_counts(db, completed, staff):
    certificate = issue(completed())

    reissue_certificate(certificate, actor=staff)
    reissue_certificate(certificate, actor=staff)

    assert certificate.serial == "YDP-2022-00001"
    assert certificate.reissue_count == 2
    entries = audit_entries(db, "certificate.reissue")
    assert [entry.detail["count"] for entry in entries] == [1, 2]
    assert {entry.detail["serial"] for entry in entries} == {"YDP-2022-00001"}


def test_revoke_requires_a_reason(completed, staff):
    certificate = issue(completed())

    assert refusal(revoke_certificate, certificate, actor=staff, reason="") == "reason_required"
    assert certificate.revoked_at is None


def test_revoke_records_when_and_why(completed, staff):
    certificate = issue(completed())

    revoke_certificate(certificate, actor=staff, reason="수료 취소", now=ISSUED)

    assert certificate.is_revoked
    assert certificate.revoked_at == ISSUED
    assert certificate.revoked_reason == "수료 취소"
    assert certificate.revoked_by_id == staff.id


def test_a_revoked_serial_is_not_given_again(completed, staff):
    revoked = issue(completed())
    revoke_certificate(revoked, actor=staff, reason="수료 취소")

    assert issue(completed()).serial == "YDP-2022-00002"


def test_a_revoked_certificate_cannot_be_reissued(completed, staff):
    certificate = issue(completed())
    revoke_certificate(certificate, actor=staff, reason="수료 취소")

    assert refusal(reissue_certificate, certificate, actor=staff) == "revoked"
    assert certificate.reissue_count == 0


def test_find_certificate_ignores_case_and_spaces(completed):
    certificate = issue(completed())

    assert find_certificate(" ydp-2022-00001 ") is certificate


def test_find_certificate_returns_none_for_an_unknown_serial(completed):
    issue(completed())

    assert find_certificate("YDP-2022-00002") is None


def test_find_certificate_returns_none_for_a_serial_too_long(completed):
    issue(completed())

    assert find_certificate("YDP-2022-00001" + "0" * 100) is None


def test_database_refuses_two_certificates_with_the_same_year_and_number(db, completed, count_rows):
    issue(completed())
    other = completed()

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Certificate(serial="YDP-2022-X", year=2022, number=1, enrollment_id=other.id)
        )

    assert count_rows(Certificate) == 1


def test_withdrawing_completion_revokes_the_certificate(db, make_run, make_enrollment, staff):
    from datetime import UTC, date, datetime

    from training.certificates.services import (
        decide_completion,
        issue_certificate,
    )
    from training.enrollment.models import CompletionOverride

    run = make_run(starts_on=date(2022, 3, 2))
    enrollment = make_enrollment(run, completed_at=datetime(2022, 4, 1, tzinfo=UTC))
    certificate = issue_certificate(enrollment, actor=None)

    decide_completion(enrollment, CompletionOverride.WITHDRAWN, actor=staff, reason="착오")

    assert certificate.is_revoked and certificate.revoked_reason == "착오"


def test_judging_before_the_last_class_has_ended_is_refused(db, make_run):
    from datetime import UTC, date, datetime

    from training.certificates.services import CertificateError, complete_run

    run = make_run(starts_on=date(2022, 3, 2), sessions=1)
    # The only class is 10:00-12:00 in Seoul on 2022-03-02; this is 11:00 that day.
    during = datetime(2022, 3, 2, 2, tzinfo=UTC)

    with pytest.raises(CertificateError) as refused:
        complete_run(run, now=during)

    assert refused.value.code == "run_not_ended"
