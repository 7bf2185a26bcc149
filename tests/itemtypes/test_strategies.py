"""One strategy per item type: every type has one, and each keeps its own shapes."""

from typing import Any

import pytest

from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType, ResponseRejected, strategy_for

KEYS: dict[str, Any] = {
    ItemType.SINGLE_CHOICE: "B",
    ItemType.MULTIPLE_CHOICE: ["A", "C"],
    ItemType.TRUE_FALSE: True,
    ItemType.FILL_IN: {"numeric": {"value": 5, "tolerance": 0.01}, "unit": "A"},
    ItemType.ORDERING: ["C", "A", "D", "B"],
    ItemType.MATCHING: {"熔断器": "A", "接触器": "D"},
    ItemType.SHORT_ANSWER: {
        "reference": "防止两个接触器同时吸合。",
        "marking_points": [{"point": "互锁的作用", "points": 2}],
    },
    ItemType.EXTENDED: {
        "reference": "I = P / U = 2200 / 220 = 10 A",
        "marking_points": [
            {"point": "公式正确", "points": 2},
            {"point": "结果 10 A", "points": 1.5},
        ],
        "tolerance": 25,
    },
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


FILE_KEYS: dict[str, Any] = {
    ItemType.MULTIPLE_CHOICE: {"answer": ["A", "C"], "credit": {"A": 1, "C": 2, "D": -1}},
    ItemType.FILL_IN: {"accepted": ["York"], "partial": {"york": 0.5}, "case_sensitive": True},
    ItemType.MATCHING: {
        "pairs": {"熔断器": "A", "接触器": "D"},
        "credit": {"熔断器": 1, "接触器": 2},
    },
}


@pytest.mark.parametrize("item_type", list(FILE_KEYS))
def test_a_files_own_partial_credit_survives_the_file_the_cell_and_back(
    item_type: ItemType,
) -> None:
    strategy = strategy_for(item_type)
    labels = ["A", "B", "C", "D"]
    key = strategy.check_key(FILE_KEYS[item_type], labels, print)
    assert key is not None
    assert strategy.check_key(strategy.key_to_source(key), labels, print) == key
    cell = strategy.key_to_cell(key)
    assert strategy.check_key(strategy.key_from_cell(cell), labels, print) == key


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            {"answer": ["A", "C"], "credit": {"A": 1, "E": 1}},
            "答案 E 不在选项中（选项：A、B、C、D）",
        ),
        ({"answer": ["A", "C"], "credit": {"A": "x", "C": 1}}, "选项 A 的得分应为数，实际为“x”"),
        (
            {"answer": ["A", "C"], "credit": {"A": -1, "C": -1}},
            "credit 中至少应有一个选项得分大于 0",
        ),
        (
            {"answer": ["A", "C"], "credit": {"A": 1, "B": 5}},
            "按 credit 计分，正确答案得不到满分 credit_max",
        ),
        (
            {"answer": ["A", "C"], "credit": {}},
            "credit 应为各选项的得分，如 credit: {A: 1, C: 1, D: -1}",
        ),
        (
            {"answer": ["A", "C"], "credit": {"A": 1}, "max": 1},
            "多选题答案中的未知字段“max”（可用：answer、credit、credit_max）",
        ),
    ],
)
def test_a_credited_key_that_cannot_score_is_refused_with_why(value: Any, problem: str) -> None:
    problems: list[str] = []
    key = strategy_for(ItemType.MULTIPLE_CHOICE).check_key(
        value, ["A", "B", "C", "D"], lambda f, m: problems.append(m)
    )
    assert key is None and problems == [problem]


def test_partial_shares_are_between_nothing_and_full_marks() -> None:
    problems: list[str] = []
    key = strategy_for(ItemType.FILL_IN).check_key(
        {"accepted": ["York"], "partial": {"york": 1}}, None, lambda f, m: problems.append(m)
    )
    assert key is None and problems == ["partial 中“york”的得分比例应为 0 与 1 之间的数，实际为“1”"]
