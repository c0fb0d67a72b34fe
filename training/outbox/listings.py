"""What the staff page reads: the outbox's messages by tab, with counts, a page at a time."""

import enum

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from training.accounts.models import Person
from training.accounts.services import mask_phone
from training.catalog.models import CourseRun
from training.extensions import db
from training.outbox.models import Channel, OutboxMessage, OutboxStatus

PAGE_SIZE = 50


class Tab(enum.Enum):
    """The page's tabs: what the sender still has to do, what staff have to do, and what
    became of the rest."""

    PENDING = "pending"
    CALL = "call"
    FAILED = "failed"
    SENT = "sent"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return {
            Tab.PENDING: _("대기"),
            Tab.CALL: _("전화 안내"),
            Tab.FAILED: _("실패"),
            Tab.SENT: _("보냄"),
            Tab.CANCELLED: _("취소"),
        }[self]

    @classmethod
    def named(cls, value: str | None) -> "Tab":
        """The tab a query string names; the pending tab for anything else."""
        return next((tab for tab in cls if tab.value == value), cls.PENDING)


def _where(tab: Tab) -> ColumnElement[bool]:
    is_call = OutboxMessage.channel == Channel.CALL
    return {
        # Call messages wait for staff, not for the sender: they have a tab of their own.
        Tab.PENDING: and_(
            ~is_call, OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        ),
        Tab.CALL: and_(is_call, OutboxMessage.status == OutboxStatus.PENDING),
        Tab.FAILED: OutboxMessage.status == OutboxStatus.FAILED,
        Tab.SENT: OutboxMessage.status == OutboxStatus.SENT,
        Tab.CANCELLED: OutboxMessage.status == OutboxStatus.CANCELLED,
    }[tab]


def _order(tab: Tab) -> tuple:
    newest = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return {
        # The order the work is done in: the sender's for texts, urgent calls first for staff.
        Tab.PENDING: (
            OutboxMessage.is_urgent.desc(),
            OutboxMessage.next_attempt_at,
            OutboxMessage.id,
        ),
        Tab.CALL: (OutboxMessage.is_urgent.desc(), OutboxMessage.created_at, OutboxMessage.id),
        Tab.FAILED: newest,
        Tab.SENT: (OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()),
        Tab.CANCELLED: newest,
    }[tab]


def _of_run(statement, run_id: int | None):
    return statement if run_id is None else statement.where(OutboxMessage.run_id == run_id)


def tab_counts(run_id: int | None = None) -> dict[Tab, int]:
    """How many messages each tab holds (those of one run, when given), in one query."""
    rows = db.session.execute(
        _of_run(
            select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
                OutboxMessage.channel, OutboxMessage.status
            ),
            run_id,
        )
    ).all()
    counts = dict.fromkeys(Tab, 0)
    for channel, status, count in rows:
        if status is OutboxStatus.PENDING and channel is Channel.CALL:
            counts[Tab.CALL] += count
        elif status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            counts[Tab.PENDING] += count
        else:
            counts[Tab(status.value)] += count
    return counts


def messages_page(tab: Tab, *, page: int, total: int, run_id: int | None = None):
    """One page of the tab's messages (``total`` of them in all), with their people and
    runs; a page past either end gives the nearest one."""
    pages = max(1, -(-total // PAGE_SIZE))
    statement = (
        _of_run(select(OutboxMessage).where(_where(tab)), run_id)
        .order_by(*_order(tab))
        .options(
            selectinload(OutboxMessage.person),
            selectinload(OutboxMessage.run).selectinload(CourseRun.course),
        )
    )
    return db.paginate(
        statement, page=min(max(page, 1), pages), per_page=PAGE_SIZE, error_out=False
    )


def handler_names(messages: list[OutboxMessage]) -> dict[int, str]:
    """The names of the staff who phoned or resent the messages, by id."""
    ids = {message.handled_by_id for message in messages if message.handled_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def kind_label(kind: str) -> str:
    """What a message is about, in a word or two of the request's language."""
    schedule = _("일정 변경")
    return {
        "confirmed": _("수강 확정"),
        "waitlisted": _("대기"),
        "promoted": _("대기→확정"),
        "lottery_won": _("추첨 당첨"),
        "lottery_waitlisted": _("추첨 대기"),
        "run_cancelled": _("폐강"),
        "room_changed": _("장소 변경"),
        "session_moved": schedule,
        "session_removed": schedule,
        "sessions_added": schedule,
        "reminder": _("전날 안내"),
        "certificate_issued": _("수료증"),
        "no_show": _("신청 제한"),
    }.get(kind, kind)


def mask_recipient(message: OutboxMessage) -> str:
    """The number or address a message went to, masked: enough to tell people apart."""
    recipient = message.recipient
    if not recipient:
        return "-"
    if message.channel is Channel.EMAIL:
        local_part, _at, domain = recipient.rpartition("@")
        return f"{local_part[:2]}***@{domain}"
    return mask_phone(recipient)


# Words the sender and the channels put in last_error (training/outbox/channels.py,
# sender.py), and what they mean for staff; the error itself is shown beside, for whoever
# fixes the settings. Text that matches none of them gets the plain "not sent".
_UNKNOWN_OUTCOME = ("outcome unknown", "sender stopped")
_BAD_RECIPIENT = ("refused the address", "refused the message", "no phone number", "no email")
_NO_CONNECTION = ("unreachable", "could not write", "refused the request", "mail server", "tls")


def failure_hint(last_error: str) -> str:
    """Why a message was not sent, in plain words: what staff should do about it."""
    error = last_error.lower()
    if any(words in error for words in _UNKNOWN_OUTCOME):
        return _(
            "받았는지 알 수 없습니다. 두 번 가지 않도록 저절로 다시 보내지 않았습니다. "
            "그분께 받았는지 여쭌 뒤, 받지 못했으면 다시 보내세요."
        )
    if any(words in error for words in _BAD_RECIPIENT):
        return _(
            "이 번호나 주소로는 받을 수 없다고 합니다. 연락처가 맞는지 확인하고, 틀렸다면 "
            "그분의 정보를 고친 뒤 전화로 알려 주세요."
        )
    if any(words in error for words in _NO_CONNECTION):
        return _(
            "문자 회사나 메일 서버에 닿지 못했거나 발송 설정에 문제가 있습니다. 시스템 "
            "관리자에게 알려 주세요. 고쳐진 뒤 다시 보내면 됩니다."
        )
    return _("보내지 못했습니다.")
