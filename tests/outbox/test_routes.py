"""The outbox page: staff see the messages by status, phone the people who cannot be texted,
and put failed messages back in line."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_accessibility import check

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.clock import utcnow
from training.outbox.listings import PAGE_SIZE
from training.outbox.models import STALE_CLAIM, Channel, OutboxMessage, OutboxStatus


@pytest.fixture
def make_message(db, make_person):
    """Put an OutboxMessage row straight in the table: a text to a new person unless told."""

    def make(
        body: str = "[영등포구] 스마트폰 기초 1기 수강이 확정되었습니다.",
        *,
        person=None,
        status: OutboxStatus = OutboxStatus.PENDING,
        channel: Channel = Channel.SMS,
        kind: str = "confirmed",
        run=None,
        **columns,
    ) -> OutboxMessage:
        person = person or make_person(name="김안내")
        now = utcnow()
        if status is OutboxStatus.SENT:
            columns.setdefault("sent_at", now)
        if status is OutboxStatus.SENDING:
            columns.setdefault("claimed_at", now)
            columns.setdefault("claimed_by", "sender:1")
        message = OutboxMessage(
            person_id=person.id,
            run_id=run.id if run is not None else None,
            kind=kind,
            channel=channel,
            recipient=columns.pop("recipient", person.phone),
            subject="[영등포구 정보화교육] 안내",
            body=body,
            params={},
            status=status,
            created_at=columns.pop("created_at", now),
            next_attempt_at=now,
            **columns,
        )
        db.session.add(message)
        db.session.flush()
        return message

    return make


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _tab_count(page: str, label: str, count: int) -> bool:
    return f'{label} <span class="count">{count}</span>' in page


# What staff see


def test_each_tab_shows_its_messages_and_every_tab_its_count(db, desk, make_message):
    make_message("대기 중인 문자")
    make_message("보내는 중인 문자", status=OutboxStatus.SENDING)
    make_message("전화로 알릴 안내", channel=Channel.CALL)
    make_message("실패한 문자", status=OutboxStatus.FAILED, attempts=6, last_error="번호 없음")
    make_message("보낸 문자", status=OutboxStatus.SENT, attempts=1)
    make_message("취소된 문자", status=OutboxStatus.CANCELLED)
    db.session.commit()
    shown = {
        "pending": {"대기 중인 문자", "보내는 중인 문자"},
        "call": {"전화로 알릴 안내"},
        "failed": {"실패한 문자"},
        "sent": {"보낸 문자"},
        "cancelled": {"취소된 문자"},
    }
    everything = set().union(*shown.values())

    for status, bodies in shown.items():
        page = desk.get(f"/outbox?status={status}").get_data(as_text=True)

        assert {body for body in everything if body in page} == bodies, status
        assert _tab_count(page, "대기", 2) and _tab_count(page, "전화 안내", 1)
        assert _tab_count(page, "실패", 1) and _tab_count(page, "보냄", 1)
        assert _tab_count(page, "취소", 1)


def test_a_row_tells_who_what_when_and_for_which_run(db, desk, make_person, make_run, make_message):
    person = make_person(name="박대림", phone="01012345678")
    run = make_run(title="키오스크 활용")
    make_message(person=person, run=run, kind="run_cancelled", is_urgent=True)
    db.session.commit()

    page = desk.get("/outbox").get_data(as_text=True)

    assert f'href="/desk/people/{person.id}">박대림</a>' in page
    assert "폐강" in page and "급함" in page and "키오스크 활용 1기" in page
    assert "문자 010-****-5678" in page and "01012345678" not in page
    assert str(utcnow().year) in page


def test_an_email_address_is_masked(db, desk, make_message):
    make_message(channel=Channel.EMAIL, recipient="gildong.hong@example.com")
    db.session.commit()

    page = desk.get("/outbox").get_data(as_text=True)

    assert "gi***@example.com" in page and "gildong" not in page


def test_the_call_tab_shows_whole_numbers_and_a_button_for_each_call(
    db, desk, make_person, make_message
):
    person = make_person(name="이전화", phone="01055556666")
    message = make_message("수강이 확정되었습니다", person=person, channel=Channel.CALL)
    db.session.commit()

    page = desk.get("/outbox?status=call").get_data(as_text=True)

    assert 'href="tel:01055556666">010-5555-6666</a>' in page
    assert "이전화" in page and "수강이 확정되었습니다" in page
    assert f'action="/outbox/{message.id}/called"' in page and "전화함" in page


def test_the_failed_tab_says_why_and_offers_to_resend(db, desk, make_message):
    message = make_message(
        status=OutboxStatus.FAILED, attempts=6, last_error="수신 거부된 번호입니다."
    )
    db.session.commit()

    page = desk.get("/outbox?status=failed").get_data(as_text=True)

    assert "수신 거부된 번호입니다." in page and "6번 시도" in page
    assert f'action="/outbox/{message.id}/resend"' in page and "다시 보내기" in page


def test_sent_messages_show_newest_first(db, desk, make_message):
    now = utcnow()
    make_message("어제 보낸 문자", status=OutboxStatus.SENT, sent_at=now - timedelta(days=1))
    make_message("오늘 보낸 문자", status=OutboxStatus.SENT, sent_at=now)
    db.session.commit()

    page = desk.get("/outbox?status=sent").get_data(as_text=True)

    assert page.index("오늘 보낸 문자") < page.index("어제 보낸 문자")


def test_a_message_whose_sender_stopped_may_be_resent_from_the_pending_tab(db, desk, make_message):
    stopped = make_message(
        status=OutboxStatus.SENDING, claimed_at=utcnow() - STALE_CLAIM - timedelta(minutes=1)
    )
    sending = make_message(status=OutboxStatus.SENDING)
    db.session.commit()

    page = desk.get("/outbox").get_data(as_text=True)

    assert f'action="/outbox/{stopped.id}/resend"' in page
    assert f'action="/outbox/{sending.id}/resend"' not in page


def test_the_run_filter_keeps_one_runs_messages(db, desk, make_run, make_message):
    kept, other = make_run(title="유튜브 크리에이터"), make_run(title="컴퓨터 기초")
    make_message("유튜브 안내", run=kept)
    make_message("컴퓨터 안내", run=other)
    make_message("컴퓨터 실패", run=other, status=OutboxStatus.FAILED)
    db.session.commit()

    page = desk.get(f"/outbox?run={kept.id}").get_data(as_text=True)

    assert "유튜브 안내" in page and "컴퓨터 안내" not in page
    assert _tab_count(page, "대기", 1) and _tab_count(page, "실패", 0)
    assert desk.get("/outbox?run=999999").status_code == 404


def test_pages_hold_fifty_messages(db, desk, make_person, make_message):
    person = make_person()
    for number in range(PAGE_SIZE + 1):
        make_message(f"실패 #{number:03d}#", person=person, status=OutboxStatus.FAILED)
    db.session.commit()

    first = desk.get("/outbox?status=failed").get_data(as_text=True)
    second = desk.get("/outbox?status=failed&page=2").get_data(as_text=True)
    past_the_end = desk.get("/outbox?status=failed&page=99").get_data(as_text=True)

    assert first.count("실패 #") == PAGE_SIZE and "page=2" in first
    assert second.count("실패 #") == 1 and "2 / 2쪽" in second
    assert past_the_end.count("실패 #") == 1


def test_the_page_says_plainly_when_nothing_really_goes_out(app, db, desk):
    app.config.update(SMS_BACKEND="file", EMAIL_BACKEND="smtp", OUTBOX_FILE="/srv/outbox.log")
    file_page = desk.get("/outbox").get_data(as_text=True)
    app.config.update(SMS_BACKEND="solapi")
    real_page = desk.get("/outbox").get_data(as_text=True)

    assert "지금은 문자를 실제로 보내지 않습니다." in file_page
    assert "/srv/outbox.log" in file_page
    assert "실제로 보내지 않습니다" not in real_page
    assert "발송 프로그램" in real_page


def test_the_page_is_labelled_and_structured(db, desk, make_message):
    make_message(channel=Channel.CALL)
    make_message(status=OutboxStatus.FAILED)
    db.session.commit()

    for status in ("pending", "call", "failed", "sent", "cancelled"):
        check(desk.get(f"/outbox?status={status}").get_data(as_text=True))


def test_staff_find_the_page_in_their_menu(desk):
    assert 'href="/outbox"' in desk.get("/desk/").get_data(as_text=True)


# Who may see it


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSTRUCTOR])
def test_residents_and_instructors_are_refused(db, make_person, client_for, make_message, role):
    message = make_message(status=OutboxStatus.FAILED)
    person = make_person(role=role)
    db.session.commit()
    client = client_for(person)

    assert client.get("/outbox").status_code == 403
    assert client.post(f"/outbox/{message.id}/resend").status_code == 403
    assert client.post(f"/outbox/{message.id}/called").status_code == 403
    db.session.expire_all()
    assert message.status is OutboxStatus.FAILED


def test_anonymous_visitors_are_sent_to_log_in(db, client, make_message):
    message = make_message(status=OutboxStatus.FAILED)
    db.session.commit()

    for response in (client.get("/outbox"), client.post(f"/outbox/{message.id}/resend")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admins_see_the_page(db, make_person, client_for):
    admin = make_person(role=Role.ADMIN)
    db.session.commit()

    assert client_for(admin).get("/outbox").status_code == 200


# What staff do


def test_resend_puts_a_failed_message_back_in_line(db, desk, staff, make_message):
    message = make_message(status=OutboxStatus.FAILED, attempts=6, last_error="시간 초과")
    db.session.commit()

    response = desk.post(f"/outbox/{message.id}/resend", follow_redirects=True)

    assert "김안내님께 보낼 안내를 곧 다시 보냅니다." in response.get_data(as_text=True)
    assert response.request.path == "/outbox" and response.request.args["status"] == "failed"
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert message.handled_by_id == staff.id
    [entry] = _audits(db, "outbox.resend")
    assert (entry.actor_id, entry.subject_id) == (staff.id, message.id)


def test_resend_goes_back_to_the_page_the_button_was_on(db, desk, make_message):
    message = make_message(status=OutboxStatus.FAILED)
    db.session.commit()

    response = desk.post(
        f"/outbox/{message.id}/resend", data={"next": "/outbox?status=failed&page=2"}
    )
    elsewhere = desk.post(f"/outbox/{message.id}/resend", data={"next": "//evil.example"})

    assert response.headers["Location"] == "/outbox?status=failed&page=2"
    assert elsewhere.headers["Location"] == "/outbox?status=failed"


def test_resend_of_a_sent_message_is_refused_and_changes_nothing(db, desk, make_message):
    message = make_message(status=OutboxStatus.SENT, attempts=1)
    db.session.commit()

    response = desk.post(f"/outbox/{message.id}/resend", follow_redirects=True)

    assert "실패한 메시지만 다시 보낼 수 있습니다." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert _audits(db, "outbox.resend") == []


def test_called_marks_a_call_done(db, desk, staff, make_message):
    message = make_message(channel=Channel.CALL)
    db.session.commit()

    response = desk.post(f"/outbox/{message.id}/called", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "김안내님께 전화로 알린 것으로 기록했습니다." in page
    assert "전화로 알릴 분이 없습니다." in page
    db.session.expire_all()
    assert (message.status, message.handled_by_id) == (OutboxStatus.SENT, staff.id)
    assert [entry.subject_id for entry in _audits(db, "outbox.called")] == [message.id]
    sent = desk.get("/outbox?status=sent").get_data(as_text=True)
    assert "처리한 담당자" in sent and staff.name in sent


def test_called_on_a_text_message_is_refused(db, desk, make_message):
    message = make_message(channel=Channel.SMS)
    db.session.commit()

    response = desk.post(f"/outbox/{message.id}/called", follow_redirects=True)

    assert "전화 안내를 기다리는 메시지가 아닙니다." in response.get_data(as_text=True)
    db.session.expire_all()
    assert message.status is OutboxStatus.PENDING


def test_an_unknown_message_is_not_found(desk):
    assert desk.post("/outbox/999999/resend").status_code == 404
    assert desk.post("/outbox/999999/called").status_code == 404


# What is recorded


def test_viewing_the_call_list_is_audited(db, desk, staff, make_message):
    call = make_message(channel=Channel.CALL)
    make_message()
    db.session.commit()

    desk.get("/outbox")
    assert _audits(db, "view.outbox_calls") == []
    desk.get("/outbox?status=call")

    [entry] = _audits(db, "view.outbox_calls")
    assert entry.actor_id == staff.id and entry.detail["people"] == [call.person_id]


def test_an_empty_call_list_records_nothing(db, desk):
    desk.get("/outbox?status=call")

    assert _audits(db, "view.outbox_calls") == []
