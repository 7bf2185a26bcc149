"""Result rules: components per scheme and level, panels, rounding, arbitration, veto,
results with reasons, the 复核 window and item statistics (against hand-computed values)."""

from datetime import datetime
from decimal import Decimal
from math import sqrt

import pytest

from app.exams.components import (
    AssessmentRule,
    Component,
    RuleError,
    assessment_rule,
    check_duration,
    components_for,
)
from app.reference.levels import LEVELS, get_level
from app.results import rules
from app.results.rules import (
    ComponentMark,
    Criterion,
    DoubleMarkStatus,
    ItemFlag,
    MarkStatus,
    Outcome,
    Rounding,
    RoundingMode,
    TaskScore,
    check_arbitration,
    check_mark,
    check_panel_size,
    decide,
    double_marked_score,
    item_statistics,
    panel_result,
    practical_score,
    recheck_deadline,
    recheck_open,
    sheet_total,
)

T, P, R, E = Component.THEORY, Component.PRACTICAL, Component.REVIEW, Component.ENTERPRISE


def scored(**scores: float | str) -> list[ComponentMark]:
    return [ComponentMark.scored(name, value) for name, value in scores.items()]


def rule_for(code: str, **kwargs: object) -> AssessmentRule:
    return assessment_rule(get_level(code), **kwargs)  # type: ignore[arg-type]


# -- components ---------------------------------------------------------------------------

EXPECTED_COMPONENTS = {
    "junior": (T, P),
    "intermediate": (T, P),
    "senior": (T, P),
    "technician": (T, P, R),
    "senior_technician": (T, P, R),
    "principal_technician": (E,),
    "chief_technician": (E,),
    "x_junior": (T, P),
    "x_intermediate": (T, P),
    "x_senior": (T, P),
}


@pytest.mark.parametrize("level", [lv for lv in LEVELS if lv.code != "apprentice"], ids=str)
def test_every_assessed_level_has_its_components(level):
    assert components_for(level) == EXPECTED_COMPONENTS[level.code]
    rule = assessment_rule(level)
    assert [c.component for c in rule.components] == list(EXPECTED_COMPONENTS[level.code])
    assert all(c.pass_mark == 60 for c in rule.components)
    assert rule.has_composite == (level.scheme == "one_plus_x")


def test_apprentices_are_not_assessed_on_the_platform():
    with pytest.raises(RuleError) as err:
        components_for(get_level("apprentice"))
    assert err.value.code == "level_not_assessed"


def test_component_minimum_durations_are_the_domain_ones():
    rule = rule_for("technician")
    assert {c.component: c.min_minutes for c in rule.components} == {T: 90, P: 60, R: 15}


def test_one_plus_x_defaults_to_forty_sixty_with_composite_pass_sixty():
    rule = rule_for("x_intermediate")
    assert {c.component: c.weight for c in rule.components} == {T: 40, P: 60}
    assert rule.composite_pass_mark == 60


def test_one_plus_x_weights_are_configurable_and_must_add_up_to_100():
    rule = rule_for("x_senior", weights={"theory": 30, "practical": 70})
    assert rule.get(P).weight == 70  # type: ignore[union-attr]
    with pytest.raises(RuleError, match="之和须为 100") as err:
        rule_for("x_senior", weights={"theory": 30, "practical": 60})
    assert err.value.code == "weights_invalid"
    with pytest.raises(RuleError, match="须且只须包括"):
        rule_for("x_senior", weights={"theory": 100})


def test_weights_are_refused_outside_one_plus_x():
    with pytest.raises(RuleError) as err:
        rule_for("intermediate", weights={"theory": 40, "practical": 60})
    assert err.value.code == "weights_not_allowed"


def test_pass_marks_can_be_set_per_component_within_range():
    rule = rule_for("senior", pass_marks={"practical": 70})
    assert rule.get(P).pass_mark == 70  # type: ignore[union-attr]
    assert rule.get(T).pass_mark == 60  # type: ignore[union-attr]
    with pytest.raises(RuleError) as err:
        rule_for("senior", pass_marks={"practical": 101})
    assert err.value.code == "pass_mark_out_of_range"
    with pytest.raises(RuleError) as err:
        rule_for("senior", pass_marks={"review": 60})
    assert err.value.code == "unknown_component"


