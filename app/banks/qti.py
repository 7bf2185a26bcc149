"""IMS QTI 2.1 and 3.0 in and out: items, tests and content packages.

Pure: bytes in, the bank file's items out (checked by exactly the rules of a YAML item),
and a bank out as a QTI 3.0 content package. Both versions are read through one model:
QTI 3 names elements and attributes in kebab case with a "qti-" prefix
(qti-choice-interaction, response-identifier), QTI 2.1 in camel case (choiceInteraction,
responseIdentifier); `_name` folds both to the camel-case name.

What an item becomes (the score is the one the file declares: its MAXSCORE, else what its
standard template gives: match_correct 1, map_response the best the mapping reaches):

| QTI | Jiping |
|---|---|
| choice, single cardinality | 单项选择题 (a two-way choice with identifiers or texts true/false: 判断题) |
| choice, multiple cardinality | 多项选择题; a mapping (map_response) is kept as the key's credit |
| one text entry, string | 填空题 with the mapping's best values accepted, lower ones as partial shares |
| one text entry, float or integer | 填空题 numeric, the tolerance of an absolute `equal` kept |
| order, ordered cardinality, every choice in the correct response | 排序题 |
| match, directed pairs, each prompt (first set) with one option (second set) | 匹配题; a mapping (map_response) of the right pairs is kept as each pair's credit |
| extended text | 简答题 (论述/计算题 when it expects more than 2,000 characters or 10 lines), marked by people: the scorer's rubricBlock is the reference answer, or the examiners are told the file has none; one marking point of the declared score |
| anything else | refused with the reason, per item |

associateInteraction stays refused: it pairs choices within one set, and as a matching item
it would tell the candidate which side each choice is on (an easier question than the
file's). A match whose prompts read the same (pictures without a description, since Jiping
imports no pictures) is refused: the candidate could not tell them apart.

Jiping's own packages carry what QTI has no place for (assessment area and point,
difficulty, levels, explanation, unit) in the manifest's resource metadata, so a package
Jiping wrote re-imports with the same items, keys and scores."""

import hashlib
import io
import json
import math
import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.banks import format as bank_format
from app.banks.format import BankFile, Problem, SourceItem
from app.banks.xml_source import local, parse_xml, read_package, spaced, tidy_lines
from app.itemtypes import ItemType
from app.itemtypes.base import OPTION_LABELS
from app.itemtypes.fill_in import BLANK
from app.itemtypes.matching import MAX_PROMPTS
from app.itemtypes.true_false import word_truth
from app.itemtypes.written import imported_key

WRITTEN = (ItemType.SHORT_ANSWER, ItemType.EXTENDED)
QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI3_CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
JIPING_NS = "https://jiping.example/xsd/bank-metadata/1"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = TEMPLATES + "match_correct.xml"
MAP_RESPONSE = TEMPLATES + "map_response.xml"

# Names of what Jiping does not deliver, for the refusal.
INTERACTION_NAMES = {
    "orderInteraction": "排序题（orderInteraction）",
    "matchInteraction": "匹配题（matchInteraction）",
    "associateInteraction": "配对题（associateInteraction）",
    "gapMatchInteraction": "拖放填空题（gapMatchInteraction）",
    "inlineChoiceInteraction": "下拉选择填空题（inlineChoiceInteraction）",
    "hotspotInteraction": "热区题（hotspotInteraction）",
    "hottextInteraction": "热点文字题（hottextInteraction）",
    "graphicGapMatchInteraction": "图形拖放题（graphicGapMatchInteraction）",
    "selectPointInteraction": "图上选点题（selectPointInteraction）",
    "sliderInteraction": "滑块题（sliderInteraction）",
    "uploadInteraction": "上传文件题（uploadInteraction）",
    "drawingInteraction": "绘图题（drawingInteraction）",
    "mediaInteraction": "媒体题（mediaInteraction）",
    "customInteraction": "自定义题（customInteraction）",
    "portableCustomInteraction": "自定义题（portableCustomInteraction）",
    "positionObjectInteraction": "位置题（positionObjectInteraction）",
    "graphicOrderInteraction": "图形排序题（graphicOrderInteraction）",
    "graphicAssociateInteraction": "图形配对题（graphicAssociateInteraction）",
}
DELIVERED = (
    "choiceInteraction",
    "textEntryInteraction",
    "orderInteraction",
    "matchInteraction",
    "extendedTextInteraction",
)
# Inside the item body, never part of the stem a candidate reads.
_SKIPPED = {"feedbackInline", "feedbackBlock", "templateInline", "templateBlock", "rubricBlock"}
_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote", "tr", "prompt", "pre"}


def _name(tag: Any) -> str:
    """choiceInteraction for both qti-choice-interaction (3.0) and choiceInteraction (2.1)."""
    name = local(tag)
    if not name.startswith("qti-"):
        return name
    head, *rest = name[4:].split("-")
    return head + "".join(part.capitalize() for part in rest)


def _attr(el: etree._Element, camel: str) -> str | None:
    """An attribute by its 2.1 name (responseIdentifier) or its 3.0 one (response-identifier)."""
    value = el.get(camel)
    if value is None:
        value = el.get(re.sub(r"([A-Z])", lambda m: "-" + m[1].lower(), camel))
    return value


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _name(c.tag) == name]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _descendants(el: etree._Element, name: str) -> list[etree._Element]:
    return [d for d in el.iter() if _name(d.tag) == name]


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


