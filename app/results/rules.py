"""Result rules (成绩评定): pure functions over plain data, no database.

Built on the components of an assessment (app/exams/components.py): how examiners' marks become a
component score, when a panel's spread goes to the chief examiner (考评组长), how a
candidate's components become a result with its reasons, when a re-check (复核) may
still be asked for, and the item statistics of a theory form. DOMAIN.md §1–2.

Scores are Decimal throughout: a mean of 0.5-point marks or a composite exactly at the
pass mark must never be lost to float error (59.999… is not 60)."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from math import sqrt
from typing import Any

from app.core.clock import CHINA_TZ
from app.exams.components import (
    COMPONENT_NAMES,
    DEFAULT_RECHECK_DAYS,
    FULL_MARKS,
    AssessmentRule,
    Component,
    RuleError,
    dec,
)

# -- rounding and examiner panels -------------------------------------------------------


class RoundingMode(StrEnum):
    HALF_UP = "half_up"  # 四舍五入 to the step
    DOWN = "down"  # 去尾
    UP = "up"  # 进一


_ROUNDINGS = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.DOWN: ROUND_FLOOR,
    RoundingMode.UP: ROUND_CEILING,
}


@dataclass(frozen=True)
class Rounding:
    """How a mean is announced: to the nearest `step` (default 0.5, as results are
    announced), half up. 72.25 → 72.5, 72.24 → 72.0."""

    step: Decimal = Decimal("0.5")
    mode: RoundingMode = RoundingMode.HALF_UP

    def __post_init__(self) -> None:
        if dec(self.step) <= 0:
            raise RuleError("rounding_invalid", "取整单位须大于 0")

    def apply(self, value: Any) -> Decimal:
        step = dec(self.step)
        units = (dec(value) / step).quantize(Decimal(1), rounding=_ROUNDINGS[self.mode])
        return units * step


def round_score(value: Any, rounding: Rounding | None = None) -> Decimal:
    return (rounding or Rounding()).apply(value)


def check_panel_size(size: int, *, what: str = "考评组") -> None:
    """Practical examiners and review panels are odd-numbered, three or more (DOMAIN.md §2)."""
    if size < 3 or size % 2 == 0:
        raise RuleError("panel_size_invalid", f"{what}须为 3 人及以上的奇数（现为 {size} 人）")


def check_mark(
    value: Any, *, max_points: Any, step: Any = Decimal("0.5"), what: str = ""
) -> Decimal:
    """One examiner's mark for a criterion or item: within 0..max, in the criterion's step."""
    label = f"{what}：" if what else ""
    try:
        mark = dec(value)
    except Exception as exc:  # InvalidOperation, or a non-numeric type
        raise RuleError("mark_not_a_number", f"{label}分数须为数字") from exc
    if not mark.is_finite():
        raise RuleError("mark_not_a_number", f"{label}分数须为数字")
    top = dec(max_points)
    if mark < 0 or mark > top:
        raise RuleError("mark_out_of_range", f"{label}分数须在 0–{_fmt(top)} 之间（{_fmt(mark)}）")
    s = dec(step)
    if s > 0 and mark % s != 0:
        raise RuleError("mark_off_step", f"{label}分数须为 {_fmt(s)} 的整数倍（{_fmt(mark)}）")
    return mark


def _fmt(value: Decimal) -> str:
    """72.50 → "72.5", 60.0 → "60"."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class PanelResult:
    """What a panel's independent totals give: the mean (rounded) when they agree within
    the tolerance, or the need for arbitration by the chief examiner (考评组长)."""

    totals: tuple[Decimal, ...]
    mean: Decimal  # rounded per the plan's rule
    spread: Decimal  # highest minus lowest total
    needs_arbitration: bool


def panel_result(
    totals: Sequence[Any], *, tolerance: Any, rounding: Rounding | None = None
) -> PanelResult:
    """Component score = the mean of the examiners' totals (DOMAIN.md §2); a spread beyond
    the tolerance (strictly greater: a spread equal to it is agreement) goes to arbitration."""
    if not totals:
        raise RuleError("no_marks", "尚无考评员评分")
    values = tuple(dec(t) for t in totals)
    spread = max(values) - min(values)
    mean = sum(values, Decimal(0)) / len(values)
    return PanelResult(
        totals=values,
        mean=round_score(mean, rounding),
        spread=spread,
        needs_arbitration=spread > dec(tolerance),
    )


