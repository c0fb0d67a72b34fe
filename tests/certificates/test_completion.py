"""The completion rule at its edges, called as the pure function it is (no database)."""

from training.certificates.completion import CompletionRule, evaluate
from training.checkin.models import AttendanceStatus

PRESENT = AttendanceStatus.PRESENT
LATE = AttendanceStatus.LATE
ABSENT = AttendanceStatus.ABSENT
EXCUSED = AttendanceStatus.EXCUSED


def marks(present: int = 0, late: int = 0, absent: int = 0, excused: int = 0):
    return [PRESENT] * present + [LATE] * late + [ABSENT] * absent + [EXCUSED] * excused


def test_exactly_the_threshold_completes():
    result = evaluate(CompletionRule(threshold=80), 10, marks(present=8, absent=2))

    assert result.is_completed
    assert (result.attended, result.counted_sessions) == (8, 10)


def test_one_session_below_the_threshold_does_not_complete():
    result = evaluate(CompletionRule(threshold=80), 10, marks(present=7, absent=3))

    assert not result.is_completed


def test_unmarked_sessions_count_as_absences():
    result = evaluate(CompletionRule(threshold=80), 10, marks(present=7))

    assert not result.is_completed
    assert result.counted_sessions == 10


def test_late_counts_as_attended_by_default():
    result = evaluate(CompletionRule(), 10, marks(present=5, late=3, absent=2))

    assert result.is_completed
    assert result.attended == 8


def test_late_does_not_count_when_the_run_says_so():
    rule = CompletionRule(is_late_attended=False)

    result = evaluate(rule, 10, marks(present=7, late=1, absent=2))

    assert not result.is_completed
    assert result.attended == 7


def test_every_three_lates_make_one_absence():
    rule = CompletionRule(lates_per_absence=3)

    result = evaluate(rule, 10, marks(present=5, late=3, absent=2))

    assert result.attended == 7
    assert not result.is_completed


def test_fewer_lates_than_make_an_absence_cost_nothing():
    rule = CompletionRule(lates_per_absence=3)

    result = evaluate(rule, 10, marks(present=6, late=2, absent=2))

    assert result.attended == 8
    assert result.is_completed


def test_lates_not_attended_are_not_charged_a_second_time():
    # Lates that do not count as attended are already absences; converting them into
    # absences again must not take away a session the trainee was present for.
    rule = CompletionRule(threshold=70, is_late_attended=False, lates_per_absence=3)

    result = evaluate(rule, 10, marks(present=7, late=3))

    assert result.attended == 7
    assert result.is_completed


def test_excused_sessions_are_left_out_by_default():
    result = evaluate(CompletionRule(), 10, marks(present=7, absent=1, excused=2))

    assert result.counted_sessions == 8
    assert result.rate == 0.875
    assert result.is_completed


def test_excused_sessions_are_absences_when_the_run_says_so():
    rule = CompletionRule(is_excused_left_out=False)

    result = evaluate(rule, 10, marks(present=7, absent=1, excused=2))

    assert result.counted_sessions == 10
    assert not result.is_completed


def test_all_sessions_excused_does_not_complete():
    result = evaluate(CompletionRule(), 10, marks(excused=10))

    assert not result.is_completed
    assert result.counted_sessions == 0
    assert result.rate == 0.0


def test_threshold_of_100_completes_with_every_session_attended():
    result = evaluate(CompletionRule(threshold=100), 10, marks(present=9, late=1))

    assert result.is_completed


def test_threshold_of_100_does_not_complete_with_one_absence():
    result = evaluate(CompletionRule(threshold=100), 10, marks(present=9, absent=1))

    assert not result.is_completed
