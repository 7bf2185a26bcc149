"""The bank file format at the edges tests/banks/test_format.py leaves open, each found by a
surviving mutant (scripts/mutation.py): whole messages and the field they name, the Excel
place of a problem, the stored digest's exact form, and the helpers the QTI and Moodle
importers build a bank with (item IDs from another system, its scores, its header)."""

import hashlib
from typing import Any

import pytest

from app.banks import format as bank_format
from app.banks.format import (
    BankHeader,
    EnemyGroup,
    ItemContent,
    OutlineArea,
    OutlinePoint,
    Problem,
    SourceItem,
    check_bank_file,
    check_foreign_bank,
    parse_bank_file,
)
from app.core.errors import ValidationFailed
from tests.banks.samples import BANK, edit, item_line, line_of, with_item

FILE = "t.yaml"
SENIOR_BANK = edit(BANK, "levels: [intermediate]", "levels: [intermediate, senior]")


def problems_of(text: str) -> list[Problem]:
    bank, problems = check_bank_file(text.encode(), FILE)
    assert bank is None, "the file should have been refused"
    return problems


# --- where a problem is, and how the API gives it -------------------------------------


def test_an_excel_problem_names_its_sheet_row_and_column() -> None:
    problem = Problem("b.xlsx", 5, "SC-1", "key", "答案无效", sheet="题目", column="答案")
    assert problem.as_detail() == {
        "place": "b.xlsx 工作表“题目” 第 5 行 “答案”列 题目 SC-1",
        "file": "b.xlsx",
        "line": 5,
        "item_id": "SC-1",
        "field": "key",
        "problem": "答案无效",
        "sheet": "题目",
        "row": 5,
        "column": "答案",
    }


def test_a_refused_file_is_one_error_naming_the_file_and_the_count() -> None:
    text = with_item(BANK, "SC-1", "key: B", "key: E")
    with pytest.raises(ValidationFailed) as caught:
        parse_bank_file(text.encode(), "电工.yaml")
    assert caught.value.message == "题库文件 电工.yaml 有 1 处问题，未导入任何内容"
    assert caught.value.code == "invalid_bank_file"


def test_a_header_problem_found_later_points_at_the_header_line() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    assert bank.problem("code", "题库代码 T-1 已被本中心的另一个题库使用") == Problem(
        FILE,
        line_of(BANK, "code: T-1"),
        None,
        "bank.code",
        "题库代码 T-1 已被本中心的另一个题库使用",
    )


def test_a_key_written_with_a_dot_or_as_a_number_is_found_at_its_own_line() -> None:
    # A field name made from the author's key ("options.A.", "stem.") is not a path.
    options = "    options:\n      A.: 反比\n      B.: 正比\n      2: 平方关系\n"
    text = with_item(BANK, "SC-1", SC_OPTIONS, options)
    text = with_item(text, "SC-1", "    key: B\n", "    key: B\n    stem.: 欧姆定律\n")
    assert [(p.line, p.field, p.problem) for p in problems_of(text)] == [
        (
            line_of(text, "stem.: 欧姆定律"),
            "stem.",
            f"未知字段“stem.”（可用字段：{ITEM_FIELDS}）",
        ),
        (line_of(text, "A.: 反比"), "options.A.", "选项标签“A.”无效，应为 A 至 H 的大写字母"),
        (line_of(text, "B.: 正比"), "options.B.", "选项标签“B.”无效，应为 A 至 H 的大写字母"),
        (line_of(text, "2: 平方关系"), "options.2", "选项标签“2”无效，应为 A 至 H 的大写字母"),
    ]


def test_skipped_items_are_kept_on_a_copy_of_the_bank() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    skipped = [Problem("q.xml", 7, "Q9", "type", "不能导入：拖拽题")]
    copy = bank.with_skipped(skipped)
    assert copy.skipped == skipped
    assert copy.items == bank.items and copy.header == bank.header
    assert bank.skipped == []


# --- levels --------------------------------------------------------------------------


def test_empty_item_levels_say_what_is_expected() -> None:
    text = with_item(BANK, "TF-1", "key: true", "key: true\n    levels: []")
    [problem] = problems_of(text)
    assert (problem.item_id, problem.field) == ("TF-1", "levels")
    assert problem.problem == "应为非空的等级列表，如 [intermediate]"


def test_every_bad_level_of_an_item_is_reported_in_the_levels_field() -> None:
    levels = "levels: [intermediate, 中级工, junior, 高级工, 五级, expert]"
    text = with_item(SENIOR_BANK, "TF-1", "key: true", f"key: true\n    {levels}")
    assert [(p.field, p.problem) for p in problems_of(text)] == [
        ("levels", "等级 中级工 重复"),
        ("levels", "等级 junior 不在题库适用的等级（intermediate、senior）之内"),
        ("levels", "等级 五级 不在题库适用的等级（intermediate、senior）之内"),
        ("levels", "未知的等级“expert”（可写代码如 intermediate 或名称如 中级工）"),
    ]


def test_levels_after_an_unknown_one_are_still_checked() -> None:
    levels = "levels: [expert, 中级工, intermediate]"
    text = with_item(BANK, "TF-1", "key: true", f"key: true\n    {levels}")
    assert [(p.field, p.problem) for p in problems_of(text)] == [
        ("levels", "未知的等级“expert”（可写代码如 intermediate 或名称如 中级工）"),
        ("levels", "等级 intermediate 重复"),
    ]


# --- the content digest ----------------------------------------------------------------


def make_item(**changes: Any) -> ItemContent:
    fields: dict[str, Any] = {
        "external_id": "TF-1",
        "item_type": "true_false",
        "area_code": "B",
        "point_code": "001",
        "importance": "Z",
        "difficulty": 1,
        "points": 2,
        "stem": "熔断器主要用于短路保护。",
        "options": [],
        "key": {"answer": True},
        "level_codes": ["intermediate"],
        "explanation": "",
    }
    return ItemContent(**{**fields, **changes})


