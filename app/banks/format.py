"""The native question-bank file (题库文件, YAML `jiping-bank/1`, see question_banks/README.md).

Pure: bytes in, plain dataclasses out, no database. The whole file is checked and every
problem is reported with its file, line, item ID and field, in Chinese, so an author can
fix them all in one pass. The file is hostile until proven otherwise: size-capped, UTF-8
only, and no YAML tags, anchors or aliases (alias bombs, constructor tricks) are accepted
before anything is built from it."""

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.banks import yaml_source
from app.core.errors import ValidationFailed
from app.itemtypes import STRATEGIES, ItemType, strategy_for
from app.itemtypes.base import OPTION_LABELS
from app.itemtypes.base import number_of as _number
from app.itemtypes.base import shown as _shown
from app.itemtypes.base import text_of as _text
from app.reference.levels import LEVELS, get_level, is_level

if TYPE_CHECKING:
    from app.banks.practical import TaskContent

FORMAT = "jiping-bank/1"
MAX_FILE_BYTES = 5 * 1024 * 1024
# A file that breaks everything is refused with this many problems listed, not millions.
MAX_PROBLEMS = 1000

IMPORTANCE = ("X", "Y", "Z")
IMPORTANCE_NAMES = {"X": "核心", "Y": "一般", "Z": "辅助"}

_AREA_CODE = re.compile(r"[A-Z]{1,2}")
_POINT_CODE = re.compile(r"\d{3}")
_BANK_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_OCCUPATION_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")

# tasks: app/banks/practical.py
TOP_FIELDS = ("format", "bank", "outline", "items", "tasks", "enemies")
BANK_FIELDS = ("code", "name", "occupation", "direction", "levels")
AREA_FIELDS = ("area", "name", "weight", "points")
POINT_FIELDS = ("code", "name", "importance", "mandatory")
ENEMY_FIELDS = ("items", "reason")
ITEM_FIELDS = (
    "id",
    "type",
    "area",
    "point",
    "difficulty",
    "points",
    "stem",
    "options",
    "key",
    "levels",
    "explanation",
)
_TYPES = list(STRATEGIES)
TYPE_LIST = f"{'、'.join(_TYPES[:-1])} 或 {_TYPES[-1]}"


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file or an item, and where."""

    file: str
    line: int | None  # the file's line; a worksheet's row
    item_id: str | None
    field: str | None
    problem: str
    sheet: str | None = None  # Excel: the worksheet, and the column (its heading)
    column: str | None = None

    @property
    def place(self) -> str:
        parts = []
        if self.sheet is not None:
            parts.append(f"{self.file} 工作表“{self.sheet}”")
            if self.line:
                parts.append(f"第 {self.line} 行")
            if self.column:
                parts.append(f"“{self.column}”列")
        elif self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.item_id:
            parts.append(f"题目 {self.item_id}")
        if self.field and self.sheet is None:
            parts.append(f"字段 {self.field}")
        return " ".join(parts)

    def as_detail(self) -> dict[str, Any]:
        detail = {
            "place": self.place,
            "file": self.file,
            "line": self.line,
            "item_id": self.item_id,
            "field": self.field,
            "problem": self.problem,
        }
        if self.sheet is not None:
            detail.update(sheet=self.sheet, row=self.line, column=self.column)
        return detail


@dataclass(frozen=True)
class OutlinePoint:
    """鉴定点: an assessment point inside an area."""

    code: str
    name: str
    importance: str  # X core, Y general, Z peripheral
    mandatory: bool = False  # 必考: every paper holds at least one item of this point


@dataclass(frozen=True)
class OutlineArea:
    """鉴定范围: an assessment area of the 鉴定要素细目表 with its weight (鉴定比重, %)."""

    code: str
    name: str
    weight: float
    points: tuple[OutlinePoint, ...]

    def point(self, code: str) -> OutlinePoint | None:
        return next((p for p in self.points if p.code == code), None)


@dataclass(frozen=True)
class BankHeader:
    code: str
    name: str
    occupation_code: str
    direction: str
    level_codes: list[str]


@dataclass(frozen=True)
class ItemContent:
    """One question, normalised: what an ItemVersion stores."""

    external_id: str
    item_type: str  # ItemType
    area_code: str
    point_code: str
    importance: str
    difficulty: int
    points: float | None  # the item's default points; a blueprint section sets its own
    stem: str
    options: list[dict[str, str]]  # [{"label": "A", "text": ...}] in label order
    key: dict[str, Any]  # the stored shape documented on ItemVersion.key
    level_codes: list[str]
    explanation: str
    line: int | None = field(default=None, compare=False)

    @property
    def digest(self) -> str:
        return content_digest(self)


@dataclass(frozen=True)
class EnemyGroup:
    """互斥题: items that give each other away or test one point too closely; a paper
    holds at most one of them."""

    items: tuple[str, ...]  # item IDs in the bank
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"items": list(self.items), "reason": self.reason}


@dataclass(frozen=True)
class BankFile:
    filename: str
    header: BankHeader
    outline: list[OutlineArea]
    items: list[ItemContent]
    digest: str  # sha256 of the file's bytes
    header_lines: dict[str, int | None]  # line of each bank.* field, for later problems
    tasks: list["TaskContent"] = field(default_factory=list)  # 操作技能考核试题
    enemy_groups: list[EnemyGroup] = field(default_factory=list)
    holds_tasks: bool = True  # False for sources without practical tasks (Excel)
    # Items of the source that were left out at the importer's request (QTI, Moodle XML:
    # types Jiping does not deliver), each with its reason.
    skipped: list[Problem] = field(default_factory=list)

    def with_skipped(self, skipped: Sequence[Problem]) -> "BankFile":
        return dataclasses.replace(self, skipped=list(skipped))

    def problem(self, field_name: str, message: str) -> Problem:
        """A problem with a bank header field found after parsing (e.g. by the service)."""
        return Problem(
            self.filename, self.header_lines.get(field_name), None, f"bank.{field_name}", message
        )


class ItemLike(Protocol):
    """An item's content: ItemContent here, ItemVersion in the database."""

    @property
    def item_type(self) -> str: ...
    @property
    def area_code(self) -> str: ...
    @property
    def point_code(self) -> str: ...
    @property
    def importance(self) -> str: ...
    @property
    def difficulty(self) -> int: ...
    @property
    def points(self) -> float | None: ...
    @property
    def stem(self) -> str: ...
    @property
    def options(self) -> list[dict[str, str]]: ...
    @property
    def key(self) -> dict[str, Any]: ...
    @property
    def level_codes(self) -> list[str]: ...
    @property
    def explanation(self) -> str: ...


