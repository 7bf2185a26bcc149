"""排序题: the key is every option once in its right order; a response is the option in
each place; scored all or nothing."""

from decimal import Decimal
from typing import Any

import pytest

from app.itemtypes import ItemType, MultipleChoiceRule, ResponseRejected, strategy_for
from app.itemtypes.base import Outcome

ORDERING = strategy_for(ItemType.ORDERING)
KEY = {"answer": ["C", "A", "D", "B"]}
LABELS = ["A", "B", "C", "D"]


def scored(response: dict[str, Any]) -> tuple[float, Outcome]:
    found = ORDERING.score(KEY, Decimal(4), response, MultipleChoiceRule.PARTIAL)
    return found.awarded, found.outcome


def test_only_the_whole_right_order_scores() -> None:
    assert scored({"order": ["C", "A", "D", "B"]}) == (4, Outcome.CORRECT)
    assert scored({"order": ["C", "A", "B", "D"]}) == (0, Outcome.WRONG)
    assert scored({"order": ["C", "A", "D", ""]}) == (0, Outcome.WRONG)  # one place left empty
    assert scored({"order": ["", "", "", ""]}) == (0, Outcome.BLANK)
    assert scored({}) == (0, Outcome.BLANK)
    assert scored({"order": "CADB"}) == (0, Outcome.WRONG)


def test_a_response_is_the_option_in_each_place() -> None:
    assert ORDERING.normalise_response(LABELS, {"order": ["C", "", "D"]}) == {
        "order": ["C", "", "D", ""]
    }
    assert ORDERING.normalise_response(LABELS, {"order": ["", ""]}) == {}
    assert ORDERING.normalise_response(LABELS, {"order": None}) == {}
    for bad, why in (
        ({"order": ["C", "C"]}, "同一选项不能排在两个位置"),
        ({"order": ["E"]}, "所选选项不属于本题"),
        ({"order": ["A", "B", "C", "D", ""]}, "所选选项不属于本题"),
        ({"order": "CADB"}, "排序题的作答应为各位置上的选项"),
    ):
        with pytest.raises(ResponseRejected, match=why):
            ORDERING.normalise_response(LABELS, bad)


def test_the_key_holds_every_option_once() -> None:
    problems: list[str] = []
    assert ORDERING.check_key(["C", "A", "D", "B"], LABELS, lambda f, m: problems.append(m)) == KEY
    assert ORDERING.check_key(["C", "A", "D"], LABELS, lambda f, m: problems.append(m)) is None
    assert ORDERING.check_key("CADB", LABELS, lambda f, m: problems.append(m)) is None
    assert problems == [
        "排序题的答案应恰好包含每个选项一次（选项：A、B、C、D；答案：C、A、D）",
        "排序题的答案应为按正确顺序排列的选项标签，如 key: [C, A, B]",
    ]


def test_key_and_response_read_in_the_candidates_letters() -> None:
    letters = {"A": "B", "B": "D", "C": "A", "D": "C"}
    assert ORDERING.key_text(KEY) == "C → A → D → B"
    assert ORDERING.key_text(KEY, letters) == "A → B → C → D"
    assert ORDERING.response_text({"order": ["C", "", "D", ""]}, letters) == "A → ? → C → ?"
    assert ORDERING.key_from_cell("C、A、D、B") == ["C", "A", "D", "B"]
    assert ORDERING.key_to_cell(KEY) == "CADB"