def check_arbitration(score: Any, *, max_points: Any, reason: str) -> Decimal:
    """The chief examiner's decision: a score within range, and always a reason."""
    if not reason.strip():
        raise RuleError("reason_required", "仲裁须填写理由")
    return check_mark(score, max_points=max_points, step=Decimal("0.01"), what="仲裁分数")


class DoubleMarkStatus(StrEnum):
    FINAL = "final"
    NEEDS_THIRD = "needs_third"  # 三评
    NEEDS_ARBITRATION = "needs_arbitration"  # 仲裁 by the chief examiner


@dataclass(frozen=True)
class DoubleMarkResult:
    status: DoubleMarkStatus
    score: Decimal | None  # None until final


def double_marked_score(
    marks: Sequence[Any], *, tolerance: Any, rounding: Rounding | None = None
) -> DoubleMarkResult:
    """Short answers are marked twice (双评). Within the tolerance the score is the mean of
    the two; beyond it a third marker marks, and the score is the mean of the third mark
    and the nearer of the first two (the national marking-centre practice); if the third
    is beyond the tolerance from both, the chief examiner decides."""
    values = [dec(m) for m in marks]
    tol = dec(tolerance)
    r = rounding or Rounding(step=Decimal("0.5"))
    if len(values) < 2:
        raise RuleError("no_marks", "双评须有两位评分人的评分")
    first, second = values[0], values[1]
    if abs(first - second) <= tol:
        return DoubleMarkResult(DoubleMarkStatus.FINAL, r.apply((first + second) / 2))
    if len(values) < 3:
        return DoubleMarkResult(DoubleMarkStatus.NEEDS_THIRD, None)
    third = values[2]
    d1, d2 = abs(third - first), abs(third - second)
    if min(d1, d2) > tol:
        return DoubleMarkResult(DoubleMarkStatus.NEEDS_ARBITRATION, None)
    nearer = first if d1 <= d2 else second
    return DoubleMarkResult(DoubleMarkStatus.FINAL, r.apply((third + nearer) / 2))


class WrittenStatus(StrEnum):
    MARKING = "marking"  # 评阅中: fewer than two marks
    THIRD = "third"  # 待三评: the two marks differ by more than the tolerance
    ARBITRATION = "arbitration"  # 待仲裁: the third is beyond the tolerance from both
    FINAL = "final"  # 已定分


WRITTEN_STATUS_NAMES = {
    WrittenStatus.MARKING: "评阅中",
    WrittenStatus.THIRD: "待三评",
    WrittenStatus.ARBITRATION: "待仲裁",
    WrittenStatus.FINAL: "已定分",
}


@dataclass(frozen=True)
class WrittenState:
    status: WrittenStatus
    score: Decimal | None = None  # once final
    arbitrated: bool = False

    def wants_mark(self, marked: int) -> bool:
        """Whether another examiner's mark is wanted (`marked`: marks so far)."""
        return self.status == WrittenStatus.MARKING or (
            self.status == WrittenStatus.THIRD and marked == 2
        )


def tolerance_points(points: Any, percent: Any) -> Decimal:
    """The double-marking tolerance of an item worth `points` on the paper: `percent` of
    them (a 10-point item at 20 %: two marks may differ by up to 2 points)."""
    if not 0 < dec(percent) <= 100:
        raise RuleError("tolerance_invalid", "双评误差应为大于 0、不超过 100 的百分比")
    return dec(points) * dec(percent) / 100