@pytest.mark.parametrize(
    ("component", "minimum"), [("theory", 90), ("practical", 60), ("review", 15)]
)
def test_durations_below_the_minimum_need_a_recorded_reason(component, minimum):
    check_duration(component, minimum)
    with pytest.raises(RuleError) as err:
        check_duration(component, minimum - 1)
    assert err.value.code == "duration_below_minimum"
    assert f"不少于 {minimum} 分钟" in err.value.message
    with pytest.raises(RuleError):
        check_duration(component, minimum - 1, "   ")
    check_duration(component, minimum - 1, "职业标准规定本项目 45 分钟")


def test_a_duration_must_be_positive():
    with pytest.raises(RuleError) as err:
        check_duration("practical", 0, "理由")
    assert err.value.code == "duration_invalid"


# -- rounding, panels, marks ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("72.25", "72.5"), ("72.24", "72.0"), ("72.75", "73.0"), ("72.74", "72.5"), ("60", "60")],
)
def test_default_rounding_is_to_half_a_point_half_up(value, expected):
    assert Rounding().apply(value) == Decimal(expected)


def test_rounding_step_and_mode_are_configurable():
    assert Rounding(step=Decimal("0.1")).apply("2.65") == Decimal("2.7")
    assert Rounding(step=Decimal("1")).apply("59.5") == Decimal("60")
    assert Rounding(step=Decimal("1"), mode=RoundingMode.DOWN).apply("59.9") == Decimal("59")
    assert Rounding(step=Decimal("0.5"), mode=RoundingMode.UP).apply("59.1") == Decimal("59.5")
    with pytest.raises(RuleError):
        Rounding(step=Decimal(0))


def test_panel_score_is_the_rounded_mean_of_the_totals():
    result = panel_result([70, 71, 71], tolerance=5)
    assert result.mean == Decimal("70.5")  # 70.667 to the nearest 0.5
    assert result.spread == 1
    assert not result.needs_arbitration


def test_a_spread_beyond_the_tolerance_goes_to_arbitration_and_equal_does_not():
    assert not panel_result([70, 72, 74], tolerance=4).needs_arbitration
    assert panel_result([70, 72, 74.5], tolerance=4).needs_arbitration
    assert panel_result(["70", "72", "74"], tolerance="3.5").needs_arbitration


def test_a_panel_needs_marks():
    with pytest.raises(RuleError) as err:
        panel_result([], tolerance=5)
    assert err.value.code == "no_marks"


@pytest.mark.parametrize("size", [0, 1, 2, 4, 6])
def test_panels_below_three_or_even_are_refused(size):
    with pytest.raises(RuleError) as err:
        check_panel_size(size)
    assert err.value.code == "panel_size_invalid"
    assert f"现为 {size} 人" in err.value.message


@pytest.mark.parametrize("size", [3, 5, 7])
def test_odd_panels_of_three_or_more_are_accepted(size):
    check_panel_size(size)


def test_marks_must_be_within_range_and_in_the_criterion_step():
    assert check_mark("9.5", max_points=10) == Decimal("9.5")
    assert check_mark(0, max_points=10) == 0
    assert check_mark(10, max_points=10) == 10
    for bad, code in [
        (-0.5, "mark_out_of_range"),
        (10.5, "mark_out_of_range"),
        ("3.3", "mark_off_step"),
        ("abc", "mark_not_a_number"),
        ("NaN", "mark_not_a_number"),
    ]:
        with pytest.raises(RuleError) as err:
            check_mark(bad, max_points=10, what="A1")
        assert err.value.code == code
        assert err.value.message.startswith("A1：")
    assert check_mark("3", max_points=10, step=1) == 3
    with pytest.raises(RuleError):
        check_mark("2.5", max_points=10, step=1)


