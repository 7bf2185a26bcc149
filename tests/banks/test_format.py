"""The bank file format: every kind of problem reported with its file, line, item and
field; hostile YAML refused; normalised content and digests."""

import time
from pathlib import Path

import pytest

from app.banks import format as bank_format
from app.banks.format import MAX_FILE_BYTES, check_bank_file, parse_bank_file, validate_item
from app.core.errors import ValidationFailed
from tests.banks.samples import BANK, ITEM_COUNT, edit, find, item_line, line_of, with_item

FILE = "t.yaml"


def problems_of(text: str | bytes, filename: str = FILE) -> list[bank_format.Problem]:
    content = text.encode() if isinstance(text, str) else text
    bank, problems = check_bank_file(content, filename)
    assert bank is None, "the file should have been refused"
    assert problems
    return problems


def only(problems: list[bank_format.Problem]) -> bank_format.Problem:
    assert len(problems) == 1, [(p.place, p.problem) for p in problems]
    return problems[0]


# --- the valid sample ----------------------------------------------------------------


def test_sample_bank_parses_into_plain_data() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    assert bank.header.code == "T-1"
    assert bank.header.occupation_code == "6-31-01-03"
    assert bank.header.level_codes == ["intermediate"]
    assert [(a.code, a.weight, [p.code for p in a.points]) for a in bank.outline] == [
        ("A", 40, ["001", "002"]),
        ("B", 60, ["001"]),
    ]
    assert len(bank.items) == ITEM_COUNT
    sc, mc, tf, fn, ft = bank.items
    assert sc.options == [
        {"label": "A", "text": "反比"},
        {"label": "B", "text": "正比"},
        {"label": "C", "text": "平方关系"},
    ]
    assert sc.key == {"answer": "B"}
    assert sc.importance == "X" and sc.points == 1.5 and sc.explanation == "I = U / R。"
    assert sc.level_codes == ["intermediate"]
    assert sc.line == line_of(BANK, "- id: SC-1")
    assert mc.key == {"answer": ["A", "C", "D"]} and mc.importance == "Y"
    assert tf.key == {"answer": True} and tf.options == []
    assert fn.key == {"numeric": {"value": 50.0, "tolerance": 0.0}, "unit": "Hz"}
    assert ft.key == {"accepted": ["安培", "A"]}


def test_place_names_file_line_item_and_field() -> None:
    text = with_item(BANK, "SC-1", "key: B", "key: E")
    problem = only(problems_of(text))
    line = item_line(text, "SC-1", "key: E")
    assert problem.place == f"t.yaml:{line} 题目 SC-1 字段 key"
    assert problem.as_detail() == {
        "place": problem.place,
        "file": "t.yaml",
        "line": line,
        "item_id": "SC-1",
        "field": "key",
        "problem": problem.problem,
    }
    with pytest.raises(ValidationFailed) as caught:
        parse_bank_file(text.encode(), FILE)
    assert caught.value.details == [problem.as_detail()]
    assert "未导入" in caught.value.message


# --- file-level problems -------------------------------------------------------------


def test_not_utf8_reports_the_line_of_the_bad_byte() -> None:
    content = BANK.replace("熔断器主要用于短路保护。", "熔断器主要用于短路保护").encode("gbk")
    problem = only(problems_of(content))
    assert "UTF-8" in problem.problem
    # The first non-ASCII character (GBK bytes are not UTF-8) is on the bank name line.
    assert problem.line == line_of(BANK, "name: 测试题库")


def test_utf8_with_bom_is_accepted() -> None:
    bank, problems = check_bank_file(b"\xef\xbb\xbf" + BANK.encode(), FILE)
    assert problems == [] and bank is not None


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"---\n", b"# only a comment\n"])
def test_empty_file_is_refused(content: bytes) -> None:
    assert "文件为空" in only(problems_of(content)).problem


def test_file_over_5_mb_is_refused_before_parsing() -> None:
    content = BANK.encode() + b"#" * (MAX_FILE_BYTES + 1 - len(BANK.encode()))
    assert len(content) == MAX_FILE_BYTES + 1
    assert "5 MB" in only(problems_of(content)).problem


def test_a_file_not_named_yaml_is_refused() -> None:
    assert ".yaml" in only(problems_of(BANK, "bank.txt")).problem


