"""Time as the programme counts it: stored in UTC, shown and reckoned in Seoul."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")

# A month as people type it: 2022-08 (years 1900 to 2099).
MONTH_PATTERN = re.compile(r"^((?:19|20)[0-9]{2})-(0[1-9]|1[0-2])$")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_seoul(value: datetime) -> datetime:
    """Show an aware datetime in Seoul time."""
    return value.astimezone(SEOUL)


def seoul_today() -> date:
    """Today's date in Seoul, where the programme's days begin and end."""
    return to_seoul(utcnow()).date()


def to_seoul_or_none(value: datetime | None) -> datetime | None:
    """to_seoul for a moment that may be missing (a run not yet drawn, say)."""
    return to_seoul(value) if value is not None else None


def seoul_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Start and end of the Seoul calendar day that holds the moment."""
    start = to_seoul(moment).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def parse_month(text: str | None) -> date | None:
    """The first day of a YYYY-MM month, or None for anything else."""
    match = MONTH_PATTERN.match(text or "")
    return date(int(match.group(1)), int(match.group(2)), 1) if match else None


def next_month(day: date) -> date:
    """The first day of the month after the date's."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month containing the date."""
    return month.replace(day=1), date.fromordinal(next_month(month).toordinal() - 1)