def test_arbitration_needs_a_reason_and_a_score_in_range():
    assert check_arbitration("73", max_points=100, reason="复看录像，接线工艺扣分有据") == 73
    with pytest.raises(RuleError) as err:
        check_arbitration("73", max_points=100, reason=" ")
    assert err.value.code == "reason_required"
    with pytest.raises(RuleError) as err:
        check_arbitration("101", max_points=100, reason="理由")
    assert err.value.code == "mark_out_of_range"


def test_double_marking_within_tolerance_is_the_mean():
    result = double_marked_score([6, 7], tolerance=2)
    assert result.status == DoubleMarkStatus.FINAL
    assert result.score == Decimal("6.5")


def test_double_marking_beyond_tolerance_needs_a_third_marker():
    result = double_marked_score([4, 8], tolerance=2)
    assert result.status == DoubleMarkStatus.NEEDS_THIRD
    assert result.score is None


def test_third_mark_is_averaged_with_the_nearer_of_the_first_two():
    result = double_marked_score([4, 8, 7], tolerance=2)
    assert result.status == DoubleMarkStatus.FINAL
    assert result.score == Decimal("7.5")  # (8 + 7) / 2


def test_a_third_mark_far_from_both_goes_to_the_chief_examiner():
    result = double_marked_score([2, 10, 6], tolerance=2)
    assert result.status == DoubleMarkStatus.NEEDS_ARBITRATION
    assert result.score is None


def test_double_marking_needs_two_marks():
    with pytest.raises(RuleError):
        double_marked_score([5], tolerance=2)


# -- rubric sheets -------------------------------------------------------------------------

RUBRIC = [
    Criterion("A1", Decimal(20)),
    Criterion("A2", Decimal(30), step=Decimal(1)),
    Criterion("A3", Decimal(50)),
    Criterion("V1", Decimal(0), veto=True),  # 带电接线 (safety)
]


def test_a_sheet_total_is_the_sum_of_its_criterion_marks():
    total = sheet_total(RUBRIC, {"A1": "18.5", "A2": 25, "A3": 40})
    assert total.total == Decimal("83.5")
    assert total.vetoed_by == ()


def test_a_triggered_veto_zeros_the_task():
    total = sheet_total(RUBRIC, {"A1": 20, "A2": 30, "A3": 50}, vetoes=["V1"])
    assert total.total == 0
    assert total.vetoed_by == ("V1",)


def test_sheet_refusals_name_the_criterion():
    cases: list[tuple[tuple[dict[str, float], tuple[str, ...]], str]] = [
        (({"A1": 21, "A2": 25, "A3": 40}, ()), "mark_out_of_range"),
        (({"A1": 20, "A2": 25.5, "A3": 40}, ()), "mark_off_step"),
        (({"A1": 20, "A3": 40}, ()), "mark_missing"),
        (({"A1": 20, "A2": 25, "A3": 40, "Z9": 1}, ()), "unknown_criterion"),
        (({"A1": 20, "A2": 25, "A3": 40}, ("A1",)), "not_a_veto"),
    ]
    for (marks, vetoes), code in cases:
        with pytest.raises(RuleError) as err:
            sheet_total(RUBRIC, marks, vetoes)
        assert err.value.code == code


def test_practical_score_scales_each_task_to_its_weight():
    score = practical_score(
        [
            TaskScore(Decimal("83.5"), Decimal(100), Decimal(60)),  # 50.1
            TaskScore(Decimal("15"), Decimal(20), Decimal(40)),  # 30
        ]
    )
    assert score == Decimal("80.1")
    with pytest.raises(RuleError) as err:
        practical_score([TaskScore(Decimal(10), Decimal(20), Decimal(60))])
    assert err.value.code == "weights_invalid"


# -- results -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["junior", "intermediate", "senior"])
def test_skill_levels_pass_at_exactly_sixty_in_every_component(code):
    decision = decide(rule_for(code), scored(theory=60, practical=60))
    assert decision.outcome == Outcome.PASSED
    assert decision.name == "合格"
    assert decision.composite is None


