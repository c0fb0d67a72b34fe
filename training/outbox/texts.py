"""What each message says, in the language of the person it goes to.

Texts are short, so that most fit one SMS or a small LMS, and each carries what the person
needs without opening the site: the run, the day and time, the room and whom to call."""

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from training.catalog.models import CourseRun, Session
from training.clock import to_seoul


def run_facts(run: CourseRun, *, now: datetime) -> dict:
    """The facts every message about a run quotes: title, next class day and time, place and
    the enquiry number, as plain values kept with the message."""
    session = _next_session(run, now)
    facts = {
        "title": run.title,
        "place": _place(run),
        "phone": _phone(run),
        "starts_at": session.starts_at.isoformat() if session else None,
    }
    return facts


def shown(facts: dict, locale: str) -> dict[str, str]:
    """The facts as the message shows them (dates and times in Seoul, in the locale), as
    text: the variables a registered KakaoTalk template is filled with."""
    with force_locale(locale):
        return {key: _text(value) for key, value in _shown_values(facts).items()}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def render(kind: str, facts: dict, locale: str) -> tuple[str, str]:
    """The subject (for email) and the body of a message of this kind, in the locale."""
    with force_locale(locale):
        values = _shown_values(facts)
        subject, body = TEXTS[kind](values)
        prefix = _("[영등포구]")
        body = prefix + " " + body
        if values.get("phone"):
            body = body + " " + _("문의 %(phone)s", phone=values["phone"])
        return _("[영등포구 정보화교육]") + " " + subject, body


def _shown_values(facts: dict) -> dict:
    values = dict(facts)
    values["place"] = facts.get("place") or _("온라인")
    for key in ("starts_at", "old", "new", "when"):
        if facts.get(key):
            moment = to_seoul(datetime.fromisoformat(facts[key]))
            values[key] = _moment(moment)
            if key == "starts_at":
                values["date"], values["time"] = _day(moment), format_time(moment, "HH:mm")
    if facts.get("until"):
        values["until"] = _day(to_seoul(datetime.fromisoformat(facts["until"])))
    if facts.get("added"):
        values["added"] = ", ".join(
            _moment(to_seoul(datetime.fromisoformat(moment))) for moment in facts["added"]
        )
    return values


def _moment(moment: datetime) -> str:
    return _day(moment) + " " + format_time(moment, "HH:mm")


def _day(moment: datetime) -> str:
    # "12월 3일(목)" in Korean, "Thu 3 Dec" in English.
    return format_date(moment, _("M월 d일(E)"))


def _first_class(values: dict) -> str:
    if values.get("date"):
        return _("첫 수업 %(date)s %(time)s, %(place)s.", **values)
    return _("장소 %(place)s.", **values)


def _confirmed(v):
    return _("수강 확정 안내"), _("%(title)s 수강이 확정되었습니다.", **v) + " " + _first_class(v)


def _waitlisted(v):
    return _("대기 안내"), _(
        "%(title)s 대기 %(position)d번입니다. 자리가 나면 순서대로 확정해 알려 드립니다.", **v
    )


def _promoted(v):
    return (
        _("수강 확정 안내"),
        _("%(title)s 대기 순번이 되어 수강이 확정되었습니다.", **v) + " " + _first_class(v),
    )


def _lottery_won(v):
    return (
        _("추첨 결과 안내"),
        _("%(title)s 추첨에 당첨되어 수강이 확정되었습니다.", **v) + " " + _first_class(v),
    )


def _lottery_waitlisted(v):
    return _("추첨 결과 안내"), _(
        "%(title)s 추첨 결과 대기 %(position)d번입니다. 자리가 나면 순서대로 알려 드립니다.", **v
    )


def _run_cancelled(v):
    return _("폐강 안내"), _("%(title)s 강좌가 폐강되었습니다. 사유: %(reason)s.", **v)


def _room_changed(v):
    return _("수업 장소 변경 안내"), _("%(title)s 수업 장소가 %(place)s(으)로 바뀌었습니다.", **v)


def _session_moved(v):
    return _("수업 일정 변경 안내"), _("%(title)s %(old)s 수업이 %(new)s(으)로 바뀌었습니다.", **v)


def _session_removed(v):
    return _("수업 일정 변경 안내"), _("%(title)s %(when)s 수업이 없어졌습니다.", **v)


def _sessions_added(v):
    return _("수업 일정 변경 안내"), _(
        "%(title)s 수업 %(count)d회가 추가되었습니다: %(added)s.", **v
    )


def _reminder(v):
    return _("내일 첫 수업 안내"), _(
        "내일 %(time)s %(title)s 첫 수업이 %(place)s에서 있습니다. QR 패스를 챙겨 오세요.", **v
    )


def _certificate_issued(v):
    return _("수료증 발급 안내"), _(
        "%(title)s 수료를 축하합니다. 수료증(%(serial)s)을 내 신청 화면에서 받을 수 있습니다.",
        **v,
    )


def _no_show(v):
    return _("수강신청 제한 안내"), _(
        "%(title)s 첫 수업에 연락 없이 나오지 않아 %(until)s까지 새 수강신청이 제한됩니다.", **v
    )


TEXTS = {
    "confirmed": _confirmed,
    "waitlisted": _waitlisted,
    "promoted": _promoted,
    "lottery_won": _lottery_won,
    "lottery_waitlisted": _lottery_waitlisted,
    "run_cancelled": _run_cancelled,
    "room_changed": _room_changed,
    "session_moved": _session_moved,
    "session_removed": _session_removed,
    "sessions_added": _sessions_added,
    "reminder": _reminder,
    "certificate_issued": _certificate_issued,
    "no_show": _no_show,
}


def _next_session(run: CourseRun, now: datetime) -> Session | None:
    sessions = list(run.sessions)
    upcoming = [session for session in sessions if session.ends_at > now]
    return (upcoming or sessions or [None])[0]


def _place(run: CourseRun) -> str | None:
    if run.room is None:
        return None
    return f"{run.room.venue.name} {run.room.name}"


def _phone(run: CourseRun) -> str | None:
    if run.room is not None and run.room.venue.phone:
        return run.room.venue.phone
    return current_app.config.get("OFFICE_PHONE")
