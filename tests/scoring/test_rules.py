"""Objective scoring rules, without a database."""

from decimal import Decimal
from typing import Any

import pytest

from app.itemtypes import ItemOutcome, Outcome
from app.itemtypes.base import CENT
from app.itemtypes.fill_in import normalise_text, parse_number
from app.itemtypes.true_false import as_bool
from app.scoring.rules import add_points, passed, rounded, score_response, theory_total

SINGLE = {"answer": "B"}
MULTI = {"answer": ["A", "C", "D"]}
TEXT = {"accepted": ["参考点", "零电位点"]}
AMPS = {"numeric": {"value": 5, "tolerance": 0.01}, "unit": "A"}


def single(response: Any) -> ItemOutcome:
    return score_response(item_type="single_choice", key=SINGLE, points=1.5, response=response)


def multi(response: Any, rule: str = "partial", points: float = 2) -> ItemOutcome:
    return score_response(
        item_type="multiple_choice", key=MULTI, points=points, response=response, multiple_rule=rule
    )


def tf(response: Any, answer: Any = True) -> ItemOutcome:
    return score_response(
        item_type="true_false", key={"answer": answer}, points=1, response=response
    )


def fill(text: Any, key: dict[str, Any] = TEXT) -> ItemOutcome:
    response = {} if text is None else {"text": text}
    return score_response(item_type="fill_in", key=key, points=1, response=response)


def numeric(text: str, value: Any = 5, tolerance: Any = 0.01, unit: str = "A") -> ItemOutcome:
    key = {"numeric": {"value": value, "tolerance": tolerance}, "unit": unit}
    return fill(text, key)


# -- single choice --------------------------------------------------------------------------


def test_single_choice_right_scores_the_paper_points() -> None:
    assert single({"choice": "B"}) == ItemOutcome(1.5, 1.5, Outcome.CORRECT)


@pytest.mark.parametrize("choice", ["A", "b", "Z", " B", ["B"], 2])
def test_single_choice_anything_but_the_key_label_is_wrong(choice: Any) -> None:
    assert single({"choice": choice}) == ItemOutcome(0, 1.5, Outcome.WRONG)


@pytest.mark.parametrize("response", [{}, None, {"choice": None}, {"choice": ""}, "B", []])
def test_single_choice_blank_or_no_dict_is_blank(response: Any) -> None:
    assert single(response) == ItemOutcome(0, 1.5, Outcome.BLANK)


# -- true / false ---------------------------------------------------------------------------


def test_true_false_exact() -> None:
    assert tf({"value": True}).outcome == Outcome.CORRECT
    assert tf({"value": False}).outcome == Outcome.WRONG
    assert tf({"value": False}, answer=False) == ItemOutcome(1, 1, Outcome.CORRECT)


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_true_false_accepts_the_strings_a_form_posts(value: str) -> None:
    assert tf({"value": value}).outcome == Outcome.CORRECT
    assert tf({"value": value}, answer=False).outcome == Outcome.WRONG


@pytest.mark.parametrize("value", [1, "yes", "对", [True], 0])
def test_true_false_other_values_are_wrong_not_true(value: Any) -> None:
    # 1 == True in Python; a client sending 1 has not answered "正确".
    assert tf({"value": value}).outcome == Outcome.WRONG
    assert tf({"value": value}, answer=False).outcome == Outcome.WRONG


@pytest.mark.parametrize("response", [{}, {"value": None}, {"value": ""}])
def test_true_false_blank(response: dict[str, Any]) -> None:
    assert tf(response) == ItemOutcome(0, 1, Outcome.BLANK)


# -- multiple choice ------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["partial", "all_or_nothing"])
def test_multiple_exact_set_in_any_order_scores_full(rule: str) -> None:
    assert multi({"choices": ["D", "A", "C"]}, rule) == ItemOutcome(2, 2, Outcome.CORRECT)


