"""Anonymizing people: what goes, what stays, who may, and whom the retention purge picks."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from tests.stats import attendance
from training.accounts.auth_sessions import start_session
from training.accounts.models import AuthKind, Person, Role
from training.accounts.passwords import issue_setup_code
from training.accounts.retention import (
    anonymize_person,
    inactive_people,
    purge,
    retention_cutoff,
    withdraw,
)
from training.accounts.services import (
    AccountError,
    issue_token,
    load_session_user,
    person_for_token,
)
from training.audit.models import AuditEntry
from training.certificates.models import Certificate
from training.checkin.models import Attendance, AttendanceStatus
from training.clock import utcnow
from training.enrollment.models import EnrollmentStatus
from training.notifications.models import Notification
from training.outbox.models import Channel, OutboxMessage, OutboxStatus

PRESENT = AttendanceStatus.PRESENT
LONG_AGO = datetime(2020, 1, 6, 1, 0, tzinfo=UTC)
# Two years before NOW, on Seoul's calendar: 2024-03-02 10:00 KST.
CUTOFF = retention_cutoff(NOW, 2)


def message(person, status=OutboxStatus.PENDING, **columns) -> OutboxMessage:
    if status is OutboxStatus.SENT:
        columns.setdefault("sent_at", NOW)
    return OutboxMessage(
        person_id=person.id,
        kind="confirmed",
        channel=Channel.SMS,
        recipient=person.phone,
        body="신청하신 강좌의 수강이 확정되었습니다.",
        params={},
        status=status,
        **columns,
    )


@pytest.fixture
def admin(db, make_person):
    return make_person(role=Role.ADMIN, name="관리자")


@pytest.fixture
def officer(db, make_person):
    return make_person(role=Role.STAFF, name="정담당")


# What goes --------------------------------------------------------------------------------


def test_anonymize_masks_the_name_and_clears_contact_details_and_credentials(
    db, make_person, officer
):
    person = make_person(name="홍길동", birth_year=1960)
    person.email = "hong@example.com"
    person.barred_until = NOW + timedelta(days=30)
    person.barred_reason = "첫 수업 결석"
    issue_setup_code(person, actor=officer, now=NOW)
    phone = person.phone

    anonymize_person(person, actor=officer, reason="본인 요청 (전화)", now=NOW)

    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.name == "홍*동"
    assert (person.phone, person.email, person.birth_year) == (None, None, None)
    assert person.password_hash is None
    assert (person.setup_code_hash, person.setup_code_expires_at) == (None, None)
    assert (person.barred_until, person.barred_reason) == (None, None)
    # Born 1960: 66 in 2026.
    assert person.age_band == "60대"
    assert person.is_active is False
    assert person.anonymized_at == NOW
    assert person.dong == "당산2동"
    assert db.session.scalar(select(Person).where(Person.phone == phone)) is None


def test_anonymize_ends_sessions_api_tokens_and_passes(db, make_person, officer):
    person = make_person()
    session_id, token = person.get_id(), issue_token(person)
    secret = start_session(person, AuthKind.WEB, now=utcnow())
    pass_version = person.pass_version
    assert load_session_user(session_id, secret) is not None

    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    assert load_session_user(session_id, secret) is None
    assert person_for_token(token) is None
    assert person.pass_version == pass_version + 1


def test_attendance_keeps_the_age_band_of_the_year_its_run_ended(
    db, make_person, make_run, make_enrollment, officer
):
    # Born 1983: 39 in 2022, when the run ended; 43 now.
    person = make_person(birth_year=1983)
    run = make_run(starts_on=date(2022, 5, 2), sessions=2)
    enrollment = make_enrollment(run, person)
    for session in run.sessions:
        db.session.add(attendance(session, enrollment, PRESENT))
    db.session.flush()

    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    bands = db.session.scalars(
        select(Attendance.age_band).where(Attendance.enrollment_id == enrollment.id)
    ).all()
    assert bands == ["39세 이하", "39세 이하"]
    assert person.age_band == "40대"


def test_enrollments_attendance_and_certificates_stay(
    db, make_person, make_run, make_enrollment, officer
):
    person = make_person()
    run = make_run(starts_on=date(2022, 5, 2), sessions=1)
    enrollment = make_enrollment(run, person, completed_at=datetime(2022, 5, 2, 5, tzinfo=UTC))
    db.session.add(attendance(run.sessions[0], enrollment, PRESENT))
    db.session.add(
        Certificate(serial="YDP-2022-00001", year=2022, number=1, enrollment_id=enrollment.id)
    )
    db.session.flush()

    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    db.session.expire_all()
    assert enrollment.status is EnrollmentStatus.CONFIRMED
    assert enrollment.completed_at is not None
    assert db.session.scalar(select(Attendance.status)) is PRESENT
    assert db.session.scalar(select(Certificate.enrollment_id)) == enrollment.id


def test_giving_up_a_confirmed_seat_promotes_the_first_waitlisted(
    db, make_person, make_run, make_enrollment
):
    run = make_run(capacity=1)
    leaving = make_enrollment(run, make_person(name="떠날이"))
    waiting = make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    second = make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=2)

    anonymize_person(leaving.person, actor=leaving.person, reason="withdrawal", now=NOW)

    assert leaving.status is EnrollmentStatus.CANCELLED
    assert waiting.status is EnrollmentStatus.CONFIRMED
    assert (second.status, second.waitlist_position) == (EnrollmentStatus.WAITLISTED, 1)


def test_places_in_ended_runs_are_left_as_they_were(db, make_person, make_run, make_enrollment):
    person = make_person()
    ended = make_run(starts_on=date(2025, 11, 3), sessions=1)
    enrollment = make_enrollment(ended, person)

    anonymize_person(person, actor=person, reason="withdrawal", now=NOW)

    assert enrollment.status is EnrollmentStatus.CONFIRMED


def test_pending_messages_are_cancelled_and_every_recipient_cleared(db, make_person, officer):
    person, other = make_person(), make_person(name="김이웃")
    pending, sent = message(person), message(person, OutboxStatus.SENT)
    others = message(other)
    db.session.add_all([pending, sent, others])
    db.session.flush()

    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    db.session.expire_all()
    assert (pending.status, pending.recipient) == (OutboxStatus.CANCELLED, None)
    assert (sent.status, sent.recipient) == (OutboxStatus.SENT, None)
    assert (others.status, others.recipient) == (OutboxStatus.PENDING, other.phone)


def test_unread_notifications_are_deleted(db, make_person, officer):
    person = make_person()
    db.session.add_all(
        [
            Notification(person_id=person.id, kind="confirmed", message="확정"),
            Notification(person_id=person.id, kind="promoted", message="대기", read_at=NOW),
        ]
    )
    db.session.flush()

    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    remaining = db.session.scalars(
        select(Notification.read_at).where(Notification.person_id == person.id)
    ).all()
    assert remaining == [NOW]


def test_the_audit_entry_keeps_the_reason_and_no_personal_data(db, make_person, officer):
    person = make_person(name="홍길동")

    anonymize_person(person, actor=officer, reason="본인 요청 (전화)", now=NOW)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.anonymize"))
    assert (entry.actor_id, entry.subject_id) == (officer.id, person.id)
    assert entry.detail == {"reason": "본인 요청 (전화)", "cancelled": 0}


# Who may ----------------------------------------------------------------------------------


def test_the_last_active_administrator_is_refused(db, admin):
    with pytest.raises(AccountError) as refused:
        anonymize_person(admin, actor=admin, reason="withdrawal", now=NOW)

    assert refused.value.code == "last_admin"
    assert admin.anonymized_at is None


def test_an_administrator_may_go_while_another_stays(db, admin, make_person):
    make_person(role=Role.ADMIN, name="부관리자")

    anonymize_person(admin, actor=admin, reason="withdrawal", now=NOW)

    assert admin.anonymized_at == NOW


def test_only_administrators_anonymize_staff(db, officer, make_person, admin):
    colleague = make_person(role=Role.STAFF, name="김직원")

    with pytest.raises(AccountError) as refused:
        anonymize_person(colleague, actor=officer, reason="퇴직", now=NOW)
    assert refused.value.code == "forbidden"

    anonymize_person(colleague, actor=admin, reason="퇴직", now=NOW)
    assert colleague.anonymized_at == NOW


def test_a_resident_cannot_anonymize_someone_else(db, make_person):
    resident, other = make_person(), make_person(name="김이웃")

    with pytest.raises(AccountError) as refused:
        anonymize_person(other, actor=resident, reason="장난", now=NOW)

    assert refused.value.code == "forbidden"
    assert other.anonymized_at is None


def test_a_person_cannot_withdraw_online_while_their_class_is_under_way(
    db, make_person, make_run, make_enrollment, officer
):
    # First class on 2026-02-23, last on 2026-03-09: under way on NOW (2026-03-02).
    run = make_run(starts_on=date(2026, 2, 23), sessions=3)
    enrollment = make_enrollment(run)

    with pytest.raises(AccountError) as refused:
        withdraw(enrollment.person, "password123", now=NOW)
    assert refused.value.code == "run_started"
    assert enrollment.status is EnrollmentStatus.CONFIRMED

    # Staff, who know whether the seat can still be used, may.
    anonymize_person(enrollment.person, actor=officer, reason="본인 요청", now=NOW)
    assert enrollment.status is EnrollmentStatus.CANCELLED


def test_withdrawing_needs_the_right_password(db, make_person):
    person = make_person()

    with pytest.raises(AccountError) as refused:
        withdraw(person, "wrong-password", now=NOW)

    assert (refused.value.code, refused.value.field) == ("wrong_password", "password")
    assert person.anonymized_at is None


def test_withdrawing_is_audited_as_the_persons_own_act(db, make_person):
    person = make_person()

    withdraw(person, "password123", now=NOW)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.anonymize"))
    assert (entry.actor_id, entry.detail["reason"]) == (person.id, "withdrawal")


def test_anonymizing_twice_is_refused(db, make_person, officer):
    person = make_person()
    anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    with pytest.raises(AccountError) as refused:
        anonymize_person(person, actor=officer, reason="본인 요청", now=NOW)

    assert refused.value.code == "already_anonymized"


def test_a_reason_is_required(db, make_person, officer):
    person = make_person()

    with pytest.raises(AccountError) as refused:
        anonymize_person(person, actor=officer, reason="  ", now=NOW)

    assert refused.value.code == "reason_required"
    assert person.anonymized_at is None


# Whom the purge picks ------------------------------------------------------------------------


@pytest.fixture
def old_person(make_person):
    """A person registered long ago who has done nothing since."""

    def make(**kwargs) -> Person:
        person = make_person(**kwargs)
        person.created_at = LONG_AGO
        return person

    return make


def inactive_ids(db) -> set[int]:
    db.session.flush()
    return {person.id for person in inactive_people(NOW, 2)}


def test_the_cutoff_is_years_before_now_on_seouls_calendar():
    assert retention_cutoff(NOW, 2) == datetime(2024, 3, 2, 1, 0, tzinfo=UTC)
    leap_day = datetime(2028, 2, 29, 3, 0, tzinfo=UTC)
    assert retention_cutoff(leap_day, 2).date() == date(2026, 2, 28)


def test_registration_and_log_in_count_up_to_the_second(db, old_person):
    idle = old_person()
    registered_at_cutoff = old_person()
    registered_at_cutoff.created_at = CUTOFF
    registered_before = old_person()
    registered_before.created_at = CUTOFF - timedelta(seconds=1)
    logged_in_at_cutoff = old_person()
    logged_in_at_cutoff.last_login_at = CUTOFF
    logged_in_before = old_person()
    logged_in_before.last_login_at = CUTOFF - timedelta(seconds=1)

    assert inactive_ids(db) == {idle.id, registered_before.id, logged_in_before.id}


def test_a_place_in_a_run_keeps_its_holder_until_the_run_ends(
    db, old_person, make_run, make_enrollment
):
    # CUTOFF falls on 2024-03-02: a run whose last day is that day still counts.
    ending_on_cutoff_day = make_run(starts_on=date(2024, 3, 2), sessions=1)
    ended_the_day_before = make_run(starts_on=date(2024, 3, 1), sessions=1)
    kept, gone = old_person(), old_person(name="김지난")
    for run, person in ((ending_on_cutoff_day, kept), (ended_the_day_before, gone)):
        make_enrollment(run, person, created_at=LONG_AGO, confirmed_at=LONG_AGO)
    withdrawn = old_person(name="이취소")
    make_enrollment(
        ending_on_cutoff_day,
        withdrawn,
        status=EnrollmentStatus.CANCELLED,
        created_at=LONG_AGO,
        cancelled_at=CUTOFF - timedelta(seconds=1),
    )

    assert inactive_ids(db) == {gone.id, withdrawn.id}


def test_enrolling_confirming_or_cancelling_since_the_cutoff_counts(
    db, old_person, make_run, make_enrollment
):
    run = make_run(starts_on=date(2023, 5, 1), sessions=1)
    waiting = old_person()
    make_enrollment(
        run, waiting, EnrollmentStatus.WAITLISTED, waitlist_position=1, created_at=CUTOFF
    )
    confirmed = old_person()
    make_enrollment(run, confirmed, created_at=LONG_AGO, confirmed_at=CUTOFF)
    cancelled = old_person()
    make_enrollment(
        run, cancelled, EnrollmentStatus.CANCELLED, created_at=LONG_AGO, cancelled_at=CUTOFF
    )
    before = old_person()
    make_enrollment(
        run,
        before,
        EnrollmentStatus.CANCELLED,
        created_at=LONG_AGO,
        cancelled_at=CUTOFF - timedelta(seconds=1),
    )

    assert inactive_ids(db) == {before.id}


def test_a_mark_or_a_certificate_since_the_cutoff_counts(db, old_person, make_run, make_enrollment):
    run = make_run(starts_on=date(2023, 5, 1), sessions=1)
    marked, certified, idle = old_person(), old_person(), old_person()
    enrollments = {}
    for person in (marked, certified, idle):
        enrollments[person.id] = make_enrollment(
            run, person, created_at=LONG_AGO, confirmed_at=LONG_AGO
        )
        mark = attendance(run.sessions[0], enrollments[person.id], PRESENT)
        mark.recorded_at = CUTOFF - timedelta(days=1)
        db.session.add(mark)
    db.session.flush()
    corrected = db.session.scalar(
        select(Attendance).where(Attendance.enrollment_id == enrollments[marked.id].id)
    )
    corrected.recorded_at = CUTOFF
    db.session.add(
        Certificate(
            serial="YDP-2023-00001",
            year=2023,
            number=1,
            enrollment_id=enrollments[certified.id].id,
            issued_at=CUTOFF - timedelta(days=1),
            reissue_count=1,
            last_reissued_at=CUTOFF + timedelta(days=10),
        )
    )

    assert inactive_ids(db) == {idle.id}


def test_teaching_a_run_not_yet_ended_counts(db, old_person, make_run):
    teacher = old_person(role=Role.INSTRUCTOR, name="강사님")
    make_run(starts_on=date(2026, 4, 6)).instructor_id = teacher.id

    assert teacher.id not in inactive_ids(db)


def test_anonymized_people_are_not_picked_again(db, old_person, make_person):
    person = old_person()
    anonymize_person(person, actor=None, reason="retention", now=NOW)

    assert inactive_ids(db) == set()


# The purge -------------------------------------------------------------------------------------


def test_a_dry_run_lists_who_would_go_and_changes_nothing(app, db, old_person, admin, count_rows):
    app.config["RETENTION_YEARS"] = 2
    idle = old_person(name="홍길동")
    audit_rows = count_rows(AuditEntry)

    summary = purge(NOW, dry_run=True)

    assert [(entry.id, entry.masked_name) for entry in summary.anonymized] == [(idle.id, "홍*동")]
    db.session.expire_all()
    assert idle.anonymized_at is None and idle.phone is not None
    assert count_rows(AuditEntry) == audit_rows


def test_purge_anonymizes_everyone_inactive_for_the_retention_period(
    app, db, old_person, make_person
):
    app.config["RETENTION_YEARS"] = 2
    idle, recent = old_person(), make_person(name="김최근")
    seen = []

    summary = purge(NOW, dry_run=False, progress=lambda done, total: seen.append((done, total)))

    assert [entry.id for entry in summary.anonymized] == [idle.id]
    assert seen == [(1, 1)]
    assert idle.anonymized_at == NOW and recent.anonymized_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.anonymize"))
    assert (entry.actor_id, entry.detail["reason"]) == (None, "retention")


def test_purge_keeps_the_last_administrator(app, db, old_person):
    app.config["RETENTION_YEARS"] = 2
    admin, resident = old_person(role=Role.ADMIN, name="관리자"), old_person()

    summary = purge(NOW, dry_run=False)

    assert [entry.id for entry in summary.anonymized] == [resident.id]
    assert [(entry.id, code) for entry, code in summary.kept] == [(admin.id, "last_admin")]
    assert admin.anonymized_at is None