@pytest.mark.parametrize("code", ["junior", "intermediate", "senior"])
def test_skill_levels_fail_when_one_component_is_below_sixty(code):
    decision = decide(rule_for(code), scored(theory="59.5", practical=95))
    assert decision.outcome == Outcome.FAILED
    assert decision.reasons == ("理论知识考试 59.5 分，低于合格线 60",)


def test_every_failing_component_is_a_reason():
    decision = decide(rule_for("senior"), scored(theory=50, practical=40))
    assert decision.reasons == (
        "理论知识考试 50 分，低于合格线 60",
        "技能考核 40 分，低于合格线 60",
    )


def test_a_float_just_below_sixty_is_not_sixty():
    decision = decide(rule_for("intermediate"), scored(theory=59.999999, practical=80))
    assert decision.outcome == Outcome.FAILED


@pytest.mark.parametrize("code", ["technician", "senior_technician"])
def test_technicians_also_need_the_comprehensive_review(code):
    rule = rule_for(code)
    assert decide(rule, scored(theory=60, practical=60, review=60)).outcome == Outcome.PASSED
    failed = decide(rule, scored(theory=80, practical=80, review=58))
    assert failed.outcome == Outcome.FAILED
    assert failed.reasons == ("综合评审 58 分，低于合格线 60",)
    pending = decide(rule, scored(theory=80, practical=80))
    assert pending.outcome == Outcome.PENDING
    assert pending.reasons == ("综合评审成绩未出",)


def test_a_raised_pass_mark_applies():
    rule = rule_for("senior", pass_marks={"practical": 70})
    assert decide(rule, scored(theory=60, practical=69.5)).outcome == Outcome.FAILED
    assert decide(rule, scored(theory=60, practical=70)).outcome == Outcome.PASSED


@pytest.mark.parametrize("code", ["principal_technician", "chief_technician"])
def test_enterprise_evaluation_passes_at_sixty(code):
    rule = rule_for(code)
    assert decide(rule, scored(enterprise=60)).outcome == Outcome.PASSED
    assert decide(rule, scored(enterprise="59.5")).outcome == Outcome.FAILED


@pytest.mark.parametrize("code", ["x_junior", "x_intermediate", "x_senior"])
def test_one_plus_x_composite_decides(code):
    rule = rule_for(code)
    exact = decide(rule, scored(theory=30, practical=80))  # 12 + 48
    assert exact.outcome == Outcome.PASSED
    assert exact.composite == Decimal(60)
    assert exact.reasons == ("综合成绩 60 达到合格线",)
    low_theory = decide(rule, scored(theory=45, practical=70))  # 18 + 42: theory < 60 is fine
    assert low_theory.outcome == Outcome.PASSED
    failed = decide(rule, scored(theory=45, practical="59.5"))  # 18 + 35.7
    assert failed.outcome == Outcome.FAILED
    assert failed.composite == Decimal("53.7")
    assert failed.reasons == ("综合成绩 53.7 低于合格线 60",)


def test_one_plus_x_composite_uses_the_configured_weights():
    rule = rule_for("x_intermediate", weights={"theory": 50, "practical": 50})
    decision = decide(rule, scored(theory=50, practical=69))
    assert decision.composite == Decimal("59.5")
    assert decision.outcome == Outcome.FAILED


def test_absent_from_every_component_is_absent():
    marks = [ComponentMark(T, MarkStatus.ABSENT), ComponentMark(P, MarkStatus.ABSENT)]
    decision = decide(rule_for("intermediate"), marks)
    assert decision.outcome == Outcome.ABSENT
    assert decision.name == "缺考"


def test_absent_from_one_component_fails_with_the_reason():
    marks = [ComponentMark.scored(T, 90), ComponentMark(P, MarkStatus.ABSENT)]
    decision = decide(rule_for("intermediate"), marks)
    assert decision.outcome == Outcome.FAILED
    assert decision.reasons == ("技能考核缺考",)


