"""The rules for running and correcting sessions, as plain functions over plain values
(no models, no database): staffing at the opening, when entry closes and a candidate is
absent (缺考), what a correction may still change, and a start time in the past.

The services in exams, delivery, proctoring and results load the values and ask; each
rule is written here once."""

import math
from datetime import datetime, timedelta

# DOMAIN.md §2: at least one invigilator per 15 candidates and at least two per room.
CANDIDATES_PER_PROCTOR = 15
MIN_PROCTORS_PER_ROOM = 2


def staffing_problems(*, proctors: int, candidates: int) -> list[str]:
    """DOMAIN.md §2 staffing: ≥ 2 proctors per room and ≥ 1 per 15 candidates.

    A warning while the session is prepared (centres register candidates weeks ahead and
    settle staffing before exam day); enforced when the session opens (`opening_refusal`)."""
    found = []
    if proctors < MIN_PROCTORS_PER_ROOM:
        found.append(f"每个考场至少需要 {MIN_PROCTORS_PER_ROOM} 名监考员，目前只有 {proctors} 名")
    needed = math.ceil(candidates / CANDIDATES_PER_PROCTOR)
    # Up to 2 × 15 candidates the per-room minimum already says it all.
    if needed > proctors and needed > MIN_PROCTORS_PER_ROOM:
        found.append(
            f"按每 {CANDIDATES_PER_PROCTOR} 名考生至少 1 名监考员，{candidates} 名考生需要 "
            f"{needed} 名监考员，目前只有 {proctors} 名"
        )
    return found


def opening_refusal(problems: list[str], *, overridden: bool) -> str | None:
    """Why the room may not open (no candidate may start), or None. A centre admin's
    recorded override lets an understaffed room open."""
    if not problems or overridden:
        return None
    return (
        "本考场监考人员配备不足（" + "；".join(problems) + "），须评价机构管理员说明原因后方可开考"
    )


def entry_closes_at(*, starts_at: datetime, ends_at: datetime, late_entry_minutes: int) -> datetime:
    """The last moment a candidate may start: the late-entry limit after the start, and
    never after the session's end."""
    return min(starts_at + timedelta(minutes=late_entry_minutes), ends_at)


def is_absent(
    *,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    late_entry_minutes: int,
    closed: bool,
    started: bool,
) -> bool:
    """缺考: a registered candidate who never started, once entry has closed (or the
    session was closed). Read the same on the console, the session page and the results."""
    if started:
        return False
    closes = entry_closes_at(
        starts_at=starts_at, ends_at=ends_at, late_entry_minutes=late_entry_minutes
    )
    return closed or now > closes


def start_time_problem(*, starts_at: datetime, now: datetime, confirmed: bool) -> str | None:
    """A session set (or moved) to start in the past is refused unless the admin says so
    explicitly: an exam already under way keeps its real start (e.g. a room that started
    late), a typo of the year does not slip through."""
    # Times are typed to the minute: "now" typed during this minute is not in the past.
    if starts_at >= now - timedelta(minutes=1) or confirmed:
        return None
    return "开考时间早于当前时间：如确需如此（如补录已开考的场次），请勾选“确认开考时间早于现在”"


def move_problem(
    *,
    same_plan: bool,
    same_session: bool,
    target_open: bool,
    target_entry_closed: bool,
) -> str | None:
    """Why a registration may not move to that session, or None: only to another session
    of the same plan, still scheduled, whose entry has not closed."""
    if same_session:
        return "考生已在该场次"
    if not same_plan:
        return "只能调到同一考试计划的其他场次"
    if not target_open:
        return "目标场次已关闭或已取消"
    if target_entry_closed:
        return "目标场次已过入场时间"
    return None