def test_multiple_partial_correct_subset_scores_in_proportion() -> None:
    assert multi({"choices": ["A", "C"]}) == ItemOutcome(1.33, 2, Outcome.PARTIAL)
    assert multi({"choices": ["D"]}) == ItemOutcome(0.67, 2, Outcome.PARTIAL)  # half-up
    assert multi({"choices": ["A", "D"]}, points=1.5) == ItemOutcome(1.0, 1.5, Outcome.PARTIAL)


def test_multiple_partial_any_wrong_label_scores_zero() -> None:
    assert multi({"choices": ["A", "B"]}) == ItemOutcome(0, 2, Outcome.WRONG)
    assert multi({"choices": ["A", "B", "C", "D"]}) == ItemOutcome(0, 2, Outcome.WRONG)
    assert multi({"choices": ["A", "C", "Z"]}).outcome == Outcome.WRONG


def test_multiple_all_or_nothing_subset_scores_zero() -> None:
    assert multi({"choices": ["A", "C"]}, "all_or_nothing") == ItemOutcome(0, 2, Outcome.WRONG)
    assert multi({"choices": ["A", "B", "C", "D"]}, "all_or_nothing").outcome == Outcome.WRONG


def test_multiple_duplicated_label_counts_once() -> None:
    assert multi({"choices": ["A", "A", "C", "D"]}).outcome == Outcome.CORRECT
    # Sending a correct label twice must not buy more partial credit.
    assert multi({"choices": ["A", "A", "A"]}) == ItemOutcome(0.67, 2, Outcome.PARTIAL)


@pytest.mark.parametrize("response", [{}, {"choices": []}, {"choices": None}])
@pytest.mark.parametrize("rule", ["partial", "all_or_nothing"])
def test_multiple_empty_is_blank(response: dict[str, Any], rule: str) -> None:
    assert multi(response, rule) == ItemOutcome(0, 2, Outcome.BLANK)


@pytest.mark.parametrize("choices", ["ACD", [1, 2], ["A", None], ["A", ""]])
def test_multiple_malformed_is_wrong(choices: Any) -> None:
    assert multi({"choices": choices}).outcome == Outcome.WRONG


def test_multiple_unknown_rule_is_a_bug() -> None:
    with pytest.raises(ValueError):
        multi({"choices": ["A"]}, rule="half")


# -- fill-in, text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["参考点", "零电位点", "参 考 点", "　参考点　", "参考点。", "参考点."]
)
def test_fill_text_accepts_each_alternative_after_folding(text: str) -> None:
    assert fill(text) == ItemOutcome(1, 1, Outcome.CORRECT)


def test_fill_text_folds_width_and_case() -> None:
    key = {"accepted": ["PLC", "Y-Δ"]}
    assert fill("ｐｌｃ", key).outcome == Outcome.CORRECT
    assert fill("P L C", key).outcome == Outcome.CORRECT
    assert fill("ｙ－Δ", key).outcome == Outcome.CORRECT
    assert fill("PLD", key).outcome == Outcome.WRONG


def test_fill_text_full_width_digits_match_half_width_key() -> None:
    assert fill("３８０Ｖ", {"accepted": ["380v"]}).outcome == Outcome.CORRECT


def test_fill_text_keeps_inner_punctuation_significant() -> None:
    assert fill("参考。点", TEXT).outcome == Outcome.WRONG
    assert fill("参考点点", TEXT).outcome == Outcome.WRONG


@pytest.mark.parametrize("text", [None, "", "   ", "　", "。"])
def test_fill_empty_is_blank(text: str | None) -> None:
    assert fill(text).outcome == Outcome.BLANK


@pytest.mark.parametrize("text", [5, ["参考点"], "参考点" * 100])
def test_fill_malformed_or_overlong_is_wrong(text: Any) -> None:
    assert fill(text).outcome == Outcome.WRONG


def test_normalise_text() -> None:
    assert normalise_text("ＡＢＣ\u3000 1２\t。") == "abc12"


