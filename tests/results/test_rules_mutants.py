"""Result rules at the edges tests/results/test_rules.py leaves open, each found by a
surviving mutant (scripts/mutation.py): whole messages, boundaries (a spread equal to the
tolerance, a mark at 0, p exactly 0.1), the marks of a sheet being filled in, a task's
state, the 复核 deadline on a server in another time zone, item statistics of small forms."""

import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from app.exams.components import Component, RuleError, assessment_rule
from app.reference.levels import get_level
from app.results.rules import (
    ComponentMark,
    Criterion,
    DoubleMarkStatus,
    ItemFlag,
    ItemStats,
    MarkStatus,
    Outcome,
    Rounding,
    TaskScore,
    TaskState,
    TaskStatus,
    WrittenStatus,
    check_arbitration,
    check_mark,
    check_panel_size,
    decide,
    double_marked_score,
    draft_marks,
    item_statistics,
    item_stats,
    kr20,
    panel_result,
    practical_score,
    recheck_deadline,
    recheck_open,
    sheet_total,
    task_state,
    tolerance_points,
    written_state,
)

T, P = Component.THEORY, Component.PRACTICAL

RUBRIC = [
    Criterion("A1", Decimal(20)),
    Criterion("A2", Decimal(30), step=Decimal(1)),
    Criterion("V1", Decimal(0), veto=True),
]


def refusal(call, *args, **kwargs) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleError) as err:
        call(*args, **kwargs)
    return err.value.code, err.value.message


# -- rounding, panels, marks ----------------------------------------------------------------


def test_a_rounding_step_of_zero_is_refused_with_its_message():
    assert refusal(Rounding, step=Decimal(0)) == ("rounding_invalid", "取整单位须大于 0")


def test_panel_size_messages_name_the_panel():
    assert refusal(check_panel_size, 4) == (
        "panel_size_invalid",
        "考评组须为 3 人及以上的奇数（现为 4 人）",
    )
    assert (
        refusal(check_panel_size, 2, what="评审组")[1] == "评审组须为 3 人及以上的奇数（现为 2 人）"
    )


def test_a_mark_without_a_label_says_only_the_rule():
    assert refusal(check_mark, 11, max_points=10) == (
        "mark_out_of_range",
        "分数须在 0–10 之间（11）",
    )


def test_a_step_of_zero_accepts_any_mark_in_range():
    assert check_mark("3.3", max_points=10, step=0) == Decimal("3.3")


def test_a_panel_without_marks_says_so():
    assert refusal(panel_result, [], tolerance=5) == ("no_marks", "尚无考评员评分")


def test_a_panel_result_keeps_the_totals_and_applies_the_given_rounding():
    result = panel_result(["70", 71, 71], tolerance=5, rounding=Rounding(step=Decimal(1)))
    assert result.totals == (Decimal(70), Decimal(71), Decimal(71))
    assert result.mean == Decimal(71)  # 70.667 to the whole point (the default gives 70.5)


def test_arbitration_messages_and_its_hundredth_step():
    reason = "复看录像"
    assert refusal(check_arbitration, "73", max_points=100, reason=" ") == (
        "reason_required",
        "仲裁须填写理由",
    )
    assert check_arbitration("72.25", max_points=100, reason=reason) == Decimal("72.25")
    assert refusal(check_arbitration, "101", max_points=100, reason=reason)[1] == (
        "仲裁分数：分数须在 0–100 之间（101）"
    )
    assert refusal(check_arbitration, "72.255", max_points=100, reason=reason)[1] == (
        "仲裁分数：分数须为 0.01 的整数倍（72.255）"
    )


# -- double marking (双评) -------------------------------------------------------------------


def test_double_marking_with_one_mark_says_two_are_needed():
    assert refusal(double_marked_score, [5], tolerance=2) == (
        "no_marks",
        "双评须有两位评分人的评分",
    )