def test_invalid_yaml_reports_the_line() -> None:
    text = with_item(BANK, "MC-1", "key: [A, C, D]", "key: [A, C, D")
    problem = only(problems_of(text))
    assert problem.problem.startswith("不是有效的 YAML")
    # The unclosed flow sequence is noticed on the next item's line at the latest.
    assert item_line(text, "MC-1", "key: [A, C, D") <= problem.line <= line_of(text, "- id: TF-1")


def test_duplicate_key_reports_the_second_line() -> None:
    text = with_item(BANK, "TF-1", "    key: true\n", "    key: true\n    key: false\n")
    problem = only(problems_of(text))
    assert "重复" in problem.problem and "key" in problem.problem
    assert problem.line == line_of(text, "key: false")


def test_top_level_must_be_a_mapping() -> None:
    assert "顶层" in only(problems_of("- a\n- b\n")).problem


def test_unknown_top_level_field() -> None:
    text = BANK + "extra: 1\n"
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("extra", line_of(text, "extra: 1"))


# --- header --------------------------------------------------------------------------


def test_wrong_format_marker() -> None:
    text = edit(BANK, "format: jiping-bank/1", "format: jiping-bank/9")
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("format", 1)
    assert "jiping-bank/1" in problem.problem


def test_missing_format_marker() -> None:
    problem = only(problems_of(edit(BANK, "format: jiping-bank/1\n", "")))
    assert problem.field == "format" and "缺少格式标记" in problem.problem


def test_missing_bank_section() -> None:
    text = edit(
        BANK,
        'bank:\n  code: T-1\n  name: 测试题库\n  occupation: "6-31-01-03"\n  direction: ""\n  levels: [intermediate]\n',
        "",
    )
    assert only(problems_of(text)).field == "bank"


def test_missing_occupation_code() -> None:
    text = edit(BANK, '  occupation: "6-31-01-03"\n', "")
    problem = only(problems_of(text))
    assert problem.field == "bank.occupation" and "缺少职业编码" in problem.problem
    assert problem.line == line_of(text, "code: T-1")  # where the bank section starts


@pytest.mark.parametrize("value", ['"63101"', "6-31-01", '""'])
def test_bad_occupation_code(value: str) -> None:
    text = edit(BANK, '"6-31-01-03"', value)
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("bank.occupation", line_of(text, "occupation:"))


def test_bank_code_must_be_present() -> None:
    text = edit(BANK, "  code: T-1\n", "")
    assert only(problems_of(text)).field == "bank.code"


def test_unknown_bank_level() -> None:
    text = edit(BANK, "levels: [intermediate]", "levels: [grandmaster]")
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("bank.levels", line_of(text, "levels: [grandmaster]"))
    assert "grandmaster" in problem.problem


@pytest.mark.parametrize(
    ("written", "codes"),
    [
        ("[四级/中级工]", ["intermediate"]),
        ("[中级工, 三级]", ["intermediate", "senior"]),
        ("[senior, intermediate]", ["intermediate", "senior"]),
    ],
)
def test_bank_levels_accept_codes_and_chinese_names(written: str, codes: list[str]) -> None:
    bank = parse_bank_file(
        edit(BANK, "levels: [intermediate]", f"levels: {written}").encode(), FILE
    )
    assert bank.header.level_codes == codes
    assert bank.items[0].level_codes == codes


def test_empty_bank_levels() -> None:
    problem = only(problems_of(edit(BANK, "levels: [intermediate]", "levels: []")))
    assert problem.field == "bank.levels"


# --- outline -------------------------------------------------------------------------


def test_duplicate_area_code() -> None:
    text = edit(BANK, "  - area: B\n", "  - area: A\n")
    problems = problems_of(text)
    problem = find(problems, field="outline.A.area")
    assert problem.line == line_of(text, "- area: A", nth=2)
    assert "重复" in problem.problem
    # The items of area B now point at an area the outline no longer has.
    assert find(problems, item_id="TF-1", field="area")


def test_weights_must_sum_to_100() -> None:
    text = edit(BANK, "weight: 60", "weight: 50")
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("outline", line_of(text, "outline:"))
    assert "100" in problem.problem and "90" in problem.problem