def test_the_digest_is_the_sha256_of_the_content_as_compact_sorted_json() -> None:
    # Digests are stored with every item version: the canonical form must never drift, or
    # every unchanged item of a re-imported bank would count as changed.
    canonical = (
        '{"area_code":"B","difficulty":1,"explanation":"","importance":"Z",'
        '"item_type":"true_false","key":{"answer":true},"level_codes":["intermediate"],'
        '"options":[],"point_code":"001","points":2.0,"stem":"熔断器主要用于短路保护。"}'
    )
    assert make_item().digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_digest_tells_points_apart_and_reads_no_points_as_null() -> None:
    assert make_item(points=2).digest == make_item(points=2.0).digest
    assert make_item(points=2).digest != make_item(points=3).digest
    canonical = (
        '{"area_code":"B","difficulty":1,"explanation":"","importance":"Z",'
        '"item_type":"true_false","key":{"answer":true},"level_codes":["intermediate"],'
        '"options":[],"point_code":"001","points":null,"stem":"熔断器主要用于短路保护。"}'
    )
    assert make_item(points=None).digest == hashlib.sha256(canonical.encode()).hexdigest()


# --- the file's shape, from stored content ------------------------------------------------


def test_whole_points_are_written_without_a_decimal_point() -> None:
    assert str(bank_format.source_of(make_item(points=2.0), external_id="TF-1")["points"]) == "2"
    assert bank_format.source_of(make_item(points=1.5), external_id="TF-1")["points"] == 1.5


def test_a_header_is_written_as_the_bank_section() -> None:
    header = BankHeader("T-1", "测试题库", "6-31-01-03", "维修电工", ["intermediate", "senior"])
    assert bank_format.header_source(header) == {
        "code": "T-1",
        "name": "测试题库",
        "occupation": "6-31-01-03",
        "direction": "维修电工",
        "levels": ["intermediate", "senior"],
    }


def test_enemy_groups_round_trip_through_their_stored_shape() -> None:
    groups = [EnemyGroup(("MC-1", "SC-1"), "题干互相提示"), EnemyGroup(("FN-1", "TF-1"))]
    stored = [g.as_json() for g in groups]
    assert stored == [
        {"items": ["MC-1", "SC-1"], "reason": "题干互相提示"},
        {"items": ["FN-1", "TF-1"], "reason": ""},
    ]
    assert bank_format.enemy_groups_from_json(stored) == groups
    assert bank_format.enemy_groups_from_json([{"items": ["A1", "A2"]}]) == [
        EnemyGroup(("A1", "A2"), "")
    ]


# --- another system's items: IDs and scores -------------------------------------------------


def test_an_item_id_keeps_letters_digits_and_dots_and_joins_the_rest_with_dashes() -> None:
    taken: set[str] = set()
    assert bank_format.item_id_from("#电工 Q1.2_a#", taken) == "Q1.2_a"
    assert bank_format.item_id_from("  BOX ", taken) == "BOX"
    assert bank_format.item_id_from("第一题", taken) == "item"
    assert bank_format.item_id_from("第二题", taken, "MOODLE-2") == "MOODLE-2"
    assert taken == {"Q1.2_a", "BOX", "item", "MOODLE-2"}


def test_an_item_id_already_taken_is_numbered_from_2() -> None:
    taken = {"Q1"}
    assert bank_format.item_id_from("Q1", taken) == "Q1-2"
    assert bank_format.item_id_from("Q1", taken) == "Q1-3"
    assert taken == {"Q1", "Q1-2", "Q1-3"}


def test_a_long_item_id_is_cut_to_64_characters_and_its_number_fits_too() -> None:
    taken: set[str] = set()
    assert bank_format.item_id_from("A" * 70, taken) == "A" * 64
    assert bank_format.item_id_from("A" * 70, taken) == "A" * 58 + "-2"


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (None, None),
        (0, None),
        (-1, None),
        (0.5, 0.5),
        (1, 1),
        (2.5, 2.5),
        (1.25, None),
        (100, 100),
        (100.5, None),
        (101, None),
    ],
)
def test_another_systems_score_is_kept_only_as_points_a_bank_file_can_hold(
    value: float | None, points: float | None
) -> None:
    assert bank_format.points_from(value) == points


# --- a bank from another system (QTI, Moodle XML) -------------------------------------------

GIVEN = {
    "code": "Q-1",
    "name": "导入题库",
    "occupation": "6-31-01-03",
    "direction": "",
    "levels": ["intermediate"],
}


def raw_item(item_id: str = "Q1", **changes: Any) -> dict[str, Any]:
    raw = {
        "id": item_id,
        "type": "true_false",
        "area": "A",
        "point": "001",
        "difficulty": 1,
        "stem": "熔断器主要用于短路保护。",
        "key": True,
    }
    return {**raw, **changes}


def foreign(
    items: list[SourceItem] | None = None, **kwargs: Any
) -> tuple[bank_format.BankFile | None, list[Problem]]:
    args: dict[str, Any] = {
        "filename": "q.xml",
        "digest": "d1",
        "given": GIVEN,
        "own": {},
        "title": "电工基础",
        "items": [SourceItem(raw_item(), "q.xml", 3)] if items is None else items,
        "refused": [],
        "skip_refused": False,
    }
    return check_foreign_bank(**{**args, **kwargs})


def test_a_foreign_bank_goes_into_one_area_and_point_named_after_the_file() -> None:
    bank, problems = foreign()
    assert problems == [] and bank is not None
    assert bank.filename == "q.xml" and bank.digest == "d1"
    assert bank.header == BankHeader("Q-1", "导入题库", "6-31-01-03", "", ["intermediate"])
    assert bank.outline == [
        OutlineArea("A", "导入题目", 100, (OutlinePoint("001", "电工基础", "Y"),))
    ]
    assert [(i.external_id, i.importance, i.level_codes) for i in bank.items] == [
        ("Q1", "Y", ["intermediate"])
    ]
    assert bank.holds_tasks is False
    assert bank.enemy_groups == [] and bank.skipped == []


def test_a_header_problem_found_later_in_a_foreign_bank_names_the_file_and_no_line() -> None:
    bank, _ = foreign()
    assert bank is not None
    assert bank.problem("code", "题库代码 Q-1 已被本中心的另一个题库使用") == Problem(
        "q.xml", None, None, "bank.code", "题库代码 Q-1 已被本中心的另一个题库使用"
    )


def test_a_long_title_names_the_point_in_its_first_100_characters() -> None:
    bank, _ = foreign(title="题" * 120)
    assert bank is not None and bank.outline[0].points[0].name == "题" * 100


def test_a_foreign_bank_needs_the_bank_it_goes_into() -> None:
    bank, problems = foreign(given={"code": "Q-1", "direction": "维修电工"})
    assert bank is None
    assert problems == [
        Problem(
            "q.xml",
            None,
            None,
            "bank",
            "请填写要导入到的题库的题库名称、职业编码、适用等级（其他系统的文件不含这些信息；"
            "Jiping 导出的文件自带）",
        )
    ]


