"""Each strategy reads its key back from the bank's edit form (the fields its block of
banks/item_edit.html sends) in the shape a bank file writes it, so that check_key names
what is wrong with what was typed."""

from typing import Any

import pytest

from app.itemtypes import strategy_for
from app.itemtypes.base import KeyForm


def form(**fields: Any) -> KeyForm:
    def text(name: str) -> str:
        value = fields.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def values(name: str) -> list[str]:
        value = fields.get(name, [])
        return list(value) if isinstance(value, list) else [value]

    return KeyForm(text=text, values=values)


def test_choice_keys_are_the_ticked_options() -> None:
    assert strategy_for("single_choice").key_from_form(form(key="C")) == "C"
    assert strategy_for("multiple_choice").key_from_form(form(key=["A", "D"])) == ["A", "D"]
    assert strategy_for("multiple_choice").key_from_form(form()) == []


@pytest.mark.parametrize(("typed", "key"), [("true", True), ("false", False), ("", "")])
def test_true_false_reads_the_radio_and_keeps_anything_else_for_the_check(
    typed: str, key: Any
) -> None:
    got = strategy_for("true_false").key_from_form(form(key=typed))
    assert got == key and type(got) is type(key)


def test_fill_in_text_answers_one_a_line_with_a_unit() -> None:
    got = strategy_for("fill_in").key_from_form(
        form(key_mode="accepted", accepted=" 传输层 \n\n传输\n", unit="层")
    )
    assert got == {"accepted": ["传输层", "传输"], "unit": "层"}


def test_fill_in_numeric_answer_keeps_what_is_not_a_number_for_the_check() -> None:
    fill_in = strategy_for("fill_in")
    got = fill_in.key_from_form(
        form(key_mode="numeric", numeric_value="220", numeric_tolerance="0.5")
    )
    assert got == {"numeric": {"value": 220, "tolerance": 0.5}}
    problems: list[tuple[str | None, str]] = []
    typo = fill_in.key_from_form(form(key_mode="numeric", numeric_value="二二零"))
    assert typo["numeric"]["value"] == "二二零"
    assert fill_in.check_key(typo, None, lambda f, m: problems.append((f, m))) is None
    assert problems


def test_matching_reads_a_row_per_prompt_and_its_credit_where_the_item_has_one() -> None:
    matching = strategy_for("matching")
    rows = {"pair_prompt_1": "熔断器", "pair_answer_1": "a", "pair_prompt_3": "接触器"}
    assert matching.key_from_form(form(**rows)) == {"熔断器": "A", "接触器": None}
    credited = {**rows, "pair_answer_3": "B", "pair_credit_1": "1", "pair_credit_3": "0.5"}
    assert matching.key_from_form(form(**credited)) == {
        "pairs": {"熔断器": "A", "接触器": "B"},
        "credit": {"熔断器": 1, "接触器": 0.5},
    }


def test_an_edit_keeps_what_its_form_does_not_show_unless_dropped() -> None:
    multiple = strategy_for("multiple_choice")
    current = {"answer": ["A", "C"], "credit": {"A": 1, "C": 1, "D": -1}, "credit_max": 2}
    assert multiple.key_from_edit(form(key=["A", "C"]), current) == current
    assert multiple.key_from_edit(form(key=["A", "C"], drop_unshown="1"), current) == ["A", "C"]
    assert multiple.key_from_edit(form(key=["B"]), ["A", "C"]) == ["B"]
    fill_in = strategy_for("fill_in")
    numeric = {"numeric": {"value": 15.0, "tolerance": 0.05, "decimals": 1}, "unit_words": ["秒"]}
    typed = form(key_mode="numeric", numeric_value="15.0", numeric_tolerance="0.05", unit="s")
    assert fill_in.key_from_edit(typed, numeric) == {
        "numeric": {"value": 15.0, "tolerance": 0.05, "decimals": 1},
        "unit": "s",
        "unit_words": ["秒"],
    }
