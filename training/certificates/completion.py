"""The completion rule: how a trainee's marks count against a run's threshold."""

from dataclasses import dataclass

from training.checkin.models import AttendanceStatus


@dataclass(frozen=True)
class CompletionRule:
    """A run's settings: threshold in percent, and how lates and excused absences count."""

    threshold: int = 80
    is_late_attended: bool = True
    lates_per_absence: int = 0
    is_excused_left_out: bool = True


@dataclass(frozen=True)
class CompletionResult:
    attended: int
    counted_sessions: int
    rate: float
    is_completed: bool


def evaluate(
    rule: CompletionRule, sessions: int, marks: list[AttendanceStatus]
) -> CompletionResult:
    """Whether marks over a run's sessions meet its rule; sessions without a mark are absences.

    Present counts as attended; late counts as attended when the rule says so, and then
    every ``lates_per_absence`` lates cost one attended session; excused sessions are left out of
    the count when the rule says so (and are absences otherwise)."""
    present = sum(1 for m in marks if m is AttendanceStatus.PRESENT)
    late = sum(1 for m in marks if m is AttendanceStatus.LATE)
    excused = sum(1 for m in marks if m is AttendanceStatus.EXCUSED)
    attended = present
    if rule.is_late_attended:
        attended += late
        # A late that did not count as attended is not charged a second time.
        if rule.lates_per_absence:
            attended -= late // rule.lates_per_absence
    attended = max(attended, 0)
    counted = sessions - (excused if rule.is_excused_left_out else 0)
    if counted <= 0:
        return CompletionResult(attended, counted, 0.0, False)
    rate = attended / counted
    # Integer comparison: 80% of 10 sessions is exactly 8, with no rounding doubt.
    return CompletionResult(attended, counted, rate, attended * 100 >= rule.threshold * counted)