def test_absent_from_one_component_fails_one_plus_x_even_with_a_passing_composite():
    marks = [ComponentMark(T, MarkStatus.ABSENT), ComponentMark.scored(P, 100)]
    decision = decide(rule_for("x_junior"), marks)
    assert decision.outcome == Outcome.FAILED
    assert decision.reasons == ("理论知识考试缺考",)


def test_misconduct_disqualifies_with_the_incident():
    marks = [
        ComponentMark(T, MarkStatus.DISQUALIFIED, incident_id=17, incident_note="携带手机"),
        ComponentMark(P, MarkStatus.PENDING),
    ]
    decision = decide(rule_for("intermediate"), marks)
    assert decision.outcome == Outcome.DISQUALIFIED
    assert decision.name == "违纪"
    assert decision.reasons == ("理论知识考试违纪（事件 #17：携带手机）",)


def test_pending_marking_leaves_the_result_pending():
    marks = [ComponentMark.scored(T, 30), ComponentMark(P, MarkStatus.PENDING)]
    decision = decide(rule_for("intermediate"), marks)
    assert decision.outcome == Outcome.PENDING
    assert decision.reasons == ("技能考核成绩未出",)


def test_a_mark_for_a_component_the_plan_lacks_is_refused():
    with pytest.raises(RuleError) as err:
        decide(rule_for("intermediate"), scored(theory=60, practical=60, review=60))
    assert err.value.code == "unknown_component"


def test_a_component_score_must_be_out_of_100():
    with pytest.raises(RuleError) as err:
        ComponentMark.scored(T, 100.5)
    assert err.value.code == "score_out_of_range"


# -- 复核 window -------------------------------------------------------------------------------

PUBLISHED = datetime(2026, 12, 1, 2, 0)  # 10:00 China time


def test_recheck_window_closes_at_the_end_of_the_fifteenth_day_china_time():
    assert recheck_deadline(PUBLISHED) == datetime(2026, 12, 16, 16, 0)  # 12-17 00:00 CST
    assert recheck_open(PUBLISHED, datetime(2026, 12, 16, 15, 59, 59))
    assert not recheck_open(PUBLISHED, datetime(2026, 12, 16, 16, 0))


def test_recheck_window_is_configurable():
    assert recheck_deadline(PUBLISHED, 0) == datetime(2026, 12, 1, 16, 0)
    assert not recheck_open(PUBLISHED, datetime(2026, 12, 6, 16, 0), days=5)
    assert recheck_open(PUBLISHED, datetime(2026, 12, 6, 15, 0), days=5)


def test_no_recheck_before_publication():
    assert not recheck_open(None, PUBLISHED)
    assert not recheck_open(PUBLISHED, datetime(2026, 12, 1, 1, 59))


def test_publication_late_in_the_china_day_counts_from_that_day():
    late = datetime(2026, 12, 1, 15, 30)  # 23:30 China time on 12-01
    assert recheck_deadline(late, 1) == datetime(2026, 12, 2, 16, 0)


# -- item statistics -----------------------------------------------------------------------

# Six candidates, four one-point items. Totals 4, 3, 2, 2, 1, 1; groups of round(0.27·6) = 2.
SCORES = [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [1, 1, 0, 0],
    [1, 0, 1, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 1],
]
# Item 2 (a single choice, key B) and item 3 (multiple choice, key A+C, all-or-nothing).
CHOICES: list[list[str | list[str] | None]] = [
    [None, "B", ["A", "C"], None],
    [None, "B", ["A", "C"], None],
    [None, "B", ["A"], None],
    [None, "A", ["A", "C"], None],
    [None, None, [], None],
    [None, "D", ["B"], None],
]


