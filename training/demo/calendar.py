"""Days and hours for the demo: public holidays, class days, and who is busy when."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from training.clock import SEOUL
from training.planning.scheduling import public_holidays


class Calendar:
    """Busy hours per room, instructor and trainee, so that nobody is booked twice."""

    def __init__(self):
        self._busy: dict[tuple, list[tuple[datetime, datetime]]] = defaultdict(list)

    def is_free(self, resource, sessions) -> bool:
        for start, end in sessions:
            for other_start, other_end in self._busy.get((resource, day_of(start)), ()):
                if start < other_end and other_start < end:
                    return False
        return True

    def book(self, resource, sessions) -> None:
        for start, end in sessions:
            self._busy[(resource, day_of(start))].append((start, end))


def day_of(moment: datetime) -> date:
    return moment.astimezone(SEOUL).date()


def at_seoul(day: date, clock: time) -> datetime:
    """A Seoul wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SEOUL).astimezone(UTC)


def is_holiday(day: date) -> bool:
    # The same source as the staff's schedules: 2022's lunar holidays and elections included.
    return day in public_holidays(day.year)


def class_days(first: date, weekdays: tuple[int, ...], count: int) -> list[date]:
    """The first ``count`` working days on the given weekdays from ``first`` on."""
    days = []
    day = first
    while len(days) < count:
        if day.weekday() in weekdays and not is_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days