# The fields that make up an item's content (ItemVersion columns of the same names).
CONTENT_FIELDS = (
    "item_type",
    "area_code",
    "point_code",
    "importance",
    "difficulty",
    "points",
    "stem",
    "options",
    "key",
    "level_codes",
    "explanation",
)


def content_of(item: ItemLike) -> dict[str, Any]:
    return {name: getattr(item, name) for name in CONTENT_FIELDS}


def content_digest(item: ItemLike) -> str:
    """sha256 of an item's normalised content: equal digests mean the same question."""
    content = content_of(item)
    content["points"] = None if item.points is None else float(item.points)
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- locating things in the parsed YAML ----------------------------------------------


def _node_line(node: Any) -> int | None:
    """1-based line where a mapping or sequence starts (None for plain dicts from the API)."""
    lc = getattr(node, "lc", None)
    line = getattr(lc, "line", None)
    return line + 1 if isinstance(line, int) else None


def _key_line(node: Any, key: Any) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is not None:
        try:
            return int(lc.key(key)[0]) + 1
        except (KeyError, TypeError, AttributeError, IndexError):
            pass
    return _node_line(node)


def _path_line(node: Any, path: str) -> int | None:
    """Line of a dotted field (`key.numeric.value`, `key.marking_points[2]` with a 1-based
    element), or of the deepest part that exists."""
    line = _node_line(node)
    parts = path.split(".")
    for at, part in enumerate(parts):
        if isinstance(node, Mapping):
            # A field named after a key the author wrote (an option label "A." or 1, a
            # mistyped "stem."), found as written even when it holds "." or "[".
            written = ".".join(parts[at:])
            for key in node:
                if str(key) == written:
                    return _key_line(node, key)
        name, _, index = part.partition("[")
        if not isinstance(node, Mapping) or name not in node:
            break
        line = _key_line(node, name) or line
        node = node[name]
        if index:
            n = int(index.rstrip("]")) - 1 if index.rstrip("]").isdigit() else -1
            if not isinstance(node, list) or not 0 <= n < len(node):
                break
            line = _element_line(node, n) or line
            node = node[n]
    return line


def _element_line(seq: Any, index: int) -> int | None:
    lc = getattr(seq, "lc", None)
    if lc is not None:
        try:
            return int(lc.item(index)[0]) + 1
        except (KeyError, TypeError, AttributeError, IndexError):
            pass
    return _node_line(seq)


# --- scalar checks -------------------------------------------------------------------


def _code3(value: Any) -> str | None:
    """A three-digit code. `001` written without quotes is read by YAML as the integer 1,
    but the reader keeps the written width, so the author's intent is recovered exactly."""
    if isinstance(value, str):
        return value.strip() if _POINT_CODE.fullmatch(value.strip()) else None
    written_width = getattr(value, "_width", None)
    if isinstance(value, int) and not isinstance(value, bool) and written_width == 3:
        return f"{value:03d}" if 0 <= value < 1000 else None
    return None


def _level_order(code: str) -> tuple[str, int]:
    lv = get_level(code)
    return (lv.scheme.value, lv.order)


Report = Callable[[str | None, str], None]


