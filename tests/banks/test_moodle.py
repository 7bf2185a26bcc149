"""Moodle question XML: a Moodle export gives its expected items question by question (type,
key, points, or the refusal reason), and a bank goes out as Moodle XML and comes back the
same."""

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.banks import format as bank_format
from app.banks import moodle
from app.core.errors import ValidationFailed
from app.itemtypes import written
from app.scoring.rules import score_response
from tests.banks.samples import BANK

ROOT = Path(__file__).resolve().parents[2]
QUIZ = Path(__file__).parent / "data" / "moodle_quiz.xml"
# The same export with its essay turned into a calculated question, which Jiping does not
# deliver (its numbers are drawn per attempt): one question to refuse.
WITH_CALCULATED = QUIZ.read_bytes().replace(b'type="essay"', b'type="calculated"')
SHIPPED = sorted((ROOT / "question_banks").glob("*.yaml"))
HEADER = {
    "code": "MOODLE-1",
    "name": "电工基础",
    "occupation": "6-31-01-03",
    "levels": ["intermediate"],
}


def test_a_moodle_export_refuses_what_jiping_cannot_deliver_and_imports_nothing() -> None:
    with pytest.raises(ValidationFailed) as caught:
        moodle.parse_moodle(WITH_CALCULATED, "quiz.xml", bank=HEADER)
    assert [(d["item_id"], d["line"], d["problem"]) for d in caught.value.details] == [
        (
            "触电急救",
            line_of("essay"),
            "不能导入：Jiping 的机考不能呈现和评分计算题（calculated）",
        ),
    ]


def line_of(kind: str) -> int:
    lines = QUIZ.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if f'<question type="{kind}">' in line)


EXPECTED: dict[str, tuple[str, Any, float | None]] = {
    "DG-MC-1": ("single_choice", {"answer": "B"}, 1.5),
    "MOODLE-3": (
        "multiple_choice",
        {
            "answer": ["A", "B"],
            "credit": {"A": 50.0, "B": 50.0, "C": -50.0, "D": -50.0},
            "credit_max": 100.0,
        },
        2.0,
    ),
    "MOODLE-4": ("true_false", {"answer": True}, 1.0),
    "MOODLE-5": ("fill_in", {"accepted": ["传输层", "运输层"], "partial": {"第四层": 0.5}}, 1.0),
    "MOODLE-6": ("fill_in", {"numeric": {"value": 380.0, "tolerance": 5.0}, "unit": "V"}, 1.0),
    # Moodle grades a matching question by the share of subquestions answered right.
    "MOODLE-7": (
        "matching",
        {"prompts": ["兆欧表", "钳形电流表"], "answer": ["A", "B"], "credit": [1.0, 1.0]},
        1.0,
    ),
    # An essay is a 简答题 marked by people; its graderinfo is empty, so the examiners are
    # told the file has no reference and mark the whole answer out of its 5 points. (Its
    # name 触电急救 is no item id: it is numbered like the others.)
    "MOODLE-8": (
        "short_answer",
        {
            "reference": written.NO_REFERENCE,
            "marking_points": [{"point": written.WHOLE_ANSWER, "points": 5}],
        },
        5.0,
    ),
}


def test_the_deliverable_questions_import_when_asked_with_their_keys_and_points() -> None:
    parsed = moodle.parse_moodle(QUIZ.read_bytes(), "quiz.xml", bank=HEADER, skip_refused=True)
    assert {i.external_id: (i.item_type, i.key, i.points) for i in parsed.items} == EXPECTED
    assert parsed.skipped == []
    [matching] = [i for i in parsed.items if i.item_type == "matching"]
    assert [o["text"] for o in matching.options] == ["绝缘电阻", "电流"]
    first, multiple = parsed.items[0], parsed.items[1]
    assert first.stem == "欧姆定律表明，导体中的电流与导体两端的电压成（　　）。"
    assert first.explanation == "I = U / R。"
    assert [o["text"] for o in first.options] == ["反比", "正比", "平方关系", "无关"]
    assert multiple.stem == "下列属于低压控制电器的有（　　）。\n［图：继电器实物图］"
    assert parsed.items[3].stem == "TCP 协议工作在 OSI 参考模型的哪一层？ ____"
    assert parsed.outline[0].points[0].name == "默认 电工基础"