def test_weight_must_be_a_number() -> None:
    text = edit(BANK, "weight: 40", "weight: 四十")
    problem = only(problems_of(text))
    assert (problem.field, problem.line) == ("outline.A.weight", line_of(text, "weight: 四十"))


def test_point_code_must_be_three_digits() -> None:
    text = edit(BANK, 'code: "002"', 'code: "2"')
    problems = problems_of(text)
    problem = find(problems, field="outline.A.points[2].code")
    assert problem.line == line_of(text, 'code: "2"')
    assert find(problems, item_id="MC-1", field="point")  # 002 no longer exists


def test_point_codes_unique_inside_an_area() -> None:
    text = edit(BANK, 'code: "002"', 'code: "001"')
    problem = find(problems_of(text), field="outline.A.points.001.code")
    assert problem.line == line_of(text, 'code: "001"', nth=2)
    assert "重复" in problem.problem


def test_same_point_code_in_two_areas_is_fine() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    assert bank.outline[0].points[0].code == bank.outline[1].points[0].code == "001"


def test_importance_must_be_x_y_or_z() -> None:
    text = edit(BANK, "importance: Y", "importance: W")
    problem = only(problems_of(text))
    assert problem.field == "outline.A.points.002.importance"
    assert problem.line == line_of(text, "importance: W")


def test_area_without_points() -> None:
    text = edit(
        BANK,
        '    points:\n      - code: "001"\n        name: 低压电器\n        importance: Z\n',
        "    points: []\n",
    )
    problems = problems_of(text)
    assert find(problems, field="outline.B.points").line == line_of(text, "points: []")


# --- items ---------------------------------------------------------------------------

