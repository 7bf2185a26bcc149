"""The session rules (exams.rules): staffing at the opening, entry and absence (缺考), a
start in the past, and where a registration may move."""

from datetime import datetime, timedelta

import pytest

from app.exams import rules

T0 = datetime(2026, 6, 1, 1, 0)  # 09:00 China time


@pytest.mark.parametrize(
    ("proctors", "candidates", "expected"),
    [
        (2, 30, []),
        (1, 10, ["每个考场至少需要 2 名监考员，目前只有 1 名"]),
        (2, 31, ["按每 15 名考生至少 1 名监考员，31 名考生需要 3 名监考员，目前只有 2 名"]),
        (3, 45, []),
        (3, 46, ["按每 15 名考生至少 1 名监考员，46 名考生需要 4 名监考员，目前只有 3 名"]),
        (
            0,
            16,
            ["每个考场至少需要 2 名监考员，目前只有 0 名"],
        ),
    ],
)
def test_staffing(proctors: int, candidates: int, expected: list[str]) -> None:
    assert rules.staffing_problems(proctors=proctors, candidates=candidates) == expected


def test_an_understaffed_room_opens_only_with_an_override() -> None:
    problems = rules.staffing_problems(proctors=1, candidates=10)
    assert rules.opening_refusal(problems, overridden=False) == (
        "本考场监考人员配备不足（每个考场至少需要 2 名监考员，目前只有 1 名），"
        "须评价机构管理员说明原因后方可开考"
    )
    assert rules.opening_refusal(problems, overridden=True) is None
    assert rules.opening_refusal([], overridden=False) is None


def test_entry_closes_at_the_late_limit_or_the_end_whichever_first() -> None:
    end = T0 + timedelta(minutes=90)
    assert rules.entry_closes_at(starts_at=T0, ends_at=end, late_entry_minutes=30) == (
        T0 + timedelta(minutes=30)
    )
    assert rules.entry_closes_at(starts_at=T0, ends_at=end, late_entry_minutes=120) == end


def absent(now: datetime, *, closed: bool = False, started: bool = False) -> bool:
    return rules.is_absent(
        now=now,
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=90),
        late_entry_minutes=30,
        closed=closed,
        started=started,
    )


def test_absent_once_entry_closed_without_a_start() -> None:
    assert not absent(T0 + timedelta(minutes=30))  # the last moment one may still enter
    assert absent(T0 + timedelta(minutes=30, seconds=1))
    assert not absent(T0 + timedelta(minutes=31), started=True)
    assert absent(T0 - timedelta(minutes=5), closed=True)  # a closed session: absent at once
    assert not absent(T0 - timedelta(minutes=5))


def test_a_start_in_the_past_needs_confirmation_but_this_minute_is_now() -> None:
    now = T0
    assert (
        rules.start_time_problem(starts_at=now + timedelta(days=1), now=now, confirmed=False)
        is None
    )
    assert (
        rules.start_time_problem(starts_at=now - timedelta(seconds=59), now=now, confirmed=False)
        is None
    )
    problem = rules.start_time_problem(
        starts_at=now - timedelta(minutes=5), now=now, confirmed=False
    )
    assert problem is not None and problem.startswith("开考时间早于当前时间")
    assert (
        rules.start_time_problem(starts_at=now - timedelta(days=1), now=now, confirmed=True) is None
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, None),
        ({"same_session": True}, "考生已在该场次"),
        ({"same_plan": False}, "只能调到同一考试计划的其他场次"),
        ({"target_open": False}, "目标场次已关闭或已取消"),
        ({"target_entry_closed": True}, "目标场次已过入场时间"),
    ],
)
def test_where_a_registration_may_move(kwargs: dict[str, bool], expected: str | None) -> None:
    given = {
        "same_plan": True,
        "same_session": False,
        "target_open": True,
        "target_entry_closed": False,
    } | kwargs
    assert rules.move_problem(**given) == expected
