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
from app.core.text import name_problem
from app.exams.blueprints import known_level_code
from app.exams.common import MAX_MINUTES, centre_for, invalid, of_centre
from app.exams.models import Blueprint, ExamPlan, ExamSession, FormMode, Registration
from app.exams.schemas import (
    PlanCreate,
)
from app.reference.levels import Level, Scheme, examinable_levels, get_level
from app.reference.models import Occupation

log = logging.getLogger(__name__)

COMPONENT_NAMES = {"theory": "理论知识考试", "practical": "操作技能考核", "review": "综合评审"}


def components_for(level: Level) -> list[str]:
    """Components the level is assessed by (DOMAIN.md §2). Only the theory paper is
    delivered on the platform for now; the others are recorded on the plan."""
    return ["theory", "review"] if level.needs_review else ["theory"]


def create_plan(db: Session, *, actor: Staff, data: PlanCreate) -> ExamPlan:
    centre_id = centre_for(actor, Action.MANAGE, Resource.PLAN)
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
    if problems:
        raise invalid("考试计划有误", "plan_invalid", problems)
    assert level is not None and scheme is not None and occupation is not None
    plan = ExamPlan(
        centre_id=centre_id,
        name=data.name.strip(),
        scheme=scheme,
        occupation_id=occupation.id or 0,
        level_code=level.code,
        components=components_for(level),
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
        detail={"name": plan.name, "blueprint_id": plan.blueprint_id, "form_mode": plan.form_mode},
    )
    return plan


def occupation_label(db: Session, occupation_id: int) -> str:
    occ = db.get(Occupation, occupation_id)
    if occ is None:
        return ""
    return f"{occ.name}（{occ.direction}）" if occ.direction else occ.name


def get_plan(db: Session, *, actor: Staff, plan_id: int) -> ExamPlan:
    return of_centre(db, ExamPlan, plan_id, actor, Action.READ, Resource.PLAN, "考试计划", "plan")


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
            .where(col(ExamSession.plan_id).in_(ids))
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