# --- reading -------------------------------------------------------------------------------


@dataclass
class ReadItem:
    """One assessment item of the upload: its item in the bank file's shape, or why not."""

    identifier: str
    file: str
    line: int | None
    raw: dict[str, Any] | None = None
    refusal: str | None = None


@dataclass
class QtiSource:
    filename: str
    items: list[ReadItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title: str = ""
    bank: dict[str, Any] | None = None  # Jiping's own package: bank, outline, enemies


def _text(el: etree._Element) -> str:
    """The text a candidate reads, blocks on their own lines, a blank for a text entry, an
    image by its description."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = _name(node.tag)
        if name in _SKIPPED or (name.endswith("Interaction") and name != "textEntryInteraction"):
            # A choice's options are not the stem, but its prompt is.
            prompt = _child(node, "prompt") if name not in _SKIPPED else None
            if prompt is not None:
                parts.append(f"\n{_text(prompt)}\n")
            if node.tail:
                parts.append(spaced(node.tail))
            return
        if name == "span" and node.get("class") == "jiping-unit":
            pass
        elif name == "textEntryInteraction":
            parts.append("____")
        elif name == "img":
            alt = (node.get("alt") or "").strip()
            parts.append(f"［图：{alt}］" if alt else "［图］")
        elif name == "math":
            parts.append(" ".join("".join(node.itertext()).split()))
        else:
            if name in _BLOCKS:
                parts.append("\n")
            if node.text:
                parts.append(spaced(node.text))
            for child in node:
                walk(child)
            if name in _BLOCKS:
                parts.append("\n")
        if node.tail:
            parts.append(spaced(node.tail))

    if el.text:
        parts.append(spaced(el.text))
    for child in el:
        walk(child)
    return tidy_lines("".join(parts))


def _declared_max(item: etree._Element) -> float | None:
    for outcome in _children(item, "outcomeDeclaration"):
        if outcome.get("identifier") == "MAXSCORE":
            values = _descendants(outcome, "value")
            return _number(values[0].text) if values else None
    return None


def _template(item: etree._Element) -> str | None:
    """match_correct, map_response, ..., "custom" for written-out processing, None for none."""
    rp = _child(item, "responseProcessing")
    if rp is None:
        return None
    template = _attr(rp, "template") or _attr(rp, "templateLocation")
    if template:
        return posixpath.basename(template.rstrip("/")).removesuffix(".xml")
    return "custom" if len(rp) else None


def _mapping(decl: etree._Element) -> tuple[list[tuple[str, float, bool]], float | None] | None:
    """[(key, value, case sensitive)], upper bound; None without a mapping."""
    mapping = _child(decl, "mapping")
    if mapping is None:
        return None
    entries = []
    for entry in _children(mapping, "mapEntry"):
        value = _number(_attr(entry, "mappedValue"))
        key = _attr(entry, "mapKey")
        if key is not None and value is not None:
            # QTI: string keys match case-sensitively unless the entry says otherwise.
            entries.append((key, value, (_attr(entry, "caseSensitive") or "true") != "false"))
    return entries, _number(_attr(mapping, "upperBound"))


def _correct(decl: etree._Element) -> list[str]:
    correct = _child(decl, "correctResponse")
    if correct is None:
        return []
    return [(v.text or "").strip() for v in _children(correct, "value")]


def read_item(item: etree._Element, file: str, meta: Mapping[str, Any] | None = None) -> ReadItem:
    identifier = item.get("identifier") or posixpath.basename(file)
    read = ReadItem(identifier, file, item.sourceline)
    body = _child(item, "itemBody")
    if body is None:
        read.refusal = "缺少题目内容（itemBody）"
        return read
    interactions = [d for d in body.iter() if _name(d.tag).endswith("Interaction")]
    if not interactions:
        read.refusal = "没有作答区域（interaction），不是可作答的题目"
        return read
    if len(interactions) > 1:
        read.refusal = f"一道题含 {len(interactions)} 个作答区域，Jiping 每题只有一个作答区域"
        return read
    interaction = interactions[0]
    kind = _name(interaction.tag)
    if kind not in DELIVERED:
        what = INTERACTION_NAMES.get(kind, kind)
        read.line = interaction.sourceline
        read.refusal = f"Jiping 的机考不能呈现和评分{what}"
        return read
    meta = meta or {}
    if kind == "extendedTextInteraction":
        read.raw = _extended_text(item, body, interaction, meta)
        return read
    response_id = _attr(interaction, "responseIdentifier")
    decl = next(
        (d for d in _children(item, "responseDeclaration") if d.get("identifier") == response_id),
        None,
    )
    if decl is None:
        read.refusal = f"没有作答区域 {response_id} 的作答声明（responseDeclaration）"
        return read
    correct, mapping = _correct(decl), _mapping(decl)
    if not correct and not (mapping and mapping[0]):
        read.line = decl.sourceline
        read.refusal = "没有声明正确答案（correctResponse）和评分，无法作为考试题目"
        return read
    template = _template(item)
    rp = _child(item, "responseProcessing")
    mapped = (
        mapping is not None
        and bool(mapping[0])
        and (
            template in ("map_response", "map_response_point")
            or (template == "custom" and rp is not None and bool(_descendants(rp, "mapResponse")))
        )
    )
    # A stem of nothing but the options (conformance items do that) falls back to the title.
    stem = _text(body) or (item.get("title") or "").strip()
    raw: dict[str, Any] = {
        "id": identifier,
        "area": meta.get("area", bank_format.FOREIGN_AREA),
        "point": meta.get("point", bank_format.FOREIGN_POINT),
        "difficulty": meta.get("difficulty", 3),
        "stem": stem,
    }
    for extra in ("levels", "explanation"):
        if extra in meta:
            raw[extra] = meta[extra]
    cardinality = decl.get("cardinality")
    if kind == "choiceInteraction":
        refusal = _choice(raw, interaction, cardinality, correct, mapping if mapped else None, meta)
    elif kind == "orderInteraction":
        refusal = _order(raw, interaction, cardinality, correct)
    elif kind == "matchInteraction":
        refusal = _match(raw, interaction, decl, correct, mapping if mapped else None)
    else:
        refusal = _text_entry(raw, decl, item, correct, mapping if mapped else None, meta)
    if refusal:
        read.refusal = refusal
        return read
    declared = _declared_max(item)
    if declared is None and template == "match_correct":
        declared = 1.0
    if declared is None and mapped and mapping is not None:
        declared = _best(raw, mapping)
    # Jiping's own metadata says the points, or (none written) that the item has none.
    raw["points"] = meta.get("points") if meta else bank_format.points_from(declared)
    read.raw = raw
    return read


# An extended text answer a file expects longer than this (characters), or in more lines,
# is a 论述/计算题; a shorter one a 简答题.
SHORT_ANSWER_CHARS = 2000
SHORT_ANSWER_LINES = 10


def _extended_text(
    item: etree._Element,
    body: etree._Element,
    interaction: etree._Element,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    """An extended text interaction is marked by people (简答题 or 论述/计算题): the file's
    scorer rubric (rubricBlock view="scorer") is the reference answer; a file without one
    says so to the examiners. Jiping's own package keeps the key in its metadata."""
    stem = _text(body) or (item.get("title") or "").strip()
    rubric = "\n".join(
        _text(block)
        for block in _descendants(item, "rubricBlock")
        if "scorer" in (block.get("view") or "").split()
    ).strip()
    length = _number(_attr(interaction, "expectedLength")) or 0
    lines = _number(_attr(interaction, "expectedLines")) or 0
    long = length > SHORT_ANSWER_CHARS or lines > SHORT_ANSWER_LINES
    points = meta.get("points") if meta else bank_format.points_from(_declared_max(item))
    key = imported_key(meta.get("reference") or rubric, meta.get("marking_points") or [], points)
    if "tolerance" in meta:
        key["tolerance"] = meta["tolerance"]
    raw: dict[str, Any] = {
        "id": item.get("identifier") or "",
        "type": meta.get("type") or (ItemType.EXTENDED if long else ItemType.SHORT_ANSWER),
        "area": meta.get("area", bank_format.FOREIGN_AREA),
        "point": meta.get("point", bank_format.FOREIGN_POINT),
        "difficulty": meta.get("difficulty", 3),
        "stem": stem,
        "key": key,
        "points": points,
    }
    for extra in ("levels", "explanation"):
        if extra in meta:
            raw[extra] = meta[extra]
    return raw


def _best(raw: Mapping[str, Any], mapping: tuple[list[tuple[str, float, bool]], float | None]):
    entries, upper = mapping
    values = [v for _, v, _ in entries]
    if raw["type"] in (ItemType.MULTIPLE_CHOICE, ItemType.MATCHING):
        best = sum(v for v in values if v > 0)
    else:
        best = max(values, default=0)
    return min(best, upper) if upper is not None else best


def _choice(
    raw: dict[str, Any],
    interaction: etree._Element,
    cardinality: str | None,
    correct: list[str],
    mapping: tuple[list[tuple[str, float, bool]], float | None] | None,
    meta: Mapping[str, Any],
) -> str | None:
    choices = _children(interaction, "simpleChoice")
    if not 2 <= len(choices) <= len(OPTION_LABELS):
        return f"选择题应有 2 至 {len(OPTION_LABELS)} 个选项，这道题有 {len(choices)} 个"
    label_of = {
        c.get("identifier"): label for c, label in zip(choices, OPTION_LABELS, strict=False)
    }
    texts = {label_of[c.get("identifier")]: _text(c) for c in choices}
    unknown = [v for v in correct if v not in label_of]
    if unknown:
        return f"正确答案 {'、'.join(unknown)} 不是本题的选项"
    if cardinality == "single":
        if len(correct) != 1:
            return "单选题应恰有一个正确答案"
        ids = [str(c.get("identifier")).lower() for c in choices]
        truths = [word_truth(t) for t in texts.values()]
        as_truth = meta.get("type") == ItemType.TRUE_FALSE or (
            "type" not in meta
            and len(choices) == 2
            and (set(ids) == {"true", "false"} or set(truths) == {True, False})
        )
        if as_truth:
            chosen = choices[[c.get("identifier") for c in choices].index(correct[0])]
            truth = (
                str(chosen.get("identifier")).lower() == "true"
                if set(ids) == {"true", "false"}
                else word_truth(texts[label_of[chosen.get("identifier")]])
            )
            raw.update(type=ItemType.TRUE_FALSE.value, key=bool(truth))
            return None
        raw.update(type="single_choice", options=texts, key=label_of[correct[0]])
        return None
    if cardinality != "multiple":
        return f"选择题的作答声明应为 single 或 multiple，实际为 {cardinality}"
    if len(choices) < 3:
        return "多选题至少应有 3 个选项，这道题只有 2 个"
    raw.update(type="multiple_choice", options=texts)
    answer = [label_of[v] for v in correct]
    if mapping is None:
        if len(answer) < 2:
            return "多选题只有一个正确答案；Jiping 的多选题至少有两个正确答案（请改为单选题）"
        raw["key"] = answer
        return None
    entries, upper = mapping
    credit = {label_of[k]: v for k, v, _ in entries if k in label_of}
    if not answer:
        answer = [label for label, v in credit.items() if v > 0]
    best = _best(raw, mapping)
    raw["key"] = {"answer": answer, "credit": credit, "credit_max": best}
    if upper is None:
        del raw["key"]["credit_max"]
    return None


def _order(
    raw: dict[str, Any], interaction: etree._Element, cardinality: str | None, correct: list[str]
) -> str | None:
    choices = _children(interaction, "simpleChoice")
    if not 3 <= len(choices) <= len(OPTION_LABELS):
        return f"排序题应有 3 至 {len(OPTION_LABELS)} 个选项，这道题有 {len(choices)} 个"
    if cardinality != "ordered":
        return f"排序题的作答声明应为 ordered，实际为 {cardinality}"
    label_of = {
        c.get("identifier"): label for c, label in zip(choices, OPTION_LABELS, strict=False)
    }
    if sorted(correct) != sorted(label_of):
        return "排序题的正确答案应按顺序包含全部选项，每个一次（Jiping 不收只排其中几项的题）"
    raw.update(
        type="ordering",
        options={label_of[c.get("identifier")]: _text(c) for c in choices},
        key=[label_of[v] for v in correct],
    )
    return None


def _match(
    raw: dict[str, Any],
    interaction: etree._Element,
    decl: etree._Element,
    correct: list[str],
    mapping: tuple[list[tuple[str, float, bool]], float | None] | None,
) -> str | None:
    """The first match set holds the prompts, the second the options; each right pair is
    "prompt option" (directedPair)."""
    sets = _children(interaction, "simpleMatchSet")
    if len(sets) != 2:
        return f"匹配题应有两组（simpleMatchSet），这道题有 {len(sets)} 组"
    if _attr(decl, "baseType") != "directedPair" or decl.get("cardinality") != "multiple":
        return "匹配题的作答声明应为 multiple 的 directedPair"
    sources, targets = (_children(s, "simpleAssociableChoice") for s in sets)
    if not 2 <= len(sources) <= MAX_PROMPTS:
        return f"匹配题应有 2 至 {MAX_PROMPTS} 个题项，这道题有 {len(sources)} 个"
    if not 2 <= len(targets) <= len(OPTION_LABELS):
        return f"匹配题应有 2 至 {len(OPTION_LABELS)} 个备选项，这道题有 {len(targets)} 个"
    prompts = {c.get("identifier"): _text(c) for c in sources}
    texts = [t for t in prompts.values()]
    repeated = sorted({t for t in texts if texts.count(t) > 1})
    if repeated:
        return (
            f"匹配题的题项应各不相同，这道题有 {texts.count(repeated[0])} 个都是“{repeated[0]}”"
            "（图片没有文字说明时考生无法区分；Jiping 不导入图片）"
        )
    label_of = {
        c.get("identifier"): label for c, label in zip(targets, OPTION_LABELS, strict=False)
    }
    answer: dict[str, str] = {}
    for value in correct:
        source, _, target = value.partition(" ")
        if source not in prompts or target.strip() not in label_of:
            return f"正确答案“{value}”不是本题题项与备选项的配对"
        if source in answer:
            return (
                f"题项“{prompts[source]}”有不止一个正确的配对；Jiping 的匹配题每个题项只有一个答案"
            )
        answer[source] = label_of[target.strip()]
    missing = [prompts[p] for p in prompts if p not in answer]
    if missing:
        return f"题项“{missing[0]}”没有正确的配对；Jiping 的匹配题每个题项都有一个答案"
    pairs = {prompts[p]: answer[p] for p in prompts}
    raw.update(type="matching", options={label_of[c.get("identifier")]: _text(c) for c in targets})
    if mapping is None:
        raw["key"] = pairs
        return None
    entries, upper = mapping
    right = {f"{p} {t}" for p, t in (v.split(" ", 1) for v in correct)}
    credit: dict[str, float] = {}
    for pair, mapped, _ in entries:
        if " ".join(pair.split()) not in right:
            if mapped:
                return f"映射（mapping）给错误的配对“{pair}”计分；Jiping 只给答对的配对计分"
            continue
        credit[prompts[pair.split()[0]]] = mapped
    if upper is not None and upper < sum(credit.values()):
        return "映射的上限（upperBound）小于各配对得分之和；Jiping 不支持"
    if any(credit.get(p, 0) <= 0 for p in pairs):
        return "映射（mapping）中每个正确的配对都应得分"
    raw["key"] = {"pairs": pairs, "credit": credit}
    return None


def _text_entry(
    raw: dict[str, Any],
    decl: etree._Element,
    item: etree._Element,
    correct: list[str],
    mapping: tuple[list[tuple[str, float, bool]], float | None] | None,
    meta: Mapping[str, Any],
) -> str | None:
    base = _attr(decl, "baseType")
    if decl.get("cardinality") != "single":
        return "填空题的作答声明应为 single"
    raw["type"] = "fill_in"
    if not BLANK.search(raw["stem"]):
        raw["stem"] = f"{raw['stem']} ____"
    units = {k: meta[k] for k in ("unit", "unit_words", "chinese_numerals") if k in meta}
    if base in ("float", "integer"):
        if not correct or _number(correct[0]) is None:
            return "数值填空题没有数值的正确答案"
        tolerance = 0.0
        for equal in _descendants(item, "equal"):
            if _attr(equal, "toleranceMode") == "absolute":
                bounds = (_attr(equal, "tolerance") or "").split()
                tolerance = max((_number(b) or 0.0) for b in bounds) if bounds else 0.0
        numeric: dict[str, Any] = {"value": _number(correct[0]), "tolerance": tolerance}
        if "decimals" in meta:
            numeric["decimals"] = meta["decimals"]
        raw["key"] = {"numeric": numeric, **units}
        return None
    if base != "string":
        return f"填空题的作答类型 {base} 不受支持（应为 string、float 或 integer）"
    accepted = list(correct)
    partial: dict[str, float] = {}
    sensitive = True
    if mapping is not None:
        entries = mapping[0]
        best = _best(raw, mapping)
        if best <= 0:
            return "映射（mapping）中没有得分大于 0 的答案"
        for text, value, case in entries:
            sensitive = sensitive and case
            share = min(value, best) / best
            if share >= 1 and text not in accepted:
                accepted.append(text)
            elif 0 < share < 1:
                partial[text] = round(share, 4)
    if not accepted:
        return "填空题没有得满分的答案"
    key: dict[str, Any] = {"accepted": accepted, **units}
    if partial:
        key["partial"] = partial
    if (sensitive and "case_sensitive" not in meta) or meta.get("case_sensitive"):
        key["case_sensitive"] = True
    raw["key"] = key
    return None


def _item_roots(
    source: QtiSource, files: Mapping[str, bytes], order: Sequence[str]
) -> Iterable[tuple[str, etree._Element]]:
    for path in order:
        content = files.get(path)
        if content is None:
            source.problems.append(Problem(path, None, None, None, "包中缺少这个题目文件"))
            continue
        root, problem = parse_xml(content, path)
        if problem is not None:
            source.problems.append(problem)
        elif root is not None:
            yield path, root


def _test_refs(root: etree._Element, path: str) -> list[str]:
    folder = posixpath.dirname(path)
    return [
        posixpath.normpath(posixpath.join(folder, ref.get("href") or ""))
        for ref in _descendants(root, "assessmentItemRef")
        if ref.get("href")
    ]


def read_qti(content: bytes, filename: str) -> QtiSource:
    """Every item of a QTI upload: one item file, or a ZIP (a content package with its
    imsmanifest.xml, or loose item and test files)."""
    source = QtiSource(filename)
    if filename.lower().endswith(".zip") or content[:2] == b"PK":
        _read_package(source, content)
        return source
    root, problem = parse_xml(content, filename)
    if problem is not None:
        source.problems.append(problem)
        return source
    assert root is not None
    kind = _name(root.tag)
    if kind == "assessmentTest":
        source.problems.append(
            Problem(
                filename,
                root.sourceline,
                None,
                None,
                "这是测试文件（assessmentTest），它引用的题目文件不在其中：请把测试和题目文件"
                "（或整个内容包）打包成 ZIP 上传",
            )
        )
    elif kind != "assessmentItem":
        source.problems.append(
            Problem(filename, root.sourceline, None, None, f"不是 QTI 题目文件（根元素为 {kind}）")
        )
    else:
        source.items.append(read_item(root, filename))
    return source


def _read_package(source: QtiSource, content: bytes) -> None:
    package, problem = read_package(content, source.filename)
    if problem is not None or package is None:
        source.problems.append(problem or Problem(source.filename, None, None, None, "无法读取"))
        return
    metas: dict[str, dict[str, Any]] = {}
    manifest = package.get("imsmanifest.xml")
    if manifest is not None:
        order, metas = _read_manifest(source, manifest)
    else:
        order = sorted(p for p in package.files if p.lower().endswith(".xml"))
    items: list[str] = []
    tests: list[str] = []
    roots: dict[str, etree._Element] = {}
    for path, root in _item_roots(source, package.files, order):
        roots[path] = root
        kind = _name(root.tag)
        if kind == "assessmentItem":
            items.append(path)
        elif kind == "assessmentTest":
            tests.append(path)
            if not source.title:
                source.title = root.get("title") or ""
    # A test fixes the order of its items; items no test names follow in file order.
    ordered: list[str] = []
    for test in tests:
        for ref in _test_refs(roots[test], test):
            if ref not in ordered:
                ordered.append(ref)
                if ref not in roots:
                    roots.update(dict(_item_roots(source, package.files, [ref])))
    ordered += [p for p in items if p not in ordered]
    if not ordered and not source.problems:
        source.problems.append(Problem(source.filename, None, None, None, "压缩包中没有 QTI 题目"))
    for path in ordered:
        root = roots.get(path)
        if root is None:
            continue
        if _name(root.tag) != "assessmentItem":
            source.problems.append(Problem(path, root.sourceline, None, None, "不是 QTI 题目文件"))
            continue
        source.items.append(read_item(root, path, metas.get(path)))


def _read_manifest(
    source: QtiSource, content: bytes
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    root, problem = parse_xml(content, "imsmanifest.xml")
    if problem is not None or root is None:
        source.problems.append(problem or Problem("imsmanifest.xml", None, None, None, "无法读取"))
        return [], {}
    order: list[str] = []
    metas: dict[str, dict[str, Any]] = {}
    for meta in root.iter(f"{{{JIPING_NS}}}bank"):
        source.bank = _json(meta, source, "imsmanifest.xml")
    for resource in _descendants(root, "resource"):
        kind = resource.get("type") or ""
        href = resource.get("href")
        if not href or not kind.startswith(("imsqti_item", "imsqti_test")):
            continue
        path = posixpath.normpath(href)
        order.append(path)
        for meta in resource.iter(f"{{{JIPING_NS}}}item"):
            metas[path] = _json(meta, source, "imsmanifest.xml") or {}
    return order, metas


def _json(el: etree._Element, source: QtiSource, file: str) -> dict[str, Any] | None:
    try:
        found = json.loads(el.text or "")
    except ValueError:
        found = None
    if not isinstance(found, dict):
        source.problems.append(
            Problem(file, el.sourceline, None, None, "Jiping 元数据不是 JSON 对象")
        )
        return None
    return found


def qti_bank(
    source: QtiSource,
    *,
    digest: str,
    bank: Mapping[str, Any] | None = None,
    skip_refused: bool = False,
) -> tuple[BankFile | None, list[Problem]]:
    """The upload as a bank, checked by the bank file's rules (format.check_foreign_bank)."""
    refused = [
        Problem(r.file, r.line, r.identifier, "type", f"不能导入：{r.refusal}")
        for r in source.items
        if r.refusal
    ]
    taken: set[str] = set()
    items = []
    for r in source.items:
        if r.raw is not None:
            raw = {**r.raw, "id": bank_format.item_id_from(str(r.raw["id"]), taken)}
            items.append(SourceItem(raw, r.file, r.line))
    return bank_format.check_foreign_bank(
        filename=source.filename,
        digest=digest,
        given=bank or {},
        own=source.bank or {},
        title=source.title or "导入的 QTI 题目",
        items=items,
        refused=refused,
        skip_refused=skip_refused,
        problems=source.problems,
    )


def parse_qti(
    content: bytes,
    filename: str,
    *,
    bank: Mapping[str, Any] | None = None,
    skip_refused: bool = False,
) -> BankFile:
    parsed, problems = qti_bank(
        read_qti(content, filename),
        digest=hashlib.sha256(content).hexdigest(),
        bank=bank,
        skip_refused=skip_refused,
    )
    if parsed is None:
        raise bank_format.refused(filename, problems)
    return parsed


# --- writing -------------------------------------------------------------------------------


def _el(parent: etree._Element | None, name: str, text: str | None = None, **attrs: Any):
    tag = f"{{{QTI3_NS}}}{name}"
    el = (
        etree.Element(tag, nsmap={None: QTI3_NS})
        if parent is None
        else etree.SubElement(parent, tag)
    )
    for k, v in attrs.items():
        el.set(k.replace("_", "-"), str(v))
    if text is not None:
        el.text = text
    return el


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{_plain(value)}"
    return str(value)


def _paragraphs(body: etree._Element, stem: str, blank: etree._Element | None = None) -> None:
    """The stem as paragraphs; a fill-in's blank becomes its text entry."""
    for line in stem.split("\n"):
        p = _el(body, "p")
        found = BLANK.search(line) if blank is not None else None
        if found is None or blank is None:
            p.text = line
            continue
        p.text = line[: found.start()]
        p.append(blank)
        blank.tail = line[found.end() :]
        blank = None


def item_xml(source: Mapping[str, Any]) -> bytes:
    """One item (as a bank file writes it) as a QTI 3.0 assessment item."""
    item_type = source["type"]
    key = source["key"]
    root = _el(
        None,
        "qti-assessment-item",
        identifier=source["id"],
        title=source["id"],
        adaptive="false",
        time_dependent="false",
    )
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")
    decl = _el(root, "qti-response-declaration", identifier="RESPONSE")
    template = MATCH_CORRECT
    custom_tolerance: float | None = None
    # A matching item's prompts as QTI identifiers (P1, P2, ...): its prompts are text.
    prompt_ids: dict[str, str] = {}
    if item_type == "ordering":
        decl.set("cardinality", "ordered")
        decl.set("base-type", "identifier")
        correct = _el(decl, "qti-correct-response")
        for label in key:
            _el(correct, "qti-value", label)
    elif item_type == "matching":
        decl.set("cardinality", "multiple")
        decl.set("base-type", "directedPair")
        pairs = key["pairs"] if isinstance(key.get("pairs"), Mapping) else key
        prompt_ids.update({prompt: f"P{n}" for n, prompt in enumerate(pairs, start=1)})
        correct = _el(decl, "qti-correct-response")
        for prompt, label in pairs.items():
            _el(correct, "qti-value", f"{prompt_ids[prompt]} {label}")
        if "credit" in key:
            mapping = _el(decl, "qti-mapping", default_value="0")
            for prompt, label in pairs.items():
                value = _value_text(key["credit"][prompt])
                _el(
                    mapping,
                    "qti-map-entry",
                    map_key=f"{prompt_ids[prompt]} {label}",
                    mapped_value=value,
                )
            template = MAP_RESPONSE
    elif item_type in ("single_choice", "true_false"):
        decl.set("cardinality", "single")
        decl.set("base-type", "identifier")
        answer = ("true" if key else "false") if item_type == "true_false" else key
        _el(_el(decl, "qti-correct-response"), "qti-value", str(answer))
    elif item_type == "multiple_choice":
        decl.set("cardinality", "multiple")
        decl.set("base-type", "identifier")
        answer = key["answer"] if isinstance(key, Mapping) else key
        correct = _el(decl, "qti-correct-response")
        for label in answer:
            _el(correct, "qti-value", label)
        if isinstance(key, Mapping):
            mapping = _el(
                decl,
                "qti-mapping",
                lower_bound="0",
                upper_bound=_value_text(key["credit_max"]),
                default_value="0",
            )
            for label, value in key["credit"].items():
                _el(mapping, "qti-map-entry", map_key=label, mapped_value=_value_text(value))
            template = MAP_RESPONSE
    elif item_type in WRITTEN:
        decl.set("cardinality", "single")
        decl.set("base-type", "string")
        template = ""  # marked by people: no response processing
    elif "numeric" in key:
        numeric = key["numeric"]
        decl.set("cardinality", "single")
        decl.set("base-type", "float")
        _el(_el(decl, "qti-correct-response"), "qti-value", _value_text(numeric["value"]))
        if numeric.get("tolerance"):
            custom_tolerance = float(numeric["tolerance"])
    else:
        decl.set("cardinality", "single")
        decl.set("base-type", "string")
        _el(_el(decl, "qti-correct-response"), "qti-value", key["accepted"][0])
        mapping = _el(decl, "qti-mapping", default_value="0")
        sensitive = "true" if key.get("case_sensitive") else "false"
        for text in key["accepted"]:
            _el(mapping, "qti-map-entry", map_key=text, mapped_value="1", case_sensitive=sensitive)
        for text, share in (key.get("partial") or {}).items():
            _el(
                mapping,
                "qti-map-entry",
                map_key=text,
                mapped_value=_value_text(share),
                case_sensitive=sensitive,
            )
        template = MAP_RESPONSE
    _el(
        root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float"
    )
    if source.get("points") is not None:
        maxscore = _el(
            root,
            "qti-outcome-declaration",
            identifier="MAXSCORE",
            cardinality="single",
            base_type="float",
        )
        _el(_el(maxscore, "qti-default-value"), "qti-value", _value_text(float(source["points"])))
    body = _el(root, "qti-item-body")
    if item_type == "fill_in":
        blank = _el(None, "qti-text-entry-interaction", response_identifier="RESPONSE")
        _paragraphs(body, source["stem"], blank)
        if key.get("unit"):
            unit = _el(None, "span", f" {key['unit']}", **{"class": "jiping-unit"})
            blank.addnext(unit)
            unit.tail, blank.tail = blank.tail, None
    elif item_type in WRITTEN:
        _paragraphs(body, source["stem"])
        long = item_type == ItemType.EXTENDED
        _el(
            body,
            "qti-extended-text-interaction",
            response_identifier="RESPONSE",
            expected_lines="15" if long else "6",
        )
        # The scorer's rubric: the reference answer and the marking points, as another
        # system's examiners would read them.
        rubric = _el(body, "qti-rubric-block", view="scorer", use="scoring")
        content = _el(rubric, "qti-content-body")
        _paragraphs(content, f"参考答案：{key['reference']}")
        points = _el(content, "ul")
        for p in key["marking_points"]:
            _el(points, "li", f"{p['point']}（{_value_text(p['points'])} 分）")
    elif item_type == "ordering":
        _paragraphs(body, source["stem"])
        interaction = _el(
            body, "qti-order-interaction", response_identifier="RESPONSE", shuffle="true"
        )
        for label, text in source["options"].items():
            _el(interaction, "qti-simple-choice", text, identifier=label)
    elif item_type == "matching":
        _paragraphs(body, source["stem"])
        interaction = _el(
            body,
            "qti-match-interaction",
            response_identifier="RESPONSE",
            shuffle="true",
            max_associations=str(len(prompt_ids)),
        )
        lefts = _el(interaction, "qti-simple-match-set")
        for prompt, identifier in prompt_ids.items():
            _el(lefts, "qti-simple-associable-choice", prompt, identifier=identifier, match_max="1")
        rights = _el(interaction, "qti-simple-match-set")
        for label, text in source["options"].items():
            _el(rights, "qti-simple-associable-choice", text, identifier=label, match_max="0")
    else:
        _paragraphs(body, source["stem"])
        interaction = _el(
            body,
            "qti-choice-interaction",
            response_identifier="RESPONSE",
            max_choices="1" if item_type != "multiple_choice" else "0",
            shuffle="true" if item_type != "true_false" else "false",
        )
        options = (
            {"true": "正确", "false": "错误"} if item_type == "true_false" else source["options"]
        )
        for label, text in options.items():
            _el(interaction, "qti-simple-choice", text, identifier=label)
    if item_type in WRITTEN:
        pass
    elif custom_tolerance is None:
        _el(root, "qti-response-processing", template=template)
    else:
        _tolerance_processing(root, custom_tolerance)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _tolerance_processing(root: etree._Element, tolerance: float) -> None:
    """match_correct with an absolute tolerance (no standard template says that)."""
    rp = _el(root, "qti-response-processing")
    condition = _el(_el(rp, "qti-response-condition"), "qti-response-if")
    equal = _el(
        condition,
        "qti-equal",
        tolerance_mode="absolute",
        tolerance=f"{_plain(tolerance)} {_plain(tolerance)}",
    )
    _el(equal, "qti-variable", identifier="RESPONSE")
    _el(equal, "qti-correct", identifier="RESPONSE")
    score = _el(condition, "qti-set-outcome-value", identifier="SCORE")
    _el(score, "qti-base-value", "1", base_type="float")


def _meta(source: Mapping[str, Any]) -> dict[str, Any]:
    """What QTI has no place for, kept so that Jiping reads its own package back whole."""
    meta = {k: source[k] for k in ("type", "area", "point", "difficulty", "points") if k in source}
    for k in ("levels", "explanation"):
        if source.get(k):
            meta[k] = source[k]
    key = source["key"]
    if source["type"] in WRITTEN:
        meta.update({k: key[k] for k in ("reference", "marking_points", "tolerance") if k in key})
    if source["type"] == "fill_in":
        for k in ("unit", "unit_words", "chinese_numerals", "case_sensitive"):
            if key.get(k):
                meta[k] = key[k]
        if "numeric" in key and "decimals" in key["numeric"]:
            meta["decimals"] = key["numeric"]["decimals"]
    return meta


def write_package(
    *,
    bank: Mapping[str, Any],
    outline: Sequence[Mapping[str, Any]],
    enemies: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    title: str,
) -> bytes:
    """A QTI 3.0 content package: imsmanifest.xml, assessment.xml (one section holding
    every item in order) and items/<id>.xml, one file per item."""
    cp = QTI3_CP_NS
    manifest = etree.Element(f"{{{cp}}}manifest", nsmap={None: cp, "jp": JIPING_NS})
    manifest.set("identifier", f"jiping-{bank['code']}")
    metadata = etree.SubElement(manifest, f"{{{cp}}}metadata")
    etree.SubElement(metadata, f"{{{cp}}}schema").text = "QTI Package"
    etree.SubElement(metadata, f"{{{cp}}}schemaversion").text = "3.0.0"
    etree.SubElement(metadata, f"{{{JIPING_NS}}}bank").text = json.dumps(
        {"bank": dict(bank), "outline": list(outline), "enemies": list(enemies)},
        ensure_ascii=False,
    )
    etree.SubElement(manifest, f"{{{cp}}}organizations")
    resources = etree.SubElement(manifest, f"{{{cp}}}resources")
    test = _el(None, "qti-assessment-test", identifier=f"test-{bank['code']}", title=title)
    section = _el(
        _el(
            test,
            "qti-test-part",
            identifier="part-1",
            navigation_mode="nonlinear",
            submission_mode="simultaneous",
        ),
        "qti-assessment-section",
        identifier="section-1",
        title=title,
        visible="true",
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in items:
            href = f"items/{source['id']}.xml"
            archive.writestr(href, item_xml(source))
            resource = etree.SubElement(
                resources,
                f"{{{cp}}}resource",
                identifier=source["id"],
                type="imsqti_item_xmlv3p0",
                href=href,
            )
            meta = etree.SubElement(resource, f"{{{cp}}}metadata")
            etree.SubElement(meta, f"{{{JIPING_NS}}}item").text = json.dumps(
                _meta(source), ensure_ascii=False
            )
            etree.SubElement(resource, f"{{{cp}}}file", href=href)
            _el(section, "qti-assessment-item-ref", identifier=source["id"], href=href)
        archive.writestr(
            "assessment.xml",
            etree.tostring(test, xml_declaration=True, encoding="UTF-8", pretty_print=True),
        )
        test_resource = etree.SubElement(
            resources,
            f"{{{cp}}}resource",
            identifier=f"test-{bank['code']}",
            type="imsqti_test_xmlv3p0",
            href="assessment.xml",
        )
        etree.SubElement(test_resource, f"{{{cp}}}file", href="assessment.xml")
        for source in items:
            etree.SubElement(test_resource, f"{{{cp}}}dependency", identifierref=source["id"])
        archive.writestr(
            "imsmanifest.xml",
            etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True),
        )
    return out.getvalue()