# -- fill-in, numeric -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["5", "5.00", "4.99", "5.01", "+5", "5A", "5 A", "５", "５Ａ", "5."]
)
def test_numeric_within_tolerance_is_correct(text: str) -> None:
    assert numeric(text) == ItemOutcome(1, 1, Outcome.CORRECT)


def test_numeric_exactly_at_the_tolerance_is_accepted_despite_float_error() -> None:
    # In floats 0.81 - 0.8 = 0.010000000000000009 > 0.01.
    assert numeric("0.81", value=0.8, tolerance=0.01, unit="").outcome == Outcome.CORRECT
    assert numeric("0.79", value=0.8, tolerance=0.01, unit="").outcome == Outcome.CORRECT
    assert numeric("5.32", value=5.27, tolerance=0.05, unit="kW").outcome == Outcome.CORRECT
    assert numeric("5.22kW", value=5.27, tolerance=0.05, unit="kW").outcome == Outcome.CORRECT


@pytest.mark.parametrize("text", ["5.011", "4.989", "0.81001"])
def test_numeric_just_beyond_the_tolerance_is_refused(text: str) -> None:
    value = 0.8 if text.startswith("0.") else 5
    assert numeric(text, value=value).outcome == Outcome.WRONG


def test_numeric_zero_tolerance_means_exact() -> None:
    assert numeric("220", value=220, tolerance=0, unit="V").outcome == Outcome.CORRECT
    assert numeric("220.0", value=220, tolerance=None, unit="V").outcome == Outcome.CORRECT
    assert numeric("220.1", value=220, tolerance=0, unit="V").outcome == Outcome.WRONG


def test_numeric_thousands_separators() -> None:
    assert numeric("1,500", value=1500, tolerance=0, unit="W").outcome == Outcome.CORRECT
    assert numeric("1，500 W", value=1500, tolerance=0, unit="W").outcome == Outcome.CORRECT
    assert numeric("1,234,567.5", value=1234567.5, tolerance=0, unit="").outcome == Outcome.CORRECT
    # "1,5" is not a well-formed thousands group (nor 1.5 in Chinese usage).
    assert numeric("1,5", value=15, tolerance=0, unit="").outcome == Outcome.WRONG


def test_numeric_negative_values() -> None:
    assert numeric("-3.5", value=-3.5, tolerance=0, unit="").outcome == Outcome.CORRECT
    assert numeric("－３.５", value=-3.5, tolerance=0, unit="").outcome == Outcome.CORRECT
    assert numeric("−3.5", value=-3.5, tolerance=0, unit="").outcome == Outcome.CORRECT
    assert numeric("3.5", value=-3.5, tolerance=0, unit="").outcome == Outcome.WRONG


def test_numeric_scientific_notation() -> None:
    assert numeric("2.2e2", value=220, tolerance=0, unit="V").outcome == Outcome.CORRECT
    assert numeric("2.2E2 V", value=220, tolerance=0, unit="V").outcome == Outcome.CORRECT


@pytest.mark.parametrize(
    "text", ["abc", "5B", "5mA", "5 a", "five", "5..0", "1e", "e5", "--5", "nan", "inf", "5A5", "A"]
)
def test_numeric_garbage_or_other_unit_is_wrong(text: str) -> None:
    assert numeric(text) == ItemOutcome(0, 1, Outcome.WRONG)


def test_numeric_blank_is_blank() -> None:
    assert numeric(" ").outcome == Outcome.BLANK


def test_numeric_unit_suffix_only_when_the_key_has_that_unit() -> None:
    assert numeric("0.8", value=0.8, unit="").outcome == Outcome.CORRECT
    assert numeric("0.8A", value=0.8, unit="").outcome == Outcome.WRONG


