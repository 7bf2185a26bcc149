"""简答题 and 论述/计算题: keys with a reference answer and marking points, the text a
candidate types, and scoring that leaves a written answer to the examiners."""

from decimal import Decimal
from typing import Any

import pytest

from app.itemtypes import ItemType, MultipleChoiceRule, Outcome, ResponseRejected, strategy_for
from app.itemtypes.written import scaled_points

SHORT = strategy_for(ItemType.SHORT_ANSWER)
EXTENDED = strategy_for(ItemType.EXTENDED)
KEY = {
    "reference": "防止正转、反转接触器同时吸合造成电源相间短路。",
    "marking_points": [
        {"point": "说明互锁防止两接触器同时吸合", "points": 3},
        {"point": "指出否则造成相间短路", "points": 2},
    ],
}


def checked(
    value: Any, strategy: Any = SHORT
) -> tuple[dict[str, Any] | None, list[tuple[str | None, str]]]:
    problems: list[tuple[str | None, str]] = []
    key = strategy.check_key(value, None, lambda f, m: problems.append((f, m)))
    return key, problems


def test_both_are_marked_by_people_and_have_no_options() -> None:
    assert SHORT.marked_by_people and EXTENDED.marked_by_people
    assert not strategy_for(ItemType.FILL_IN).marked_by_people
    assert SHORT.option_counts is None and (SHORT.name, EXTENDED.name) == ("简答题", "论述/计算题")


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("防止短路", "key", "简答题的答案应包含参考答案 reference 和得分点 marking_points"),
        (
            {"marking_points": KEY["marking_points"]},
            "key.reference",
            "简答题须有参考答案 reference",
        ),
        ({"reference": "x"}, "key.marking_points", "得分点 marking_points 应为列表"),
        (
            {"reference": "x", "marking_points": [{"point": "a"}]},
            "key.marking_points[1]",
            "第 1 个得分点的分值 points 应为正数",
        ),
        (
            {"reference": "x", "marking_points": [{"points": 2}]},
            "key.marking_points[1]",
            "第 1 个得分点缺少要点 point",
        ),
        (
            {"reference": "x", "marking_points": [{"point": "a", "points": 1.2}]},
            "key.marking_points[1]",
            "应为 0.5 的整数倍",
        ),
        (KEY | {"tolerance": 80}, "key.tolerance", "双评误差 tolerance 应为 5–50 之间的数"),
        (KEY | {"answer": "x"}, "key", "答案中有未知字段 answer"),
    ],
)
def test_a_key_that_cannot_be_marked_is_refused_with_where_and_why(
    value: Any, field: str, message: str
) -> None:
    key, problems = checked(value)
    assert key is None
    assert any(f == field and message in m for f, m in problems), problems


def test_marking_points_add_up_to_the_items_own_points() -> None:
    key, _ = checked(KEY)
    assert key is not None
    problems: list[str] = []
    assert SHORT.check_key_against_points(key, 5, lambda f, m: problems.append(m))
    assert not SHORT.check_key_against_points(key, 6, lambda f, m: problems.append(m))
    assert problems == ["得分点分值之和（5）应等于本题分值 points（6）"]


def test_the_excel_cell_and_the_edit_form_write_points_one_a_line() -> None:
    key, _ = checked(KEY)
    assert key is not None
    cell = SHORT.key_to_cell(key)
    assert cell.splitlines()[1:] == [
        "得分点：",
        "说明互锁防止两接触器同时吸合（3分）",
        "指出否则造成相间短路（2分）",
    ]
    assert checked(SHORT.key_from_cell(cell))[0] == key
    # As centres type it: numbered, half-width brackets, on one line with "；".
    typed = "防止正转、反转接触器同时吸合造成电源相间短路。得分点：1. 说明互锁防止两接触器同时吸合(3分)；2、指出否则造成相间短路（2）"
    assert checked(SHORT.key_from_cell(typed))[0] == key


def test_a_point_without_its_points_is_named() -> None:
    key, problems = checked(SHORT.key_from_cell("参考答案。得分点：说明互锁"))
    assert key is None and "第 1 个得分点应写明要点和分值" in problems[0][1]


def test_the_response_is_text_within_the_types_length() -> None:
    assert SHORT.normalise_response([], {"text": "第一行\r\n第二行"}) == {"text": "第一行\n第二行"}
    assert SHORT.normalise_response([], {"text": " \u3000\n"}) == {}
    assert SHORT.normalise_response([], {"text": None}) == {}
    with pytest.raises(ResponseRejected, match="不能超过 2000 个字符"):
        SHORT.normalise_response([], {"text": "字" * 2001})
    assert EXTENDED.normalise_response([], {"text": "字" * 2001}) == {"text": "字" * 2001}
    with pytest.raises(ResponseRejected, match="作答应为文字"):
        SHORT.normalise_response([], {"text": 5})
    with pytest.raises(ResponseRejected, match="只包含字段 text"):
        SHORT.normalise_response([], {"text": "a", "choice": "B"})


def test_scoring_leaves_an_answer_to_the_examiners_and_a_blank_at_nought() -> None:
    rule = MultipleChoiceRule.ALL_OR_NOTHING
    answered = SHORT.score(KEY, Decimal(10), {"text": "互锁"}, rule)
    assert (answered.outcome, answered.awarded, answered.max_points) == (Outcome.PENDING, 0, 10)
    assert SHORT.score(KEY, Decimal(10), {}, rule).outcome == Outcome.BLANK
    assert SHORT.score(KEY, Decimal(10), {"text": "  "}, rule).outcome == Outcome.BLANK


def test_the_page_gets_the_box_and_never_the_reference() -> None:
    assert SHORT.view(KEY) == {"maxlength": 2000, "rows": 6}
    assert "reference" not in EXTENDED.view(KEY)


def test_marking_points_scale_to_the_papers_points() -> None:
    assert [p["points"] for p in scaled_points(KEY, 10)] == [6, 4]
    assert [p["points"] for p in scaled_points(KEY, 3)] == [1.8, 1.2]


def test_staff_read_the_key_and_the_response() -> None:
    assert SHORT.key_text(KEY).startswith("参考答案：防止正转")
    assert "指出否则造成相间短路（2分）" in SHORT.key_text(KEY)
    assert SHORT.response_text({"text": "互锁"}) == "互锁"
