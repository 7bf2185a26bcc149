"""The Excel bank template: rows checked by the YAML rules, problems named by sheet, row,
column and item, and a lossless round trip."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.banks import excel
from app.banks import format as bank_format
from tests.banks.samples import BANK

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "question_banks").glob("*.yaml"))


def workbook_of(text: str) -> bytes:
    bank = bank_format.parse_bank_file(text.encode(), "t.yaml")
    return excel.write_workbook(
        bank.header, bank.outline, [(i.external_id, i) for i in bank.items], bank.enemy_groups
    )


def edited(content: bytes, sheet: str, cell: str, value: object) -> bytes:
    book = load_workbook(BytesIO(content))
    book[sheet][cell] = value
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_banks_round_trip_through_excel(path: Path) -> None:
    bank = bank_format.parse_bank_file(path.read_bytes(), path.name)
    content = excel.write_workbook(
        bank.header, bank.outline, [(i.external_id, i) for i in bank.items], bank.enemy_groups
    )
    again = excel.parse_bank_workbook(content, "bank.xlsx")
    assert again.header == bank.header and again.outline == bank.outline
    assert [(i.external_id, i.digest) for i in again.items] == [
        (i.external_id, i.digest) for i in bank.items
    ]
    assert again.enemy_groups == bank.enemy_groups


def test_template_has_instructions_and_imports_as_it_is() -> None:
    content = excel.template_workbook()
    book = load_workbook(BytesIO(content), read_only=True)
    assert book.sheetnames == ["说明", "题库信息", "鉴定要素细目表", "试题"]
    headings = next(book["试题"].iter_rows(values_only=True))
    for column in (
        "题型",
        "题干",
        "选项A",
        "选项H",
        "答案",
        "分值",
        "鉴定点代码",
        "重要程度",
        "难度",
        "解析",
    ):
        assert column in headings
    bank = excel.parse_bank_workbook(content, "t.xlsx")
    assert {i.item_type for i in bank.items} == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "fill_in",
        "ordering",
        "matching",
        "short_answer",
        "extended",
    }
    [short] = [i for i in bank.items if i.item_type == "short_answer"]
    assert [p["points"] for p in short.key["marking_points"]] == [2, 2, 1]


def test_a_bad_row_is_named_by_sheet_row_column_and_item() -> None:
    content = workbook_of(BANK)
    # Row 2 is SC-1; its 答案 column is L (题号 题型 题干 选项A-H 答案).
    bad = edited(content, "试题", "L2", "E")
    bank, problems = excel.check_bank_workbook(bad, "t.xlsx")
    assert bank is None
    assert [(p.sheet, p.line, p.column, p.item_id) for p in problems] == [
        ("试题", 2, "答案", "SC-1")
    ]
    assert "不是选项标签" in problems[0].problem or "不在选项中" in problems[0].problem
    assert problems[0].place == "t.xlsx 工作表“试题” 第 2 行 “答案”列 题目 SC-1"


@pytest.mark.parametrize(
    ("cell", "value", "column", "says"),
    [
        ("N2", "A001", "鉴定点代码", None),  # written without the dash: still read
        ("N2", "甲-001", "鉴定点代码", "应写成“鉴定范围-鉴定点”"),
        ("O2", "Z", "重要程度", "不一致"),
        ("P2", 9, "难度", "1 至 5"),
        ("B2", "问答题", "题型", "未知题型"),
    ],
)
def test_row_problems_name_their_column(
    cell: str, value: object, column: str, says: str | None
) -> None:
    bank, problems = excel.check_bank_workbook(
        edited(workbook_of(BANK), "试题", cell, value), "t.xlsx"
    )
    if says is None:
        assert problems == [] and bank is not None
        return
    assert [(p.line, p.column) for p in problems] == [(2, column)]
    assert says in problems[0].problem


def test_a_workbook_without_the_template_sheets_is_refused() -> None:
    book = excel.Workbook()
    out = BytesIO()
    book.save(out)
    bank, problems = excel.check_bank_workbook(out.getvalue(), "x.xlsx")
    assert bank is None and {p.sheet for p in problems} == {"题库信息", "鉴定要素细目表", "试题"}


def test_not_a_workbook_and_zip_bombs_are_refused() -> None:
    assert "不是有效的 Excel" in excel.check_bank_workbook(b"hello", "x.xlsx")[1][0].problem
    import zipfile

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/big.xml", b"0" * (excel.MAX_UNPACKED_BYTES + 1))
    assert len(out.getvalue()) < 1_000_000
    assert "解压后过大" in excel.check_bank_workbook(out.getvalue(), "x.xlsx")[1][0].problem


def test_text_that_looks_like_a_formula_stays_text() -> None:
    text = BANK.replace("C: 平方关系", "C: '=1+1'")
    bank = excel.parse_bank_workbook(workbook_of(text), "t.xlsx")
    assert bank.items[0].options[2] == {"label": "C", "text": "=1+1"}


def test_a_file_s_own_partial_credit_survives_the_workbook() -> None:
    # Keys brought from QTI or Moodle XML: option credit, partial answers, letter case.
    text = BANK.replace(
        "key: [A, C, D]", "key: {answer: [A, C, D], credit: {A: 1, C: 1, D: 1, B: -1}}"
    )
    text = text.replace(
        "accepted: [安培, A]",
        "accepted: [安培, A]\n      partial: {Amp: 0.5}\n      case_sensitive: true",
    )
    bank = bank_format.parse_bank_file(text.encode(), "t.yaml")
    keys = {i.external_id: i.key for i in bank.items}
    assert keys["MC-1"]["credit"] == {"A": 1, "B": -1, "C": 1, "D": 1}
    assert keys["FT-1"]["partial"] == {"Amp": 0.5} and keys["FT-1"]["case_sensitive"] is True
    content = excel.write_workbook(
        bank.header, bank.outline, [(i.external_id, i) for i in bank.items], bank.enemy_groups
    )
    book = load_workbook(BytesIO(content), read_only=True)
    cells = {row[0]: row[11] for row in book["试题"].iter_rows(min_row=2, values_only=True)}
    assert cells["MC-1"] == "ACD；A=1；B=-1；C=1；D=1；满分=3"
    assert cells["FT-1"] == "安培|A；部分 Amp=0.5；区分大小写"
    again = excel.parse_bank_workbook(content, "t.xlsx")
    assert {i.external_id: i.key for i in again.items} == keys