def test_two_marks_exactly_the_tolerance_apart_agree():
    result = double_marked_score([6, 8], tolerance=2)
    assert (result.status, result.score) == (DoubleMarkStatus.FINAL, Decimal(7))


def test_a_third_mark_nearer_the_first_is_averaged_with_the_first():
    result = double_marked_score([4, 8, 5], tolerance=2)
    assert (result.status, result.score) == (DoubleMarkStatus.FINAL, Decimal("4.5"))


def test_a_third_mark_exactly_the_tolerance_from_the_nearer_is_final():
    result = double_marked_score([4, 8, 10], tolerance=2)
    assert (result.status, result.score) == (DoubleMarkStatus.FINAL, Decimal(9))


def test_a_third_mark_midway_between_the_first_two_goes_with_the_first():
    result = double_marked_score([4, 8, 6], tolerance=2)
    assert (result.status, result.score) == (DoubleMarkStatus.FINAL, Decimal(5))


# -- written answers (简答, 论述/计算) ----------------------------------------------------------


def test_a_tolerance_may_be_any_share_above_0_up_to_all_the_points():
    assert tolerance_points(10, 1) == Decimal("0.1")
    assert tolerance_points(10, "0.5") == Decimal("0.05")
    assert tolerance_points(10, 100) == 10
    for percent in (0, "100.5", 101):
        assert refusal(tolerance_points, 10, percent) == (
            "tolerance_invalid",
            "双评误差应为大于 0、不超过 100 的百分比",
        )


def test_only_the_chief_examiners_score_is_marked_as_arbitrated():
    arbitrated = written_state([2, 9, 5.5], tolerance=2, max_points=10, arbitrated_score=6)
    assert (arbitrated.status, arbitrated.score, arbitrated.arbitrated) == (
        WrittenStatus.FINAL,
        Decimal(6),
        True,
    )
    agreed = written_state([7, 9], tolerance=2, max_points=10)
    assert (agreed.status, agreed.score, agreed.arbitrated) == (
        WrittenStatus.FINAL,
        Decimal(8),
        False,
    )


def test_a_written_answers_mean_is_rounded_as_the_plan_says():
    rounding = Rounding(step=Decimal(1))
    state = written_state([7, 8], tolerance=2, max_points=10, rounding=rounding)
    assert (state.status, state.score) == (WrittenStatus.FINAL, Decimal(8))  # 7.5 → 8
    state = written_state([7, 8], tolerance=2, max_points=10)
    assert (state.status, state.score) == (WrittenStatus.FINAL, Decimal("7.5"))


def test_marks_after_the_third_are_not_read():
    # Three marks settle an answer (final or to the chief examiner): a fourth slot, even an
    # empty one, is never looked at.
    state = written_state([7, 9.5, 9, None], tolerance=2, max_points=10)
    assert (state.status, state.score) == (WrittenStatus.FINAL, Decimal("9.5"))


# -- rubric sheets -------------------------------------------------------------------------


def test_sheet_refusals_say_which_criterion_and_why():
    cases = [
        (({"A1": 20, "A2": 25}, ["A1"]), ("not_a_veto", "评分要素 A1 不是否决项")),
        (({"A1": 20, "A2": 25, "Z9": 1}, []), ("unknown_criterion", "没有评分要素 Z9")),
        (({"A1": 20}, []), ("mark_missing", "评分要素 A2 尚未评分")),
        (({"A1": 20, "A2": ""}, []), ("mark_missing", "评分要素 A2 尚未评分")),
        (({"A1": 21, "A2": 25}, []), ("mark_out_of_range", "A1：分数须在 0–20 之间（21）")),
    ]
    for (marks, vetoes), expected in cases:
        assert refusal(sheet_total, RUBRIC, marks, vetoes) == expected


def test_a_veto_criterion_listed_first_still_lets_the_others_count():
    rubric = [RUBRIC[2], RUBRIC[0], RUBRIC[1]]
    assert sheet_total(rubric, {"A1": "18.5", "A2": 25}).total == Decimal("43.5")
    assert refusal(sheet_total, rubric, {"A1": 20})[0] == "mark_missing"