# (item, old text in that item, new text, field, text on the reported line, words in message)
ITEM_CASES = [
    ("TF-1", "type: true_false", "type: essay", "type", "type: essay", "未知题型"),
    ("TF-1", "area: B", "area: C", "area", "area: C", "不在鉴定要素细目表"),
    ("FT-1", 'point: "001"', 'point: "009"', "point", 'point: "009"', "没有鉴定点 009"),
    ("FT-1", 'point: "001"', "point: 1", "point", "point: 1", "三位数字"),
    ("TF-1", "difficulty: 1", "difficulty: 0", "difficulty", "difficulty: 0", "1 至 5"),
    ("TF-1", "difficulty: 1", "difficulty: 6", "difficulty", "difficulty: 6", "1 至 5"),
    ("TF-1", "difficulty: 1", "difficulty: 1.5", "difficulty", "difficulty: 1.5", "整数"),
    ("TF-1", "points: 1", "points: 0", "points", "points: 0", "大于 0"),
    ("TF-1", "points: 1", "points: -1", "points", "points: -1", "大于 0"),
    ("TF-1", "points: 1", "points: 1.3", "points", "points: 1.3", "0.5 的整数倍"),
    ("TF-1", "points: 1", "points: 一分", "points", "points: 一分", "大于 0 的数"),
    ("TF-1", "points: 1", "points: 100.5", "points", "points: 100.5", "不能超过 100，实际为 100.5"),
    ("TF-1", "stem: 熔断器主要用于短路保护。", 'stem: ""', "stem", 'stem: ""', "不能为空"),
    # options
    ("SC-1", "      B: 正比\n      C: 平方关系\n", "", "options", "options:", "2 至 8 个选项"),
    ("MC-1", "      C: 角频率\n      D: 初相位\n", "", "options", "options:", "3 至 8 个选项"),
    ("SC-1", "C: 平方关系", "D: 平方关系", "options", "options:", "连续"),
    ("SC-1", "C: 平方关系", "Z: 平方关系", "options.Z", "Z: 平方关系", "A 至 H"),
    ("SC-1", "C: 平方关系", 'C: ""', "options.C", 'C: ""', "非空文本"),
    ("SC-1", "C: 平方关系", "C: 220", "options.C", "C: 220", "数字请加引号"),
    (
        "TF-1",
        "key: true",
        "options: {A: 对, B: 错}\n    key: true",
        "options",
        "options:",
        "不应有选项",
    ),
    ("FT-1", "key:\n", "options: {A: 安培}\n    key:\n", "options", "options:", "不应有选项"),
    (
        "SC-1",
        "    options:\n      A: 反比\n      B: 正比\n      C: 平方关系\n",
        "",
        "options",
        "- id: SC-1",
        "缺少选项",
    ),
    # keys
    ("SC-1", "key: B", "key: E", "key", "key: E", "不在选项中"),
    ("SC-1", "key: B", "key: [A, B]", "key", "key: [A, B]", "只能有一个答案"),
    ("SC-1", "key: B", "key: 2", "key", "key: 2", "不是选项标签"),
    ("MC-1", "key: [A, C, D]", "key: [A]", "key", "key: [A]", "至少有两个"),
    ("MC-1", "key: [A, C, D]", "key: [A, C, A]", "key", "key: [A, C, A]", "A 重复"),
    ("MC-1", "key: [A, C, D]", "key: [A, F]", "key", "key: [A, F]", "F 不在选项中"),
    ("MC-1", "key: [A, C, D]", "key: A", "key", "key: A", "标签列表"),
    ("TF-1", "key: true", "key: yes", "key", "key: yes", "true 或 false"),
    ("TF-1", "key: true", "key: 对", "key", "key: 对", "true 或 false"),
    ("TF-1", "    key: true\n", "", "key", "- id: TF-1", "缺少答案"),
    ("FT-1", "accepted: [安培, A]", "accepted: []", "key.accepted", "accepted: []", "非空"),
    (
        "FT-1",
        "accepted: [安培, A]",
        'accepted: [安培, ""]',
        "key.accepted",
        "accepted:",
        "非空文本",
    ),
    (
        "FT-1",
        "accepted: [安培, A]",
        "accepted: [安培, 1]",
        "key.accepted",
        "accepted:",
        "数字请加引号",
    ),
    (
        "FT-1",
        "accepted: [安培, A]",
        "accepted: 安培",
        "key.accepted",
        "accepted: 安培",
        "非空的答案列表",
    ),
    (
        "FT-1",
        "      accepted: [安培, A]\n",
        "      accepted: [安培]\n      numeric: {value: 1, tolerance: 0}\n",
        "key",
        "key:",
        "有且只有",
    ),
    ("FT-1", "      accepted: [安培, A]\n", "      unit: A\n", "key", "key:", "有且只有"),
    (
        "FT-1",
        "      accepted: [安培, A]\n",
        "      accepted: [安培, A]\n      answer: 安培\n",
        "key.answer",
        "answer: 安培",
        "未知字段",
    ),
    (
        "FT-1",
        "    key:\n      accepted: [安培, A]\n",
        "    key: 安培\n",
        "key",
        "key: 安培",
        "accepted",
    ),
    ("FN-1", "tolerance: 0}", "tolerance: -0.5}", "key.numeric.tolerance", "numeric:", "不小于 0"),
    (
        "FN-1",
        "{value: 50, tolerance: 0}",
        "{value: 50}",
        "key.numeric.tolerance",
        "numeric:",
        "缺少允差",
    ),
    ("FN-1", "value: 50,", "value: 五十,", "key.numeric.value", "numeric:", "应为数"),
    ("FN-1", "unit: Hz", 'unit: ""', "key.unit", 'unit: ""', "非空文本"),
    # fill-in blanks
    ("FT-1", "电流的国际单位是 ____。", "电流的国际单位是什么？", "stem", "stem:", "____"),
    (
        "FT-1",
        "电流的国际单位是 ____。",
        "电流 ____ 的国际单位是 ____。",
        "stem",
        "stem:",
        "只能有一个空",
    ),
    # levels
    (
        "TF-1",
        "key: true",
        "key: true\n    levels: [senior]",
        "levels",
        "levels: [senior]",
        "不在题库适用的等级",
    ),
    (
        "TF-1",
        "key: true",
        "key: true\n    levels: [master]",
        "levels",
        "levels: [master]",
        "未知的等级",
    ),
    ("TF-1", "key: true", "key: true\n    levels: []", "levels", "levels: []", "非空"),
    # fields
    ("TF-1", "key: true", "key: true\n    answer: true", "answer", "answer: true", "未知字段"),
    ("TF-1", "    difficulty: 1\n", "", "difficulty", "- id: TF-1", "缺少难度"),
    ("TF-1", "    type: true_false\n", "", "type", "- id: TF-1", "缺少题型"),
    ("TF-1", "    stem: 熔断器主要用于短路保护。\n", "", "stem", "- id: TF-1", "缺少题干"),
    (
        "TF-1",
        "key: true",
        "key: true\n    explanation: [解析]",
        "explanation",
        "explanation:",
        "文本",
    ),
]