def _check_levels(
    value: Any, report: Report, field_name: str, *, allowed: Sequence[str] | None = None
) -> list[str] | None:
    """Level codes or Chinese names (中级工, 四级) → codes, in level order."""
    if not isinstance(value, list) or not value:
        report(field_name, "应为非空的等级列表，如 [intermediate]")
        return None
    codes: list[str] = []
    ok = True
    for raw in value:
        if not isinstance(raw, str) or not is_level(raw):
            report(
                field_name, f"未知的等级{_shown(raw)}（可写代码如 intermediate 或名称如 中级工）"
            )
            ok = False
            continue
        code = get_level(raw).code
        if code in codes:
            report(field_name, f"等级 {raw} 重复")
            ok = False
            continue
        if allowed is not None and code not in allowed:
            report(
                field_name,
                f"等级 {raw} 不在题库适用的等级（{'、'.join(allowed)}）之内",
            )
            ok = False
            continue
        codes.append(code)
    return sorted(codes, key=_level_order) if ok else None


def _unknown_fields(node: Mapping[Any, Any], known: Iterable[str], report: Report) -> None:
    known_set = set(known)
    for k in node:
        if k not in known_set:
            report(str(k), f"未知字段“{k}”（可用字段：{'、'.join(known)}）")


# --- one item ------------------------------------------------------------------------