def written_state(
    marks: Sequence[Any],
    *,
    tolerance: Any,
    max_points: Any,
    arbitrated_score: Any = None,
    rounding: Rounding | None = None,
) -> WrittenState:
    """Where a response to an item marked by people stands, from its marks in the order
    given (double_marked_score decides: the mean of two agreeing marks, or the third with
    the nearer of the first two), the chief examiner's score once recorded. A mean rounded
    up never exceeds the item's points."""
    if arbitrated_score is not None:
        return WrittenState(WrittenStatus.FINAL, dec(arbitrated_score), arbitrated=True)
    if len(marks) < 2:
        return WrittenState(WrittenStatus.MARKING)
    result = double_marked_score(marks[:3], tolerance=tolerance, rounding=rounding)
    if result.status == DoubleMarkStatus.NEEDS_THIRD:
        return WrittenState(WrittenStatus.THIRD)
    if result.status == DoubleMarkStatus.NEEDS_ARBITRATION:
        return WrittenState(WrittenStatus.ARBITRATION)
    assert result.score is not None
    return WrittenState(WrittenStatus.FINAL, min(result.score, dec(max_points)))


# -- practical task rubrics (评分要素) ---------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """评分要素: what earns `points`, marked in `step`; a veto (否决项) zeros the task."""

    code: str
    points: Decimal
    step: Decimal = Decimal("0.5")
    veto: bool = False


@dataclass(frozen=True)
class SheetTotal:
    total: Decimal
    vetoed_by: tuple[str, ...]  # codes of the veto criteria triggered


def sheet_total(
    criteria: Sequence[Criterion],
    marks: Mapping[str, Any],
    vetoes: Sequence[str] = (),
) -> SheetTotal:
    """One examiner's total for one task: the sum of the criterion marks, or 0 when any
    veto criterion (e.g. a safety violation, 带电作业) is triggered. Every scored criterion
    needs a mark; a veto criterion is ticked, not scored."""
    by_code = {c.code: c for c in criteria}
    for code in vetoes:
        if code not in by_code or not by_code[code].veto:
            raise RuleError("not_a_veto", f"评分要素 {code} 不是否决项")
    for code in marks:
        if code not in by_code or by_code[code].veto:
            raise RuleError("unknown_criterion", f"没有评分要素 {code}")
    total = Decimal(0)
    for c in criteria:
        if c.veto:
            continue
        if marks.get(c.code) in (None, ""):
            raise RuleError("mark_missing", f"评分要素 {c.code} 尚未评分")
        total += check_mark(marks[c.code], max_points=c.points, step=c.step, what=c.code)
    triggered = tuple(dict.fromkeys(vetoes))
    return SheetTotal(total=Decimal(0) if triggered else total, vetoed_by=triggered)


@dataclass(frozen=True)
class TaskScore:
    score: Decimal  # the task's panel score, out of max_points
    max_points: Decimal
    weight: Decimal  # the task's share of the practical paper, percent


def practical_score(tasks: Sequence[TaskScore], rounding: Rounding | None = None) -> Decimal:
    """The practical component out of 100: each task's score scaled to its weight
    (weights add up to 100, as the practical blueprint's sections do)."""
    if not tasks:
        raise RuleError("no_tasks", "技能考核没有试题")
    if sum((t.weight for t in tasks), Decimal(0)) != FULL_MARKS:
        raise RuleError("weights_invalid", "技能考核各试题的配分之和须为 100")
    total = sum((t.score / t.max_points * t.weight for t in tasks), Decimal(0))
    return round_score(total, rounding or Rounding(step=Decimal("0.1")))


# -- results ------------------------------------------------------------------------------


class MarkStatus(StrEnum):
    SCORED = "scored"
    PENDING = "pending"  # marking or arbitration not finished
    ABSENT = "absent"  # 缺考
    DISQUALIFIED = "disqualified"  # 违纪


@dataclass(frozen=True)
class ComponentMark:
    """A candidate's standing in one component."""

    component: Component
    status: MarkStatus
    score: Decimal | None = None
    incident_id: int | None = None  # the proctoring incident behind a 违纪
    incident_note: str = ""

    @classmethod
    def scored(cls, component: Component | str, score: Any) -> "ComponentMark":
        value = dec(score)
        if not Decimal(0) <= value <= FULL_MARKS:
            raise RuleError("score_out_of_range", f"成绩须在 0–100 之间（{value}）")
        return cls(Component(component), MarkStatus.SCORED, value)