def test_moodle_fractions_score_as_moodle_would() -> None:
    parsed = moodle.parse_moodle(QUIZ.read_bytes(), "quiz.xml", bank=HEADER, skip_refused=True)
    by_id = {i.external_id: i for i in parsed.items}

    def scored(item_id: str, response: dict[str, Any]) -> float:
        item = by_id[item_id]
        return score_response(
            item_type=item.item_type, key=item.key, points=2, response=response
        ).awarded

    assert scored("MOODLE-3", {"choices": ["A"]}) == 1  # 50 %
    assert scored("MOODLE-3", {"choices": ["A", "B", "C"]}) == 1  # 100 − 50
    assert scored("MOODLE-3", {"choices": ["A", "C"]}) == 0
    assert scored("MOODLE-5", {"text": "第四层"}) == 1
    assert scored("MOODLE-5", {"text": "运输层"}) == 2
    assert scored("MOODLE-6", {"text": "376 V"}) == 2
    assert scored("MOODLE-6", {"text": "374"}) == 0
    assert scored("MOODLE-7", {"matches": ["A", "A"]}) == 1  # one of two subquestions
    assert scored("MOODLE-7", {"matches": ["A", "B"]}) == 2


def test_moodle_xml_with_a_doctype_is_refused() -> None:
    evil = b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<quiz>&x;</quiz>'
    with pytest.raises(ValidationFailed) as caught:
        moodle.parse_moodle(evil, "evil.xml", bank=HEADER)
    assert [d["problem"] for d in caught.value.details] == [
        "文件含 DOCTYPE 声明（可能藏有实体扩展或外部实体），出于安全原因拒绝导入"
    ]


def quiz_of(text: str) -> tuple[bank_format.BankFile, bytes]:
    bank = bank_format.parse_bank_file(text.encode(), "t.yaml")
    content = moodle.write_quiz(
        bank=bank_format.header_source(bank.header),
        outline=bank_format.outline_to_json(bank.outline),
        enemies=[g.as_json() for g in bank.enemy_groups],
        items=[bank_format.source_of(i, external_id=i.external_id) for i in bank.items],
    )
    return bank, content


@pytest.mark.parametrize("path", [*SHIPPED, None], ids=[*(p.name for p in SHIPPED), "sample"])
def test_yaml_to_moodle_to_yaml_gives_the_same_items(path: Path | None) -> None:
    bank, content = quiz_of(path.read_text() if path else BANK)
    again = moodle.parse_moodle(content, "bank-moodle.xml")
    assert again.header == bank.header and again.outline == bank.outline
    assert again.enemy_groups == bank.enemy_groups
    assert [(i.external_id, i.digest) for i in again.items] == [
        (i.external_id, i.digest) for i in bank.items
    ]


def test_the_exported_quiz_is_moodle_xml_a_moodle_reads() -> None:
    _, content = quiz_of(BANK)
    quiz = etree.fromstring(content)
    kinds = [q.get("type") for q in quiz.iterfind("question")]
    assert kinds[0] == "category"
    assert set(kinds[1:]) <= {"multichoice", "truefalse", "shortanswer", "numerical"}
    first = quiz.find("question[@type='multichoice']")
    assert first is not None
    assert first.findtext("single") == "true"
    assert [a.get("fraction") for a in first.iterfind("answer")].count("100") == 1
    several = [
        q for q in quiz.iterfind("question[@type='multichoice']") if q.findtext("single") == "false"
    ]
    for q in several:
        fractions = [float(a.get("fraction") or 0) for a in q.iterfind("answer")]
        assert abs(sum(f for f in fractions if f > 0) - 100) < 0.01