def validate_item(
    raw: Any,
    *,
    outline: Sequence[OutlineArea],
    bank_levels: Sequence[str],
    file: str = "",
    line: int | None = None,
) -> tuple[ItemContent | None, list[Problem]]:
    """Check one item (as written in a bank file, or sent by the edit form / API).

    Returns the normalised content, or None with every problem found."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        hint = yaml_source.hint_for_text_item(raw)
        problems.append(
            Problem(
                file, line, None, None, f"题目应写成“字段: 值”的映射{'：' + hint if hint else ''}"
            )
        )
        return None, problems
    item_line = _node_line(raw) or line
    raw_id = raw.get("id")
    item_id = str(raw_id).strip() if isinstance(raw_id, str) and raw_id.strip() else None

    def report(field_name: str | None, message: str) -> None:
        at = _path_line(raw, field_name) if field_name else item_line
        problems.append(Problem(file, at or item_line, item_id, field_name, message))

    _unknown_fields(raw, ITEM_FIELDS, report)

    if "id" not in raw:
        report("id", "缺少题目编号 id")
    elif item_id is None:
        report("id", f"题目编号应为文本（如 DG4-A001-001），实际为{_shown(raw_id)}")
    elif not _ITEM_ID.fullmatch(item_id):
        report("id", "题目编号只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符")

    item_type: ItemType | None = None
    if "type" not in raw:
        report("type", f"缺少题型 type（{TYPE_LIST}）")
    else:
        try:
            item_type = ItemType(raw["type"])
        except ValueError:
            report("type", f"未知题型{_shown(raw['type'])}，应为 {TYPE_LIST}")

    area = _check_area_point(raw, outline, report)

    difficulty = raw.get("difficulty")
    if "difficulty" not in raw:
        report("difficulty", "缺少难度 difficulty（1 至 5）")
    elif (
        isinstance(difficulty, bool) or not isinstance(difficulty, int) or not 1 <= difficulty <= 5
    ):
        report("difficulty", f"难度应为 1 至 5 的整数，实际为{_shown(difficulty)}")

    # Optional: the points a blueprint section gives the item, not the item, decide.
    points = _number(raw.get("points"))
    if raw.get("points") is None:
        points = None
    elif points is None or points <= 0:
        report("points", f"分值应为大于 0 的数，实际为{_shown(raw.get('points'))}")
    elif (points * 2) != int(points * 2):
        report("points", f"分值应为 0.5 的整数倍，实际为 {points:g}")
    elif points > 100:
        report("points", f"分值不能超过 100，实际为 {points:g}")

    stem = _text(raw.get("stem"))
    if "stem" not in raw:
        report("stem", "缺少题干 stem")
    elif stem is None:
        report("stem", "题干不能为空")
    elif item_type is not None:
        strategy_for(item_type).check_stem(stem, report)

    options = _check_options(raw, item_type, report)
    key = _check_key(raw, item_type, options, report)
    if (
        key is not None
        and stem is not None
        and item_type is not None
        and not strategy_for(item_type).check_key_against_stem(stem, key, report)
    ):
        key = None
    if (
        key is not None
        and points is not None
        and item_type is not None
        and not strategy_for(item_type).check_key_against_points(key, points, report)
    ):
        key = None

    levels: list[str] | None = list(bank_levels)
    if "levels" in raw:
        levels = _check_levels(raw["levels"], report, "levels", allowed=bank_levels)

    explanation = ""
    if raw.get("explanation") is not None:
        if not isinstance(raw["explanation"], str):
            report("explanation", "解析应为文本")
        else:
            explanation = str(raw["explanation"]).strip()

    if problems:
        return None, problems
    assert item_id and item_type and area and stem and levels is not None
    assert isinstance(difficulty, int) and options is not None and key is not None
    area_code, point = area
    return (
        ItemContent(
            external_id=item_id,
            item_type=item_type.value,
            area_code=area_code,
            point_code=point.code,
            importance=point.importance,
            difficulty=int(difficulty),
            points=points,
            stem=stem,
            options=options,
            key=key,
            level_codes=levels,
            explanation=explanation,
            line=item_line,
        ),
        problems,
    )


def _check_area_point(
    raw: Mapping[str, Any], outline: Sequence[OutlineArea], report: Report
) -> tuple[str, OutlinePoint] | None:
    if "area" not in raw:
        report("area", "缺少鉴定范围 area（如 A）")
        return None
    area_code = raw["area"]
    area = next((a for a in outline if a.code == area_code), None)
    if area is None:
        known = "、".join(a.code for a in outline) or "无"
        report("area", f"鉴定范围{_shown(area_code)}不在鉴定要素细目表中（已有：{known}）")
    if "point" not in raw:
        report("point", '缺少鉴定点 point（如 "001"）')
        return None
    code = _code3(raw["point"])
    if code is None:
        report("point", f'鉴定点编码应为三位数字（如 "001"），实际为{_shown(raw["point"])}')
        return None
    if area is None:
        return None
    point = area.point(code)
    if point is None:
        report("point", f"鉴定范围 {area.code} 中没有鉴定点 {code}")
        return None
    return area.code, point


def _check_options(
    raw: Mapping[str, Any], item_type: ItemType | None, report: Report
) -> list[dict[str, str]] | None:
    value = raw.get("options")
    if item_type is None:
        return None
    strategy = strategy_for(item_type)
    if strategy.option_counts is None:
        if value:
            report("options", f"{strategy.name}不应有选项 options")
            return None
        return []
    low, high = strategy.option_counts
    if "options" not in raw:
        report("options", f"缺少选项 options（{low} 至 {high} 个，标签 A、B、C……）")
        return None
    if not isinstance(value, Mapping):
        report("options", "选项应写成“标签: 内容”的映射，如 A: 正比")
        return None
    ok = True
    options: list[dict[str, str]] = []
    for label, text in value.items():
        if not isinstance(label, str) or label not in OPTION_LABELS:
            report(f"options.{label}", f"选项标签{_shown(label)}无效，应为 A 至 H 的大写字母")
            ok = False
            continue
        content = _text(text)
        if content is None:
            hint = "（数字请加引号）" if _number(text) is not None else ""
            report(f"options.{label}", f"选项 {label} 的内容应为非空文本{hint}")
            ok = False
            continue
        options.append({"label": label, "text": content})
    if not ok:
        return None
    options.sort(key=lambda o: o["label"])
    labels = [o["label"] for o in options]
    if not low <= len(labels) <= high:
        report(
            "options",
            f"{strategy.name}应有 {low} 至 {high} 个选项，实际为 {len(labels)} 个",
        )
        return None
    if "".join(labels) != OPTION_LABELS[: len(labels)]:
        report(
            "options",
            f"选项标签应从 A 起连续编排（{'、'.join(OPTION_LABELS[: len(labels)])}），"
            f"实际为 {'、'.join(labels)}",
        )
        return None
    return options


def _check_key(
    raw: Mapping[str, Any],
    item_type: ItemType | None,
    options: list[dict[str, str]] | None,
    report: Report,
) -> dict[str, Any] | None:
    if item_type is None:
        return None
    if "key" not in raw:
        report("key", "缺少答案 key")
        return None
    labels = [o["label"] for o in options] if options else None
    return strategy_for(item_type).check_key(raw["key"], labels, report)


# --- the outline ---------------------------------------------------------------------


def _check_outline(
    value: Any, file: str, node_line: int | None
) -> tuple[list[OutlineArea], list[Problem]]:
    problems: list[Problem] = []

    def at(node: Any, key: Any, field_name: str, message: str) -> None:
        problems.append(Problem(file, _key_line(node, key) or node_line, None, field_name, message))

    if not isinstance(value, list) or not value:
        problems.append(
            Problem(
                file, node_line, None, "outline", "鉴定要素细目表 outline 应为非空的鉴定范围列表"
            )
        )
        return [], problems
    areas: list[OutlineArea] = []
    seen_areas: dict[str, int | None] = {}
    weights_ok = True
    for index, raw in enumerate(value):
        where = f"outline[{index + 1}]"
        if not isinstance(raw, Mapping):
            problems.append(
                Problem(file, _element_line(value, index), None, where, "鉴定范围应写成映射")
            )
            weights_ok = False
            continue
        code = raw.get("area")
        code_ok = isinstance(code, str) and bool(_AREA_CODE.fullmatch(code))
        if code_ok:
            where = f"outline.{code}"

        def report(
            field_name: str | None, message: str, raw: Any = raw, where: str = where
        ) -> None:
            name = f"{where}.{field_name}" if field_name else where
            at(raw, field_name, name, message)

        _unknown_fields(raw, AREA_FIELDS, report)
        if "area" not in raw:
            report("area", "缺少鉴定范围代码 area（如 A）")
        elif not code_ok:
            report("area", f"鉴定范围代码应为大写字母（如 A），实际为{_shown(code)}")
        elif code in seen_areas:
            report("area", f"鉴定范围 {code} 重复（第 {seen_areas[code]} 行已有）")
            code_ok = False
        name = _text(raw.get("name"))
        if name is None:
            report("name", "鉴定范围名称 name 不能为空")
        weight = _number(raw.get("weight"))
        if "weight" not in raw:
            report("weight", "缺少鉴定比重 weight（百分数）")
            weights_ok = False
        elif weight is None or not 0 < weight <= 100:
            report("weight", f"鉴定比重应为 0 至 100 之间的数，实际为{_shown(raw.get('weight'))}")
            weights_ok = False
        points = _check_points(raw, file, where, _node_line(raw) or node_line, problems)
        if code_ok:
            assert isinstance(code, str)
            seen_areas[code] = _key_line(raw, "area")
            # Kept even when partly broken, for the same reason as points.
            areas.append(OutlineArea(code, name or "", weight or 0.0, tuple(points or ())))
    if weights_ok:
        total = sum(_number(a.get("weight")) or 0 for a in value if isinstance(a, Mapping))
        if abs(total - 100) > 1e-6:
            problems.append(
                Problem(
                    file,
                    node_line,
                    None,
                    "outline",
                    f"各鉴定范围的比重之和应为 100，实际为 {total:g}",
                )
            )
    return areas, problems


def _check_points(
    area: Mapping[str, Any], file: str, where: str, fallback: int | None, problems: list[Problem]
) -> list[OutlinePoint] | None:
    value = area.get("points")
    if not isinstance(value, list) or not value:
        problems.append(
            Problem(
                file,
                _key_line(area, "points") or fallback,
                None,
                f"{where}.points",
                "鉴定点 points 应为非空列表",
            )
        )
        return None
    points: list[OutlinePoint] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            problems.append(
                Problem(
                    file, _element_line(value, index), None, f"{where}.points", "鉴定点应写成映射"
                )
            )
            continue
        code = _code3(raw.get("code"))
        here = f"{where}.points.{code}" if code else f"{where}.points[{index + 1}]"

        def report(field_name: str | None, message: str, raw: Any = raw, here: str = here) -> None:
            line = _key_line(raw, field_name) or fallback
            name = f"{here}.{field_name}" if field_name else here
            problems.append(Problem(file, line, None, name, message))

        _unknown_fields(raw, POINT_FIELDS, report)
        name = _text(raw.get("name"))
        if name is None:
            report("name", "鉴定点名称 name 不能为空")
        mandatory = raw.get("mandatory", False)
        if not isinstance(mandatory, bool):
            report("mandatory", f"必考 mandatory 应为 true 或 false，实际为{_shown(mandatory)}")
            mandatory = False
        importance = raw.get("importance")
        if importance not in IMPORTANCE:
            report(
                "importance",
                f"重要程度应为 X（核心）、Y（一般）或 Z（辅助），实际为{_shown(importance)}",
            )
        if code is None:
            report("code", f'鉴定点编码应为三位数字（如 "001"），实际为{_shown(raw.get("code"))}')
        elif code in seen:
            report("code", f"鉴定点 {code} 在本鉴定范围内重复（第 {seen[code]} 行已有）")
        else:
            seen[code] = _key_line(raw, "code")
            # Kept even with a broken name or importance: items that use the point are then
            # checked against it instead of being reported a second time.
            points.append(OutlinePoint(code, name or "", str(importance or ""), mandatory))
    return points


def outline_to_json(outline: Sequence[OutlineArea]) -> list[dict[str, Any]]:
    """The shape stored in QuestionBank.outline."""
    return [
        {
            "area": a.code,
            "name": a.name,
            "weight": a.weight,
            "points": [_point_json(p) for p in a.points],
        }
        for a in outline
    ]


def _point_json(point: OutlinePoint) -> dict[str, Any]:
    out: dict[str, Any] = {"code": point.code, "name": point.name, "importance": point.importance}
    if point.mandatory:  # absent when false, so outlines stored before it compare equal
        out["mandatory"] = True
    return out


def outline_from_json(data: Sequence[Mapping[str, Any]]) -> list[OutlineArea]:
    return [
        OutlineArea(
            code=str(a["area"]),
            name=str(a["name"]),
            weight=float(a["weight"]),
            points=tuple(
                OutlinePoint(
                    str(p["code"]),
                    str(p["name"]),
                    str(p["importance"]),
                    bool(p.get("mandatory", False)),
                )
                for p in a["points"]
            ),
        )
        for a in data
    ]


# --- the whole file ------------------------------------------------------------------


def _decode(content: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if not file.lower().endswith((".yaml", ".yml")):
        return None, [Problem(file, None, None, None, "题库文件应为 .yaml 文件")]
    if len(content) > MAX_FILE_BYTES:
        size = len(content) / 1024 / 1024
        return None, [
            Problem(file, None, None, None, f"文件过大（{size:.1f} MB），题库文件不能超过 5 MB")
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        return None, [
            Problem(file, line, None, None, "文件不是 UTF-8 编码（请用 UTF-8 保存后再导入）")
        ]
    if not text.strip():
        return None, [Problem(file, None, None, None, "文件为空")]
    return text, []


def check_bank_file(content: bytes, filename: str) -> tuple[BankFile | None, list[Problem]]:
    """Parse and validate a whole bank file: the bank, or None with every problem."""
    file = filename
    text, problems = _decode(content, file)
    if text is None:
        return None, problems
    doc, found = yaml_source.load(text)
    if found:
        return None, [Problem(file, p.line, None, None, p.message) for p in found]
    if doc is None:
        return None, [Problem(file, None, None, None, "文件为空")]
    if not isinstance(doc, Mapping):
        return None, [
            Problem(file, 1, None, None, "题库文件的顶层应为映射（format、bank、outline、items）")
        ]

    def top(field_name: str | None, message: str) -> None:
        problems.append(
            Problem(
                file, _key_line(doc, field_name) if field_name else 1, None, field_name, message
            )
        )

    _unknown_fields(doc, TOP_FIELDS, top)
    if "format" not in doc:
        problems.append(Problem(file, 1, None, "format", f"缺少格式标记 format: {FORMAT}"))
    elif doc["format"] != FORMAT:
        top("format", f"不支持的格式{_shown(doc['format'])}，应为 {FORMAT}")

    header, header_lines = _check_header(doc, file, problems)
    outline, outline_problems = _check_outline(
        doc.get("outline"), file, _key_line(doc, "outline") or 1
    )
    problems.extend(outline_problems)
    items = _check_items(doc, file, outline, header.level_codes if header else None, problems)
    # Practical tasks build on this module's helpers, so their module is imported here.
    from app.banks.practical import check_tasks

    tasks, task_problems = check_tasks(doc, file, header.level_codes if header else None)
    problems.extend(task_problems)
    enemy_groups = _check_enemies(doc, file, items, problems)

    if problems:
        if len(problems) > MAX_PROBLEMS:
            shown = problems[:MAX_PROBLEMS]
            shown.append(
                Problem(
                    file,
                    None,
                    None,
                    None,
                    f"问题过多，仅列出前 {MAX_PROBLEMS} 处（共 {len(problems)} 处）",
                )
            )
            problems = shown
        return None, problems
    assert header is not None
    return (
        BankFile(
            filename=file,
            header=header,
            outline=outline,
            items=items,
            digest=hashlib.sha256(content).hexdigest(),
            header_lines=header_lines,
            tasks=tasks,
            enemy_groups=enemy_groups,
        ),
        [],
    )


def parse_bank_file(content: bytes, filename: str) -> BankFile:
    """The bank in a file, or ValidationFailed listing every problem."""
    bank, problems = check_bank_file(content, filename)
    if bank is None:
        raise refused(filename, problems)
    return bank


def refused(filename: str, problems: Sequence[Problem]) -> ValidationFailed:
    """The error of a bank source with problems: nothing of it is imported."""
    return ValidationFailed(
        f"题库文件 {filename} 有 {len(problems)} 处问题，未导入任何内容",
        code="invalid_bank_file",
        details=[p.as_detail() for p in problems],
    )


_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def item_id_from(identifier: str, taken: set[str], fallback: str = "item") -> str:
    """Another system's identifier as an item ID (letters, digits, . - _, at most 64),
    distinct from those `taken` (which it joins); `fallback` when nothing of it is left
    (a name in Chinese)."""
    base = _ID_CHARS.sub("-", identifier).strip("-._")[:64] or fallback
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base[:58]}-{n}"
    taken.add(found)
    return found


def points_from(value: float | None) -> float | None:
    """Another system's item score as the item's default points, when a bank file can hold
    it (0.5 steps, up to 100); the paper sets each item's points anyway."""
    if value is None or not 0 < value <= 100 or value * 2 != int(value * 2):
        return None
    return value


