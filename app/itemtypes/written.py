"""Items marked by people (主观题): 简答题 (short answer) and 论述/计算题 (extended answer: an
essay, or a calculation with its working). The key is a reference answer (参考答案) and the
marking points (得分点) an examiner looks for, each with its share of the item's points;
the candidate types into a text box that autosaves like every answer.

Objective scoring leaves a non-blank response pending (待评阅): two examiners mark it
independently after submission (双评, app/results/written.py), and the paper's theory score
waits for them. A blank response scores 0 at once, as a marking centre does not send an
empty answer to its markers.

Marking points are written in the item's own points (a 5-point item: 2 + 2 + 1); on a
paper whose section sets other points the examiner sees them scaled to the paper's."""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.itemtypes.base import (
    ItemOutcome,
    ItemType,
    ItemTypeStrategy,
    KeyForm,
    MultipleChoiceRule,
    Outcome,
    Report,
    ResponseRejected,
    blank,
    dec,
    number_of,
    only_keys,
    scored,
    shown,
    text_of,
)

MAX_REFERENCE_CHARS = 5000
MAX_POINT_CHARS = 300
MAX_MARKING_POINTS = 20
# The double-marking tolerance an item may set for itself: the most two examiners' marks
# may differ, as a percentage of the item's points (the marking job's default is 20 %).
TOLERANCE_RANGE = (5, 50)

# 答案 cell / edit form: one marking point a line, its points in brackets at the end:
# "说明互锁防止两接触器同时吸合（2分）".
_POINT_LINE = re.compile(
    r"^\s*(?:\d+\s*[.、)）]\s*)?(.+?)\s*[(（]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]\s*$"
)
_POINTS_HEADING = re.compile(r"^\s*[【\[]?\s*得分点\s*[】\]]?\s*[:：]?\s*$")
_CELL_SPLIT = re.compile(r"[【\[]?得分点[】\]]?\s*[:：]")


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _point_line(point: Mapping[str, Any]) -> str:
    return f"{point['point']}（{_plain(point['points'])}分）"


def _parse_point_lines(text: str) -> list[Any]:
    """Marking points one a line ("要点（2分）"); a line without its points is kept as
    typed so that check_key names it."""
    out: list[Any] = []
    for line in text.splitlines():
        if not line.strip() or _POINTS_HEADING.match(line):
            continue
        m = _POINT_LINE.match(line)
        if m is None:
            out.append(line.strip())
        else:
            value = float(m[2])
            out.append({"point": m[1].strip(), "points": _plain(value)})
    return out