def test_the_header_problem_names_every_missing_field() -> None:
    assert bank_format.foreign_header_problem({}, "q.xml") == Problem(
        "q.xml",
        None,
        None,
        "bank",
        "请填写要导入到的题库的题库代码、题库名称、职业编码、适用等级（其他系统的文件不含这些信息；"
        "Jiping 导出的文件自带）",
    )
    assert bank_format.foreign_header_problem(GIVEN, "q.xml") is None


def test_a_bad_header_field_is_reported_like_a_bank_files() -> None:
    bank, problems = foreign(given={**GIVEN, "occupation": "63101"})
    assert bank is None
    assert [(p.file, p.field, p.problem) for p in problems] == [
        (
            "q.xml",
            "bank.occupation",
            '职业编码应为职业分类大典编码（如 "6-31-01-03"），实际为“63101”',
        )
    ]


def test_refused_items_stop_the_import_unless_skipped() -> None:
    refused = [Problem("q.xml", 9, "Q9", "type", "不能导入：拖拽题")]
    earlier = [Problem("q.xml", 1, None, None, "Jiping 元数据不是 JSON 对象")]
    assert foreign(refused=refused) == (None, refused)
    assert foreign(refused=refused, problems=earlier) == (None, [*earlier, *refused])
    bank, problems = foreign(refused=refused, skip_refused=True)
    assert problems == [] and bank is not None
    assert bank.skipped == refused and [i.external_id for i in bank.items] == ["Q1"]
    assert foreign(problems=earlier) == (None, earlier)


def test_a_bank_jiping_exported_brings_its_own_header_outline_and_enemies() -> None:
    own = {
        "bank": {**GIVEN, "code": "OWN-1", "name": "原题库"},
        "outline": [
            {
                "area": "B",
                "name": "专业知识",
                "weight": 100,
                "points": [{"code": "002", "name": "低压电器", "importance": "X"}],
            }
        ],
        "enemies": [{"items": ["Q2", "Q1"], "reason": "题干互相提示"}],
    }
    items = [
        SourceItem(raw_item("Q1", area="B", point="002"), "q.xml", 3),
        SourceItem(raw_item("Q2", area="B", point="002", stem="熔断器用于过载保护。"), "q.xml", 9),
    ]
    bank, problems = foreign(items, given={"name": "新题库", "code": ""}, own=own)
    assert problems == [] and bank is not None
    assert (bank.header.code, bank.header.name) == ("OWN-1", "新题库")
    assert [(a.code, [p.code for p in a.points]) for a in bank.outline] == [("B", ["002"])]
    assert [i.importance for i in bank.items] == ["X", "X"]
    assert bank.enemy_groups == [EnemyGroup(("Q1", "Q2"), "题干互相提示")]


def test_an_enemy_group_naming_an_item_not_imported_is_refused() -> None:
    own = {"enemies": [["Q1", "Q7"]]}
    bank, problems = foreign(own=own)
    assert bank is None
    assert [(p.file, p.line, p.field, p.problem) for p in problems] == [
        ("q.xml", None, "enemies[1]", "互斥组中的题目 Q7 不在本题库中")
    ]


def test_foreign_item_problems_say_their_file_and_line() -> None:
    items = [
        SourceItem(raw_item("Q1"), "a.xml", 3),
        SourceItem(raw_item("Q2", difficulty=9), "b.xml", 12),
        SourceItem(raw_item("Q1", stem="另一道题。"), "c.xml", 20),
    ]
    bank, problems = foreign(items)
    assert bank is None
    assert [(p.file, p.line, p.item_id, p.field, p.problem) for p in problems] == [
        ("b.xml", 12, "Q2", "difficulty", "难度应为 1 至 5 的整数，实际为“9”"),
        ("c.xml", 20, "Q1", "id", "题目编号 Q1 重复"),
    ]


def test_foreign_items_must_fit_the_banks_levels() -> None:
    items = [SourceItem(raw_item(levels=["senior"]), "q.xml", 3)]
    bank, problems = foreign(items)
    assert bank is None
    assert [(p.field, p.problem) for p in problems] == [
        ("levels", "等级 senior 不在题库适用的等级（intermediate）之内")
    ]


def test_foreign_items_are_checked_against_every_level_while_the_header_is_missing() -> None:
    items = [SourceItem(raw_item(levels=["senior"]), "q.xml", 3)]
    _, problems = foreign(items, given={})
    assert [p.field for p in problems] == ["bank"]


def test_a_foreign_file_without_items_says_so() -> None:
    assert foreign([]) == (
        None,
        [Problem("q.xml", None, None, "items", "文件中没有可导入的题目")],
    )


# --- whole messages -------------------------------------------------------------------------

TYPES = "single_choice、multiple_choice、true_false、fill_in、ordering、matching、short_answer 或 extended"
ITEM_FIELDS = "id、type、area、point、difficulty、points、stem、options、key、levels、explanation"
SC_OPTIONS = "    options:\n      A: 反比\n      B: 正比\n      C: 平方关系\n"