def test_item_statistics_match_the_hand_computed_example():
    stats = item_statistics(SCORES, [1, 1, 1, 1], CHOICES)
    assert stats.candidates == 6
    facility = [round(i.facility, 4) for i in stats.items]
    assert facility == [round(5 / 6, 4), 0.5, 0.5, round(1 / 3, 4)]
    # upper = the 4 and the 3, lower = the two 1s
    assert [i.discrimination for i in stats.items] == [0.5, 1.0, 1.0, 0.0]
    # r_pb = (M_p − M_q) / s_t · √(pq), s_t² = 41/36
    assert stats.items[0].point_biserial == pytest.approx(1.4 * sqrt(5 / 41))
    assert stats.items[3].point_biserial == pytest.approx(sqrt(2 / 41))
    # KR-20 = 4/3 · (1 − (31/36) / (41/36)) = 40/123
    assert stats.kr20 == pytest.approx(40 / 123)
    assert stats.items[1].distractors == {"": 1, "A": 1, "B": 3, "D": 1}
    assert stats.items[2].distractors == {"": 1, "A": 4, "B": 1, "C": 3}
    assert stats.items[0].distractors == {}
    assert all(i.flags == () for i in stats.items)


def test_faulty_items_are_flagged():
    # items: always right, always wrong, good, bad (the weaker get it right), filler
    scores = [
        [1, 0, 1, 0, 1],
        [1, 0, 1, 0, 1],
        [1, 0, 0, 1, 0],
        [1, 0, 0, 1, 0],
    ]
    stats = item_statistics(scores, [1] * 5)
    flags = [i.flags for i in stats.items]
    assert flags[0] == (ItemFlag.TOO_EASY,)
    assert flags[1] == (ItemFlag.TOO_HARD,)
    assert flags[2] == ()
    assert flags[3] == (ItemFlag.NEGATIVE_DISCRIMINATION,)
    assert stats.items[3].discrimination == -1.0
    assert stats.items[0].point_biserial is None  # no variance


def test_partial_credit_counts_as_a_share_of_the_points():
    stats = item_statistics([[2, "0.5"], [1, 0], [0, "0.5"]], [2, "0.5"])
    assert stats.items[0].facility == pytest.approx(0.5)
    assert stats.items[1].facility == pytest.approx(2 / 3)


def test_no_candidates_gives_no_statistics():
    stats = item_statistics([], [1, 1])
    assert stats.items == ()
    assert stats.kr20 is None


# -- written answers (简答, 论述/计算) ----------------------------------------------------------


def test_the_tolerance_is_a_share_of_the_items_points() -> None:
    assert rules.tolerance_points(20, 20) == 4
    assert rules.tolerance_points(5, 15) == Decimal("0.75")
    with pytest.raises(rules.RuleError):
        rules.tolerance_points(5, 0)


@pytest.mark.parametrize(
    ("marks", "arbitrated", "status", "score"),
    [
        ([], None, rules.WrittenStatus.MARKING, None),
        ([7], None, rules.WrittenStatus.MARKING, None),
        ([7, 9], None, rules.WrittenStatus.FINAL, Decimal(8)),
        ([7, 9.5], None, rules.WrittenStatus.THIRD, None),  # 2.5 apart > 2
        ([7, 9.5, 9], None, rules.WrittenStatus.FINAL, Decimal("9.5")),  # (9 + 9.5) / 2 → 9.5
        ([2, 9, 5.5], None, rules.WrittenStatus.ARBITRATION, None),  # 3.5 from each
        ([2, 9, 5.5], 6, rules.WrittenStatus.FINAL, Decimal(6)),
        ([9.5, 10], None, rules.WrittenStatus.FINAL, Decimal(10)),  # 9.75 → 10, not above
    ],
)
def test_where_a_written_answer_stands(
    marks: list[float], arbitrated: float | None, status: rules.WrittenStatus, score: Decimal | None
) -> None:
    state = rules.written_state(marks, tolerance=2, max_points=10, arbitrated_score=arbitrated)
    assert (state.status, state.score) == (status, score)


def test_who_is_wanted_next() -> None:
    assert rules.written_state([7], tolerance=2, max_points=10).wants_mark(1)
    third = rules.written_state([1, 9], tolerance=2, max_points=10)
    assert third.wants_mark(2)
    assert not rules.written_state([1, 9, 5], tolerance=2, max_points=10).wants_mark(3)
    assert not rules.written_state([7, 8], tolerance=2, max_points=10).wants_mark(2)
