"""Moodle question XML (<quiz>) in and out, so that a centre leaving Moodle brings its
banks along. Pure: bytes in, the bank file's items out (checked by exactly the rules of a
YAML item); a bank out as a Moodle XML file.

| Moodle | Jiping |
|---|---|
| multichoice, single | 单项选择题 (the 100% answer is the key) |
| multichoice, several answers | 多项选择题; fractions other than Jiping's own pattern are kept as credit |
| truefalse | 判断题 |
| shortanswer | 填空题: 100% answers accepted, lower ones as partial shares, usecase kept |
| numerical | 填空题 numeric: the 100% answer, its tolerance, units of multiplier 1 |
| ordering (qtype_ordering) | 排序题 |
| matching | 匹配题: each subquestion a prompt, its answer an option (a subquestion without text: an option no prompt takes); each right pair one share, as Moodle grades it |
| essay | 简答题 (论述/计算题 when its box is larger than Moodle's 15 lines), marked by people: graderinfo is the reference answer, its "得分点：" lines the marking points; without them the examiners are told so and mark the whole answer |
| anything else | refused with the reason, per question |

Question text is HTML: it is read as text (paragraphs and line breaks on their own lines,
an image by its description). defaultgrade becomes the item's default points and
generalfeedback its explanation. Jiping's own files keep the assessment area and point,
difficulty and levels in each question's tags (jiping-area:A, ...) and the bank and its
outline in the top category's info, so a file Jiping wrote re-imports whole."""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree, html

from app.banks import format as bank_format
from app.banks.format import BankFile, Problem, SourceItem
from app.banks.xml_source import parse_xml, tidy_lines
from app.itemtypes import ItemType, strategy_for
from app.itemtypes.base import OPTION_LABELS
from app.itemtypes.fill_in import BLANK
from app.itemtypes.written import imported_key

REFUSED_TYPES = {
    "ddwtos": "拖放填空题（ddwtos）",
    "gapselect": "下拉选择填空题（gapselect）",
    "multianswer": "嵌入式完形题（multianswer / Cloze）",
    "calculated": "计算题（calculated）",
    "calculatedsimple": "简单计算题（calculatedsimple）",
    "calculatedmulti": "计算选择题（calculatedmulti）",
    "randomsamatch": "随机简答匹配题（randomsamatch）",
    "ddimageortext": "图片拖放题（ddimageortext）",
    "ddmarker": "标记拖放题（ddmarker）",
}
_TAG = re.compile(r"jiping-([a-z-]+):(.*)")


def is_moodle(content: bytes) -> bool:
    """Whether an .xml upload is Moodle XML (root <quiz>) rather than QTI."""
    head = content[:4096].lstrip()
    return bool(re.search(rb"<quiz[\s>]", head))


def _child_text(el: etree._Element, *path: str) -> str | None:
    node: etree._Element | None = el
    for name in path:
        node = node.find(name) if node is not None else None
    if node is None:
        return None
    text = node.find("text")
    return (text.text if text is not None else node.text) or ""


def html_text(fragment: str) -> str:
    """Moodle's HTML question text as the plain text Jiping shows."""
    if not fragment.strip():
        return ""
    if "<" not in fragment:
        return tidy_lines(fragment)
    marked = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h[1-6]|tr)>", "\n", fragment)
    marked = re.sub(
        r"""(?i)<img[^>]*?alt\s*=\s*["']([^"']*)["'][^>]*>""", lambda m: f"［图：{m[1]}］", marked
    )
    marked = re.sub(r"(?i)<img[^>]*>", "［图］", marked)
    parser = html.HTMLParser(no_network=True, remove_comments=True)
    root = html.fragment_fromstring(marked, create_parent="div", parser=parser)
    return tidy_lines(root.text_content())


def _fraction(answer: etree._Element) -> float:
    try:
        return float(answer.get("fraction") or 0)
    except ValueError:
        return 0.0


def _tags(question: etree._Element) -> dict[str, str]:
    found = {}
    for tag in question.iterfind("tags/tag"):
        m = _TAG.fullmatch(_child_text(tag) or "")
        if m:
            found[m[1]] = m[2]
    return found


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").strip())
    except ValueError:
        return None


