"""Components of an assessment (考核项目) per scheme and level, with their pass marks,
1+X weights and duration rules (DOMAIN.md §1–2). Pure; plans apply them when created and
results (app/results/rules.py) decide with them."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.reference.levels import Award, Level, Scheme

FULL_MARKS = Decimal(100)  # every component is scored out of 100 (DOMAIN.md §2)
DEFAULT_PASS_MARK = Decimal(60)
# 1+X: composite = 40% theory + 60% practical, pass at 60 (DOMAIN.md §1); the weights
# vary by certificate and are part of the plan's configuration.
ONE_PLUS_X_WEIGHTS: Mapping[str, Decimal] = {"theory": Decimal(40), "practical": Decimal(60)}
DEFAULT_RECHECK_DAYS = 15  # 复核 window after publication (configurable per plan)


def dec(value: Any) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary error into the comparison.
    return value if isinstance(value, Decimal) else Decimal(str(value))


class RuleError(ValueError):
    """Input that breaks a marking or result rule; `code` is stable for the API and the
    message is the Chinese sentence a page shows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- components per scheme and level ----------------------------------------------------


class Component(StrEnum):
    THEORY = "theory"  # 理论知识考试
    PRACTICAL = "practical"  # 技能考核 (操作技能考核)
    REVIEW = "review"  # 综合评审 (技师, 高级技师)
    ENTERPRISE = "enterprise"  # 企业评聘 (特级技师, 首席技师)


COMPONENT_NAMES: dict[str, str] = {
    Component.THEORY: "理论知识考试",
    Component.PRACTICAL: "技能考核",
    Component.REVIEW: "综合评审",
    Component.ENTERPRISE: "企业评价",
}

# DOMAIN.md §2: theory ≥ 90 minutes, practical ≥ 60, review ≥ 15 (occupation standards
# vary, so a plan may go lower with a recorded reason). Enterprise evaluation is not timed.
MIN_MINUTES: Mapping[Component, int | None] = {
    Component.THEORY: 90,
    Component.PRACTICAL: 60,
    Component.REVIEW: 15,
    Component.ENTERPRISE: None,
}


@dataclass(frozen=True)
class ComponentRule:
    """One component of a plan: its pass mark and, for a weighted scheme, its weight (%)."""

    component: Component
    pass_mark: Decimal = DEFAULT_PASS_MARK
    weight: Decimal | None = None  # percent of the composite (1+X); None: no composite
    min_minutes: int | None = None

    @property
    def name(self) -> str:
        return COMPONENT_NAMES[self.component]


@dataclass(frozen=True)
class AssessmentRule:
    """How a level is assessed: its components, and whether a weighted composite decides."""

    components: tuple[ComponentRule, ...]
    composite_pass_mark: Decimal | None = None  # set for 1+X: the composite decides

    @property
    def has_composite(self) -> bool:
        return self.composite_pass_mark is not None

    def get(self, component: Component | str) -> ComponentRule | None:
        return next((c for c in self.components if c.component == component), None)


def components_for(level: Level) -> tuple[Component, ...]:
    """The components a level is assessed by (DOMAIN.md §1–2): 五级–三级 theory and
    practical; 技师 and 高级技师 add 综合评审; 特级/首席技师 are an enterprise evaluation;
    1+X a theory and a practical paper. 学徒工 is not assessed here."""
    if level.award == Award.APPRENTICESHIP:
        raise RuleError("level_not_assessed", f"{level.display}由企业学徒培训认定，不在平台考核")
    if level.award == Award.ENTERPRISE_APPOINTMENT:
        return (Component.ENTERPRISE,)
    if level.award == Award.EXAM_AND_REVIEW:
        return (Component.THEORY, Component.PRACTICAL, Component.REVIEW)
    return (Component.THEORY, Component.PRACTICAL)


def assessment_rule(
    level: Level,
    *,
    pass_marks: Mapping[str, Any] | None = None,
    weights: Mapping[str, Any] | None = None,
    composite_pass_mark: Any = DEFAULT_PASS_MARK,
) -> AssessmentRule:
    """The rule a plan applies. `pass_marks` overrides a component's 60; `weights` (1+X
    only) must name exactly the plan's components and add up to 100."""
    comps = components_for(level)
    marks = {k: dec(v) for k, v in (pass_marks or {}).items()}
    for name, mark in marks.items():
        if name not in comps:
            raise RuleError("unknown_component", f"{level.display}没有考核项目 {name}")
        if not Decimal(0) < mark <= FULL_MARKS:
            raise RuleError("pass_mark_out_of_range", f"合格分数线应在 0–100 之间（{mark}）")
    if level.scheme == Scheme.ONE_PLUS_X:
        w = {k: dec(v) for k, v in (weights or ONE_PLUS_X_WEIGHTS).items()}
        if set(w) != set(comps):
            raise RuleError("weights_invalid", "1+X 成绩权重须且只须包括理论知识考试和技能考核")
        if any(v < 0 for v in w.values()) or sum(w.values()) != FULL_MARKS:
            raise RuleError("weights_invalid", "1+X 成绩权重之和须为 100%")
        composite = dec(composite_pass_mark)
        if not Decimal(0) < composite <= FULL_MARKS:
            raise RuleError("pass_mark_out_of_range", f"合格分数线应在 0–100 之间（{composite}）")
    else:
        if weights:
            raise RuleError("weights_not_allowed", "只有 1+X 证书按权重计算综合成绩")
        w, composite = {}, None
    return AssessmentRule(
        components=tuple(
            ComponentRule(
                component=c,
                pass_mark=marks.get(c, DEFAULT_PASS_MARK),
                weight=w.get(c),
                min_minutes=MIN_MINUTES[c],
            )
            for c in comps
        ),
        composite_pass_mark=composite,
    )


def check_duration(component: Component | str, minutes: int, reason: str = "") -> None:
    """A component's session may be shorter than the usual minimum only with a reason
    (the occupation standard that allows it), which the plan records."""
    if minutes <= 0:
        raise RuleError("duration_invalid", "时长须为正整数分钟")
    minimum = MIN_MINUTES[Component(component)]
    if minimum is not None and minutes < minimum and not reason.strip():
        raise RuleError(
            "duration_below_minimum",
            f"{COMPONENT_NAMES[Component(component)]}时长一般不少于 {minimum} 分钟；"
            f"短于此须注明依据（如职业标准的规定）",
        )
