"""Exam plans (考试计划): what is assessed (scheme, occupation, level, components), with
which blueprint and form mode, and the rules of the room (late entry, leaving the page)."""

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core.clock import utcnow
from app.core.errors import Conflict
from app.core.text import name_problem
from app.exams.blueprints import known_level_code
from app.exams.common import MAX_MINUTES, centre_for, invalid, of_centre
from app.exams.components import (
    COMPONENT_NAMES,
    AssessmentRule,
    Component,
    ComponentRule,
    RuleError,
    assessment_rule,
    check_duration,
    components_for,
    dec,
)
from app.exams.models import (
    Blueprint,
    ExamPlan,
    ExamSession,
    FormMode,
    Registration,
    registered,
)
from app.exams.schemas import (
    PlanComponentIn,
    PlanCreate,
    PlanUpdate,
)
from app.reference.levels import Level, Scheme, examinable_levels, get_level
from app.reference.models import Occupation

log = logging.getLogger(__name__)

ROUNDING_STEPS = (0.01, 0.1, 0.5, 1.0)
MAX_RECHECK_DAYS = 90
MAX_REASON_CHARS = 200


def _component_rules(
    level: Level, data: PlanCreate, blueprint: Blueprint | None
) -> tuple[list[dict[str, Any]], float | None, list[dict[str, Any]]]:
    """The plan's component rules as stored, its composite pass mark (1+X), and the
    problems, each with its field (DOMAIN.md §2: components per level, pass marks,
    durations with a recorded reason when shorter than usual, 1+X weights)."""
    problems: list[dict[str, Any]] = []
    comps = components_for(level)
    given = data.component_rules
    for name, r in given.items():
        if name not in comps:
            problem = f"{level.display}没有考核项目 {name}"
        elif name == Component.THEORY and (r.pass_mark, r.minutes) != (None, None):
            problem = "理论知识考试的合格线和时长由组卷方案确定"
        else:
            continue
        problems.append({"field": f"component_rules.{name}", "problem": problem})
    if problems:
        return [], None, problems
    pass_marks = {c: r.pass_mark for c, r in given.items() if r.pass_mark is not None}
    if blueprint is not None and Component.THEORY in comps:
        pass_marks[Component.THEORY] = blueprint.pass_mark
    weights = {c: r.weight for c, r in given.items() if r.weight is not None}
    try:
        rule = assessment_rule(
            level,
            pass_marks=pass_marks,
            weights=weights or None,
            composite_pass_mark=data.composite_pass_mark,
        )
    except RuleError as exc:
        return [], None, [{"field": "component_rules", "problem": exc.message}]
    stored: list[dict[str, Any]] = []
    for c in rule.components:
        r = given.get(c.component) or PlanComponentIn()
        if c.component == Component.THEORY:
            minutes: int | None = blueprint.time_limit_minutes if blueprint else None
            reason = ""
        else:
            minutes = r.minutes if r.minutes is not None else c.min_minutes
            reason = r.minutes_reason.strip()
            if len(reason) > MAX_REASON_CHARS:
                problems.append(
                    {
                        "field": f"component_rules.{c.component}.minutes_reason",
                        "problem": f"时长依据不超过 {MAX_REASON_CHARS} 个字",
                    }
                )
            if minutes is not None:
                try:
                    check_duration(c.component, minutes, reason)
                except RuleError as exc:
                    problems.append(
                        {"field": f"component_rules.{c.component}.minutes", "problem": exc.message}
                    )
        stored.append(
            {
                "component": c.component.value,
                "pass_mark": float(c.pass_mark),
                "minutes": minutes,
                "minutes_reason": reason,
                "weight": float(c.weight) if c.weight is not None else None,
            }
        )
    if not 0 < data.panel_tolerance <= 100:
        problems.append(
            {"field": "panel_tolerance", "problem": "考评员评分差异容许值应在 0–100 分之间"}
        )
    if data.rounding_step not in ROUNDING_STEPS:
        problems.append(
            {"field": "rounding_step", "problem": "成绩取整单位应为 0.01、0.1、0.5 或 1 分"}
        )
    if not 0 <= data.recheck_days <= MAX_RECHECK_DAYS:
        problems.append(
            {"field": "recheck_days", "problem": f"复核申请期限应在 0–{MAX_RECHECK_DAYS} 天之间"}
        )
    composite = float(rule.composite_pass_mark) if rule.composite_pass_mark is not None else None
    return stored, composite, problems