def test_draft_marks_keep_the_given_marks_and_leave_blanks_out():
    assert draft_marks(RUBRIC, {"A1": "", "A2": 25}) == {"A2": Decimal(25)}
    assert draft_marks(RUBRIC, {"A1": None, "A2": "7"}, ["V1"]) == {"A2": Decimal(7)}
    assert draft_marks(RUBRIC, {}) == {}


def test_draft_marks_check_each_mark_against_its_criterion():
    assert refusal(draft_marks, RUBRIC, {"A1": 21}) == (
        "mark_out_of_range",
        "A1：分数须在 0–20 之间（21）",
    )
    assert refusal(draft_marks, RUBRIC, {"A2": "2.5"}) == (
        "mark_off_step",
        "A2：分数须为 1 的整数倍（2.5）",
    )
    assert draft_marks(RUBRIC, {"A1": "0.5", "A2": 30}) == {"A1": Decimal("0.5"), "A2": 30}


def test_draft_marks_refuse_unknown_codes_and_non_veto_vetoes():
    assert refusal(draft_marks, RUBRIC, {"Z9": 1}) == ("unknown_criterion", "没有评分要素 Z9")
    assert refusal(draft_marks, RUBRIC, {"V1": 0}) == ("unknown_criterion", "没有评分要素 V1")
    assert refusal(draft_marks, RUBRIC, {}, ["A1"]) == ("not_a_veto", "评分要素 A1 不是否决项")
    assert refusal(draft_marks, RUBRIC, {}, ["Z9"]) == ("not_a_veto", "评分要素 Z9 不是否决项")
    assert draft_marks(RUBRIC, {"A1": 10}, ["V1"]) == {"A1": Decimal(10)}


def test_practical_score_refusals_say_why():
    assert refusal(practical_score, []) == ("no_tasks", "技能考核没有试题")
    assert refusal(practical_score, [TaskScore(Decimal(10), Decimal(20), Decimal(60))]) == (
        "weights_invalid",
        "技能考核各试题的配分之和须为 100",
    )


# -- a task's state ---------------------------------------------------------------------------


def task_state_of(totals: list[float], **kwargs: object) -> TaskState:
    """A task of a three-examiner panel with a tolerance of 5 unless said otherwise."""
    return task_state(totals, **{"panel_size": 3, "tolerance": 5, **kwargs})  # type: ignore[arg-type]


def test_a_task_is_marking_until_the_whole_panel_has_submitted():
    assert task_state_of([70, 72]) == TaskState(TaskStatus.MARKING, 2)
    assert task_state_of([]) == TaskState(TaskStatus.MARKING, 0)


def test_a_task_is_final_at_the_rounded_mean_once_every_examiner_has_submitted():
    assert task_state_of([70, 71, 71]) == TaskState(
        TaskStatus.FINAL, 3, Decimal("70.5"), Decimal(1)
    )
    whole = task_state_of([70, 71, 71], rounding=Rounding(step=Decimal(1)))
    assert whole.score == Decimal(71)


def test_a_spread_equal_to_the_tolerance_is_final_and_beyond_it_awaits_arbitration():
    assert task_state_of([70, 72, 74], tolerance=4).status == TaskStatus.FINAL
    assert task_state_of([70, 72, 74.5], tolerance=4) == TaskState(
        TaskStatus.ARBITRATION, 3, None, Decimal("4.5")
    )


def test_a_recorded_arbitration_is_the_score():
    state = task_state_of([60, 72, 80], arbitrated_score="73.25")
    assert state == TaskState(TaskStatus.FINAL, 3, Decimal("73.25"), Decimal(20), arbitrated=True)


# -- results -------------------------------------------------------------------------------