@dataclass(frozen=True)
class SourceItem:
    """An item read from another format (QTI, Moodle XML) in the bank file's item shape,
    with the file and line it came from."""

    raw: Mapping[str, Any]
    file: str
    line: int | None


FOREIGN_HEADER_FIELDS = (
    ("code", "题库代码"),
    ("name", "题库名称"),
    ("occupation", "职业编码"),
    ("levels", "适用等级"),
)


def foreign_header_problem(header: Mapping[str, Any], filename: str) -> Problem | None:
    """What an upload from another system lacks to become a bank (it names no bank)."""
    missing = [label for k, label in FOREIGN_HEADER_FIELDS if not header.get(k)]
    if not missing:
        return None
    return Problem(
        filename,
        None,
        None,
        "bank",
        f"请填写要导入到的题库的{'、'.join(missing)}（其他系统的文件不含这些信息；"
        "Jiping 导出的文件自带）",
    )


# A file from another system knows no 鉴定要素细目表: its items go into one area and point.
FOREIGN_AREA, FOREIGN_POINT = "A", "001"


def check_foreign_bank(
    *,
    filename: str,
    digest: str,
    given: Mapping[str, Any],
    own: Mapping[str, Any],
    title: str,
    items: Sequence[SourceItem],
    refused: Sequence[Problem],
    skip_refused: bool,
    problems: Sequence[Problem] = (),
) -> tuple[BankFile | None, list[Problem]]:
    """A bank read from QTI or Moodle XML. `given`: the bank the importer named (code,
    name, occupation, direction, levels); `own`: the bank, outline and enemies a file Jiping
    wrote carries. Refused items stop the import unless `skip_refused`: then the others are
    imported and the refused ones are listed in the result."""
    found = list(problems)
    if refused and not skip_refused:
        found.extend(refused)
    header = {**own.get("bank", {}), **{k: v for k, v in given.items() if v}}
    outline = own.get("outline") or [
        {
            "area": FOREIGN_AREA,
            "name": "导入题目",
            "weight": 100,
            "points": [{"code": FOREIGN_POINT, "name": title[:100], "importance": "Y"}],
        }
    ]
    parsed, checked = check_bank_parts(
        filename=filename,
        digest=digest,
        bank=header,
        outline=outline,
        items=items,
        enemies=own.get("enemies"),
    )
    found.extend(checked)
    if found or parsed is None:
        return None, found
    return parsed.with_skipped(refused), []