def plan_rule(plan: ExamPlan) -> AssessmentRule:
    """The assessment rule a plan stored when it was created."""
    return AssessmentRule(
        components=tuple(
            ComponentRule(
                component=Component(r["component"]),
                pass_mark=dec(r["pass_mark"]),
                weight=dec(r["weight"]) if r.get("weight") is not None else None,
                min_minutes=r.get("minutes"),
            )
            for r in plan.component_rules
        ),
        composite_pass_mark=(
            dec(plan.composite_pass_mark) if plan.composite_pass_mark is not None else None
        ),
    )


@dataclass(frozen=True)
class _Checked:
    problems: list[dict[str, Any]]
    level: Level | None
    scheme: Scheme | None
    occupation: Occupation | None
    rules: list[dict[str, Any]]
    composite: float | None


def _plan_problems(db: Session, centre_id: int, data: PlanCreate) -> _Checked:
    """Every check of a plan, for a new one and for a correction."""
    problems: list[dict[str, Any]] = []
    if problem := name_problem(data.name, label="考试计划名称", max_length=200):
        problems.append({"field": "name", "problem": problem})
    level: Level | None = None
    try:
        scheme = Scheme(data.scheme)
    except ValueError:
        scheme = None
        problems.append({"field": "scheme", "problem": f"未知认定体系 {data.scheme}"})
    if scheme is not None:
        allowed = {lv.code: lv for lv in examinable_levels(scheme)}
        code = known_level_code(data.level_code)
        if code not in allowed:
            names = "、".join(lv.display for lv in allowed.values())
            problems.append(
                {
                    "field": "level_code",
                    "problem": f"等级 {data.level_code} 不能通过考试认定（可选：{names}）",
                }
            )
        else:
            level = allowed[code]
    occupation = db.get(Occupation, data.occupation_id)
    if occupation is None:
        problems.append({"field": "occupation_id", "problem": "职业不存在"})
    bp = db.get(Blueprint, data.blueprint_id)
    if bp is None or bp.centre_id != centre_id:
        problems.append({"field": "blueprint_id", "problem": "组卷方案不存在"})
    elif (
        occupation is not None
        and level is not None
        and (bp.occupation_id != occupation.id or bp.level_code != level.code)
    ):
        problems.append(
            {
                "field": "blueprint_id",
                "problem": f"组卷方案「{bp.name}」用于 {occupation_label(db, bp.occupation_id)} "
                f"{get_level(bp.level_code).display}，与考试计划的职业和等级不一致",
            }
        )
    if data.leave_limit is not None and data.leave_limit < 1:
        problems.append({"field": "leave_limit", "problem": "切屏次数上限至少为 1；不限制请留空"})
    if not 0 <= data.late_entry_minutes <= MAX_MINUTES:
        problems.append(
            {"field": "late_entry_minutes", "problem": f"迟到限制应在 0–{MAX_MINUTES} 分钟之间"}
        )
    rules: list[dict[str, Any]] = []
    composite: float | None = None
    if level is not None:
        rules, composite, rule_problems = _component_rules(
            level, data, bp if bp is not None and bp.centre_id == centre_id else None
        )
        problems.extend(rule_problems)
    return _Checked(problems, level, scheme, occupation, rules, composite)