def read_question(
    question: etree._Element, file: str, index: int
) -> tuple[dict[str, Any] | None, str | None]:
    """(the item in the bank file's shape, None) or (None, why it is refused)."""
    kind = question.get("type") or ""
    if kind in REFUSED_TYPES:
        return None, f"Jiping 的机考不能呈现和评分{REFUSED_TYPES[kind]}"
    if kind not in (
        "multichoice",
        "truefalse",
        "shortanswer",
        "numerical",
        "ordering",
        "matching",
        "essay",
    ):
        return None, f"不支持的 Moodle 题型 {kind}"
    tags = _tags(question)
    name = (_child_text(question, "name") or "").strip()
    identifier = (question.findtext("idnumber") or "").strip() or name or f"moodle-{index}"
    stem = html_text(_child_text(question, "questiontext") or "") or name
    raw: dict[str, Any] = {
        "id": identifier,
        "area": tags.get("area", bank_format.FOREIGN_AREA),
        "point": tags.get("point", bank_format.FOREIGN_POINT),
        "difficulty": int(tags["difficulty"]) if tags.get("difficulty", "").isdigit() else 3,
        "stem": stem,
    }
    if tags.get("levels"):
        raw["levels"] = tags["levels"].split(",")
    explanation = html_text(_child_text(question, "generalfeedback") or "")
    if explanation:
        raw["explanation"] = explanation
    grade = _number(question.findtext("defaultgrade"))
    raw["points"] = None if tags.get("points") == "none" else bank_format.points_from(grade)
    answers = question.findall("answer")
    if kind == "truefalse":
        right = [a for a in answers if _fraction(a) >= 100]
        if len(right) != 1:
            return None, "判断题应恰有一个 100% 的答案"
        raw.update(type="true_false", key=(_child_text(right[0]) or "").strip().lower() == "true")
        return raw, None
    if kind == "multichoice":
        return _multichoice(raw, question, answers)
    if kind == "ordering":
        return _ordering(raw, answers, tags)
    if kind == "matching":
        return _matching(raw, question, tags)
    if kind == "shortanswer":
        return _shortanswer(raw, question, answers)
    if kind == "essay":
        return _essay(raw, question, tags)
    return _numerical(raw, question, answers, tags)


# Moodle's essay box is 15 lines unless its author made it larger: a larger one expects a
# 论述/计算题, the default a 简答题 (Jiping's own file says which in its tags).
ESSAY_DEFAULT_LINES = 15