@pytest.mark.parametrize(
    ("item_id", "old", "new", "field", "line_text", "words"),
    ITEM_CASES,
    ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(ITEM_CASES)],
)
def test_item_problem_reports_line_item_and_field(
    item_id: str, old: str, new: str, field: str, line_text: str, words: str
) -> None:
    text = with_item(BANK, item_id, old, new)
    problem = only(problems_of(text))
    assert (problem.item_id, problem.field) == (item_id, field)
    assert problem.line == item_line(text, item_id, line_text)
    assert words in problem.problem
    assert problem.place == f"t.yaml:{problem.line} 题目 {item_id} 字段 {field}"


def test_an_item_may_be_worth_up_to_100_points() -> None:
    bank = parse_bank_file(with_item(BANK, "TF-1", "points: 1", "points: 100").encode(), FILE)
    assert [item.points for item in bank.items if item.external_id == "TF-1"] == [100]


def test_duplicate_item_id_points_at_the_second_one() -> None:
    text = edit(BANK, "- id: MC-1", "- id: SC-1")
    problem = only(problems_of(text))
    assert (problem.item_id, problem.field) == ("SC-1", "id")
    assert problem.line == line_of(text, "- id: SC-1", nth=2)
    assert f"第 {line_of(text, '- id: SC-1')} 行" in problem.problem


def test_item_id_must_be_text() -> None:
    text = edit(BANK, "- id: TF-1", "- id: 1001")
    problem = only(problems_of(text))
    assert (problem.item_id, problem.field, problem.line) == (None, "id", line_of(text, "id: 1001"))


def test_item_levels_accept_chinese_names_inside_the_bank_levels() -> None:
    text = edit(BANK, "levels: [intermediate]", "levels: [intermediate, senior]")
    text = with_item(text, "TF-1", "key: true", "key: true\n    levels: [高级工]")
    bank = parse_bank_file(text.encode(), FILE)
    by_id = {i.external_id: i for i in bank.items}
    assert by_id["TF-1"].level_codes == ["senior"]
    assert by_id["SC-1"].level_codes == ["intermediate", "senior"]


def test_unquoted_zero_padded_point_code_is_understood() -> None:
    text = with_item(BANK, "SC-1", 'point: "001"', "point: 001")
    text = edit(text, 'code: "002"', "code: 002")
    bank = parse_bank_file(text.encode(), FILE)
    assert bank.items[0].point_code == "001"
    assert [p.code for p in bank.outline[0].points] == ["001", "002"]


def test_options_written_out_of_order_are_stored_in_label_order() -> None:
    text = edit(BANK, "      A: 反比\n      B: 正比\n", "      B: 正比\n      A: 反比\n")
    bank = parse_bank_file(text.encode(), FILE)
    assert [o["label"] for o in bank.items[0].options] == ["A", "B", "C"]


def test_a_broken_file_reports_every_problem() -> None:
    text = edit(BANK, "format: jiping-bank/1", "format: jiping-bank/2")
    text = edit(text, '"6-31-01-03"', '"6-31"')
    text = edit(text, "weight: 60", "weight: 61")
    text = with_item(text, "SC-1", "key: B", "key: Q")
    text = with_item(text, "MC-1", "difficulty: 3", "difficulty: 9")
    text = with_item(text, "MC-1", "points: 2", "points: 0")
    text = with_item(text, "TF-1", "key: true", "key: maybe")
    text = with_item(text, "FN-1", "tolerance: 0}", "tolerance: -1}")
    text = with_item(text, "FT-1", "type: fill_in", "type: essay")
    problems = problems_of(text)
    assert {(p.item_id, p.field, p.line) for p in problems} == {
        (None, "format", 1),
        (None, "bank.occupation", line_of(text, "occupation:")),
        (None, "outline", line_of(text, "outline:")),
        ("SC-1", "key", item_line(text, "SC-1", "key: Q")),
        ("MC-1", "difficulty", item_line(text, "MC-1", "difficulty: 9")),
        ("MC-1", "points", item_line(text, "MC-1", "points: 0")),
        ("TF-1", "key", item_line(text, "TF-1", "key: maybe")),
        ("FN-1", "key.numeric.tolerance", item_line(text, "FN-1", "numeric:")),
        ("FT-1", "type", item_line(text, "FT-1", "type: essay")),
    }
    with pytest.raises(ValidationFailed) as caught:
        parse_bank_file(text.encode(), FILE)
    assert len(caught.value.details) == 9
    assert "9 处问题" in caught.value.message