# (item, old text in that item, new text, field, the whole message)
ITEM_MESSAGES = [
    ("TF-1", "type: true_false", "type: essay", "type", f"未知题型“essay”，应为 {TYPES}"),
    ("TF-1", "    type: true_false\n", "", "type", f"缺少题型 type（{TYPES}）"),
    ("TF-1", "area: B", "area: C", "area", "鉴定范围“C”不在鉴定要素细目表中（已有：A、B）"),
    ("TF-1", "    area: B\n", "", "area", "缺少鉴定范围 area（如 A）"),
    ("FT-1", 'point: "001"', 'point: "009"', "point", "鉴定范围 A 中没有鉴定点 009"),
    ("FT-1", 'point: "001"', "point: 1", "point", '鉴定点编码应为三位数字（如 "001"），实际为“1”'),
    ("TF-1", '    point: "001"\n', "", "point", '缺少鉴定点 point（如 "001"）'),
    ("TF-1", "difficulty: 1", "difficulty: 0", "difficulty", "难度应为 1 至 5 的整数，实际为“0”"),
    ("TF-1", "difficulty: 1", "difficulty: 6", "difficulty", "难度应为 1 至 5 的整数，实际为“6”"),
    (
        "TF-1",
        "difficulty: 1",
        "difficulty: true",
        "difficulty",
        "难度应为 1 至 5 的整数，实际为“true”",
    ),
    ("TF-1", "    difficulty: 1\n", "", "difficulty", "缺少难度 difficulty（1 至 5）"),
    ("TF-1", "points: 1", "points: 0", "points", "分值应为大于 0 的数，实际为“0”"),
    ("TF-1", "points: 1", "points: 一分", "points", "分值应为大于 0 的数，实际为“一分”"),
    ("TF-1", "points: 1", "points: 1.3", "points", "分值应为 0.5 的整数倍，实际为 1.3"),
    ("TF-1", "points: 1", "points: 100.5", "points", "分值不能超过 100，实际为 100.5"),
    ("TF-1", "stem: 熔断器主要用于短路保护。", 'stem: ""', "stem", "题干不能为空"),
    ("TF-1", "    stem: 熔断器主要用于短路保护。\n", "", "stem", "缺少题干 stem"),
    ("TF-1", "    key: true\n", "", "key", "缺少答案 key"),
    ("TF-1", "key: true", "key: true\n    explanation: [解析]", "explanation", "解析应为文本"),
    (
        "TF-1",
        "key: true",
        "key: true\n    answer: true",
        "answer",
        f"未知字段“answer”（可用字段：{ITEM_FIELDS}）",
    ),
    (
        "SC-1",
        "      B: 正比\n      C: 平方关系\n",
        "",
        "options",
        "单项选择题应有 2 至 8 个选项，实际为 1 个",
    ),
    (
        "SC-1",
        "C: 平方关系",
        "D: 平方关系",
        "options",
        "选项标签应从 A 起连续编排（A、B、C），实际为 A、B、D",
    ),
    ("SC-1", "C: 平方关系", "Z: 平方关系", "options.Z", "选项标签“Z”无效，应为 A 至 H 的大写字母"),
    # The labels left are not checked for a gap (A, C) while one is wrong: one fix, one problem.
    ("SC-1", "B: 正比", "Z: 正比", "options.Z", "选项标签“Z”无效，应为 A 至 H 的大写字母"),
    ("SC-1", "C: 平方关系", 'C: ""', "options.C", "选项 C 的内容应为非空文本"),
    ("SC-1", "C: 平方关系", "C: 220", "options.C", "选项 C 的内容应为非空文本（数字请加引号）"),
    ("SC-1", SC_OPTIONS, "", "options", "缺少选项 options（2 至 8 个，标签 A、B、C……）"),
    (
        "SC-1",
        SC_OPTIONS,
        "    options: [反比, 正比]\n",
        "options",
        "选项应写成“标签: 内容”的映射，如 A: 正比",
    ),
    (
        "TF-1",
        "key: true",
        "options: {A: 对, B: 错}\n    key: true",
        "options",
        "判断题不应有选项 options",
    ),
]


@pytest.mark.parametrize(
    ("item_id", "old", "new", "field", "message"),
    ITEM_MESSAGES,
    ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(ITEM_MESSAGES)],
)
def test_an_item_problem_says_the_whole_message(
    item_id: str, old: str, new: str, field: str, message: str
) -> None:
    problems = problems_of(with_item(BANK, item_id, old, new))
    assert [(p.item_id, p.field, p.problem) for p in problems] == [(item_id, field, message)]


TF_1 = (
    '  - id: TF-1\n    type: true_false\n    area: B\n    point: "001"\n    difficulty: 1\n'
    "    points: 1\n    stem: 熔断器主要用于短路保护。\n    key: true\n"
)


def test_an_item_written_as_text_is_refused_at_its_line_with_the_slip_named() -> None:
    text = edit(BANK, TF_1, "  - id：TF-1\n")
    assert [(p.file, p.line, p.item_id, p.field, p.problem) for p in problems_of(text)] == [
        (
            FILE,
            line_of(text, "- id：TF-1"),
            None,
            None,
            "题目应写成“字段: 值”的映射：这一行的冒号是全角“：”，应改为半角“:”并在其后加一个空格",
        )
    ]
    text = edit(BANK, TF_1, "  - 熔断器主要用于短路保护\n")
    assert [(p.line, p.problem) for p in problems_of(text)] == [
        (line_of(text, "- 熔断器主要用于短路保护"), "题目应写成“字段: 值”的映射")
    ]


@pytest.mark.parametrize(
    ("old", "new", "item_id", "message"),
    [
        ("  - id: TF-1\n    type", "  - type", None, "缺少题目编号 id"),
        ("- id: TF-1", "- id: 12", None, "题目编号应为文本（如 DG4-A001-001），实际为“12”"),
        (
            "- id: TF-1",
            "- id: TF 1",
            "TF 1",
            "题目编号只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符",
        ),
    ],
)
def test_item_id_problems_are_in_the_id_field(
    old: str, new: str, item_id: str | None, message: str
) -> None:
    text = with_item(BANK, "TF-1", old, new)
    assert [(p.line, p.item_id, p.field, p.problem) for p in problems_of(text)] == [
        (line_of(text, new.splitlines()[0].strip()), item_id, "id", message)
    ]


def test_difficulty_5_is_the_hardest_allowed() -> None:
    bank = parse_bank_file(with_item(BANK, "TF-1", "difficulty: 1", "difficulty: 5").encode(), FILE)
    assert [i.difficulty for i in bank.items if i.external_id == "TF-1"] == [5]


def test_an_unquoted_000_is_point_000_and_a_negative_number_is_no_point_code() -> None:
    [problem] = problems_of(with_item(BANK, "TF-1", 'point: "001"', "point: 000"))
    assert problem.problem == "鉴定范围 B 中没有鉴定点 000"
    [problem] = problems_of(with_item(BANK, "TF-1", 'point: "001"', "point: -01"))
    assert problem.problem == '鉴定点编码应为三位数字（如 "001"），实际为“-1”'


def test_a_point_sent_as_a_number_is_no_point_code() -> None:
    _, problems = foreign([SourceItem(raw_item(point=1), "q.xml", 3)])
    assert [(p.line, p.field, p.problem) for p in problems] == [
        (3, "point", '鉴定点编码应为三位数字（如 "001"），实际为“1”')
    ]


def test_an_item_without_an_explanation_has_an_empty_one() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    assert [i.explanation for i in bank.items] == ["I = U / R。", "", "", "", ""]


