"""Days and hours for the demo: public holidays, class days, and who is busy when."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from training.clock import SEOUL

# Public holidays with no classes: 2022's own (lunar new year, elections, Chuseok, substitute
# days) and the fixed-date ones of every year.
HOLIDAYS_2022 = {
    date(2022, 1, 31),
    date(2022, 2, 1),
    date(2022, 2, 2),
    date(2022, 3, 9),
    date(2022, 6, 1),
    date(2022, 9, 9),
    date(2022, 9, 12),
    date(2022, 10, 10),
}
FIXED_HOLIDAYS = {(1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25)}


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
    return day in HOLIDAYS_2022 or (day.month, day.day) in FIXED_HOLIDAYS


def class_days(first: date, weekdays: tuple[int, ...], count: int) -> list[date]:
    """The first ``count`` working days on the given weekdays from ``first`` on."""
    days = []
    day = first
    while len(days) < count:
        if day.weekday() in weekdays and not is_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days