def header_source(header: BankHeader) -> dict[str, Any]:
    """A header as a bank file's `bank:` writes it."""
    return {
        "code": header.code,
        "name": header.name,
        "occupation": header.occupation_code,
        "direction": header.direction,
        "levels": list(header.level_codes),
    }


def check_bank_parts(
    *,
    filename: str,
    digest: str,
    bank: Mapping[str, Any],
    outline: Any,
    items: Sequence[SourceItem],
    enemies: Any = None,
) -> tuple[BankFile | None, list[Problem]]:
    """A bank assembled from another format, checked by exactly the rules of a bank file:
    the header as `bank:`, the outline as `outline:`, each item as an `items:` entry."""
    problems: list[Problem] = []
    header, header_lines = _check_header({"bank": bank}, filename, problems)
    if (missing := foreign_header_problem(bank, filename)) is not None:
        problems = [missing]
    outline_areas, outline_problems = _check_outline(outline, filename, None)
    problems.extend(outline_problems)
    levels = header.level_codes if header else [lv.code for lv in LEVELS]
    checked: list[ItemContent] = []
    seen: set[str] = set()
    for source in items:
        item, found = validate_item(
            source.raw,
            outline=outline_areas,
            bank_levels=levels,
            file=source.file,
            line=source.line,
        )
        problems.extend(found)
        if item is not None:
            if item.external_id in seen:
                problems.append(
                    Problem(
                        source.file,
                        source.line,
                        item.external_id,
                        "id",
                        f"题目编号 {item.external_id} 重复",
                    )
                )
            seen.add(item.external_id)
            checked.append(item)
    if not items:
        problems.append(Problem(filename, None, None, "items", "文件中没有可导入的题目"))
    enemy_groups = _check_enemies({"enemies": enemies}, filename, checked, problems)
    if problems:
        return None, problems[:MAX_PROBLEMS]
    assert header is not None
    return (
        BankFile(
            filename=filename,
            header=header,
            outline=outline_areas,
            items=checked,
            digest=digest,
            header_lines=header_lines,
            enemy_groups=enemy_groups,
            holds_tasks=False,
        ),
        [],
    )


