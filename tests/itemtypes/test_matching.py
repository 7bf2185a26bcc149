"""匹配题: each prompt matched to one option; all or nothing, or each right pair earning the
credit the file declares."""

from decimal import Decimal
from typing import Any

import pytest

from app.itemtypes import ItemType, MultipleChoiceRule, ResponseRejected, strategy_for
from app.itemtypes.base import Outcome

MATCHING = strategy_for(ItemType.MATCHING)
LABELS = ["A", "B", "C", "D"]
KEY = {"prompts": ["熔断器", "接触器", "断路器"], "answer": ["A", "B", "A"]}
CREDITED = {**KEY, "credit": [1.0, 0.5, 0.5]}


def scored(key: dict[str, Any], response: dict[str, Any]) -> tuple[float, Outcome]:
    found = MATCHING.score(key, Decimal(4), response, MultipleChoiceRule.PARTIAL)
    return found.awarded, found.outcome


def test_without_the_files_credit_only_every_pair_right_scores() -> None:
    assert scored(KEY, {"matches": ["A", "B", "A"]}) == (4, Outcome.CORRECT)
    assert scored(KEY, {"matches": ["A", "B", "C"]}) == (0, Outcome.WRONG)
    assert scored(KEY, {"matches": ["A", "B", ""]}) == (0, Outcome.WRONG)  # one left open
    assert scored(KEY, {"matches": ["A", "B"]}) == (0, Outcome.WRONG)
    assert scored(KEY, {"matches": ["", "", ""]}) == (0, Outcome.BLANK)
    assert scored(KEY, {}) == (0, Outcome.BLANK)
    assert scored(KEY, {"matches": "ABA"}) == (0, Outcome.WRONG)
    # Entries beyond the prompts (a tampered request) gain nothing.
    assert scored(KEY, {"matches": ["A", "B", "A", "D"]}) == (4, Outcome.CORRECT)


def test_with_the_files_credit_each_right_pair_earns_its_share() -> None:
    assert scored(CREDITED, {"matches": ["A", "B", "A"]}) == (4, Outcome.CORRECT)
    assert scored(CREDITED, {"matches": ["A", "C", "C"]}) == (2, Outcome.PARTIAL)  # 1 of 2
    assert scored(CREDITED, {"matches": ["", "B", ""]}) == (1, Outcome.PARTIAL)  # 0.5 of 2
    assert scored(CREDITED, {"matches": ["B", "A", "B"]}) == (0, Outcome.WRONG)


def test_a_response_is_the_option_chosen_for_each_prompt() -> None:
    assert MATCHING.normalise_response(LABELS, {"matches": ["C", "", "C"]}) == {
        "matches": ["C", "", "C"]
    }
    assert MATCHING.normalise_response(LABELS, {"matches": ["", ""]}) == {}
    assert MATCHING.normalise_response(LABELS, {"matches": None}) == {}
    for bad, why in (
        ({"matches": ["E"]}, "所选选项不属于本题"),
        ({"matches": ["A"] * 9}, "所选选项不属于本题"),
        ({"matches": "ACC"}, "匹配题的作答应为各题项所选的选项"),
        ({"order": ["A"]}, "作答内容应只包含字段 matches"),
    ):
        with pytest.raises(ResponseRejected, match=why):
            MATCHING.normalise_response(LABELS, bad)


def check(value: Any) -> tuple[dict[str, Any] | None, list[str]]:
    problems: list[str] = []
    return MATCHING.check_key(value, LABELS, lambda f, m: problems.append(m)), problems


def test_the_key_gives_each_prompt_one_of_the_options() -> None:
    assert check({"熔断器": "A", "接触器": "B", "断路器": "A"}) == (KEY, [])
    assert check(
        {
            "pairs": {"熔断器": "A", "接触器": "B", "断路器": "A"},
            "credit": {"熔断器": 1, "接触器": 0.5, "断路器": 0.5},
        }
    ) == (CREDITED, [])
    assert check({"熔断器": "E", "接触器": "b"})[1] == [
        "题项“熔断器”的答案 E 不在选项中（选项：A、B、C、D）",
        "题项“接触器”的答案“b”不是选项标签（A 至 H）",
    ]
    assert check({"熔断器": "A"})[1] == ["匹配题应有 2 至 8 个题项，实际为 1 个"]
    assert check(["A", "B"])[1] == [
        "匹配题的答案应写成“题项: 选项标签”的映射，如 key: {熔断器: A, 接触器: B}"
    ]
    assert check({1: "A", "接触器": "B"})[1] == ["题项“1”应为非空文本（数字请加引号）"]
    assert check({"pairs": {"熔断器": "A", "接触器": "B"}, "credit": {"熔断器": 1}})[1] == [
        "题项“接触器”答对的得分应为大于 0 的数，实际为空"
    ]
    assert check({"pairs": {"熔断器": "A", "接触器": "B"}, "credit": {"熔丝": 1}})[1][0] == (
        "credit 中的“熔丝”不是本题的题项"
    )


def test_the_key_goes_out_and_comes_back_the_same_way() -> None:
    for key in (KEY, CREDITED):
        assert check(MATCHING.key_to_source(key)) == (key, [])
        assert check(MATCHING.key_from_cell(MATCHING.key_to_cell(key))) == (key, [])
    assert MATCHING.key_to_cell(CREDITED) == "熔断器=A（1分）；接触器=B（0.5分）；断路器=A（0.5分）"
    assert MATCHING.key_from_cell("熔断器 = a\n接触器=Ｂ") == {"熔断器": "A", "接触器": "B"}
    assert check(MATCHING.key_from_cell("熔断器-A；接触器=B"))[1] == [
        "题项“熔断器-A”没有答案（应为选项标签 A 至 H）"
    ]


def test_key_and_response_read_in_the_candidates_letters() -> None:
    letters = {"A": "C", "B": "A", "C": "B", "D": "D"}
    assert MATCHING.key_text(KEY) == "1. 熔断器 → A；2. 接触器 → B；3. 断路器 → A"
    assert MATCHING.key_text(KEY, letters) == "1. 熔断器 → C；2. 接触器 → A；3. 断路器 → C"
    assert MATCHING.key_text(CREDITED).endswith("（每对答对得分：1、0.5、0.5）")
    assert MATCHING.response_text({"matches": ["B", "", "A"]}, letters) == "1. A；2. ?；3. C"
    assert MATCHING.response_text({}) == ""
    assert MATCHING.view(KEY) == {"prompts": ["熔断器", "接触器", "断路器"]}