def _essay(
    raw: dict[str, Any], question: etree._Element, tags: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """An essay is marked by people: its grader information (graderinfo) is the reference
    answer, with the marking points after "得分点：" one a line (as Jiping writes them, and
    as the Excel template's 答案 cell does)."""
    lines = _number(question.findtext("responsefieldlines")) or ESSAY_DEFAULT_LINES
    item_type = tags.get("type") or (
        ItemType.EXTENDED if lines > ESSAY_DEFAULT_LINES else ItemType.SHORT_ANSWER
    )
    if item_type not in (ItemType.SHORT_ANSWER, ItemType.EXTENDED):
        return None, f"jiping-type 标记 {item_type} 不是简答题或论述/计算题"
    grader = html_text(_child_text(question, "graderinfo") or "")
    read = strategy_for(item_type).key_from_cell(grader)
    key = imported_key(read["reference"], read["marking_points"], raw.get("points"))
    if _number(tags.get("tolerance")) is not None:
        key["tolerance"] = _number(tags["tolerance"])
    raw.update(type=item_type, key=key)
    return raw, None


def _multichoice(
    raw: dict[str, Any], question: etree._Element, answers: list[etree._Element]
) -> tuple[dict[str, Any] | None, str | None]:
    if not 2 <= len(answers) <= len(OPTION_LABELS):
        return None, f"选择题应有 2 至 {len(OPTION_LABELS)} 个选项，这道题有 {len(answers)} 个"
    labels = OPTION_LABELS[: len(answers)]
    raw["options"] = {
        label: html_text(_child_text(a) or "") for label, a in zip(labels, answers, strict=True)
    }
    fractions = {label: _fraction(a) for label, a in zip(labels, answers, strict=True)}
    single = (question.findtext("single") or "true").strip().lower() in ("true", "1")
    if single:
        right = [label for label, f in fractions.items() if f >= 100]
        if len(right) != 1:
            return None, "单选题应恰有一个 100% 的答案"
        raw.update(type="single_choice", key=right[0])
        return raw, None
    if len(answers) < 3:
        return None, "多选题至少应有 3 个选项"
    correct = [label for label, f in fractions.items() if f > 0]
    raw["type"] = "multiple_choice"
    if len(correct) < 2:
        return None, "多选题只有一个得分的答案；Jiping 的多选题至少有两个正确答案（请改为单选题）"
    share = 100 / len(correct)
    # Jiping's own pattern: equal shares of 100 for the key, -100 for every other option
    # (any wrong choice scores nothing, as the paper's partial rule says).
    own = all(abs(fractions[c] - share) < 0.01 for c in correct) and all(
        f <= -100 for label, f in fractions.items() if label not in correct
    )
    if own:
        raw["key"] = correct
    else:
        raw["key"] = {
            "answer": correct,
            "credit": {label: round(f, 5) for label, f in fractions.items() if f},
            "credit_max": 100,
        }
    return raw, None


def _ordering(
    raw: dict[str, Any], answers: list[etree._Element], tags: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """qtype_ordering lists the items in their right order. Jiping's own file says which
    label each had (jiping-order); otherwise they are labelled A, B, ... in that order
    (papers shuffle an ordering item's options anyway)."""
    if not 3 <= len(answers) <= len(OPTION_LABELS):
        return None, f"排序题应有 3 至 {len(OPTION_LABELS)} 个选项，这道题有 {len(answers)} 个"
    labels = list(tags.get("order", "")) or list(OPTION_LABELS[: len(answers)])
    if sorted(labels) != list(OPTION_LABELS[: len(answers)]):
        return None, "jiping-order 标记与选项数不符"
    texts = {
        label: html_text(_child_text(a) or "") for label, a in zip(labels, answers, strict=True)
    }
    raw.update(type="ordering", options=dict(sorted(texts.items())), key=labels)
    return raw, None


def _matching(
    raw: dict[str, Any], question: etree._Element, tags: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """Moodle grades a matching question by the share of subquestions answered right: each
    pair gets credit 1. Jiping's own file says each prompt's label (jiping-match) and its
    credit or none (jiping-credit); otherwise the answers are labelled A, B, ... as they
    first appear, the options no prompt takes after them."""
    prompts: list[str] = []
    answers: list[str] = []
    spare: list[str] = []
    for sub in question.iterfind("subquestion"):
        prompt = html_text(_child_text(sub) or "")
        answer = html_text(_child_text(sub, "answer") or "")
        if not answer:
            return None, "匹配题的子问题缺少答案"
        if prompt:
            prompts.append(prompt)
            answers.append(answer)
        elif answer not in spare:
            spare.append(answer)
    labels = list(tags.get("match", ""))
    if labels and len(labels) != len(prompts):
        return None, "jiping-match 标记与子问题数不符"
    options: dict[str, str] = {}
    if labels:
        for label, answer in zip(labels, answers, strict=True):
            if options.setdefault(label, answer) != answer:
                return None, "jiping-match 标记与子问题的答案不符"
        free = [label for label in OPTION_LABELS if label not in options]
        options.update(zip(free, [t for t in spare if t not in options.values()], strict=False))
    else:
        for text in [*answers, *spare]:
            if text not in options.values() and len(options) < len(OPTION_LABELS):
                options[OPTION_LABELS[len(options)]] = text
        label_of = {text: label for label, text in options.items()}
        labels = [label_of.get(a, "?") for a in answers]
    if len({*answers, *spare}) > len(OPTION_LABELS):
        return (
            None,
            f"匹配题最多 {len(OPTION_LABELS)} 个备选项，这道题有 {len({*answers, *spare})} 个",
        )
    pairs = dict(zip(prompts, labels, strict=True))
    raw.update(type="matching", options=dict(sorted(options.items())))
    credit = tags.get("credit", "")
    if credit == "none":
        raw["key"] = pairs
    else:
        shares = credit.split(",") if credit else ["1"] * len(prompts)
        if len(shares) != len(prompts) or _number(shares[0]) is None:
            return None, "jiping-credit 标记与子问题数不符"
        raw["key"] = {
            "pairs": pairs,
            "credit": dict(zip(prompts, map(_number, shares), strict=True)),
        }
    return raw, None


def _with_blank(stem: str) -> str:
    return stem if BLANK.search(stem) else f"{stem} ____"


def _shortanswer(
    raw: dict[str, Any], question: etree._Element, answers: list[etree._Element]
) -> tuple[dict[str, Any] | None, str | None]:
    accepted = [(_child_text(a) or "").strip() for a in answers if _fraction(a) >= 100]
    if not [a for a in accepted if a]:
        return None, "填空题没有 100% 的答案"
    partial = {
        (_child_text(a) or "").strip(): round(_fraction(a) / 100, 4)
        for a in answers
        if 0 < _fraction(a) < 100
    }
    key: dict[str, Any] = {"accepted": [a for a in accepted if a]}
    if partial:
        key["partial"] = partial
    if (question.findtext("usecase") or "0").strip() == "1":
        key["case_sensitive"] = True
    raw.update(type="fill_in", stem=_with_blank(raw["stem"]), key=key)
    return raw, None


def _numerical(
    raw: dict[str, Any],
    question: etree._Element,
    answers: list[etree._Element],
    tags: Mapping[str, str],
) -> tuple[dict[str, Any] | None, str | None]:
    right = [a for a in answers if _fraction(a) >= 100]
    value = _number(_child_text(right[0])) if right else None
    if value is None:
        return None, "数值题没有 100% 的数值答案"
    numeric: dict[str, Any] = {
        "value": value,
        "tolerance": abs(_number(right[0].findtext("tolerance")) or 0.0),
    }
    if tags.get("decimals", "").isdigit():
        numeric["decimals"] = int(tags["decimals"])
    key: dict[str, Any] = {"numeric": numeric}
    units = [
        (u.findtext("unit_name") or "").strip()
        for u in question.iterfind("units/unit")
        if _number(u.findtext("multiplier")) == 1
    ]
    units = [u for u in units if u]
    if units:
        key["unit"] = units[0]
        if units[1:]:
            key["unit_words"] = units[1:]
    if "chinese-numerals" in tags:
        key["chinese_numerals"] = True
    raw.update(type="fill_in", stem=_with_blank(raw["stem"]), key=key)
    return raw, None


def moodle_bank(
    content: bytes,
    filename: str,
    *,
    bank: Mapping[str, Any] | None = None,
    skip_refused: bool = False,
) -> tuple[BankFile | None, list[Problem]]:
    """A Moodle XML file as a bank, checked by the bank file's rules (see qti.qti_bank for
    `bank` and `skip_refused`)."""
    root, problem = parse_xml(content, filename)
    if problem is not None or root is None:
        return None, [problem or Problem(filename, None, None, None, "无法读取")]
    if root.tag != "quiz":
        return None, [
            Problem(filename, root.sourceline, None, None, "不是 Moodle XML（根元素应为 quiz）")
        ]
    problems: list[Problem] = []
    refused: list[Problem] = []
    own: dict[str, Any] = {}
    title = ""
    items: list[SourceItem] = []
    taken: set[str] = set()
    for index, question in enumerate(root.iterfind("question"), start=1):
        kind = question.get("type")
        if kind == "category":
            title = title or (_child_text(question, "category") or "").rsplit("/", 1)[-1]
            info = _child_text(question, "info") or ""
            if info.strip().startswith("{"):
                try:
                    own = json.loads(info)
                except ValueError:
                    problems.append(
                        Problem(filename, question.sourceline, None, None, "Jiping 元数据不是 JSON")
                    )
            continue
        if kind == "description":
            continue
        raw, refusal = read_question(question, filename, index)
        if raw is None:
            name = (_child_text(question, "name") or "").strip() or f"第 {index} 题"
            refused.append(
                Problem(filename, question.sourceline, name, "type", f"不能导入：{refusal}")
            )
            continue
        raw["id"] = bank_format.item_id_from(str(raw["id"]), taken, f"MOODLE-{index}")
        items.append(SourceItem(raw, filename, question.sourceline))
    return bank_format.check_foreign_bank(
        filename=filename,
        digest=hashlib.sha256(content).hexdigest(),
        given=bank or {},
        own=own,
        title=title or "导入的 Moodle 题目",
        items=items,
        refused=refused,
        skip_refused=skip_refused,
        problems=problems,
    )


def parse_moodle(
    content: bytes,
    filename: str,
    *,
    bank: Mapping[str, Any] | None = None,
    skip_refused: bool = False,
) -> BankFile:
    parsed, problems = moodle_bank(content, filename, bank=bank, skip_refused=skip_refused)
    if parsed is None:
        raise bank_format.refused(filename, problems)
    return parsed


# --- writing -------------------------------------------------------------------------------


def _html(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n"))


def _text_el(parent: etree._Element, name: str, text: str, fmt: str | None = None) -> None:
    el = etree.SubElement(parent, name)
    if fmt:
        el.set("format", fmt)
    etree.SubElement(el, "text").text = etree.CDATA(text) if "<" in text else text


def _answer(
    parent: etree._Element, fraction: float, text: str, fmt: str | None = None
) -> etree._Element:
    answer = etree.SubElement(parent, "answer", fraction=f"{fraction:g}")
    if fmt:
        answer.set("format", fmt)
    etree.SubElement(answer, "text").text = text
    return answer


def question_xml(source: Mapping[str, Any]) -> etree._Element:
    """One item (as a bank file writes it) as a Moodle question."""
    item_type = source["type"]
    key = source["key"]
    kind = {
        "single_choice": "multichoice",
        "multiple_choice": "multichoice",
        "true_false": "truefalse",
        "ordering": "ordering",
        "matching": "matching",
        "short_answer": "essay",
        "extended": "essay",
    }.get(item_type) or ("numerical" if "numeric" in key else "shortanswer")
    q = etree.Element("question", type=kind)
    _text_el(q, "name", source["id"])
    stem = source["stem"]
    if kind in ("shortanswer", "numerical"):
        stem = BLANK.sub("____", stem)
    _text_el(q, "questiontext", _html(stem), "html")
    _text_el(
        q,
        "generalfeedback",
        _html(source["explanation"]) if source.get("explanation") else "",
        "html",
    )
    points = source.get("points")
    etree.SubElement(q, "defaultgrade").text = f"{points if points is not None else 1:g}"
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = source["id"]
    if kind == "multichoice":
        etree.SubElement(q, "single").text = "true" if item_type == "single_choice" else "false"
        etree.SubElement(q, "shuffleanswers").text = "true"
        etree.SubElement(q, "answernumbering").text = "ABCD"
        if item_type == "single_choice":
            fractions = {label: 100.0 if label == key else 0.0 for label in source["options"]}
        elif isinstance(key, Mapping):
            top = float(key["credit_max"])
            fractions = {
                label: round(100 * float(key["credit"].get(label, 0)) / top, 5)
                for label in source["options"]
            }
        else:
            fractions = {
                label: round(100 / len(key), 5) if label in key else -100.0
                for label in source["options"]
            }
        for label, text in source["options"].items():
            _answer(q, fractions[label], _html(text), "html")
    elif kind == "ordering":
        etree.SubElement(q, "layouttype").text = "VERTICAL"
        etree.SubElement(q, "selecttype").text = "ALL"
        etree.SubElement(q, "selectcount").text = "0"
        etree.SubElement(q, "gradingtype").text = "ALL_OR_NOTHING"
        for label in key:
            _answer(q, 1, _html(source["options"][label]), "html")
    elif kind == "matching":
        etree.SubElement(q, "shuffleanswers").text = "true"
        pairs = key["pairs"] if isinstance(key.get("pairs"), Mapping) else key
        for prompt, label in pairs.items():
            sub = etree.SubElement(q, "subquestion", format="html")
            etree.SubElement(sub, "text").text = etree.CDATA(_html(prompt))
            etree.SubElement(etree.SubElement(sub, "answer"), "text").text = source["options"][
                label
            ]
        for label, text in source["options"].items():
            if label not in pairs.values():
                sub = etree.SubElement(q, "subquestion", format="html")
                etree.SubElement(sub, "text").text = ""
                etree.SubElement(etree.SubElement(sub, "answer"), "text").text = text
    elif kind == "essay":
        etree.SubElement(q, "responseformat").text = "editor"
        etree.SubElement(q, "responserequired").text = "1"
        lines = ESSAY_DEFAULT_LINES + (10 if item_type == ItemType.EXTENDED else 0)
        etree.SubElement(q, "responsefieldlines").text = str(lines)
        etree.SubElement(q, "attachments").text = "0"
        points_html = "".join(
            f"<li>{escape(p['point'])}（{p['points']:g}分）</li>" for p in key["marking_points"]
        )
        _text_el(
            q,
            "graderinfo",
            f"{_html(key['reference'])}<p>得分点：</p><ol>{points_html}</ol>",
            "html",
        )
        _text_el(q, "responsetemplate", "", "html")
    elif kind == "truefalse":
        _answer(q, 100 if key else 0, "true", "moodle_auto_format")
        _answer(q, 0 if key else 100, "false", "moodle_auto_format")
    elif kind == "shortanswer":
        etree.SubElement(q, "usecase").text = "1" if key.get("case_sensitive") else "0"
        for text in key["accepted"]:
            _answer(q, 100, text, "moodle_auto_format")
        for text, share in (key.get("partial") or {}).items():
            _answer(q, round(100 * float(share), 5), text, "moodle_auto_format")
    else:
        numeric = key["numeric"]
        answer = _answer(q, 100, f"{numeric['value']:g}", "moodle_auto_format")
        etree.SubElement(answer, "tolerance").text = f"{float(numeric['tolerance']):g}"
        names = [n for n in [key.get("unit"), *(key.get("unit_words") or [])] if n]
        if names:
            units = etree.SubElement(q, "units")
            for n in names:
                unit = etree.SubElement(units, "unit")
                etree.SubElement(unit, "multiplier").text = "1"
                etree.SubElement(unit, "unit_name").text = n
            etree.SubElement(q, "showunits").text = "3"
            etree.SubElement(q, "unitsleft").text = "0"
    tags = etree.SubElement(q, "tags")
    marks = [f"jiping-area:{source['area']}", f"jiping-point:{source['point']}"]
    marks.append(f"jiping-difficulty:{source['difficulty']}")
    if source.get("levels"):
        marks.append(f"jiping-levels:{','.join(source['levels'])}")
    if points is None:
        marks.append("jiping-points:none")
    if item_type == "ordering":
        marks.append(f"jiping-order:{''.join(key)}")
    if item_type == "matching":
        pairs = key["pairs"] if isinstance(key.get("pairs"), Mapping) else key
        marks.append(f"jiping-match:{''.join(pairs.values())}")
        credit = key.get("credit") if isinstance(key.get("pairs"), Mapping) else None
        marks.append(
            f"jiping-credit:{','.join(f'{credit[p]:g}' for p in pairs) if credit else 'none'}"
        )
    if kind == "essay":
        marks.append(f"jiping-type:{item_type}")
        if "tolerance" in key:
            marks.append(f"jiping-tolerance:{key['tolerance']:g}")
    fill_in = key if item_type == "fill_in" else {}
    if "decimals" in fill_in.get("numeric", {}):
        marks.append(f"jiping-decimals:{fill_in['numeric']['decimals']}")
    if fill_in.get("chinese_numerals"):
        marks.append("jiping-chinese-numerals:true")
    for mark in marks:
        _text_el(tags, "tag", mark)
    return q


def write_quiz(
    *,
    bank: Mapping[str, Any],
    outline: Sequence[Mapping[str, Any]],
    enemies: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
) -> bytes:
    """A bank as Moodle XML: its category (named after the bank, the bank and its outline in
    the category's info), then one question per item."""
    quiz = etree.Element("quiz")
    category = etree.SubElement(quiz, "question", type="category")
    _text_el(category, "category", f"$course$/top/{bank['name']}")
    info = json.dumps(
        {"bank": dict(bank), "outline": list(outline), "enemies": list(enemies)},
        ensure_ascii=False,
    )
    _text_el(category, "info", info, "moodle_auto_format")
    for source in items:
        quiz.append(question_xml(source))
    return etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)