def _check_header(
    doc: Mapping[str, Any], file: str, problems: list[Problem]
) -> tuple[BankHeader | None, dict[str, int | None]]:
    raw = doc.get("bank")
    lines: dict[str, int | None] = {}
    if not isinstance(raw, Mapping):
        line = _key_line(doc, "bank") if "bank" in doc else 1
        problems.append(
            Problem(file, line, None, "bank", "缺少题库信息 bank（code、name、occupation、levels）")
        )
        return None, lines
    lines = {k: _key_line(raw, k) for k in BANK_FIELDS}
    before = len(problems)

    def report(field_name: str | None, message: str) -> None:
        line = _key_line(raw, field_name) if field_name in raw else _node_line(raw)
        problems.append(
            Problem(file, line, None, f"bank.{field_name}" if field_name else "bank", message)
        )

    _unknown_fields(raw, BANK_FIELDS, report)
    code = _text(raw.get("code"))
    if code is None:
        report("code", "题库代码 code 不能为空")
    elif not _BANK_CODE.fullmatch(code):
        report("code", "题库代码只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符")
    name = _text(raw.get("name"))
    if name is None:
        report("name", "题库名称 name 不能为空")
    elif len(name) > 200:
        report("name", "题库名称不能超过 200 个字符")
    occupation = _text(raw.get("occupation"))
    if "occupation" not in raw:
        report("occupation", '缺少职业编码 occupation（职业分类大典编码，如 "6-31-01-03"）')
    elif occupation is None or not _OCCUPATION_CODE.fullmatch(occupation):
        report(
            "occupation",
            f'职业编码应为职业分类大典编码（如 "6-31-01-03"），实际为{_shown(raw.get("occupation"))}',
        )
    direction = raw.get("direction")
    if direction is not None and not isinstance(direction, str):
        report("direction", '工种/方向 direction 应为文本（没有时写 ""）')
    levels = _check_levels(raw.get("levels"), report, "levels")
    if len(problems) > before:
        return None, lines
    assert code and name and occupation and levels
    return BankHeader(code, name, occupation, str(direction or "").strip(), levels), lines