def test_an_area_in_an_empty_outline_says_there_is_none() -> None:
    _, problems = bank_format.validate_item(raw_item(), outline=[], bank_levels=["intermediate"])
    assert [(p.field, p.problem) for p in problems] == [
        ("area", "鉴定范围“A”不在鉴定要素细目表中（已有：无）")
    ]


def test_every_bad_option_label_and_text_is_reported_and_nothing_more() -> None:
    options = (
        "    options:\n      A: 反比\n      Z: 正比\n      Y: 平方关系\n      D: 220\n      E: ''\n"
    )
    text = with_item(BANK, "SC-1", SC_OPTIONS, options)
    assert [(p.field, p.problem) for p in problems_of(text)] == [
        ("options.Z", "选项标签“Z”无效，应为 A 至 H 的大写字母"),
        ("options.Y", "选项标签“Y”无效，应为 A 至 H 的大写字母"),
        ("options.D", "选项 D 的内容应为非空文本（数字请加引号）"),
        ("options.E", "选项 E 的内容应为非空文本"),
    ]


def test_a_single_choice_may_have_eight_options() -> None:
    options = "    options:\n" + "".join(f"      {c}: 选项{c}\n" for c in "ABCDEFGH")
    bank = parse_bank_file(with_item(BANK, "SC-1", SC_OPTIONS, options).encode(), FILE)
    assert [o["label"] for o in bank.items[0].options] == list("ABCDEFGH")


