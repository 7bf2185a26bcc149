"""Reading candidate rosters (考生名单) from Excel or CSV: pure, no database."""

from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from app.core.errors import ValidationFailed
from app.exams.roster import (
    FACT_COLUMNS,
    read_roster,
    roster_problems,
    row_facts,
    skipped_rows,
    template_xlsx,
)
from tests.factories import valid_resident_id


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_columns_are_found_by_header_in_any_order() -> None:
    a, b = valid_resident_id(1), valid_resident_id(2)
    rows = read_roster(
        xlsx(
            [
                ["备注", "身份证号", "工作单位", "姓名（必填）"],
                ["", a, "淮南供电公司", " 张伟 "],
                [None, None, None, None],  # blank rows are skipped
                ["x", b.lower(), None, "王芳"],
            ]
        )
    )
    assert [(r.row, r.name, r.id_number, r.employer, r.phone) for r in rows] == [
        (2, "张伟", a, "淮南供电公司", ""),
        (4, "王芳", b, "", ""),  # lower-case x upper-cased
    ]


def test_missing_required_header_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_roster(xlsx([["姓名", "电话"], ["张伟", "139"]]))
    assert caught.value.code == "roster_header_missing"
    assert [d["problem"] for d in caught.value.details] == ["缺少“身份证号”列"]


def csv_bytes(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_roster_is_read_like_the_workbook(encoding: str) -> None:
    a, b = valid_resident_id(3), valid_resident_id(4)
    text = f"姓名,身份证号,工作单位\r\n 张伟 ,{a},淮南供电公司\r\n,,\r\n王芳,{b.lower()},\r\n"
    rows = read_roster(csv_bytes(text, encoding))
    assert [(r.row, r.name, r.id_number, r.employer) for r in rows] == [
        (2, "张伟", a, "淮南供电公司"),
        (4, "王芳", b, ""),
    ]


def test_a_csv_with_semicolons_and_an_id_number_excel_made_a_number() -> None:
    rows = read_roster("姓名;身份证号\n张伟;1.10105E+17\n".encode())
    (problem,) = roster_problems(rows, known_names={})
    assert "存成了数字" in problem["problem"]


def test_an_old_xls_workbook_gets_a_sentence_saying_what_to_do() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    with pytest.raises(ValidationFailed) as caught:
        read_roster(ole)
    assert caught.value.code == "roster_xls"
    assert caught.value.message == (
        "这是旧版 Excel 文件（.xls），无法直接读取：请在 Excel 中打开它，"
        "“另存为”Excel 工作簿（.xlsx）或 CSV 后重新上传"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"PK\x03\x04 broken zip", "文件已损坏，或不是 Excel 工作簿"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "文件已损坏，或不是 Excel 工作簿（.xlsx）或 CSV 文件"),
        (b"  \n", "文件是空的"),
    ],
)
def test_a_broken_file_is_refused_in_a_sentence(content: bytes, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_roster(content)
    assert caught.value.code == "roster_unreadable"
    assert caught.value.message == (
        f"无法读取名单文件：{problem}。请下载名单模板，填写后以 .xlsx 或 .csv 格式上传"
    )
    assert "Error" not in caught.value.message + str(caught.value.details)


def test_a_text_file_that_is_not_a_roster_lacks_its_header() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_roster(b"name,id\n")
    assert caught.value.code == "roster_header_missing"


def test_every_problem_of_every_row_is_reported() -> None:
    good, dup, known, taken = (valid_resident_id(n) for n in (11, 12, 13, 14))
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = read_roster(
        xlsx(
            [
                ["姓名", "身份证号"],
                ["张伟", good],
                ["", dup],  # row 3: no name
                ["李娜", bad_check],  # row 4
                ["刘洋", dup],  # row 5: same ID as row 3
                ["陈静", known],  # row 6: known as someone else
                ["杨磊", taken],  # row 7: already in the session (skipped, no problem)
                ["赵敏", ""],  # row 8
            ]
        )
    )
    problems = roster_problems(rows, known_names={known: "陈晶", taken: "杨磊"})
    got = [(p["row"], p["column"], p["problem"]) for p in problems]
    assert got == [
        (3, "姓名", "姓名不能为空，也不能只含不可见字符"),
        (4, "身份证号", f"身份证号校验码错误：第 18 位应为 {good[17]}，实际为 {bad_check[17]}"),
        (5, "身份证号", "与第 3 行的身份证号重复"),
        (6, "姓名", "该身份证号已登记为考生「陈晶」，与填写的姓名「陈静」不一致"),
        (8, "身份证号", "身份证号不能为空"),
    ]
    assert problems[0]["place"] == "第 3 行「姓名」"


def test_rows_already_registered_are_skipped_with_their_ticket() -> None:
    a, b, c = (valid_resident_id(n) for n in (21, 22, 23))
    rows = read_roster(xlsx([["姓名", "身份证号"], ["张伟", a], ["王芳", b], ["李娜", c]]))
    new, skipped = skipped_rows(rows, registered={b: "2600010001007"})
    assert [r.name for r in new] == ["张伟", "李娜"]
    assert [(k.row, k.name, k.ticket_number, k.why, k.place) for k in skipped] == [
        (3, "王芳", "2600010001007", "已报名（准考证号 2600010001007）", "第 3 行")
    ]


def test_id_number_typed_as_a_number_gets_a_hint() -> None:
    rows = read_roster(xlsx([["姓名", "身份证号"], ["张伟", 110105194912310020]]))
    (problem,) = roster_problems(rows, known_names={})
    assert "存成了数字" in problem["problem"]


def test_empty_roster_is_a_problem() -> None:
    rows = read_roster(xlsx([["姓名", "身份证号"]]))
    assert [p["problem"] for p in roster_problems(rows, known_names={})] == ["名单中没有考生"]


def test_template_has_the_header_and_reads_back_empty() -> None:
    content = template_xlsx()
    ws = load_workbook(BytesIO(content)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["姓名", "身份证号", "联系电话", "工作单位"]
    assert header[4:] == [h for _, h, _ in FACT_COLUMNS]
    assert ws["B2"].number_format == "@"  # ID numbers stay text
    assert ws.cell(row=2, column=header.index("工作地区划") + 1).number_format == "@"
    assert read_roster(content) == []


def test_record_columns_are_read_from_typed_cells_and_text() -> None:
    a, b = valid_resident_id(31), valid_resident_id(32)
    content = xlsx(
        [
            ["姓名", "身份证号", "学历", "应届毕业生", "毕业时间", "从业年限", "工作地区划"],
            ["甲", a, "技校", "是", datetime(2026, 6, 30), 2.5, 340400],
            ["乙", b, "大专", "否", "2020年7月", "3年", "12345"],
        ]
    )
    first, second = read_roster(content)
    facts, problems = row_facts(first, {})
    assert problems == [] and facts is not None
    assert (facts.education, facts.final_year_student, facts.graduation_date) == (
        "technical_school",
        True,
        date(2026, 6, 30),
    )
    assert (facts.years_in_occupation, facts.work_region) == (2.5, "340400")
    facts, problems = row_facts(second, {})
    assert facts is None
    assert [(p["place"], p["problem"]) for p in problems] == [
        ("第 3 行「工作地区划」", "工作地应为 6 位行政区划代码，例如 340400（淮南市）")
    ]


def test_a_row_without_record_columns_leaves_the_record_alone() -> None:
    (row,) = read_roster(
        xlsx([["姓名", "身份证号", "从业年限"], ["甲", valid_resident_id(33), None]])
    )
    assert row_facts(row, {"years_in_occupation": 9}) == (None, [])