def rule_for(code: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return assessment_rule(get_level(code), **kwargs)  # type: ignore[arg-type]


def test_a_component_score_of_zero_is_a_score_and_above_100_says_the_range():
    assert ComponentMark.scored(T, 0).score == 0
    assert refusal(ComponentMark.scored, T, Decimal("100.5")) == (
        "score_out_of_range",
        "成绩须在 0–100 之间（100.5）",
    )


def test_misconduct_without_a_note_names_the_incident_only():
    marks = [
        ComponentMark(T, MarkStatus.DISQUALIFIED, incident_id=17),
        ComponentMark(P, MarkStatus.DISQUALIFIED),
    ]
    decision = decide(rule_for("intermediate"), marks)
    assert decision.reasons == ("理论知识考试违纪（事件 #17）", "技能考核违纪")


def test_a_component_the_plan_lacks_is_named():
    marks = [ComponentMark.scored(T, 60), ComponentMark.scored(Component.REVIEW, 60)]
    assert refusal(decide, rule_for("intermediate"), marks) == (
        "unknown_component",
        "该考核不含综合评审",
    )


def test_absent_from_everything_says_so():
    marks = [ComponentMark(T, MarkStatus.ABSENT), ComponentMark(P, MarkStatus.ABSENT)]
    assert decide(rule_for("intermediate"), marks).reasons == ("全部考核项目缺考",)


def test_a_pass_says_every_component_reached_its_pass_mark():
    decision = decide(
        rule_for("senior"), [ComponentMark.scored(T, 60), ComponentMark.scored(P, 90)]
    )
    assert decision.reasons == ("各项成绩均达到合格线",)


def test_an_absent_component_counts_zero_in_the_composite():
    marks = [ComponentMark(T, MarkStatus.ABSENT), ComponentMark.scored(P, 100)]
    decision = decide(rule_for("x_junior"), marks)
    assert decision.outcome == Outcome.FAILED
    assert decision.composite == Decimal(60)  # 0 × 40 % + 100 × 60 %


def test_a_component_weighted_zero_adds_nothing_to_the_composite():
    rule = rule_for("x_junior", weights={"theory": 0, "practical": 100})
    decision = decide(rule, [ComponentMark.scored(T, 50), ComponentMark.scored(P, 60)])
    assert decision.composite == Decimal(60)
    assert decision.reasons == ("综合成绩 60 达到合格线",)


# -- 复核 window -------------------------------------------------------------------------------


@pytest.fixture
def server_five_hours_behind_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's own time zone (TZ) must not move the deadline: it is China time."""
    monkeypatch.setenv("TZ", "EST+5")  # POSIX: UTC−5, needs no tz database
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_negative_recheck_days_are_refused_with_the_message():
    assert refusal(recheck_deadline, datetime(2026, 12, 1, 2, 0), -1) == (
        "recheck_days_invalid",
        "复核期限不能为负数",
    )


def test_publication_after_china_midnight_counts_from_the_china_day():
    published = datetime(2026, 12, 1, 17, 0)  # 12-02 01:00 China time
    assert recheck_deadline(published) == datetime(2026, 12, 17, 16, 0)  # 12-18 00:00 CST


@pytest.mark.usefixtures("server_five_hours_behind_utc")
def test_the_deadline_is_the_same_whatever_the_servers_time_zone():
    assert recheck_deadline(datetime(2026, 12, 1, 2, 0)) == datetime(2026, 12, 16, 16, 0)
    assert recheck_deadline(datetime(2026, 12, 1, 17, 0)) == datetime(2026, 12, 17, 16, 0)
    # 12:00 UTC is 20:00 on 12-01 in China; read as the server's 12:00 (17:00 UTC) it would
    # be 01:00 on 12-02, and the window would close a day late.
    assert recheck_deadline(datetime(2026, 12, 1, 12, 0)) == datetime(2026, 12, 16, 16, 0)
    assert recheck_open(datetime(2026, 12, 1, 12, 0), datetime(2026, 12, 16, 15, 59))
    assert not recheck_open(datetime(2026, 12, 1, 12, 0), datetime(2026, 12, 16, 16, 0))


def test_a_recheck_may_be_asked_for_from_the_moment_of_publication():
    published = datetime(2026, 12, 1, 2, 0)
    assert recheck_open(published, published)


# -- item statistics -----------------------------------------------------------------------


def test_an_item_nobody_had_has_no_statistics():
    assert item_stats(3, [], []) == ItemStats(3, 0.0, None, None, {}, ())


def test_one_candidate_gives_a_facility_but_no_discrimination():
    stats = item_stats(0, [1.0], [5.0])
    assert (stats.facility, stats.discrimination, stats.point_biserial) == (1.0, None, None)
    assert stats.flags == (ItemFlag.TOO_EASY,)


def test_two_candidates_give_a_discrimination():
    # The second has the higher total and got the item: D = 1 − 0.
    assert item_stats(0, [0.0, 1.0], [1.0, 2.0]).discrimination == 1.0


def test_groups_are_taken_by_total_not_by_the_order_given():
    # Totals 1, 3, 2: the upper group is the second candidate, the lower the first.
    stats = item_stats(0, [0.0, 1.0, 0.0], [1.0, 3.0, 2.0])
    assert stats.discrimination == 1.0


def test_small_groups_are_one_candidate_each():
    # Three candidates: round(0.27 × 3) = 1, so D compares the top and the bottom only.
    assert item_stats(0, [1.0, 1.0, 0.0], [3.0, 2.0, 1.0]).discrimination == 1.0


def test_blank_answers_are_counted_each_time():
    stats = item_stats(0, [1.0, 0.0, 0.0], [3.0, 2.0, 1.0], ["A", None, ""])
    assert stats.distractors == {"": 2, "A": 1}


def test_a_negative_discrimination_is_flagged_even_when_the_correlation_is_positive():
    # The top candidate misses the item and the bottom one gets it (D = −1), though the
    # item correlates positively with the total over all five.
    stats = item_stats(0, [0.0, 1.0, 1.0, 0.0, 1.0], [10.0, 9.0, 9.0, 1.0, 0.0])
    assert stats.discrimination == -1.0
    assert stats.point_biserial is not None and stats.point_biserial > 0
    assert stats.flags == (ItemFlag.NEGATIVE_DISCRIMINATION,)


def test_a_correlation_of_exactly_zero_is_not_negative():
    stats = item_stats(0, [1.0, 0.0, 0.0, 1.0], [4.0, 3.0, 2.0, 1.0])
    assert (stats.discrimination, stats.point_biserial, stats.flags) == (0.0, 0.0, ())


def test_totals_that_do_not_vary_give_no_correlation():
    assert item_stats(0, [1.0, 0.0], [1.0, 1.0]).point_biserial is None


def test_facility_exactly_at_the_flag_limits_is_not_flagged():
    ten = [1.0] + [0.0] * 9  # p = 0.1, the one who got it has the top total
    assert item_stats(0, ten, [10.0 - c for c in range(10)]).flags == ()
    twenty = [1.0] * 19 + [0.0]  # p = 0.95, the one who missed it has the lowest total
    assert item_stats(0, twenty, [20.0 - c for c in range(20)]).flags == ()


def test_items_keep_their_position_on_the_form():
    stats = item_statistics([[1, 0, 1], [0, 0, 1]], [1, 1, 1])
    assert [i.position for i in stats.items] == [0, 1, 2]


def test_a_one_item_form_has_item_statistics_but_no_kr20():
    stats = item_statistics([[1], [0]], [1])
    assert stats.candidates == 2
    assert [i.facility for i in stats.items] == [0.5]
    assert stats.kr20 is None


def test_no_candidates_is_zero_candidates():
    assert item_statistics([], [1, 1]).candidates == 0


def test_kr20_of_a_two_item_form_whose_totals_vary_by_one():
    # totals 0 and 2: var(total) = 1, var(item) = 0.25 each; KR-20 = 2 · (1 − 0.5) = 1.
    assert kr20([[0, 0], [1, 1]]) == 1.0
    assert kr20([[1], [0]]) is None