# --- hostile input -------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
format: jiping-bank/1
items: *i
"""


def test_alias_bomb_is_refused_quickly() -> None:
    started = time.monotonic()
    problems = problems_of(BILLION_LAUGHS)
    assert time.monotonic() - started < 2
    assert any("别名" in p.problem or "锚点" in p.problem for p in problems)
    assert problems[0].line == 1


def test_anchor_and_alias_in_a_bank_are_refused() -> None:
    text = edit(BANK, "    options:\n      A: 反比", "    options: &opts\n      A: 反比")
    text = with_item(
        text,
        "MC-1",
        "    options:\n      A: 最大值\n      B: 电阻率\n      C: 角频率\n      D: 初相位\n",
        "    options: *opts\n",
    )
    problems = problems_of(text)
    assert [p.line for p in problems] == [line_of(text, "&opts"), line_of(text, "*opts")]


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    text = with_item(
        BANK, "TF-1", "key: true", f'key: !!python/object/apply:os.remove ["{victim}"]'
    )
    problem = only(problems_of(text))
    assert "标签" in problem.problem
    assert problem.line == line_of(text, "python/object")
    assert victim.exists()


@pytest.mark.parametrize("tag", ["!include other.yaml", "!!str 1", "!!binary aGk="])
def test_any_explicit_tag_is_refused(tag: str) -> None:
    text = with_item(BANK, "TF-1", "stem: 熔断器主要用于短路保护。", f"stem: {tag}")
    assert "标签" in only(problems_of(text)).problem


def test_deep_nesting_is_refused() -> None:
    text = "format: jiping-bank/1\nitems: " + "[" * 5000 + "]" * 5000 + "\n"
    problem = only(problems_of(text))
    assert "嵌套" in problem.problem


def test_a_flood_of_problems_is_capped() -> None:
    items = "".join(f"  - id: X{n}\n    type: essay\n" for n in range(600))
    text = BANK.split("items:")[0] + "items:\n" + items
    problems = problems_of(text)
    assert len(problems) == bank_format.MAX_PROBLEMS + 1
    assert "仅列出前" in problems[-1].problem


# --- content digest and the edit path ------------------------------------------------


def test_digest_ignores_layout_but_not_content() -> None:
    reformatted = (
        edit(
            BANK,
            "    options:\n      A: 反比\n      B: 正比\n      C: 平方关系\n",
            "    options: {A: 反比, B: 正比, C: '平方关系'}\n",
        )
        .replace("key: [A, C, D]", "key:\n      - D\n      - A\n      - C")
        .replace("stem: 熔断器主要用于短路保护。", "stem: |\n      熔断器主要用于短路保护。")
    )
    reformatted = "# a comment\n" + reformatted
    first = parse_bank_file(BANK.encode(), FILE)
    second = parse_bank_file(reformatted.encode(), FILE)
    assert [i.digest for i in first.items] == [i.digest for i in second.items]
    changed = parse_bank_file(edit(BANK, "C: 平方关系", "C: 立方关系").encode(), FILE)
    assert changed.items[0].digest != first.items[0].digest
    assert [i.digest for i in changed.items[1:]] == [i.digest for i in first.items[1:]]


def test_digest_changes_when_the_outline_changes_an_items_importance() -> None:
    first = parse_bank_file(BANK.encode(), FILE)
    second = parse_bank_file(edit(BANK, "importance: X", "importance: Y").encode(), FILE)
    assert second.items[0].importance == "Y"
    assert second.items[0].digest != first.items[0].digest


def test_validate_item_on_plain_data_reports_without_lines() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    raw = {
        "id": "SC-1",
        "type": "single_choice",
        "area": "A",
        "point": "001",
        "difficulty": 2,
        "points": 1.5,
        "stem": "题干",
        "options": {"A": "一", "B": "二"},
        "key": "C",
    }
    item, problems = validate_item(raw, outline=bank.outline, bank_levels=["intermediate"])
    assert item is None
    assert [(p.place, p.line) for p in problems] == [("题目 SC-1 字段 key", None)]
    raw["key"] = "B"
    item, problems = validate_item(raw, outline=bank.outline, bank_levels=["intermediate"])
    assert problems == [] and item is not None and item.key == {"answer": "B"}


def test_stored_content_round_trips_through_the_file_shape() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    for item in bank.items:
        src = bank_format.source_of(item, external_id=item.external_id)
        again, problems = validate_item(src, outline=bank.outline, bank_levels=["intermediate"])
        assert problems == [] and again is not None
        assert again.digest == item.digest


@pytest.mark.parametrize(
    ("item_type", "key", "text"),
    [
        ("single_choice", {"answer": "B"}, "B"),
        ("multiple_choice", {"answer": ["A", "C"]}, "AC"),
        ("true_false", {"answer": False}, "错误（×）"),
        ("fill_in", {"accepted": ["传输层", "传输"]}, "传输层 / 传输"),
        (
            "fill_in",
            {"numeric": {"value": 220.0, "tolerance": 0.5}, "unit": "V"},
            "220 V（允许误差 ±0.5）",
        ),
        ("fill_in", {"numeric": {"value": 14.0, "tolerance": 0.0}}, "14"),
    ],
)
def test_key_text(item_type: str, key: dict, text: str) -> None:
    assert bank_format.key_text(item_type, key) == text


# --- points, enemy items, mandatory points -----------------------------------------------


def test_item_points_are_optional() -> None:
    text = with_item(BANK, "TF-1", "    points: 1\n", "")
    tf = next(it for it in parse_bank_file(text.encode(), FILE).items if it.external_id == "TF-1")
    assert tf.points is None
    assert "points" not in bank_format.source_of(tf, external_id="TF-1")


ENEMIES = """\
enemies:
  - [SC-1, FT-1]
  - items: [MC-1, TF-1, FN-1]
    reason: 题干互相提示