# (old text, new text, text on the reported line, field, the whole message)
OUTLINE_MESSAGES = [
    (
        "outline:\n  - area: A",
        "outline: 文本\nareas:\n  - area: A",
        "outline: 文本",
        "outline",
        "鉴定要素细目表 outline 应为非空的鉴定范围列表",
    ),
    (
        "  - area: B\n",
        "  - area: 1\n",
        "area: 1",
        "outline[2].area",
        "鉴定范围代码应为大写字母（如 A），实际为“1”",
    ),
    (
        "  - area: B\n",
        "  - area: b\n",
        "area: b",
        "outline[2].area",
        "鉴定范围代码应为大写字母（如 A），实际为“b”",
    ),
    (
        "  - area: B\n    name: 专业知识\n",
        "  - name: 专业知识\n",
        "- name: 专业知识",
        "outline[2].area",
        "缺少鉴定范围代码 area（如 A）",
    ),
    (
        "    name: 基础知识\n",
        "    name: 基础知识\n    note: x\n",
        "note: x",
        "outline.A.note",
        "未知字段“note”（可用字段：area、name、weight、points）",
    ),
    ("    name: 基础知识\n", "", "- area: A", "outline.A.name", "鉴定范围名称 name 不能为空"),
    ("    weight: 40\n", "", "- area: A", "outline.A.weight", "缺少鉴定比重 weight（百分数）"),
    (
        "    weight: 40\n",
        "    weight: 0\n",
        "weight: 0",
        "outline.A.weight",
        "鉴定比重应为 0 至 100 之间的数，实际为“0”",
    ),
    (
        "    weight: 40\n",
        "    weight: 30\n",
        "outline:",
        "outline",
        "各鉴定范围的比重之和应为 100，实际为 90",
    ),
    (
        "        name: 直流电路\n",
        "",
        '- code: "001"',
        "outline.A.points.001.name",
        "鉴定点名称 name 不能为空",
    ),
    (
        "        name: 直流电路\n",
        "        name: 直流电路\n        mandatory: 是\n",
        "mandatory: 是",
        "outline.A.points.001.mandatory",
        "必考 mandatory 应为 true 或 false，实际为“是”",
    ),
    (
        "        importance: X\n",
        "        importance: W\n",
        "importance: W",
        "outline.A.points.001.importance",
        "重要程度应为 X（核心）、Y（一般）或 Z（辅助），实际为“W”",
    ),
    (
        "        importance: X\n",
        "        importance: X\n        note: x\n",
        "note: x",
        "outline.A.points.001.note",
        "未知字段“note”（可用字段：code、name、importance、mandatory）",
    ),
    (
        '      - code: "002"\n',
        '      - 交流电路\n      - code: "002"\n',
        "- 交流电路",
        "outline.A.points",
        "鉴定点应写成映射",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line_text", "field", "message"),
    OUTLINE_MESSAGES,
    ids=[f"{c[3]}-{i}" for i, c in enumerate(OUTLINE_MESSAGES)],
)
def test_an_outline_problem_says_the_whole_message_at_its_line(
    old: str, new: str, line_text: str, field: str, message: str
) -> None:
    text = edit(BANK, old, new)
    outline_problems = [p for p in problems_of(text) if p.field and p.field.startswith("outline")]
    assert [(p.file, p.line, p.field, p.problem) for p in outline_problems] == [
        (FILE, line_of(text, line_text), field, message)
    ]


def test_every_area_is_checked_after_one_that_is_not_a_mapping() -> None:
    text = edit(BANK, "  - area: A\n", "  - 基础知识\n  - area: A\n").replace(
        "weight: 40", "weight: 0"
    )
    assert [(p.line, p.field, p.problem) for p in problems_of(text) if p.item_id is None] == [
        (line_of(text, "- 基础知识"), "outline[1]", "鉴定范围应写成映射"),
        (
            line_of(text, "weight: 0"),
            "outline.A.weight",
            "鉴定比重应为 0 至 100 之间的数，实际为“0”",
        ),
    ]


def test_weights_are_not_added_up_while_an_area_is_not_a_mapping() -> None:
    text = edit(BANK, "  - area: B\n", "  - 专业知识\n  - area: B\n")
    problems = [p for p in problems_of(text) if p.field and p.field.startswith("outline")]
    assert [(p.line, p.field, p.problem) for p in problems] == [
        (line_of(text, "- 专业知识"), "outline[2]", "鉴定范围应写成映射")
    ]


def test_a_foreign_outline_is_checked_with_the_files_name_and_no_lines() -> None:
    own = {"outline": ["导入题目", {"area": "A", "name": "导入题目", "weight": 40, "points": []}]}
    _, problems = foreign(own=own)
    assert [(p.file, p.line, p.field, p.problem) for p in problems] == [
        ("q.xml", None, "outline[1]", "鉴定范围应写成映射"),
        ("q.xml", None, "outline.A.points", "鉴定点 points 应为非空列表"),
        ("q.xml", 3, "point", "鉴定范围 A 中没有鉴定点 001"),
    ]


def test_a_repeated_area_points_at_the_first_one_each_time() -> None:
    area_b = "  - area: B\n    name: 专业知识\n    weight: 60\n"
    text = edit(BANK, area_b, area_b.replace("B", "A").replace("60", "30") + area_b)
    text = edit(text, "  - area: B\n", "  - area: A\n").replace("weight: 40", "weight: 10")
    repeated = [p for p in problems_of(text) if p.field == "outline.A.area"]
    first = line_of(text, "- area: A")
    assert [(p.line, p.problem) for p in repeated] == [
        (line_of(text, "- area: A", nth=2), f"鉴定范围 A 重复（第 {first} 行已有）"),
        (line_of(text, "- area: A", nth=3), f"鉴定范围 A 重复（第 {first} 行已有）"),
    ]


def test_a_repeated_area_points_at_the_first_ones_code_when_it_is_not_its_first_field() -> None:
    area_b = "  - area: B\n    name: 专业知识\n"
    text = edit(BANK, area_b, "  - name: 专业知识\n    area: A\n")
    [problem] = [p for p in problems_of(text) if p.field == "outline.A.area"]
    assert (problem.line, problem.problem) == (
        line_of(text, "area: A", nth=2),
        f"鉴定范围 A 重复（第 {line_of(text, '- area: A')} 行已有）",
    )
    text = edit(BANK, "  - area: A\n    name: 基础知识\n", "  - name: 基础知识\n    area: A\n")
    text = edit(text, "  - area: B\n", "  - area: A\n")
    [problem] = [p for p in problems_of(text) if p.field == "outline.A.area"]
    assert (problem.line, problem.problem) == (
        line_of(text, "- area: A"),
        f"鉴定范围 A 重复（第 {line_of(text, '    area: A')} 行已有）",
    )


def test_an_area_may_weigh_100_or_half_a_percent_but_not_more_than_100() -> None:
    items = [SourceItem(raw_item(area="A", point="001"), "q.xml", 3)]
    assert foreign(items, own={"outline": [_area_json("A", 100)]})[1] == []
    assert foreign(items, own={"outline": [_area_json("A", 0.5), _area_json("B", 99.5)]})[1] == []
    _, problems = foreign(items, own={"outline": [_area_json("A", 100.5)]})
    assert [(p.field, p.problem) for p in problems] == [
        ("outline.A.weight", "鉴定比重应为 0 至 100 之间的数，实际为“100.5”")
    ]


def _area_json(code: str, weight: float) -> dict[str, Any]:
    return {
        "area": code,
        "name": "导入题目",
        "weight": weight,
        "points": [{"code": "001", "name": "导入题目", "importance": "Y"}],
    }


def test_foreign_outline_problems_name_the_file() -> None:
    area = _area_json("A", 40)
    area["points"] = ["直流电路", {"code": "1", "name": "", "importance": "Y"}]
    _, problems = foreign(own={"outline": [area]})
    assert [(p.file, p.line, p.field, p.problem) for p in problems] == [
        ("q.xml", None, "outline.A.points", "鉴定点应写成映射"),
        ("q.xml", None, "outline.A.points[2].name", "鉴定点名称 name 不能为空"),
        (
            "q.xml",
            None,
            "outline.A.points[2].code",
            '鉴定点编码应为三位数字（如 "001"），实际为“1”',
        ),
        ("q.xml", None, "outline", "各鉴定范围的比重之和应为 100，实际为 40"),
        ("q.xml", 3, "point", "鉴定范围 A 中没有鉴定点 001"),
    ]


def test_a_repeated_point_code_points_at_the_first_one() -> None:
    text = edit(BANK, '      - code: "002"\n', '      - code: "001"\n')
    [problem] = [p for p in problems_of(text) if p.item_id is None]
    first = line_of(text, '- code: "001"')
    assert (problem.line, problem.field, problem.problem) == (
        line_of(text, '- code: "001"', nth=2),
        "outline.A.points.001.code",
        f"鉴定点 001 在本鉴定范围内重复（第 {first} 行已有）",
    )


def test_a_repeated_point_code_points_at_the_first_code_when_it_is_not_its_first_field() -> None:
    first = '      - code: "001"\n        name: 直流电路\n'
    text = edit(BANK, first, '      - name: 直流电路\n        code: "001"\n')
    text = edit(text, '      - code: "002"\n', '      - code: "001"\n')
    [problem] = [p for p in problems_of(text) if p.item_id is None]
    first_code = line_of(text, '    code: "001"')
    assert (problem.line, problem.field, problem.problem) == (
        line_of(text, '- code: "001"'),
        "outline.A.points.001.code",
        f"鉴定点 001 在本鉴定范围内重复（第 {first_code} 行已有）",
    )


def test_the_outline_keeps_area_and_point_names() -> None:
    bank = parse_bank_file(BANK.encode(), FILE)
    assert [(a.name, [p.name for p in a.points]) for a in bank.outline] == [
        ("基础知识", ["直流电路", "交流电路"]),
        ("专业知识", ["低压电器"]),
    ]


# --- the bank header ------------------------------------------------------------------------

BANK_SECTION = (
    "bank:\n  code: T-1\n  name: 测试题库\n"
    '  occupation: "6-31-01-03"\n  direction: ""\n  levels: [intermediate]\n'
)

# (old text, new text, text on the reported line, field, the whole message)
HEADER_MESSAGES = [
    (BANK_SECTION, "", "format:", "bank", "缺少题库信息 bank（code、name、occupation、levels）"),
    (
        BANK_SECTION,
        "bank: 测试题库\n",
        "bank: 测试题库",
        "bank",
        "缺少题库信息 bank（code、name、occupation、levels）",
    ),
    ("  code: T-1\n", '  code: ""\n', 'code: ""', "bank.code", "题库代码 code 不能为空"),
    (
        "  code: T-1\n",
        "  code: T 1\n",
        "code: T 1",
        "bank.code",
        "题库代码只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符",
    ),
    # A missing field is reported where the bank mapping starts: its first field.
    ("  name: 测试题库\n", "", "code: T-1", "bank.name", "题库名称 name 不能为空"),
    (
        "  name: 测试题库\n",
        "  name: " + "名" * 201 + "\n",
        "name: 名",
        "bank.name",
        "题库名称不能超过 200 个字符",
    ),
    (
        '  occupation: "6-31-01-03"\n',
        "",
        "code: T-1",
        "bank.occupation",
        '缺少职业编码 occupation（职业分类大典编码，如 "6-31-01-03"）',
    ),
    (
        '  direction: ""\n',
        "  direction: [维修电工]\n",
        "direction:",
        "bank.direction",
        '工种/方向 direction 应为文本（没有时写 ""）',
    ),
    (
        '  direction: ""\n',
        '  direction: ""\n  note: x\n',
        "note: x",
        "bank.note",
        "未知字段“note”（可用字段：code、name、occupation、direction、levels）",
    ),
    (
        "format: jiping-bank/1\n",
        "",
        "bank:",
        "format",
        "缺少格式标记 format: jiping-bank/1",
    ),
    (
        "format: jiping-bank/1\n",
        "format: jiping-bank/2\n",
        "format:",
        "format",
        "不支持的格式“jiping-bank/2”，应为 jiping-bank/1",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line_text", "field", "message"),
    HEADER_MESSAGES,
    ids=[f"{c[3]}-{i}" for i, c in enumerate(HEADER_MESSAGES)],
)
def test_a_header_problem_says_the_whole_message_at_its_line(
    old: str, new: str, line_text: str, field: str, message: str
) -> None:
    text = edit(BANK, old, new)
    # A missing format marker is reported on line 1, whatever is there.
    line = 1 if field in ("format", "bank") and not new else line_of(text, line_text)
    assert [(p.file, p.line, p.field, p.problem) for p in problems_of(text)] == [
        (FILE, line, field, message)
    ]


def test_a_bank_name_may_be_200_characters() -> None:
    text = edit(BANK, "  name: 测试题库\n", "  name: " + "名" * 200 + "\n")
    assert parse_bank_file(text.encode(), FILE).header.name == "名" * 200


def test_the_direction_is_kept_stripped_and_empty_when_not_written() -> None:
    text = edit(BANK, '  direction: ""\n', '  direction: " 维修电工 "\n')
    assert parse_bank_file(text.encode(), FILE).header.direction == "维修电工"
    text = edit(BANK, '  direction: ""\n', "")
    assert parse_bank_file(text.encode(), FILE).header.direction == ""


def test_a_parsed_file_keeps_its_name_digest_and_header_lines() -> None:
    bank = parse_bank_file(BANK.encode(), "电工.yaml")
    assert bank.filename == "电工.yaml"
    assert bank.digest == hashlib.sha256(BANK.encode()).hexdigest()
    assert bank.header_lines == {
        "code": line_of(BANK, "code: T-1"),
        "name": line_of(BANK, "name: 测试题库"),
        "occupation": line_of(BANK, "occupation:"),
        "direction": line_of(BANK, "direction:"),
        "levels": line_of(BANK, "levels: [intermediate]"),
    }
    assert bank.tasks == []


TASK = """\
tasks:
  - id: P-1
    title: 常用电工仪表使用
    minutes: 30
    points: 10
    task: 用兆欧表测量绝缘电阻。
    materials: [兆欧表 1 块]
    rubric:
      - code: A1
        name: 兆欧表测量
        points: 10
        earns: 验表、接线、读数正确。
"""


def test_a_files_tasks_are_read_and_checked_against_the_banks_levels() -> None:
    text = BANK.replace("items:\n", TASK + "items:\n", 1)
    bank = parse_bank_file(text.encode(), FILE)
    assert [t.external_id for t in bank.tasks] == ["P-1"]
    text = text.replace("    minutes: 30\n", "    minutes: 30\n    levels: [senior]\n", 1)
    assert [(p.file, p.item_id, p.field, p.problem) for p in problems_of(text)] == [
        (FILE, "P-1", "levels", "等级 senior 不在题库适用的等级（intermediate）之内")
    ]


# --- the whole file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("items:\n  - id: SC-1", "items: []\nitem:\n  - id: SC-1"),
        ("items:\n", "items: 题目\nitem:\n"),
    ],
)
def test_items_that_are_not_a_list_say_so_at_their_line(old: str, new: str) -> None:
    text = edit(BANK, old, new)
    problems = [p for p in problems_of(text) if p.field == "items"]
    assert [(p.file, p.line, p.problem) for p in problems] == [
        (FILE, line_of(text, "items: "), "题目列表 items 应为非空列表")
    ]


