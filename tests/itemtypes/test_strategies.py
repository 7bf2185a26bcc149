"""One strategy per item type: every type has one, and each keeps its own shapes."""

from typing import Any

import pytest

from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType, ResponseRejected, strategy_for

KEYS: dict[str, Any] = {
    ItemType.SINGLE_CHOICE: "B",
    ItemType.MULTIPLE_CHOICE: ["A", "C"],
    ItemType.TRUE_FALSE: True,
    ItemType.FILL_IN: {"numeric": {"value": 5, "tolerance": 0.01}, "unit": "A"},
}


def test_every_item_type_has_a_strategy_and_a_name() -> None:
    assert set(STRATEGIES) == set(ItemType) == set(KEYS)
    assert ITEM_TYPE_NAMES[ItemType.FILL_IN] == "填空题"
    with pytest.raises(ValueError, match="unknown item type"):
        strategy_for("essay")


@pytest.mark.parametrize("item_type", list(ItemType))
def test_a_key_survives_the_way_to_the_file_and_back(item_type: ItemType) -> None:
    problems: list[str] = []
    strategy = strategy_for(item_type)
    key = strategy.check_key(KEYS[item_type], ["A", "B", "C", "D"], lambda f, m: problems.append(m))
    assert problems == [] and key is not None
    assert strategy.check_key(strategy.key_to_source(key), ["A", "B", "C", "D"], print) == key


def test_key_and_response_read_in_the_candidates_letters() -> None:
    letters = {"C": "A", "A": "B", "B": "C"}  # the candidate saw C first
    multi = strategy_for(ItemType.MULTIPLE_CHOICE)
    assert multi.key_text({"answer": ["A", "C"]}, letters) == "AB"
    assert multi.key_text({"answer": ["A", "C"]}) == "AC"
    assert multi.response_text({"choices": ["A", "X"]}, letters) == "B[X]"
    fill = strategy_for(ItemType.FILL_IN)
    assert fill.key_text({"accepted": ["传输层", "传输"]}) == "传输层 / 传输"
    assert (
        fill.key_text(KEYS[ItemType.FILL_IN] | {"numeric": {"value": 5.0, "tolerance": 0.01}})
        == "5 A（允许误差 ±0.01）"
    )


def test_a_response_of_another_shape_is_rejected_by_its_type() -> None:
    with pytest.raises(ResponseRejected, match="只包含字段 choice"):
        strategy_for(ItemType.SINGLE_CHOICE).normalise_response(["A", "B"], {"choices": ["A"]})
    assert strategy_for(ItemType.MULTIPLE_CHOICE).normalise_response(
        ["A", "B", "C"], {"choices": ["C", "A", "C"]}
    ) == {"choices": ["A", "C"]}