def test_parse_number() -> None:
    assert parse_number("１，０００．５") == Decimal("1000.5")
    assert parse_number(".5") == Decimal("0.5")
    assert parse_number("12 kV·A", "kV·A") == Decimal(12)
    assert parse_number("1e999999999") is None


# -- keys that break their shape are bank bugs ----------------------------------------------


@pytest.mark.parametrize(
    ("item_type", "key", "message"),
    [
        ("single_choice", {}, "single_choice key needs {'answer': label}"),
        ("single_choice", {"answer": ""}, "single_choice key needs {'answer': label}"),
        ("single_choice", {"answer": 2}, "single_choice key needs {'answer': label}"),
        ("multiple_choice", {"answer": "A"}, "multiple_choice key needs {'answer': [label, ...]}"),
        ("multiple_choice", {"answer": []}, "multiple_choice key needs {'answer': [label, ...]}"),
        (
            "multiple_choice",
            {"answer": ["A", 1]},
            "multiple_choice key needs {'answer': [label, ...]}",
        ),
        ("true_false", {"answer": "maybe"}, "true_false key needs {'answer': true|false}"),
        ("fill_in", {}, "fill_in key needs {'accepted': [...]} or {'numeric': {...}}"),
        (
            "fill_in",
            {"accepted": []},
            "fill_in key needs {'accepted': [...]} or {'numeric': {...}}",
        ),
        (
            "fill_in",
            {"accepted": "x"},
            "fill_in key needs {'accepted': [...]} or {'numeric': {...}}",
        ),
        (
            "fill_in",
            {"numeric": 5},
            "numeric fill_in key needs {'numeric': {'value': v, 'tolerance': t}}",
        ),
        ("essay", {"answer": "A"}, "unknown item type 'essay'"),
    ],
)
def test_broken_key_raises(item_type: str, key: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        score_response(
            item_type=item_type,
            key=key,
            points=1,
            response={"text": "x", "choice": "A", "choices": ["A"], "value": True},
        )
    assert str(raised.value) == message


def test_a_key_may_spell_true_false_as_text() -> None:
    assert tf({"value": False}, answer="false").outcome == Outcome.CORRECT
    assert tf({"value": True}, answer=" True ").outcome == Outcome.CORRECT
    assert as_bool("false") is False and as_bool("FALSE") is False and as_bool("no") is None


def test_partial_credit_rounds_half_up_to_a_cent() -> None:
    # 1 of 4 options of a 0.5-point item: 0.125 → 0.13 (half-even would give 0.12).
    outcome = score_response(
        item_type="multiple_choice",
        key={"answer": ["A", "B", "C", "D"]},
        points=0.5,
        response={"choices": ["A"]},
    )
    assert (outcome.outcome, outcome.awarded) == (Outcome.PARTIAL, 0.13)


def test_a_fill_in_answer_as_long_as_the_input_allows_is_scored() -> None:
    longest = "零" * 200
    assert fill(longest, {"accepted": [longest]}).outcome == Outcome.CORRECT
    assert fill(longest + "零", {"accepted": [longest + "零"]}).outcome == Outcome.WRONG


def test_letters_after_a_number_are_no_unit_unless_the_key_names_them() -> None:
    for text in ("5A", "5 mA", "5XXXX"):
        assert parse_number(text) is None
        assert numeric(text, unit="").outcome == Outcome.WRONG
    assert numeric("5A", unit="A").outcome == Outcome.CORRECT


# -- totals ---------------------------------------------------------------------------------


def outcomes(*pairs: tuple[float, float]) -> list[ItemOutcome]:
    return [ItemOutcome(a, m, Outcome.CORRECT if a == m else Outcome.WRONG) for a, m in pairs]


def test_theory_total_is_the_sum_when_the_paper_is_worth_100() -> None:
    # 200 half-point items (the classic intermediate paper), 157 right: no float drift.
    items = outcomes(*([(0.5, 0.5)] * 157 + [(0, 0.5)] * 43))
    assert theory_total(items) == 78.5
    assert theory_total(outcomes((1.33, 2), (98, 98))) == 99.33
    # In floats 0.67 + 0.67 + 0.67 = 2.0100000000000002.
    assert theory_total(outcomes((0.67, 2), (0.67, 2), (0.67, 2), (94, 94))) == 96.01


def test_theory_total_scales_a_paper_not_worth_100_and_rounds_to_a_tenth() -> None:
    assert theory_total(outcomes((1, 1), (0, 1), (0, 1))) == 33.3
    assert theory_total(outcomes((2, 2), (0, 1))) == 66.7
    assert theory_total(outcomes((40, 50))) == 80.0


def test_theory_total_of_nothing_is_zero() -> None:
    assert theory_total([]) == 0.0


def test_theory_total_scales_a_paper_worth_one_point_or_less() -> None:
    assert theory_total(outcomes((0.5, 0.5))) == 100.0
    assert theory_total(outcomes((0.5, 1))) == 50.0


def test_rounding_is_half_up_without_float_error() -> None:
    assert rounded(0.25) == 0.3 and rounded(0.35) == 0.4  # half-even: 0.2 and 0.4
    assert rounded(2.675, CENT) == 2.68  # the float 2.675 is 2.67499999…
    assert rounded(Decimal("66.65")) == 66.7


def test_add_points_keeps_cents() -> None:
    assert add_points([0.67, 0.67, 0.67]) == 2.01  # floats: 2.0100000000000002
    assert add_points([0.125]) == 0.13
    assert add_points([]) == 0.0


def test_passed() -> None:
    assert passed(60, 60) is True
    assert passed(59.99, 60) is False
    assert passed(59.5, 59.5) is True
    assert passed(None, 60) is None


# -- fill-in: unit words, Chinese numerals, the stem's precision -------------------------------


SECONDS = {
    "numeric": {"value": 15, "tolerance": 0},
    "unit": "s",
    "unit_words": ["秒", "秒钟"],
    "chinese_numerals": True,
}


@pytest.mark.parametrize("text", ["15", "15 s", "15秒", "15 秒钟", "十五", "十五秒", "１５秒"])
def test_unit_words_and_chinese_numerals_the_key_allows(text: str) -> None:
    outcome = score_response(item_type="fill_in", key=SECONDS, points=1, response={"text": text})
    assert outcome.outcome == Outcome.CORRECT, text


@pytest.mark.parametrize("text", ["十六秒", "15分", "15 min", "十五分钟"])
def test_other_numbers_and_units_are_wrong(text: str) -> None:
    outcome = score_response(item_type="fill_in", key=SECONDS, points=1, response={"text": text})
    assert outcome.outcome == Outcome.WRONG, text


def test_chinese_numerals_only_where_the_key_allows_them() -> None:
    key = {"numeric": {"value": 3, "tolerance": 0}}
    assert (
        score_response(item_type="fill_in", key=key, points=1, response={"text": "三"}).outcome
        == Outcome.WRONG
    )
    allowed = {**key, "chinese_numerals": True}
    for text in ("三", "3"):
        outcome = score_response(
            item_type="fill_in", key=allowed, points=1, response={"text": text}
        )
        assert outcome.outcome == Outcome.CORRECT


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("3.1", Outcome.CORRECT),
        ("3.14", Outcome.WRONG),
        ("3", Outcome.WRONG),
        ("3.2", Outcome.CORRECT),
        ("三点一", Outcome.CORRECT),
    ],
)
def test_the_stems_decimals_rule_out_what_the_tolerance_would_take(
    text: str, outcome: Outcome
) -> None:
    # "保留 1 位小数": 3.14 is within the tolerance but not an answer to this question.
    key = {"numeric": {"value": 3.1, "tolerance": 0.1, "decimals": 1}, "chinese_numerals": True}
    assert (
        score_response(item_type="fill_in", key=key, points=1, response={"text": text}).outcome
        == outcome
    )