class Outcome(StrEnum):
    PASSED = "passed"  # 合格
    FAILED = "failed"  # 不合格
    PENDING = "pending"  # 待定
    ABSENT = "absent"  # 缺考
    DISQUALIFIED = "disqualified"  # 违纪


OUTCOME_NAMES = {
    Outcome.PASSED: "合格",
    Outcome.FAILED: "不合格",
    Outcome.PENDING: "待定",
    Outcome.ABSENT: "缺考",
    Outcome.DISQUALIFIED: "违纪",
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    composite: Decimal | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return OUTCOME_NAMES[self.outcome]


def _misconduct_reason(mark: ComponentMark) -> str:
    reason = f"{COMPONENT_NAMES[mark.component]}违纪"
    if mark.incident_id is None:
        return reason
    note = f"：{mark.incident_note}" if mark.incident_note else ""
    return f"{reason}（事件 #{mark.incident_id}{note}）"


def decide(
    rule: AssessmentRule, marks: Sequence[ComponentMark], rounding: Rounding | None = None
) -> Decision:
    """A candidate's result (DOMAIN.md §2): pass when every required component is at
    least its pass mark; for 1+X when the weighted composite is (DOMAIN.md §1). 违纪 in
    any component disqualifies; absent from all is 缺考, from some is a fail; anything
    still being marked leaves the result pending. Every reason is said."""
    by_comp = {m.component: m for m in marks}
    for m in marks:
        if rule.get(m.component) is None:
            raise RuleError("unknown_component", f"该考核不含{COMPONENT_NAMES[m.component]}")
    disqualified = [m for m in marks if m.status == MarkStatus.DISQUALIFIED]
    if disqualified:
        return Decision(
            Outcome.DISQUALIFIED,
            reasons=tuple(_misconduct_reason(m) for m in disqualified),
        )
    missing = [c for c in rule.components if c.component not in by_comp]
    pending = [m for m in marks if m.status == MarkStatus.PENDING]
    if missing or pending:
        names = [c.name for c in missing] + [COMPONENT_NAMES[m.component] for m in pending]
        return Decision(Outcome.PENDING, reasons=tuple(f"{n}成绩未出" for n in names))
    absent = [m for m in marks if m.status == MarkStatus.ABSENT]
    if len(absent) == len(rule.components):
        return Decision(Outcome.ABSENT, reasons=("全部考核项目缺考",))
    reasons = [f"{COMPONENT_NAMES[m.component]}缺考" for m in absent]
    composite: Decimal | None = None
    if rule.has_composite:
        assert rule.composite_pass_mark is not None
        composite = round_score(
            sum(
                ((by_comp[c.component].score or Decimal(0)) * (c.weight or 0) / FULL_MARKS)
                for c in rule.components
            ),
            rounding or Rounding(step=Decimal("0.1")),
        )
        if composite < rule.composite_pass_mark:
            reasons.append(
                f"综合成绩 {_fmt(composite)} 低于合格线 {_fmt(rule.composite_pass_mark)}"
            )
    else:
        for c in rule.components:
            m = by_comp[c.component]
            if m.status == MarkStatus.SCORED and m.score is not None and m.score < c.pass_mark:
                reasons.append(f"{c.name} {_fmt(m.score)} 分，低于合格线 {_fmt(c.pass_mark)}")
    if reasons:
        return Decision(Outcome.FAILED, composite, tuple(reasons))
    return Decision(
        Outcome.PASSED,
        composite,
        ("各项成绩均达到合格线",)
        if composite is None
        else (f"综合成绩 {_fmt(composite)} 达到合格线",),
    )


# -- re-check (复核) window -------------------------------------------------------------------


def recheck_deadline(published_at: datetime, days: int = DEFAULT_RECHECK_DAYS) -> datetime:
    """The last moment (naive UTC) a re-check may be requested: the end of the `days`-th
    day after publication, counted in China time (published 12-01 10:00 with 15 days:
    open until 12-16 24:00 CST)."""
    if days < 0:
        raise RuleError("recheck_days_invalid", "复核期限不能为负数")
    local = published_at.replace(tzinfo=UTC).astimezone(CHINA_TZ)
    last_day: date = local.date() + timedelta(days=days)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    return end.astimezone(UTC).replace(tzinfo=None)


def recheck_open(
    published_at: datetime | None, now: datetime, days: int = DEFAULT_RECHECK_DAYS
) -> bool:
    """A re-check may be requested from publication until the deadline (exclusive)."""
    if published_at is None:
        return False
    return published_at <= now < recheck_deadline(published_at, days)


# -- item statistics ----------------------------------------------------------------------

LOW_FACILITY = 0.1
HIGH_FACILITY = 0.95
GROUP_SHARE = 0.27  # Kelley's upper and lower 27 %


class ItemFlag(StrEnum):
    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    TOO_HARD = "too_hard"  # p < 0.1
    TOO_EASY = "too_easy"  # p > 0.95


ITEM_FLAG_NAMES = {
    ItemFlag.NEGATIVE_DISCRIMINATION: "区分度为负",
    ItemFlag.TOO_HARD: "过难（p < 0.1）",
    ItemFlag.TOO_EASY: "过易（p > 0.95）",
}


@dataclass(frozen=True)
class ItemStats:
    position: int  # index of the item on the form
    facility: float  # p: mean score as a share of the item's points
    discrimination: float | None  # D = p(upper 27 %) − p(lower 27 %)
    point_biserial: float | None  # correlation of the item score with the total
    distractors: Mapping[str, int]  # option label (or "" for blank) → how many chose it
    flags: tuple[ItemFlag, ...]


@dataclass(frozen=True)
class FormStats:
    candidates: int
    kr20: float | None  # KR-20 (Cronbach's α where items carry partial credit)
    items: tuple[ItemStats, ...]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _pvariance(xs: Sequence[float]) -> float:
    m = _mean(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    mx, my = _mean(xs), _mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sqrt(sxx * syy)


def item_stats(
    position: int,
    shares: Sequence[float],
    totals: Sequence[float],
    choices: Sequence[Any] | None = None,
) -> ItemStats:
    """One item over the candidates who had it: `shares[c]` is candidate c's score on it as
    a share of its points, `totals[c]` their paper total, `choices[c]` what they chose (a
    label, a list of labels, or None for blank; `choices` None for a non-choice item).

    - facility p: mean share;
    - discrimination D: p in the upper 27 % by total minus p in the lower 27 % (groups of
      round(0.27 N), at least 1; ties at the cut broken by the order given);
    - point-biserial: Pearson correlation of the share with the total (uncorrected; None
      when either does not vary);
    - flags: D or point-biserial below 0, p < 0.1, p > 0.95."""
    n = len(shares)
    if n == 0:
        return ItemStats(position, 0.0, None, None, {}, ())
    order = sorted(range(n), key=lambda c: -totals[c])  # stable: ties keep the order given
    g = max(1, round(GROUP_SHARE * n))
    upper, lower = order[:g], order[-g:]
    p = _mean(shares)
    d = _mean([shares[c] for c in upper]) - _mean([shares[c] for c in lower]) if n >= 2 else None
    rpb = _correlation(shares, totals)
    counts: Counter[str] = Counter()
    for picked in choices or ():
        if isinstance(picked, list | tuple) and picked:
            counts.update(str(label) for label in picked)  # each chosen option
        elif picked in (None, "", [], ()):
            counts[""] += 1  # blank
        else:
            counts[str(picked)] += 1
    flags: list[ItemFlag] = []
    if (d is not None and d < 0) or (rpb is not None and rpb < 0):
        flags.append(ItemFlag.NEGATIVE_DISCRIMINATION)
    if p < LOW_FACILITY:
        flags.append(ItemFlag.TOO_HARD)
    if p > HIGH_FACILITY:
        flags.append(ItemFlag.TOO_EASY)
    return ItemStats(
        position=position,
        facility=p,
        discrimination=d,
        point_biserial=rpb,
        distractors=dict(sorted(counts.items())),
        flags=tuple(flags),
    )


def kr20(points: Sequence[Sequence[float]]) -> float | None:
    """KR-20 of a form every candidate took whole: k/(k−1) · (1 − Σ var(item) / var(total))
    with population variances (for 0/1 items Σ var is Σ pq; with partial credit this is
    Cronbach's α). None for fewer than 2 items or totals that do not vary."""
    if not points:
        return None
    k = len(points[0])
    totals = [sum(row) for row in points]
    var_total = _pvariance(totals)
    if k < 2 or var_total == 0:
        return None
    item_var = sum(_pvariance([row[i] for row in points]) for i in range(k))
    return k / (k - 1) * (1 - item_var / var_total)


def item_statistics(
    scores: Sequence[Sequence[Any]],
    max_points: Sequence[Any],
    choices: Sequence[Sequence[Any]] | None = None,
) -> FormStats:
    """Classical item analysis of one form every candidate took whole (see item_stats and
    kr20). `scores[c][i]` is candidate c's awarded points on item i, out of
    `max_points[i]`; `choices[c][i]` what they chose on a choice item, None throughout
    for a non-choice item."""
    n, k = len(scores), len(max_points)
    if n == 0 or k == 0:
        return FormStats(candidates=n, kr20=None, items=())
    tops = [float(dec(m)) for m in max_points]
    points = [[float(dec(row[i])) for i in range(k)] for row in scores]
    totals = [sum(row) for row in points]
    items = []
    for i in range(k):
        column = [choices[c][i] for c in range(n)] if choices is not None else []
        items.append(
            item_stats(
                i,
                [points[c][i] / tops[i] for c in range(n)],
                totals,
                column if any(x is not None for x in column) else None,
            )
        )
    return FormStats(candidates=n, kr20=kr20(points), items=tuple(items))


# -- a practical task's state -------------------------------------------------------------


class TaskStatus(StrEnum):
    MARKING = "marking"  # 评分中: not every examiner has submitted
    ARBITRATION = "arbitration"  # 待仲裁: the totals differ by more than the tolerance
    FINAL = "final"  # 已定分


TASK_STATUS_NAMES = {
    TaskStatus.MARKING: "评分中",
    TaskStatus.ARBITRATION: "待仲裁",
    TaskStatus.FINAL: "已定分",
}


@dataclass(frozen=True)
class TaskState:
    status: TaskStatus
    submitted: int  # sheets submitted so far
    score: Decimal | None = None  # the task's score once final
    spread: Decimal | None = None  # once every examiner has submitted
    arbitrated: bool = False


def task_state(
    totals: Sequence[Any],
    *,
    panel_size: int,
    tolerance: Any,
    rounding: Rounding | None = None,
    arbitrated_score: Any = None,
) -> TaskState:
    """Where a task of a candidate stands: marking until every examiner of the panel has
    submitted; then the rounded mean of their totals, unless the totals differ by more than
    the tolerance, when the chief examiner's arbitration decides (and, once recorded, is the
    score)."""
    n = len(totals)
    if n < panel_size:
        return TaskState(TaskStatus.MARKING, n)
    result = panel_result(totals, tolerance=tolerance, rounding=rounding)
    if arbitrated_score is not None:
        return TaskState(TaskStatus.FINAL, n, dec(arbitrated_score), result.spread, arbitrated=True)
    if result.needs_arbitration:
        return TaskState(TaskStatus.ARBITRATION, n, None, result.spread)
    return TaskState(TaskStatus.FINAL, n, result.mean, result.spread)


def draft_marks(
    criteria: Sequence[Criterion], marks: Mapping[str, Any], vetoes: Sequence[str] = ()
) -> dict[str, Decimal]:
    """The marks of a sheet being filled in: each given mark within its criterion's
    0..points and step; blanks are left out (not yet marked), unknown codes refused."""
    by_code = {c.code: c for c in criteria}
    for code in vetoes:
        if code not in by_code or not by_code[code].veto:
            raise RuleError("not_a_veto", f"评分要素 {code} 不是否决项")
    out: dict[str, Decimal] = {}
    for code, value in marks.items():
        c = by_code.get(code)
        if c is None or c.veto:
            raise RuleError("unknown_criterion", f"没有评分要素 {code}")
        if value in (None, ""):
            continue
        out[code] = check_mark(value, max_points=c.points, step=c.step, what=code)
    return out
