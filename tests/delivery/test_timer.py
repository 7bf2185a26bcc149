"""The exam timer: pure arithmetic over the server's deadline."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.delivery import timer
from app.exams.models import ExamSession

T0 = datetime(2026, 5, 20, 1, 0, 0)  # 09:00 in China


@dataclass
class Clock:
    deadline_at: datetime
    paused_at: datetime | None = None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_everyone_ends_at_the_session_end_even_when_starting_late() -> None:
    on_time = timer.initial_deadline(ExamSession(starts_at=T0, duration_minutes=90).ends_at)
    assert on_time == at(90)
    # A candidate starting 20 minutes late still ends at 10:30 (China): 70 minutes left.
    attempt = Clock(deadline_at=on_time)
    assert timer.remaining_seconds(attempt, at(20)) == 70 * 60


def test_remaining_counts_down_and_never_goes_negative() -> None:
    attempt = Clock(deadline_at=at(90))
    assert timer.remaining_seconds(attempt, T0) == 5400
    assert timer.remaining_seconds(attempt, at(89.99)) == 0  # whole seconds, rounded down
    assert timer.remaining_seconds(attempt, at(89) + timedelta(seconds=0.5)) == 59
    assert timer.remaining_seconds(attempt, at(90)) == 0
    assert timer.remaining_seconds(attempt, at(200)) == 0


def test_paused_clock_stands_still() -> None:
    attempt = Clock(deadline_at=at(90), paused_at=at(30))
    assert timer.remaining_seconds(attempt, at(30)) == 60 * 60
    assert timer.remaining_seconds(attempt, at(50)) == 60 * 60
    # Even long after the deadline, a paused attempt is not past it.
    assert not timer.is_past_deadline(attempt, at(500), grace_seconds=0)


def test_pause_then_resume_moves_the_deadline_by_the_paused_span() -> None:
    attempt = Clock(deadline_at=at(90))
    attempt.paused_at = at(30)
    attempt.deadline_at = timer.deadline_after_resume(
        attempt.deadline_at, attempt.paused_at, at(42)
    )
    attempt.paused_at = None
    assert attempt.deadline_at == at(102)
    assert timer.remaining_seconds(attempt, at(42)) == 60 * 60


def test_resume_with_a_clock_that_went_backwards_never_shortens_the_exam() -> None:
    assert timer.deadline_after_resume(at(90), at(30), at(29)) == at(90)


def test_extra_time_while_running_and_while_paused() -> None:
    running = Clock(deadline_at=at(90))
    running.deadline_at = timer.deadline_with_extra(running.deadline_at, 10)
    assert timer.remaining_seconds(running, at(80)) == 20 * 60

    paused = Clock(deadline_at=at(90), paused_at=at(60))
    paused.deadline_at = timer.deadline_with_extra(paused.deadline_at, 5)
    assert timer.remaining_seconds(paused, at(70)) == 35 * 60  # 30 left + 5, clock stopped
    paused.deadline_at = timer.deadline_after_resume(paused.deadline_at, at(60), at(70))
    paused.paused_at = None
    assert paused.deadline_at == at(105)
    assert timer.remaining_seconds(paused, at(70)) == 35 * 60


def test_grace_window_after_the_deadline() -> None:
    attempt = Clock(deadline_at=at(90))
    deadline = at(90)
    assert not timer.is_past_deadline(attempt, deadline - timedelta(seconds=1), 5)
    assert not timer.is_past_deadline(attempt, deadline, 5)
    assert not timer.is_past_deadline(attempt, deadline + timedelta(seconds=4.9), 5)
    assert timer.is_past_deadline(attempt, deadline + timedelta(seconds=5), 5)
    # Without grace (the default) the deadline itself is the end.
    assert timer.is_past_deadline(attempt, deadline, 0)
    assert timer.is_past_deadline(attempt, deadline)
    assert not timer.is_past_deadline(attempt, deadline - timedelta(microseconds=1), 0)


def test_reopen_gives_back_the_time_left_at_closing_plus_extra() -> None:
    # Force-submitted by mistake at 10:00 with 30 minutes left; reopened at 10:12.
    deadline = timer.deadline_after_reopen(at(90), at(60), at(72), extra_minutes=0)
    assert deadline == at(102)
    assert timer.deadline_after_reopen(at(90), at(60), at(72)) == at(102)  # no extra by default
    assert timer.remaining_seconds(Clock(deadline), at(72)) == 30 * 60
    with_extra = timer.deadline_after_reopen(at(90), at(60), at(72), extra_minutes=5)
    assert timer.remaining_seconds(Clock(with_extra), at(72)) == 35 * 60


def test_reopen_after_a_time_out_gives_only_the_extra_minutes() -> None:
    closed_at = at(90) + timedelta(seconds=7)  # the sweeper closed it after the grace
    assert timer.time_left_at_close(at(90), closed_at) == timedelta(0)
    assert timer.deadline_after_reopen(at(90), closed_at, at(95), 0) == at(95)
    assert timer.deadline_after_reopen(at(90), closed_at, at(95), 10) == at(105)


def test_time_left_at_close_of_a_paused_attempt_counts_from_the_pause() -> None:
    assert timer.time_left_at_close(at(90), at(70), paused_at=at(50)) == timedelta(minutes=40)