class _Written(ItemTypeStrategy):
    """What 简答题 and 论述/计算题 share; they differ in name and the length of the answer."""

    option_counts = None
    marked_by_people = True
    max_answer_chars: int
    answer_rows: int  # the text box's height on the candidate's page

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            report(
                "key",
                f"{self.name}的答案应包含参考答案 reference 和得分点 marking_points，"
                "如 key: {reference: …, marking_points: [{point: …, points: 2}]}",
            )
            return None
        ok = True
        unknown = sorted(
            str(k) for k in value if k not in ("reference", "marking_points", "tolerance")
        )
        if unknown:
            report(
                "key", f"答案中有未知字段 {unknown[0]}（可用 reference、marking_points、tolerance）"
            )
            ok = False
        reference = text_of(value.get("reference"))
        if reference is None:
            report("key.reference", f"{self.name}须有参考答案 reference")
            ok = False
        elif len(reference) > MAX_REFERENCE_CHARS:
            report("key.reference", f"参考答案不能超过 {MAX_REFERENCE_CHARS} 个字符")
            ok = False
        points = self._check_points(value.get("marking_points"), report)
        ok = ok and points is not None
        key: dict[str, Any] = {"reference": reference, "marking_points": points}
        if "tolerance" in value:
            tolerance = number_of(value["tolerance"])
            low, high = TOLERANCE_RANGE
            if tolerance is None or not low <= tolerance <= high:
                report(
                    "key.tolerance",
                    f"双评误差 tolerance 应为 {low}–{high} 之间的数（占本题分值的百分比），"
                    f"实际为{shown(value['tolerance'])}",
                )
                ok = False
            else:
                key["tolerance"] = _plain(tolerance)
        return key if ok else None

    def _check_points(self, value: Any, report: Report) -> list[dict[str, Any]] | None:
        if not isinstance(value, list) or not value:
            report(
                "key.marking_points",
                "得分点 marking_points 应为列表，每项写明要点 point 和分值 points",
            )
            return None
        if len(value) > MAX_MARKING_POINTS:
            report("key.marking_points", f"得分点不能超过 {MAX_MARKING_POINTS} 个")
            return None
        out: list[dict[str, Any]] = []
        for n, raw in enumerate(value, start=1):
            where = f"key.marking_points[{n}]"
            if not isinstance(raw, Mapping):
                report(
                    where,
                    f"第 {n} 个得分点应写明要点和分值，如“说明互锁的作用（2分）”；实际为{shown(raw)}",
                )
                return None
            point, points = text_of(raw.get("point")), number_of(raw.get("points"))
            if point is None:
                report(where, f"第 {n} 个得分点缺少要点 point")
                return None
            if len(point) > MAX_POINT_CHARS:
                report(where, f"第 {n} 个得分点不能超过 {MAX_POINT_CHARS} 个字符")
                return None
            if points is None or points <= 0:
                report(
                    where,
                    f"第 {n} 个得分点的分值 points 应为正数，实际为{shown(raw.get('points'))}",
                )
                return None
            if dec(points) % Decimal("0.5") != 0:
                report(where, f"第 {n} 个得分点的分值应为 0.5 的整数倍（{_plain(points)}）")
                return None
            out.append({"point": point, "points": _plain(points)})
        return out

    def check_key_against_points(
        self, key: Mapping[str, Any], points: float, report: Report
    ) -> bool:
        """An item that states its points: the marking points add up to them."""
        total = sum((dec(p["points"]) for p in key["marking_points"]), Decimal(0))
        if total == dec(points):
            return True
        report(
            "key.marking_points",
            f"得分点分值之和（{_plain(float(total))}）应等于本题分值 points（{_plain(points)}）",
        )
        return False

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        out: dict[str, Any] = {
            "reference": key["reference"],
            "marking_points": [dict(p) for p in key["marking_points"]],
        }
        if "tolerance" in key:
            out["tolerance"] = key["tolerance"]
        return out

    def key_from_cell(self, text: str) -> Any:
        """ "参考答案……\n得分点：\n说明……（2分）\n指出……（2分）" — the reference answer,
        then after "得分点：" one marking point a line (or separated by "；")."""
        parts = _CELL_SPLIT.split(text, maxsplit=1)
        reference = parts[0].strip()
        points = parts[1] if len(parts) > 1 else ""
        lines = "\n".join(p for p in re.split(r"[；;\n]", points))
        return {"reference": reference, "marking_points": _parse_point_lines(lines)}

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        lines = [_point_line(p) for p in key["marking_points"]]
        return key["reference"] + "\n得分点：\n" + "\n".join(lines)

    def key_from_form(self, form: KeyForm) -> Any:
        return {
            "reference": form.text("reference"),
            "marking_points": _parse_point_lines(form.text("marking_points")),
        }

    unshown_key_fields = {"tolerance": "双评误差"}

    def view(self, key: Mapping[str, Any]) -> dict[str, Any]:
        return {"maxlength": self.max_answer_chars, "rows": self.answer_rows}

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        only_keys(response, "text")
        text = response["text"]
        if text is None:
            return {}
        if not isinstance(text, str):
            raise ResponseRejected(f"{self.name}的作答应为文字")
        # Line breaks as the candidate typed them, in one form (a pasted "\r\n" is one break).
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if len(text) > self.max_answer_chars:
            raise ResponseRejected(f"{self.name}的作答不能超过 {self.max_answer_chars} 个字符")
        if not unicodedata.normalize("NFKC", text).strip():
            return {}
        return {"text": text}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        if not isinstance(key.get("marking_points"), list):
            raise ValueError(f"{self.item_type} key needs marking_points")
        text = response.get("text")
        if not isinstance(text, str) or not unicodedata.normalize("NFKC", text).strip():
            return blank(full)
        return scored(Outcome.PENDING, Decimal(0), full)

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        points = "；".join(_point_line(p) for p in key.get("marking_points") or [])
        return f"参考答案：{key.get('reference', '')}　得分点：{points}"

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        text = response.get("text")
        return text if isinstance(text, str) else ""


# A written item from another system's file (QTI extended text, Moodle essay) may come
# without a reference answer or marking points: the examiners are told so, and mark the
# whole answer against the item's points.
NO_REFERENCE = "原文件未附参考答案或评分说明，请按题目要求评分。"
WHOLE_ANSWER = "按题目要求整体评分"


def imported_key(
    reference: str, marking_points: Sequence[Any], points: float | None
) -> dict[str, Any]:
    """The key of a written item read from a foreign file, in the bank file's shape."""
    return {
        "reference": reference.strip() or NO_REFERENCE,
        "marking_points": list(marking_points) or [{"point": WHOLE_ANSWER, "points": points or 1}],
    }


def scaled_points(key: Mapping[str, Any], paper_points: float) -> list[dict[str, Any]]:
    """The marking points in the paper's points: each point's share of the item kept (a
    2 + 2 + 1 item in a 10-point section reads 4 + 4 + 2), to 0.01."""
    points = key.get("marking_points") or []
    total = sum((dec(p["points"]) for p in points), Decimal(0))
    if total <= 0:
        return []
    factor = dec(paper_points) / total
    return [
        {
            "point": p["point"],
            "points": float((dec(p["points"]) * factor).quantize(Decimal("0.01"))),
        }
        for p in points
    ]


class ShortAnswer(_Written):
    item_type = ItemType.SHORT_ANSWER
    name = "简答题"
    max_answer_chars = 2000
    answer_rows = 6


class Extended(_Written):
    item_type = ItemType.EXTENDED
    name = "论述/计算题"
    max_answer_chars = 6000
    answer_rows = 14