"""


def test_enemy_groups_are_read_with_their_reason() -> None:
    bank = parse_bank_file((BANK + ENEMIES).encode(), FILE)
    # In one canonical order (members sorted, groups by members), whatever the source.
    assert [(g.items, g.reason) for g in bank.enemy_groups] == [
        (("FN-1", "MC-1", "TF-1"), "题干互相提示"),
        (("FT-1", "SC-1"), ""),
    ]


@pytest.mark.parametrize(
    ("group", "says"),
    [
        ("[SC-1]", "至少两道题"),
        ("[SC-1, XX-9]", "题目 XX-9 不在本题库中"),
        ("[SC-1, SC-1]", "题目 SC-1 重复"),
        ("{items: [SC-1, MC-1], why: x}", "未知字段“why”"),
    ],
)
def test_bad_enemy_group_names_the_line_and_the_problem(group: str, says: str) -> None:
    text = BANK + f"enemies:\n  - [MC-1, TF-1]\n  - {group}\n"
    problem = only(problems_of(text))
    assert problem.field == "enemies[2]"
    assert problem.line == len(text.splitlines())
    assert says in problem.problem


def test_mandatory_point_is_kept_in_the_outline() -> None:
    text = edit(
        BANK, "        name: 交流电路\n", "        name: 交流电路\n        mandatory: true\n"
    )
    bank = parse_bank_file(text.encode(), FILE)
    assert [p.mandatory for p in bank.outline[0].points] == [False, True]
    stored = bank_format.outline_to_json(bank.outline)
    assert stored[0]["points"][1]["mandatory"] is True
    assert "mandatory" not in stored[0]["points"][0]  # outlines stored before compare equal
    assert bank_format.outline_from_json(stored) == bank.outline


# --- YAML slips, in Chinese, on the true line -----------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    difficulty: 1\n", "    difficulty：1\n", "全角“：”"),
        ("    difficulty: 1\n", "    difficulty:1\n", "冒号“:”后缺少空格"),
        ("    difficulty: 1\n", "\tdifficulty: 1\n", "制表符（Tab）"),
        ("  - id: TF-1\n", "  - id：TF-1\n", "全角“：”"),
    ],
)
def test_common_slips_are_named_on_their_own_line(old: str, new: str, says: str) -> None:
    text = with_item(BANK, "TF-1", old, new)
    problem = only(problems_of(text))
    assert problem.line == line_of(text, new.strip())
    assert problem.problem.startswith("不是有效的 YAML：")
    assert says in problem.problem


def test_an_unclosed_quote_is_reported_in_chinese() -> None:
    text = with_item(
        BANK, "TF-1", "stem: 熔断器主要用于短路保护。", 'stem: "熔断器主要用于短路保护。'
    )
    problem = only(problems_of(text))
    assert problem.problem.startswith("不是有效的 YAML：")
    assert not any("a" <= ch <= "z" for ch in problem.problem), problem.problem
    assert problem.line is not None and problem.line >= line_of(text, 'stem: "熔断器')


def test_scalars_follow_yaml_1_2() -> None:
    # "yes" is text in YAML 1.2 (it was true in 1.1): an option may say it.
    text = with_item(BANK, "SC-1", "C: 平方关系", "C: yes")
    sc = parse_bank_file(text.encode(), FILE).items[0]
    assert sc.options[2] == {"label": "C", "text": "yes"}


def test_fill_in_key_takes_its_decimals_from_the_stem() -> None:
    text = with_item(
        BANK,
        "FN-1",
        "stem: 我国工频交流电的频率为 ____。",
        "stem: 我国工频交流电的频率为 ____（保留 1 位小数）。",
    )
    text = with_item(
        text, "FN-1", "numeric: {value: 50, tolerance: 0}", "numeric: {value: 50, tolerance: 0.05}"
    )
    fn = next(i for i in parse_bank_file(text.encode(), FILE).items if i.external_id == "FN-1")
    assert fn.key["numeric"] == {"value": 50.0, "tolerance": 0.05, "decimals": 1}
    assert bank_format.key_text(fn.item_type, fn.key) == "50.0 Hz（允许误差 ±0.05；保留 1 位小数）"


@pytest.mark.parametrize(
    ("stem", "numeric", "field", "says"),
    [
        ("频率为 ____（保留两位小数）。", "{value: 50, tolerance: 0, decimals: 2}", None, None),
        (
            "频率为 ____（保留 1 位小数）。",
            "{value: 50, tolerance: 0, decimals: 2}",
            "key.numeric.decimals",
            "题干要求保留 1 位小数",
        ),
        (
            "频率为 ____（保留 1 位小数）。",
            "{value: 50.25, tolerance: 0}",
            "key.numeric.value",
            "不是保留 1 位小数的写法",
        ),
        (
            "频率为 ____。",
            "{value: 50, tolerance: 0, decimals: 9}",
            "key.numeric.decimals",
            "0 至 6 的整数",
        ),
    ],
)
def test_stem_precision_problems(
    stem: str, numeric: str, field: str | None, says: str | None
) -> None:
    text = with_item(
        BANK, "FN-1", "stem: 我国工频交流电的频率为 ____。", f"stem: 我国工频交流电的{stem}"
    )
    text = with_item(text, "FN-1", "numeric: {value: 50, tolerance: 0}", f"numeric: {numeric}")
    if field is None:
        parse_bank_file(text.encode(), FILE)
        return
    problem = only(problems_of(text))
    assert problem.field == field and says is not None and says in problem.problem


def test_unit_words_and_chinese_numerals_round_trip_through_the_source_shape() -> None:
    text = with_item(
        BANK,
        "FN-1",
        "      unit: Hz\n",
        "      unit: Hz\n      unit_words: [赫兹, 赫]\n      chinese_numerals: true\n",
    )
    fn = next(i for i in parse_bank_file(text.encode(), FILE).items if i.external_id == "FN-1")
    assert fn.key["unit_words"] == ["赫兹", "赫"] and fn.key["chinese_numerals"] is True
    src = bank_format.source_of(fn, external_id="FN-1")
    assert src["key"]["unit_words"] == ["赫兹", "赫"] and src["key"]["chinese_numerals"] is True
    again, problems = validate_item(
        src, outline=parse_bank_file(text.encode(), FILE).outline, bank_levels=["intermediate"]
    )
    assert problems == [] and again is not None and again.digest == fn.digest
    wrong = with_item(
        BANK, "FT-1", "accepted: [安培, A]", "accepted: [安培, A]\n      chinese_numerals: true"
    )
    assert "只用于数值答案" in only(problems_of(wrong)).problem
