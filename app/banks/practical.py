"""Practical tasks (操作技能考核试题) in a bank file: the `tasks:` list beside `items:`.

Pure, like app/banks/format.py, which calls `check_tasks` for the whole file: every
problem is reported with its file, line, task ID and field, and a file with any problem
imports nothing. A task has its text, time, materials and equipment, and a rubric of
criteria (评分要素), each with its points, the step examiners mark in, what earns the
points and the deductions; a criterion marked `veto` (否决项, e.g. a safety violation)
zeros the whole task when an examiner ticks it. See question_banks/README.md."""

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.banks import format as bank_format
from app.banks.format import Problem

TASK_FIELDS = ("id", "title", "levels", "minutes", "points", "task", "materials", "rubric")
CRITERION_FIELDS = ("code", "name", "points", "step", "earns", "deductions", "veto")
DEDUCTION_FIELDS = ("text", "points")
STEPS = (0.5, 1.0, 2.0, 5.0)
_CRITERION_CODE = re.compile(r"[A-Z][0-9]{1,2}")
MAX_TASK_MINUTES = 480


@dataclass(frozen=True)
class TaskContent:
    """One practical task, normalised: what a PracticalTaskVersion stores."""

    external_id: str
    title: str
    level_codes: list[str]
    minutes: int
    points: float
    instructions: str  # 试题内容与要求
    materials: list[str]  # 材料、工具与设备
    # [{"code": "A1", "name": ..., "points": 10, "step": 0.5, "earns": ...,
    #   "deductions": [{"text": ..., "points": 1}], "veto": false}, ...]
    rubric: list[dict[str, Any]]
    line: int | None = field(default=None, compare=False)

    @property
    def digest(self) -> str:
        return task_digest(self)


TASK_CONTENT_FIELDS = (
    "title",
    "level_codes",
    "minutes",
    "points",
    "instructions",
    "materials",
    "rubric",
)


def task_content_of(task: Any) -> dict[str, Any]:
    return {name: getattr(task, name) for name in TASK_CONTENT_FIELDS}


def task_digest(task: Any) -> str:
    content = task_content_of(task)
    content["points"] = float(task.points)
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_tasks(
    doc: Mapping[str, Any], file: str, bank_levels: Sequence[str] | None
) -> tuple[list[TaskContent], list[Problem]]:
    """The `tasks:` list of a bank file (optional; a theory-only bank has none)."""
    problems: list[Problem] = []
    if "tasks" not in doc:
        return [], problems
    value = doc["tasks"]
    if not isinstance(value, list) or not value:
        line = bank_format._key_line(doc, "tasks")
        problems.append(Problem(file, line, None, "tasks", "操作技能试题 tasks 应为非空列表"))
        return [], problems
    tasks: list[TaskContent] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(value):
        line = bank_format._element_line(value, index)
        task, found = validate_task(raw, bank_levels=bank_levels, file=file, line=line)
        problems.extend(found)
        if task is not None:
            if task.external_id in seen:
                problems.append(
                    Problem(
                        file,
                        bank_format._key_line(raw, "id"),
                        task.external_id,
                        "id",
                        f"试题编号 {task.external_id} 重复（第 {seen[task.external_id]} 行已有）",
                    )
                )
            else:
                seen[task.external_id] = bank_format._key_line(raw, "id")
                tasks.append(task)
    return tasks, problems