def test_a_file_without_items_says_so_on_line_1() -> None:
    text = BANK[: BANK.index("items:\n")]
    assert [(p.file, p.line, p.field, p.problem) for p in problems_of(text)] == [
        (FILE, 1, "items", "题目列表 items 应为非空列表")
    ]


@pytest.mark.parametrize("section", ["bank", "items"], ids=["bank", "items"])
def test_a_missing_section_is_reported_on_line_1_even_below_a_comment(section: str) -> None:
    text = "# 电工题库\n" + BANK
    if section == "bank":
        text = edit(text, BANK_SECTION, "")
        message = "缺少题库信息 bank（code、name、occupation、levels）"
    else:
        text = text[: text.index("items:\n")]
        message = "题目列表 items 应为非空列表"
    assert [(p.line, p.field, p.problem) for p in problems_of(text)] == [(1, section, message)]


def test_a_repeated_item_id_says_where_the_first_one_is_when_it_is_not_the_first_field() -> None:
    text = with_item(
        BANK,
        "SC-1",
        "  - id: SC-1\n    type: single_choice\n",
        "  - type: single_choice\n    id: SC-1\n",
    )
    text = with_item(
        text, "TF-1", "  - id: TF-1\n    type: true_false\n", "  - type: true_false\n    id: SC-1\n"
    )
    problems = [p for p in problems_of(text) if p.field == "id"]
    assert [(p.line, p.item_id, p.problem) for p in problems] == [
        (
            line_of(text, "id: SC-1", nth=2),
            "SC-1",
            f"题目编号 SC-1 重复（第 {line_of(text, 'id: SC-1')} 行已有）",
        )
    ]


def test_a_repeated_item_id_says_where_the_first_one_is() -> None:
    text = with_item(BANK, "TF-1", "- id: TF-1", "- id: SC-1")
    problems = [p for p in problems_of(text) if p.field == "id"]
    assert [(p.file, p.line, p.item_id, p.problem) for p in problems] == [
        (
            FILE,
            line_of(text, "- id: SC-1", nth=2),
            "SC-1",
            f"题目编号 SC-1 重复（第 {line_of(text, '- id: SC-1')} 行已有）",
        )
    ]


