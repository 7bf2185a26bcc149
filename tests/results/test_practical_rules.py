"""The pure rules of the practical component: a task's state from the panel's totals, the
marks of a sheet being filled in, and the practical paper's sections and draw."""

from decimal import Decimal

import pytest

from app.exams.assembly import TaskSection, draw_practical, practical_paper_problems
from app.results.rules import (
    Criterion,
    Rounding,
    RuleError,
    TaskStatus,
    draft_marks,
    task_state,
)

R = Rounding(step=Decimal("0.5"))


def test_a_task_is_marking_until_the_whole_panel_has_submitted():
    st = task_state([50, 52], panel_size=3, tolerance=10, rounding=R)
    assert (st.status, st.submitted, st.score) == (TaskStatus.MARKING, 2, None)


def test_agreeing_totals_give_their_mean_rounded_to_the_step():
    # (50 + 51 + 52.5) / 3 = 51.1666… → 51.0 to the nearest 0.5
    st = task_state([50, 51, 52.5], panel_size=3, tolerance=10, rounding=R)
    assert (st.status, st.score, st.spread) == (TaskStatus.FINAL, Decimal("51.0"), Decimal("2.5"))


def test_a_spread_equal_to_the_tolerance_is_agreement_and_beyond_it_goes_to_the_chief():
    assert task_state([40, 45, 50], panel_size=3, tolerance=10).status == TaskStatus.FINAL
    st = task_state([40, 45, 50.5], panel_size=3, tolerance=10)
    assert (st.status, st.score) == (TaskStatus.ARBITRATION, None)


def test_a_recorded_arbitration_is_the_score():
    st = task_state([30, 45, 50], panel_size=3, tolerance=10, arbitrated_score=46)
    assert (st.status, st.score, st.arbitrated) == (TaskStatus.FINAL, Decimal(46), True)


CRITERIA = [
    Criterion("A1", Decimal(20)),
    Criterion("A2", Decimal(40), step=Decimal(1)),
    Criterion("V1", Decimal(0), veto=True),
]


def test_a_draft_keeps_the_marks_given_and_leaves_blanks_out():
    assert draft_marks(CRITERIA, {"A1": "12.5", "A2": ""}) == {"A1": Decimal("12.5")}


@pytest.mark.parametrize(
    ("marks", "vetoes", "code"),
    [
        ({"A1": 21}, [], "mark_out_of_range"),
        ({"A1": -1}, [], "mark_out_of_range"),
        ({"A2": 12.5}, [], "mark_off_step"),
        ({"A1": "abc"}, [], "mark_not_a_number"),
        ({"B9": 1}, [], "unknown_criterion"),
        ({"V1": 1}, [], "unknown_criterion"),
        ({}, ["A1"], "not_a_veto"),
    ],
)
def test_a_draft_mark_outside_its_criterion_is_refused(marks, vetoes, code):
    with pytest.raises(RuleError) as exc:
        draft_marks(CRITERIA, marks, vetoes)
    assert exc.value.code == code


def test_practical_sections_need_known_tasks_once_each_and_weights_of_100():
    ok = [TaskSection((1, 2), 60), TaskSection((3,), 40)]
    assert practical_paper_problems(ok, [1, 2, 3]) == []
    problems = practical_paper_problems(
        [TaskSection((1, 9), 60), TaskSection((1,), 30), TaskSection((), 5)], [1, 2, 3]
    )
    texts = [p["problem"] for p in problems]
    assert "试题 #9 不是本计划职业和等级可用的操作技能试题" in texts
    assert "试题 #1 不能同时出现在两组中" in texts
    assert "第 3 组没有选择试题" in texts
    assert "各组配分之和为 95，应为 100" in texts
    assert practical_paper_problems([], [1]) == [
        {"field": "sections", "problem": "技能考核试卷至少要有一组试题"}
    ]


def test_the_draw_takes_one_task_per_section_reproducibly():
    sections = [TaskSection((1, 2, 3), 60), TaskSection((4,), 40)]
    first = draw_practical(sections, seed=7)
    assert first == draw_practical(sections, seed=7)
    assert first[0][0] in (1, 2, 3) and first[1] == (4, 40)
    drawn = {draw_practical(sections, seed=s)[0][0] for s in range(40)}
    assert drawn == {1, 2, 3}