def validate_task(
    raw: Any, *, bank_levels: Sequence[str] | None, file: str = "", line: int | None = None
) -> tuple[TaskContent | None, list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        problems.append(Problem(file, line, None, None, "操作技能试题应写成“字段: 值”的映射"))
        return None, problems
    task_line = bank_format._node_line(raw) or line
    task_id = bank_format._text(raw.get("id"))

    def report(field_name: str | None, message: str) -> None:
        at = bank_format._path_line(raw, field_name) if field_name else task_line
        problems.append(Problem(file, at or task_line, task_id, field_name, message))

    def report_criterion(index: int, message: str) -> None:
        """A rubric problem at its criterion's line."""
        at = bank_format._element_line(raw.get("rubric"), index)
        problems.append(Problem(file, at or task_line, task_id, "rubric", message))

    bank_format._unknown_fields(raw, TASK_FIELDS, report)
    if task_id is None:
        report("id", "缺少试题编号 id（如 DG4-P01）")
    elif not bank_format._ITEM_ID.fullmatch(task_id):
        report("id", "试题编号只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符")
    title = bank_format._text(raw.get("title"))
    if title is None:
        report("title", "缺少试题名称 title")
    instructions = bank_format._text(raw.get("task"))
    if instructions is None:
        report("task", "缺少试题内容与要求 task")
    minutes = raw.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 480:
        report("minutes", f"考核时间 minutes 应为 1–{MAX_TASK_MINUTES} 的整数分钟")
    points = bank_format._number(raw.get("points", 100))
    if points is None or points <= 0 or points > 100:
        report("points", "试题分值 points 应为 0 到 100 之间的数（不写时为 100）")
    materials = _check_materials(raw.get("materials"), report)
    levels: list[str] | None = list(bank_levels or [])
    if "levels" in raw:
        levels = bank_format._check_levels(
            raw["levels"], report, "levels", allowed=bank_levels or None
        )
    rubric = _check_rubric(raw, points, report, report_criterion)
    if problems:
        return None, problems
    assert task_id and title and instructions and isinstance(minutes, int)
    assert points is not None and levels is not None and rubric is not None
    assert materials is not None
    return (
        TaskContent(
            external_id=task_id,
            title=title,
            level_codes=levels,
            minutes=minutes,
            points=points,
            instructions=instructions,
            materials=materials,
            rubric=rubric,
            line=task_line,
        ),
        problems,
    )


def _check_materials(value: Any, report: bank_format.Report) -> list[str] | None:
    if not isinstance(value, list) or not value:
        report("materials", "材料、工具与设备清单 materials 应为非空列表")
        return None
    out = [bank_format._text(v) for v in value]
    if any(v is None for v in out):
        report("materials", "材料清单的每一项都应为非空文本")
        return None
    return [v for v in out if v is not None]


def _multiple_of(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-9


def _check_rubric(
    raw: Mapping[str, Any],
    task_points: float | None,
    report: bank_format.Report,
    report_criterion: Callable[[int, str], None],
) -> list[dict[str, Any]] | None:
    value = raw.get("rubric")
    if not isinstance(value, list) or not value:
        report("rubric", "缺少评分表 rubric（评分要素列表）")
        return None
    ok = True
    criteria: list[dict[str, Any]] = []
    codes: set[str] = set()
    for index, entry in enumerate(value):
        where = f"rubric[{index + 1}]"

        def at(message: str, index: int = index) -> None:
            report_criterion(index, message)

        if not isinstance(entry, Mapping):
            at(f"{where} 应为“字段: 值”的映射")
            ok = False
            continue
        for k in entry:
            if k not in CRITERION_FIELDS:
                at(f"{where} 有未知字段“{k}”（可用：{'、'.join(CRITERION_FIELDS)}）")
                ok = False
        code = entry.get("code")
        code = code.strip() if isinstance(code, str) else None
        if not code or not _CRITERION_CODE.fullmatch(code):
            at(f"{where} 评分要素编码 code 应如 A1、B2、V1")
            ok = False
        elif code in codes:
            at(f"{where} 评分要素编码 {code} 重复")
            ok = False
        else:
            codes.add(code)
        label = f"评分要素 {code or where}"
        name = bank_format._text(entry.get("name"))
        if name is None:
            at(f"{label} 缺少名称 name")
            ok = False
        veto = entry.get("veto", False)
        if not isinstance(veto, bool):
            at(f"{label} 的 veto 应为 true 或 false")
            ok = False
            continue
        if veto:
            if "points" in entry or "deductions" in entry or "step" in entry:
                at(f"{label} 是否决项：只写触发条件 name，不设分值和扣分")
                ok = False
            criteria.append(
                {
                    "code": code,
                    "name": name,
                    "points": 0.0,
                    "step": 0.0,
                    "earns": bank_format._text(entry.get("earns")) or "",
                    "deductions": [],
                    "veto": True,
                }
            )
            continue
        cpoints = bank_format._number(entry.get("points"))
        step = bank_format._number(entry.get("step", 0.5))
        if cpoints is None or cpoints <= 0:
            at(f"{label} 的配分 points 应为大于 0 的数")
            ok = False
            continue
        if step is None or step not in STEPS:
            at(f"{label} 的评分步长 step 应为 0.5、1、2 或 5")
            ok = False
            continue
        if not _multiple_of(cpoints, step):
            at(f"{label} 的配分 {cpoints:g} 不是步长 {step:g} 的整数倍")
            ok = False
        earns = bank_format._text(entry.get("earns"))
        if earns is None:
            at(f"{label} 缺少评分标准 earns（怎样得分）")
            ok = False
        deductions = _check_deductions(entry.get("deductions"), label, cpoints, step, at)
        if deductions is None:
            ok = False
        criteria.append(
            {
                "code": code,
                "name": name,
                "points": cpoints,
                "step": step,
                "earns": earns or "",
                "deductions": deductions or [],
                "veto": False,
            }
        )
    if not ok:
        return None
    scored = [c for c in criteria if not c["veto"]]
    if not scored:
        report("rubric", "评分表至少要有一个计分的评分要素")
        return None
    total = sum(c["points"] for c in scored)
    if task_points is not None and abs(total - task_points) > 1e-9:
        report("rubric", f"评分要素配分之和为 {total:g}，应等于试题分值 {task_points:g}")
        return None
    return criteria


def _check_deductions(
    value: Any, label: str, cpoints: float, step: float, report: Callable[[str], None]
) -> list[dict[str, Any]] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        report(f"{label} 的扣分标准 deductions 应为列表")
        return None
    out: list[dict[str, Any]] = []
    for d in value:
        if not isinstance(d, Mapping) or set(d) - set(DEDUCTION_FIELDS):
            report(f"{label} 的每条扣分标准应写成 {{text: …, points: …}}")
            return None
        text = bank_format._text(d.get("text"))
        dpoints = bank_format._number(d.get("points"))
        if text is None or dpoints is None or dpoints <= 0:
            report(f"{label} 的扣分标准需要说明 text 和大于 0 的扣分 points")
            return None
        if dpoints > cpoints or not _multiple_of(dpoints, step):
            report(
                f"{label} 的扣分 {dpoints:g} 应不超过配分 {cpoints:g} 且为步长 {step:g} 的整数倍",
            )
            return None
        out.append({"text": text, "points": dpoints})
    return out