def create_plan(db: Session, *, actor: Staff, data: PlanCreate) -> ExamPlan:
    centre_id = centre_for(actor, Action.MANAGE, Resource.PLAN)
    checked = _plan_problems(db, centre_id, data)
    if checked.problems:
        raise invalid("考试计划有误", "plan_invalid", checked.problems)
    level, scheme, occupation = checked.level, checked.scheme, checked.occupation
    rules, composite = checked.rules, checked.composite
    assert level is not None and scheme is not None and occupation is not None
    plan = ExamPlan(
        centre_id=centre_id,
        name=data.name.strip(),
        scheme=scheme,
        occupation_id=occupation.id or 0,
        level_code=level.code,
        components=[r["component"] for r in rules],
        component_rules=rules,
        composite_pass_mark=composite,
        panel_tolerance=data.panel_tolerance,
        rounding_step=data.rounding_step,
        recheck_days=data.recheck_days,
        blueprint_id=data.blueprint_id,
        form_mode=data.form_mode,
        form_seed=secrets.randbelow(2**31 - 1),
        leave_limit=data.leave_limit,
        require_checkin=data.require_checkin,
        show_score_to_candidate=data.show_score_to_candidate,
        late_entry_minutes=data.late_entry_minutes,
        allow_calculator=data.allow_calculator,
        allow_scratchpad=data.allow_scratchpad,
    )
    db.add(plan)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="plan.create",
        object_type="exam_plan",
        object_id=plan.id,
        detail={
            "name": plan.name,
            "blueprint_id": plan.blueprint_id,
            "form_mode": plan.form_mode,
            "components": plan.component_rules,
        },
    )
    return plan


# What a correction may change: the plan's name, form mode and the rules of the room.
# Scheme, occupation and level make another plan; the blueprint carries the theory
# component's pass mark and time into the component rules, so a new blueprint is a new
# plan too (not done here).
EDITABLE = (
    "name",
    "form_mode",
    "leave_limit",
    "require_checkin",
    "show_score_to_candidate",
    "late_entry_minutes",
    "allow_calculator",
    "allow_scratchpad",
)


def update_plan(db: Session, *, actor: Staff, plan: ExamPlan, data: PlanUpdate) -> ExamPlan:
    """Correct a plan before any candidate started (the caller checks), with the reason;
    the same checks as a new plan. Records what changed."""
    if plan.cancelled_at is not None:
        raise Conflict("考试计划已取消", code="plan_cancelled")
    text = clean_reason(data.reason)
    current = {k: getattr(plan, k) for k in EDITABLE}
    given = {k: v for k, v in data.model_dump(include=set(EDITABLE)).items() if v is not None}
    if data.clear_leave_limit:
        given["leave_limit"] = None
    wanted = current | given
    # The plan's own component rules are checked as they are (they do not change here).
    kept = {
        r["component"]: PlanComponentIn(
            pass_mark=r.get("pass_mark"),
            minutes=r.get("minutes"),
            minutes_reason=r.get("minutes_reason", ""),
            weight=r.get("weight"),
        )
        for r in plan.component_rules
        if r.get("component") != Component.THEORY
    }
    merged = PlanCreate(
        scheme=plan.scheme,
        occupation_id=plan.occupation_id,
        level_code=plan.level_code,
        blueprint_id=plan.blueprint_id,
        component_rules=kept,
        composite_pass_mark=plan.composite_pass_mark or 60,
        panel_tolerance=plan.panel_tolerance,
        rounding_step=plan.rounding_step,
        recheck_days=plan.recheck_days,
        **wanted,
    )
    problems = _plan_problems(db, plan.centre_id, merged).problems
    if problems:
        raise invalid("考试计划有误", "plan_invalid", problems)
    wanted["name"] = merged.name.strip()
    changes = {k: [current[k], v] for k, v in wanted.items() if current[k] != v}
    if not changes:
        raise Conflict("没有需要保存的修改", code="nothing_changed")
    for key, value in wanted.items():
        setattr(plan, key, value)
    if "form_mode" in changes:
        plan.fixed_form = None  # drawn again at the first start
    db.add(plan)
    audit.record(
        db,
        actor=actor,
        action="plan.update",
        object_type="exam_plan",
        object_id=plan.id,
        reason=text,
        detail={"changes": changes},
    )
    db.flush()
    return plan


