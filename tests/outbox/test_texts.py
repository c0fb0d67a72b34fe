"""Each kind of message: what it says, in Korean and in English, and where it goes."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from training.accounts.models import MessageChannel, Role
from training.catalog.models import Selection
from training.certificates.services import issue_certificate
from training.checkin.closing import close_session
from training.enrollment.models import EnrollmentStatus
from training.enrollment.services import (
    cancel_enrollment,
    draw_lottery,
    enroll_person,
)
from training.notifications import tell
from training.outbox.models import Channel, OutboxMessage, OutboxStatus
from training.outbox.texts import render
from training.planning.scheduling import move_session, remove_session
from training.planning.services import cancel_run, update_run

# make_run's first session: Monday 16 March 2026, 10:00 in Seoul.
FIRST_CLASS_KO = "3월 16일(월) 10:00"
FIRST_CLASS_EN = "Mon 16 Mar 10:00"


@pytest.fixture
def venue_phone(make_room, db):
    room = make_room()
    room.venue.phone = "02-2670-3114"
    db.session.flush()
    return room.venue.phone


def messages_of(db, person, kind=None):
    statement = select(OutboxMessage).where(OutboxMessage.person_id == person.id)
    if kind is not None:
        statement = statement.where(OutboxMessage.kind == kind)
    return db.session.scalars(statement.order_by(OutboxMessage.id)).all()


def test_confirmation_names_the_run_its_first_class_the_room_and_the_phone(
    db, make_run, make_person, venue_phone
):
    run = make_run()
    person = make_person()

    enroll_person(run, person, now=NOW)

    [message] = messages_of(db, person)
    assert message.kind == "confirmed"
    assert message.channel is Channel.SMS and message.recipient == person.phone
    assert message.status is OutboxStatus.PENDING
    assert "스마트폰 기초 1기 수강이 확정되었습니다." in message.body
    assert FIRST_CLASS_KO in message.body
    assert f"평생스마트교육장 {run.room.name}" in message.body
    assert "문의 02-2670-3114" in message.body
    assert message.subject == "[영등포구 정보화교육] 수강 확정 안내"


def test_a_place_on_the_waiting_list_is_told_with_its_position(db, make_run, make_person):
    run = make_run(capacity=1)
    enroll_person(run, make_person(), now=NOW)
    second = make_person()

    enroll_person(run, second, now=NOW)

    [message] = messages_of(db, second)
    assert message.kind == "waitlisted"
    assert "대기 1번입니다" in message.body


def test_promotion_tells_the_first_waiting_person_of_their_seat_and_first_class(
    db, make_run, make_person
):
    run = make_run(capacity=1)
    first = enroll_person(run, make_person(), now=NOW)
    waiting = make_person()
    enroll_person(run, waiting, now=NOW)

    cancel_enrollment(first, actor=first.person, now=NOW)

    [message] = messages_of(db, waiting, "promoted")
    assert "대기 순번이 되어 수강이 확정되었습니다" in message.body
    assert FIRST_CLASS_KO in message.body


def test_lottery_results_tell_winners_and_waiting_places(db, make_run, make_person):
    run = make_run(capacity=1, selection=Selection.LOTTERY)
    people = [make_person() for _ in range(2)]
    for person in people:
        enroll_person(run, person, now=NOW)

    draw_lottery(run, actor=make_person(role=Role.STAFF), seed=1, now=run.registration_closes_at)

    kinds = sorted(m.kind for person in people for m in messages_of(db, person))
    assert kinds == ["lottery_waitlisted", "lottery_won"]
    [waiting] = [m for p in people for m in messages_of(db, p, "lottery_waitlisted")]
    assert "추첨 결과 대기 1번입니다" in waiting.body


def test_cancelling_a_run_gives_the_reason_and_is_urgent_only_on_a_class_day(
    db, make_run, make_person
):
    run = make_run()
    person = make_person()
    enroll_person(run, person, now=NOW)
    class_day = run.sessions[0].starts_at - timedelta(hours=2)

    cancel_run(run, actor=make_person(role=Role.STAFF), reason="강사 사정", now=class_day)

    [message] = messages_of(db, person, "run_cancelled")
    assert "스마트폰 기초 1기 강좌가 폐강되었습니다. 사유: 강사 사정." in message.body
    assert message.is_urgent


def test_cancelling_a_run_days_ahead_is_not_urgent(db, make_run, make_person):
    run = make_run()
    person = make_person()
    enroll_person(run, person, now=NOW)

    cancel_run(run, actor=make_person(role=Role.STAFF), reason="수강생 부족", now=NOW)

    [message] = messages_of(db, person, "run_cancelled")
    assert not message.is_urgent


def test_a_new_room_is_told_with_the_new_place(db, make_run, make_person, make_room):
    run = make_run()
    person = make_person()
    enroll_person(run, person, now=NOW)
    room = make_room()

    update_run(run, actor=make_person(role=Role.STAFF), now=NOW, room=room)

    [message] = messages_of(db, person, "room_changed")
    assert f"수업 장소가 평생스마트교육장 {room.name}(으)로 바뀌었습니다" in message.body


def test_a_moved_class_gives_the_old_and_new_times(db, make_run, make_person):
    run = make_run()
    person = make_person()
    enroll_person(run, person, now=NOW)
    session = run.sessions[1]
    new_start = session.starts_at + timedelta(days=1, hours=4)

    move_session(
        session,
        actor=make_person(role=Role.STAFF),
        now=NOW,
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=2),
    )

    [message] = messages_of(db, person, "session_moved")
    assert "3월 23일(월) 10:00 수업이 3월 24일(화) 14:00(으)로 바뀌었습니다" in message.body


def test_a_removed_class_is_told(db, make_run, make_person):
    run = make_run()
    person = make_person()
    enroll_person(run, person, now=NOW)

    remove_session(run.sessions[2], actor=make_person(role=Role.STAFF), now=NOW)

    [message] = messages_of(db, person, "session_removed")
    assert "3월 30일(월) 10:00 수업이 없어졌습니다" in message.body


def test_a_reminder_names_tomorrows_time_and_place(db, make_run, make_person):
    run = make_run()
    person = make_person()

    tell(person, "reminder", run=run, now=NOW)

    [message] = messages_of(db, person, "reminder")
    assert f"내일 10:00 스마트폰 기초 1기 첫 수업이 평생스마트교육장 {run.room.name}에서" in (
        message.body
    )


def test_a_certificate_issued_by_staff_is_told_with_its_serial(
    db, make_run, make_person, make_enrollment
):
    run = make_run()
    enrollment = make_enrollment(run=run, status=EnrollmentStatus.CONFIRMED)
    enrollment.completed_at = NOW
    db.session.flush()

    certificate = issue_certificate(enrollment, actor=make_person(role=Role.STAFF), now=NOW)

    [message] = messages_of(db, enrollment.person, "certificate_issued")
    assert f"수료증({certificate.serial})" in message.body


def test_a_certificate_the_trainee_prints_is_not_messaged(
    db, make_run, make_person, make_enrollment
):
    run = make_run()
    enrollment = make_enrollment(run=run, status=EnrollmentStatus.CONFIRMED)
    enrollment.completed_at = NOW
    db.session.flush()

    issue_certificate(enrollment, actor=enrollment.person, now=NOW)

    assert messages_of(db, enrollment.person, "certificate_issued") == []


def test_a_no_show_bar_says_until_when(db, make_run, make_person, make_enrollment):
    run = make_run()
    enrollment = make_enrollment(run=run, status=EnrollmentStatus.CONFIRMED)
    enrollment.confirmed_at = NOW
    db.session.flush()
    first = run.sessions[0]

    close_session(first, actor=make_person(role=Role.STAFF), now=first.ends_at)

    [message] = messages_of(db, enrollment.person, "no_show")
    assert "첫 수업에 연락 없이 나오지 않아" in message.body
    assert "5월 15일(금)까지" in message.body


def test_people_who_read_english_get_english_texts(db, make_run, make_person, venue_phone):
    run = make_run()
    person = make_person()
    person.locale = "en"

    enroll_person(run, person, now=NOW)

    [message] = messages_of(db, person)
    assert message.body.startswith("[Yeongdeungpo-gu]")
    assert "Your place in 스마트폰 기초 1기 is confirmed." in message.body
    assert FIRST_CLASS_EN in message.body
    assert "Enquiries 02-2670-3114" in message.body


def test_every_kind_renders_in_both_languages_without_leftover_placeholders(app):
    facts = {
        "title": "스마트폰 기초 1기",
        "place": "평생스마트교육장 강의실 1",
        "phone": "02-2670-3114",
        "starts_at": datetime(2026, 3, 16, 1, tzinfo=UTC).isoformat(),
        "position": 2,
        "reason": "강사 사정",
        "old": datetime(2026, 3, 16, 1, tzinfo=UTC).isoformat(),
        "new": datetime(2026, 3, 17, 5, tzinfo=UTC).isoformat(),
        "when": datetime(2026, 3, 16, 1, tzinfo=UTC).isoformat(),
        "count": 1,
        "added": [datetime(2026, 3, 18, 1, tzinfo=UTC).isoformat()],
        "serial": "YDP-2026-00001",
        "until": datetime(2026, 5, 15, tzinfo=UTC).isoformat(),
    }
    from training.outbox.texts import TEXTS

    for kind in TEXTS:
        for locale in ("ko", "en"):
            subject, body = render(kind, facts, locale)
            assert "%(" not in body and "%(" not in subject, (kind, locale)
            # An LMS holds 2,000 bytes; these stay far below, most near one SMS.
            assert len(body.encode("euc-kr", errors="replace")) < 300, (kind, locale)


def test_landline_numbers_are_listed_for_staff_to_call(db, make_run, make_person):
    run = make_run()
    person = make_person(phone="0226703114")

    enroll_person(run, person, now=NOW)

    [message] = messages_of(db, person)
    assert message.channel is Channel.CALL and message.recipient == "0226703114"


def test_email_goes_to_people_who_chose_it_and_gave_an_address(db, make_run, make_person):
    run = make_run()
    person = make_person()
    person.message_channel = MessageChannel.EMAIL
    person.email = "kim@example.org"

    enroll_person(run, person, now=NOW)

    [message] = messages_of(db, person)
    assert message.channel is Channel.EMAIL and message.recipient == "kim@example.org"


def test_people_who_chose_no_messages_find_them_on_their_page_only(db, make_run, make_person):
    run = make_run()
    person = make_person()
    person.message_channel = MessageChannel.NONE

    enroll_person(run, person, now=NOW)

    assert messages_of(db, person) == []
    from training.notifications import unread_notifications

    assert [note.kind for note in unread_notifications(person)] == ["confirmed"]


def test_a_message_keeps_its_facts_as_shown_for_kakaotalk_templates(db, make_run, make_person):
    run = make_run()
    person = make_person()

    enroll_person(run, person, now=NOW)

    [message] = messages_of(db, person)
    assert message.params["title"] == "스마트폰 기초 1기"
    assert message.params["date"] == "3월 16일(월)" and message.params["time"] == "10:00"
    assert message.params["place"] == f"평생스마트교육장 {run.room.name}"
