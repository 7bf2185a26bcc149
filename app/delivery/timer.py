"""The exam timer (计时): pure arithmetic over an attempt's deadline.

The server's `deadline_at` is the truth; the browser only displays a countdown derived
from `remaining_seconds`. Every candidate of a session ends at the same moment, the
session end (`starts_at + duration`): as in common 机考 practice, a candidate who starts
late loses the time they missed instead of getting a private clock. Only proctor actions
move one candidate's deadline:

- pause: the clock stops (`paused_at`); while paused the remaining time is
  `deadline_at - paused_at`.
- resume: the deadline moves later by the paused span.
- extra time: the deadline moves later by the minutes granted (also while paused).
- reopen (an attempt closed by mistake): the candidate gets back the time they had left
  when it was closed, plus any extra minutes, counted from the reopening.
"""

import math
from datetime import datetime, timedelta
from typing import Protocol

from app.core.errors import ValidationFailed

# The most one grant of time may give (extra time, or time added when reopening). A longer
# delay is a fault of the room, and a room-wide pause is the tool for it. 60 is the cap the
# proctor console always enforced; the 240 the delivery service also checked was never
# reachable through a route, so one cap of 60 changes nothing a user could do.
EXTRA_MINUTES_MAX = 60


class TimedAttempt(Protocol):
    """What the timer reads from an attempt (the Attempt model satisfies it)."""

    deadline_at: datetime
    paused_at: datetime | None


def initial_deadline(session_end: datetime) -> datetime:
    """Deadline of a new attempt: the session end (ExamSession.ends_at), the same for
    everyone in the session, however late the candidate starts."""
    return session_end


def checked_minutes(
    minutes: int | None, *, field_name: str = "minutes", allow_zero: bool = False
) -> int:
    """Minutes of time granted, within 1 (0 where nothing extra is allowed) and
    EXTRA_MINUTES_MAX; anything else is refused naming the field."""
    low = 0 if allow_zero else 1
    if minutes is None or not (low <= minutes <= EXTRA_MINUTES_MAX):
        problem = f"应为 {low}～{EXTRA_MINUTES_MAX} 之间的整数（分钟）"
        raise ValidationFailed(
            f"延长时间{problem}",
            code="invalid_minutes",
            details=[{"field": field_name, "problem": problem}],
        )
    return minutes


def remaining_seconds(attempt: TimedAttempt, now: datetime) -> int:
    """Whole seconds left (never negative). A paused clock stands at its pause moment."""
    reference = attempt.paused_at if attempt.paused_at is not None else now
    left = (attempt.deadline_at - reference).total_seconds()
    return max(0, math.floor(left))


def is_past_deadline(attempt: TimedAttempt, now: datetime, grace_seconds: float = 0) -> bool:
    """True once `now` reaches the deadline plus the grace window (answers still in
    flight when time runs out). A paused clock never runs out."""
    if attempt.paused_at is not None:
        return False
    return now >= attempt.deadline_at + timedelta(seconds=grace_seconds)


def deadline_after_resume(deadline_at: datetime, paused_at: datetime, now: datetime) -> datetime:
    """Resuming moves the deadline later by the time spent paused."""
    return deadline_at + max(now - paused_at, timedelta(0))


def deadline_with_extra(deadline_at: datetime, minutes: int) -> datetime:
    """Extra time moves the deadline; while paused the remaining time grows the same way,
    because it is measured from `paused_at`."""
    return deadline_at + timedelta(minutes=minutes)


def time_left_at_close(
    deadline_at: datetime, submitted_at: datetime, paused_at: datetime | None = None
) -> timedelta:
    """What the candidate still had when the attempt was closed."""
    reference = paused_at if paused_at is not None else submitted_at
    return max(deadline_at - reference, timedelta(0))


def deadline_after_reopen(
    deadline_at: datetime, submitted_at: datetime, now: datetime, extra_minutes: int = 0
) -> datetime:
    """Reopening gives back the time left at closing (none after a time-out), plus the
    extra minutes granted, counted from now."""
    return now + time_left_at_close(deadline_at, submitted_at) + timedelta(minutes=extra_minutes)