def mark_cancelled(db: Session, *, actor: Staff, plan: ExamPlan, reason: str) -> ExamPlan:
    """The plan is called off (its sessions are cancelled by the caller, each audited)."""
    if plan.cancelled_at is not None:
        raise Conflict("考试计划已取消", code="plan_cancelled")
    text = clean_reason(reason)
    plan.cancelled_at = utcnow()
    db.add(plan)
    audit.record(
        db,
        actor=actor,
        action="plan.cancel",
        object_type="exam_plan",
        object_id=plan.id,
        reason=text,
        detail={"name": plan.name},
    )
    db.flush()
    return plan


def occupation_label(db: Session, occupation_id: int) -> str:
    occ = db.get(Occupation, occupation_id)
    if occ is None:
        return ""
    return f"{occ.name}（{occ.direction}）" if occ.direction else occ.name


def get_plan(db: Session, *, actor: Staff, plan_id: int, action: Action = Action.READ) -> ExamPlan:
    return of_centre(db, ExamPlan, plan_id, actor, action, Resource.PLAN, "考试计划", "plan")


@dataclass(frozen=True)
class PlanSummary:
    plan: ExamPlan
    occupation: str
    level: Level
    blueprint_name: str
    session_count: int
    candidate_count: int

    @property
    def component_names(self) -> list[str]:
        return [COMPONENT_NAMES.get(c, c) for c in self.plan.components]

    @property
    def rule(self) -> AssessmentRule:
        return plan_rule(self.plan)


def plan_summaries(db: Session, plans: list[ExamPlan]) -> list[PlanSummary]:
    ids = [p.id for p in plans]
    sessions = dict(
        db.exec(
            select(ExamSession.plan_id, func.count())
            .where(col(ExamSession.plan_id).in_(ids))
            .group_by(col(ExamSession.plan_id))
        ).all()
    )
    candidates = dict(
        db.exec(
            select(ExamSession.plan_id, func.count())
            .join(Registration, col(Registration.session_id) == ExamSession.id)
            .where(col(ExamSession.plan_id).in_(ids), registered())
            .group_by(col(ExamSession.plan_id))
        ).all()
    )
    blueprints = {
        b.id: b.name
        for b in db.exec(
            select(Blueprint).where(col(Blueprint.id).in_([p.blueprint_id for p in plans]))
        )
    }
    return [
        PlanSummary(
            plan=p,
            occupation=occupation_label(db, p.occupation_id),
            level=get_level(p.level_code),
            blueprint_name=blueprints.get(p.blueprint_id, ""),
            session_count=sessions.get(p.id or 0, 0),
            candidate_count=candidates.get(p.id or 0, 0),
        )
        for p in plans
    ]


def list_plans(db: Session, *, actor: Staff) -> list[PlanSummary]:
    centre_id = centre_for(actor, Action.READ, Resource.PLAN)
    plans = list(
        db.exec(
            select(ExamPlan)
            .where(ExamPlan.centre_id == centre_id)
            .order_by(col(ExamPlan.created_at).desc(), col(ExamPlan.id).desc())
        )
    )
    return plan_summaries(db, plans)


def plan_summary(db: Session, *, actor: Staff, plan_id: int) -> PlanSummary:
    return plan_summaries(db, [get_plan(db, actor=actor, plan_id=plan_id)])[0]


def level_choices(scheme: Scheme | None = None) -> list[Level]:
    """Examinable levels for the forms, in order."""
    schemes = [scheme] if scheme else list(Scheme)
    return [lv for s in schemes for lv in examinable_levels(s)]


FORM_MODE_NAMES = {FormMode.SHUFFLED: "千人千卷（每人随机抽题、乱序）", FormMode.FIXED: "统一试卷"}