def _check_items(
    doc: Mapping[str, Any],
    file: str,
    outline: list[OutlineArea],
    bank_levels: list[str] | None,
    problems: list[Problem],
) -> list[ItemContent]:
    value = doc.get("items")
    if not isinstance(value, list) or not value:
        line = _key_line(doc, "items") if "items" in doc else 1
        problems.append(Problem(file, line, None, "items", "题目列表 items 应为非空列表"))
        return []
    # Items are still checked when the header is broken; levels then can't be compared.
    levels = bank_levels if bank_levels is not None else [lv.code for lv in LEVELS]
    items: list[ItemContent] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(value):
        line = _element_line(value, index)
        item, found = validate_item(raw, outline=outline, bank_levels=levels, file=file, line=line)
        problems.extend(found)
        raw_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(raw_id, str) and raw_id.strip():
            item_id = raw_id.strip()
            if item_id in seen:
                problems.append(
                    Problem(
                        file,
                        _key_line(raw, "id"),
                        item_id,
                        "id",
                        f"题目编号 {item_id} 重复（第 {seen[item_id]} 行已有）",
                    )
                )
            else:
                seen[item_id] = _key_line(raw, "id")
        if item is not None:
            items.append(item)
    return items


# --- enemy items (互斥题) -------------------------------------------------------------


def _check_enemies(
    doc: Mapping[str, Any], file: str, items: Sequence[ItemContent], problems: list[Problem]
) -> list[EnemyGroup]:
    """`enemies:` a list of groups, each `[ID, ID, ...]` or `{items: [...], reason: ...}`."""
    value = doc.get("enemies")
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            Problem(file, _key_line(doc, "enemies"), None, "enemies", "互斥题 enemies 应为列表")
        )
        return []
    known = {it.external_id for it in items}
    groups: list[EnemyGroup] = []
    for index, raw in enumerate(value):
        line = _element_line(value, index)
        where = f"enemies[{index + 1}]"

        def report(message: str, line: int | None = line, where: str = where) -> None:
            problems.append(Problem(file, line, None, where, message))

        reason = ""
        members: Any = raw
        if isinstance(raw, Mapping):
            _unknown_fields(raw, ENEMY_FIELDS, lambda f, m: report(m))
            members = raw.get("items")
            if raw.get("reason") is not None:
                reason = _text(raw.get("reason")) or ""
        if not isinstance(members, list) or len(members) < 2:
            report("互斥组应列出至少两道题的编号，如 [DG4-B002-008, DG4-B002-009]")
            continue
        ids = [_text(m) for m in members]
        ok = True
        for member, item_id in zip(members, ids, strict=True):
            if item_id is None:
                report(f"互斥组中的题目编号应为文本，实际为{_shown(member)}")
                ok = False
            elif item_id not in known:
                report(f"互斥组中的题目 {item_id} 不在本题库中")
                ok = False
        present = [i for i in ids if i]
        dupes = sorted({i for i in present if present.count(i) > 1})
        if dupes:
            report(f"互斥组中题目 {'、'.join(dupes)} 重复")
            ok = False
        if ok:
            groups.append(EnemyGroup(tuple(sorted(present)), reason))
    return canonical_groups(groups)


def canonical_groups(groups: Iterable[EnemyGroup]) -> list[EnemyGroup]:
    """Groups in one order whatever the source (members sorted, groups by members), so a
    bank read from YAML, Excel or an export compares equal."""
    return sorted(
        (EnemyGroup(tuple(sorted(g.items)), g.reason) for g in groups), key=lambda g: g.items
    )


def enemy_groups_from_json(data: Sequence[Mapping[str, Any]]) -> list[EnemyGroup]:
    return [EnemyGroup(tuple(g["items"]), str(g.get("reason", ""))) for g in data]


# --- the other way: stored content back to the file's shape ---------------------------


def key_to_source(item_type: str, key: Mapping[str, Any]) -> Any:
    """ItemVersion.key as a bank file (and the edit form / API) writes it."""
    return strategy_for(item_type).key_to_source(key)


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def source_of(item: ItemLike, *, external_id: str) -> dict[str, Any]:
    """An item in the file's shape: what validate_item accepts back."""
    src: dict[str, Any] = {
        "id": external_id,
        "type": item.item_type,
        "area": item.area_code,
        "point": item.point_code,
        "difficulty": item.difficulty,
    }
    if item.points is not None:
        src["points"] = _plain_number(item.points)
    src["stem"] = item.stem
    if item.options:
        src["options"] = {o["label"]: o["text"] for o in item.options}
    src["key"] = key_to_source(item.item_type, item.key)
    src["levels"] = list(item.level_codes)
    if item.explanation:
        src["explanation"] = item.explanation
    return src


def key_text(item_type: str, key: Mapping[str, Any]) -> str:
    """The key as staff read it (the item type's one wording: B; AC; 正确（√）;
    传输层 / 传输; 220 V（允许误差 ±0.5））."""
    return strategy_for(item_type).key_text(key)