@pytest.mark.parametrize(
    ("content", "filename", "line", "message"),
    [
        (BANK.encode(), "t.txt", None, "题库文件应为 .yaml 文件"),
        (b"  \n", FILE, None, "文件为空"),
        (b"~\n", FILE, None, "文件为空"),
        (b"format: x\n\xff\n", FILE, 2, "文件不是 UTF-8 编码（请用 UTF-8 保存后再导入）"),
        (b"- a\n- b\n", FILE, 1, "题库文件的顶层应为映射（format、bank、outline、items）"),
        (b"a: [\n", FILE, 2, "不是有效的 YAML：此处缺少内容"),
        (b"#" * 5_295_309, FILE, None, "文件过大（5.1 MB），题库文件不能超过 5 MB"),
    ],
    ids=["not-yaml", "blank", "null", "not-utf8", "not-a-mapping", "syntax", "too-big"],
)
def test_a_file_level_problem_names_the_file(
    content: bytes, filename: str, line: int | None, message: str
) -> None:
    assert check_bank_file(content, filename) == (
        None,
        [Problem(filename, line, None, None, message)],
    )


def test_a_file_of_exactly_5_mb_is_not_too_big() -> None:
    content = b"#" * bank_format.MAX_FILE_BYTES
    assert check_bank_file(content, FILE) == (None, [Problem(FILE, None, None, None, "文件为空")])


@pytest.mark.parametrize("filename", ["t.yml", "T.YML", "t.YAML"])
def test_yml_and_upper_case_names_are_bank_files(filename: str) -> None:
    assert parse_bank_file(BANK.encode(), filename).filename == filename


def broken_items(count: int) -> str:
    item = '  - id: X{n}\n    type: essay\n    area: B\n    point: "001"\n    difficulty: 1\n'
    item += "    stem: 熔断器主要用于短路保护。\n    key: true\n"
    return BANK + "".join(item.format(n=n) for n in range(count))


def test_exactly_1000_problems_are_all_listed() -> None:
    problems = problems_of(broken_items(1000))
    assert len(problems) == 1000
    assert problems[-1].problem.startswith("未知题型")


def test_beyond_1000_problems_the_list_says_how_many_there_were() -> None:
    problems = problems_of(broken_items(1001))
    assert len(problems) == 1001
    assert problems[-1] == Problem(
        FILE, None, None, None, "问题过多，仅列出前 1000 处（共 1001 处）"
    )


# --- a written item's marking points --------------------------------------------------------

SA_1 = """\
  - id: SA-1
    type: short_answer
    area: A
    point: "001"
    difficulty: 3
    points: 4
    stem: 简述熔断器的作用。
    key:
      reference: 熔断器用于短路保护和严重过载保护。
      marking_points:
        - point: 短路保护
          points: 2
        - point: 严重过载保护
          points: 2
"""


def test_a_written_items_marking_points_must_add_up_to_its_points() -> None:
    assert [i.points for i in parse_bank_file((BANK + SA_1).encode(), FILE).items][-1] == 4
    text = BANK + edit(SA_1, "    points: 4\n", "    points: 5\n")
    assert [(p.line, p.item_id, p.field, p.problem) for p in problems_of(text)] == [
        (
            line_of(text, "marking_points:"),
            "SA-1",
            "key.marking_points",
            "得分点分值之和（4）应等于本题分值 points（5）",
        )
    ]


def test_a_missing_part_of_a_key_is_reported_at_the_key() -> None:
    text = BANK + edit(SA_1, "      reference: 熔断器用于短路保护和严重过载保护。\n", "")
    assert [(p.line, p.field, p.problem) for p in problems_of(text)] == [
        (item_line(text, "SA-1", "    key:"), "key.reference", "简答题须有参考答案 reference")
    ]


@pytest.mark.parametrize(
    ("old", "new", "number"),
    [
        ("point: 短路保护\n          points: 2", "point: 短路保护\n          points: 0", 1),
        ("point: 严重过载保护\n          points: 2", "point: 严重过载保护\n          points: 0", 2),
    ],
    ids=["first", "second"],
)
def test_a_bad_marking_point_is_reported_at_its_own_line(old: str, new: str, number: int) -> None:
    text = BANK + edit(SA_1, old, new)
    assert [(p.line, p.field, p.problem) for p in problems_of(text)] == [
        (
            line_of(text, new.splitlines()[0]),
            f"key.marking_points[{number}]",
            f"第 {number} 个得分点的分值 points 应为正数，实际为“0”",
        )
    ]


# --- enemy groups -------------------------------------------------------------------------------


def test_enemies_that_are_not_a_list_say_so_at_their_line() -> None:
    text = BANK + "enemies: {SC-1: MC-1}\n"
    assert [(p.file, p.line, p.field, p.problem) for p in problems_of(text)] == [
        (FILE, line_of(text, "enemies:"), "enemies", "互斥题 enemies 应为列表")
    ]


def test_every_bad_enemy_group_is_reported_with_its_whole_message() -> None:
    text = BANK + (
        "enemies:\n"
        "  - [SC-1]\n"
        "  - [SC-1, 1]\n"
        "  - [SC-1, SC-1, MC-1, MC-1]\n"
        "  - {items: [TF-1, FN-1], reason: ' '}\n"
    )
    assert [(p.file, p.line, p.field, p.problem) for p in problems_of(text)] == [
        (
            FILE,
            line_of(text, "- [SC-1]"),
            "enemies[1]",
            "互斥组应列出至少两道题的编号，如 [DG4-B002-008, DG4-B002-009]",
        ),
        (FILE, line_of(text, "- [SC-1, 1]"), "enemies[2]", "互斥组中的题目编号应为文本，实际为“1”"),
        (
            FILE,
            line_of(text, "- [SC-1, SC-1"),
            "enemies[3]",
            "互斥组中题目 MC-1、SC-1 重复",
        ),
    ]


def test_a_blank_enemy_reason_is_no_reason() -> None:
    text = BANK + "enemies:\n  - {items: [TF-1, FN-1], reason: ' '}\n"
    assert parse_bank_file(text.encode(), FILE).enemy_groups == [EnemyGroup(("FN-1", "TF-1"), "")]


def test_bank_levels_are_kept_in_level_order_not_alphabetical() -> None:
    text = edit(BANK, "levels: [intermediate]", "levels: [中级工, 初级工]")
    assert parse_bank_file(text.encode(), FILE).header.level_codes == ["junior", "intermediate"]
