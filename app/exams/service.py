"""Exams: blueprints (组卷方案), exam plans (考试计划), sessions (考场/场次), candidates
(考生), registrations and admission tickets (准考证).

Everything is scoped to the acting staff member's centre: another centre's object is
NotFound. Only centre admins create or change; proctors and examiners may read plans and
sessions of their centre. Services flush; the request commits."""

import logging
import math
import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.accounts.models import Role, StaffUser
from app.accounts.service import Staff, centre_of, require_role
from app.audit import service as audit
from app.banks import format as bank_format
from app.banks import service as banks_service
from app.banks.models import ITEM_TYPE_NAMES, ItemType, ItemVersion, QuestionBank
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.delivery.models import Attempt
from app.exams import assembly, roster
from app.exams.assembly import BlueprintSpec, DrawnItem, PoolItem
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    FormMode,
    MultipleChoiceRule,
    Registration,
    SessionProctor,
    SessionStatus,
)
from app.exams.schemas import (
    BlueprintCreate,
    BlueprintUpdate,
    CandidateIn,
    PlanCreate,
    RegistrationCreate,
    SessionCreate,
)
from app.reference.identifiers import (
    normalise_resident_id,
    resident_id_birth_date,
    resident_id_gender,
    resident_id_problem,
)
from app.reference.levels import Level, Scheme, examinable_levels, get_level
from app.reference.models import EvaluationCentre, Occupation

log = logging.getLogger(__name__)

# DOMAIN.md §2: theory papers run at least 90 minutes. Some occupation standards allow
# less; a blueprint may go below this only with `allow_short_time` set by the admin.
MIN_THEORY_MINUTES = 90
MAX_MINUTES = 600
# DOMAIN.md §2: at least one invigilator per 15 candidates and at least two per room.
CANDIDATES_PER_PROCTOR = 15
MIN_PROCTORS_PER_ROOM = 2
MAX_SEATS = 999  # the ticket number holds a 3-digit seat
PROCTOR_ROLES = (Role.PROCTOR, Role.CENTRE_ADMIN)
COMPONENT_NAMES = {"theory": "理论知识考试", "practical": "操作技能考核", "review": "综合评审"}


def _admin_centre(actor: Staff) -> int:
    require_role(actor, Role.CENTRE_ADMIN)
    return centre_of(actor)


def _staff_centre(actor: Staff) -> int:
    require_role(actor, Role.CENTRE_ADMIN, Role.PROCTOR, Role.EXAMINER)
    return centre_of(actor)


T = TypeVar("T", Blueprint, ExamPlan, ExamSession, Candidate, Registration)


def _of_centre(db: Session, model: type[T], obj_id: int, centre_id: int, what: str, code: str) -> T:
    """The object if it belongs to the centre; another centre's object does not exist."""
    found = db.get(model, obj_id)
    if found is None or found.centre_id != centre_id:
        raise NotFound(f"{what}不存在", code=f"{code}_not_found")
    return found


def _invalid(message: str, code: str, problems: list[dict[str, Any]]) -> ValidationFailed:
    return ValidationFailed(message, code=code, details=problems)


# --- Blueprints (组卷方案) -------------------------------------------------------------


def outline_names(bank: QuestionBank) -> dict[str, str]:
    """Area code → name from the bank's 鉴定要素细目表."""
    return {a.code: a.name for a in bank_format.outline_from_json(bank.outline)}


def outline_weights(bank: QuestionBank) -> dict[str, float]:
    """Area code → 鉴定比重 (%): a blueprint's default area weights."""
    return {a.code: a.weight for a in bank_format.outline_from_json(bank.outline)}


def pool_item(version: ItemVersion, enemy_groups: tuple[str, ...] = ()) -> PoolItem:
    assert version.id is not None
    return PoolItem(
        version_id=version.id,
        item_type=version.item_type,
        points=version.points,
        area=version.area_code,
        difficulty=version.difficulty,
        option_labels=tuple(str(o["label"]) for o in version.options),
        point=version.point_code,
        core=version.importance == "X",
        enemy_groups=enemy_groups,
    )


# Converted pools by (bank, items stamp, level). Every candidate's start draws from the
# pool, and loading and converting a whole bank (thousands of item versions, JSON columns
# and all) cost more than the rest of the start together; a pool changes only when the
# bank's items do, and then the bank gets a new stamp (banks.service.items_changed) in the
# same transaction, so every instance sees a new key and no entry is ever stale. Bounded:
# an exam day uses a few banks and levels.
_POOLS: "OrderedDict[tuple[int, str, str], assembly.Pool]" = OrderedDict()
_POOLS_LOCK = threading.Lock()
POOL_CACHE_SIZE = 32


def _pool(db: Session, bank: QuestionBank, level_code: str) -> assembly.Pool:
    assert bank.id is not None
    key = (bank.id, bank.items_stamp, level_code)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is not None:
            _POOLS.move_to_end(key)
            return pool
    groups = banks_service.enemy_groups_by_item(db, bank_id=bank.id)
    pool = assembly.Pool(
        pool_item(v, groups.get(v.item_id, ()))
        for v in banks_service.drawable_items(db, bank_id=bank.id, level_code=level_code)
    )
    # On PostgreSQL each statement sees the latest commit: keep the pool only if no change
    # to the bank committed between reading its stamp and reading its items.
    stamp = db.exec(select(QuestionBank.items_stamp).where(QuestionBank.id == bank.id)).one()
    if stamp == bank.items_stamp:
        with _POOLS_LOCK:
            _POOLS[key] = pool
            while len(_POOLS) > POOL_CACHE_SIZE:
                _POOLS.popitem(last=False)
    return pool


def blueprint_spec(blueprint: Blueprint, bank: QuestionBank) -> BlueprintSpec:
    return BlueprintSpec.from_json(
        blueprint.sections,
        blueprint.area_weights,
        blueprint.difficulty_mix,
        outline_names(bank),
        core_min_share=blueprint.core_min_share,
        mandatory_points=blueprint.mandatory_points,
    )


def outline_mandatory_points(bank: QuestionBank) -> list[str]:
    """The points the bank's 鉴定要素细目表 marks 必考: a blueprint's default."""
    return [
        assembly.point_ref(a.code, p.code)
        for a in bank_format.outline_from_json(bank.outline)
        for p in a.points
        if p.mandatory
    ]


def _level_code(code: str) -> str | None:
    try:
        return get_level(code).code
    except KeyError:
        return None


@dataclass(frozen=True)
class _CheckedBlueprint:
    bank: QuestionBank
    level_code: str
    spec: BlueprintSpec
    pool: assembly.Pool


def _check_blueprint(db: Session, actor: Staff, data: BlueprintCreate) -> _CheckedBlueprint:
    """Every structural problem at once; then what the bank is short of."""
    bank = banks_service.get_bank(db, actor=actor, bank_id=data.bank_id)
    problems: list[dict[str, Any]] = []
    if not data.name.strip():
        problems.append({"field": "name", "problem": "组卷方案名称不能为空"})
    level_code = _level_code(data.level_code)
    if level_code is None:
        problems.append({"field": "level_code", "problem": f"未知等级 {data.level_code}"})
    elif level_code not in bank.level_codes:
        serves = "、".join(get_level(c).display for c in bank.level_codes) or "无"
        problems.append(
            {
                "field": "level_code",
                "problem": f"题库「{bank.name}」不适用于 {get_level(level_code).display}（适用等级：{serves}）",
            }
        )
    if data.component != "theory":
        problems.append(
            {"field": "component", "problem": "组卷方案目前只用于理论知识考试（theory）"}
        )
    if not 1 <= data.time_limit_minutes <= MAX_MINUTES:
        problems.append(
            {"field": "time_limit_minutes", "problem": f"考试时长应在 1–{MAX_MINUTES} 分钟之间"}
        )
    elif data.time_limit_minutes < MIN_THEORY_MINUTES and not data.allow_short_time:
        problems.append(
            {
                "field": "time_limit_minutes",
                "problem": f"理论知识考试时长不少于 {MIN_THEORY_MINUTES} 分钟；"
                "职业标准允许更短时，请勾选“职业标准允许少于 90 分钟”",
            }
        )
    if not 0 < data.pass_mark <= 100:
        problems.append({"field": "pass_mark", "problem": "合格分数线应在 0–100 分之间"})
    names = outline_names(bank)
    weights = outline_weights(bank) if data.area_weights is None else dict(data.area_weights)
    for area in sorted(set(weights) - set(names)):
        problems.append(
            {
                "field": f"area_weights.{area}",
                "problem": f"题库的鉴定要素细目表中没有 {area} 区（有：{'、'.join(sorted(names))}）",
            }
        )
    for area, weight in sorted(weights.items()):
        if weight < 0:
            problems.append({"field": f"area_weights.{area}", "problem": "比重不能为负数"})
    mandatory = (
        outline_mandatory_points(bank)
        if data.mandatory_points is None
        else list(dict.fromkeys(data.mandatory_points))
    )
    problems.extend(_unknown_points(bank, mandatory))
    spec = BlueprintSpec.from_json(
        [s.model_dump() for s in data.sections],
        weights,
        data.difficulty_mix,
        names,
        core_min_share=data.core_min_share,
        mandatory_points=mandatory,
    )
    problems.extend(assembly.blueprint_problems(spec))
    problems.extend(_repeated_sections(spec))
    if problems:
        raise _invalid("组卷方案有误", "blueprint_invalid", problems)
    assert level_code is not None
    pool = _pool(db, bank, level_code)
    missing, others = assembly.shortfalls(spec, pool), assembly.rule_shortfalls(spec, pool)
    if missing or others:
        raise assembly.BlueprintShortfall(missing, names, others)
    return _CheckedBlueprint(bank, level_code, spec, pool)


def _unknown_points(bank: QuestionBank, refs: list[str]) -> list[dict[str, Any]]:
    known = {
        assembly.point_ref(a.code, p.code)
        for a in bank_format.outline_from_json(bank.outline)
        for p in a.points
    }
    return [
        {
            "field": "mandatory_points",
            "problem": f"必考鉴定点 {ref} 不在题库的鉴定要素细目表中（写法如 A-001）",
        }
        for ref in refs
        if ref not in known
    ]


def _repeated_sections(spec: BlueprintSpec) -> list[dict[str, Any]]:
    """Two sections of the same type and points would draw from the same items, each
    unaware of the other (the same question twice on a paper): ask for one section."""
    first: dict[tuple[str, float, float | None], int] = {}
    problems = []
    for i, s in enumerate(spec.sections):
        key = (s.item_type, s.points, s.only_item_points)
        if key in first:
            problems.append(
                {
                    "field": f"sections[{i}]",
                    "problem": f"第 {i + 1} 部分与第 {first[key] + 1} 部分的题型和每题分值相同，请合并为一个部分",
                }
            )
        else:
            first[key] = i
    return problems


def _apply(bp: Blueprint, data: BlueprintCreate, checked: _CheckedBlueprint) -> None:
    bp.bank_id = checked.bank.id or 0
    bp.name = data.name.strip()
    bp.occupation_id = checked.bank.occupation_id
    bp.level_code = checked.level_code
    bp.component = data.component
    bp.sections = [_section_json(s) for s in checked.spec.sections]
    bp.area_weights = dict(checked.spec.area_weights)
    bp.difficulty_mix = dict(checked.spec.difficulty_mix)
    bp.core_min_share = dict(checked.spec.core_min_share)
    bp.mandatory_points = [assembly.point_ref(a, p) for a, p in checked.spec.mandatory_points]
    bp.multiple_choice_rule = data.multiple_choice_rule
    bp.time_limit_minutes = data.time_limit_minutes
    bp.pass_mark = data.pass_mark


def _section_json(s: assembly.SectionSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"item_type": s.item_type, "count": s.count, "points": s.points}
    if s.only_item_points is not None:
        out["only_item_points"] = s.only_item_points
    return out


def create_blueprint(db: Session, *, actor: Staff, data: BlueprintCreate) -> Blueprint:
    centre_id = _admin_centre(actor)
    checked = _check_blueprint(db, actor, data)
    bp = Blueprint(
        centre_id=centre_id,
        bank_id=0,
        name="",
        occupation_id=0,
        level_code="",
    )
    _apply(bp, data, checked)
    db.add(bp)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="blueprint.create",
        object_type="blueprint",
        object_id=bp.id,
        detail={"name": bp.name, "bank_id": bp.bank_id, "sections": bp.sections},
    )
    return bp


def blueprint_as_input(bp: Blueprint) -> BlueprintCreate:
    """A stored blueprint as the input that would create it (the edit form starts here)."""
    return BlueprintCreate.model_validate(
        {
            "bank_id": bp.bank_id,
            "name": bp.name,
            "level_code": bp.level_code,
            "component": bp.component,
            "sections": bp.sections,
            "area_weights": bp.area_weights,
            "difficulty_mix": bp.difficulty_mix,
            "core_min_share": bp.core_min_share,
            "mandatory_points": bp.mandatory_points,
            "multiple_choice_rule": bp.multiple_choice_rule,
            "time_limit_minutes": bp.time_limit_minutes,
            # A stored short paper was allowed when it was made.
            "allow_short_time": bp.time_limit_minutes < MIN_THEORY_MINUTES,
            "pass_mark": bp.pass_mark,
        }
    )


def update_blueprint(
    db: Session, *, actor: Staff, blueprint_id: int, data: BlueprintUpdate
) -> Blueprint:
    _admin_centre(actor)
    bp = get_blueprint(db, actor=actor, blueprint_id=blueprint_id)
    used = db.exec(select(ExamPlan).where(ExamPlan.blueprint_id == blueprint_id)).first()
    if used is not None:
        # Forms are drawn from the blueprint when each candidate starts: changing it under
        # a plan would give candidates of one exam different papers.
        raise Conflict(
            f"组卷方案已被考试计划「{used.name}」使用，不能修改；请新建一个组卷方案",
            code="blueprint_in_use",
        )
    merged = blueprint_as_input(bp).model_dump()
    merged.update(data.model_dump(exclude_unset=True))
    new = BlueprintCreate.model_validate(merged)
    checked = _check_blueprint(db, actor, new)
    _apply(bp, new, checked)
    db.add(bp)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="blueprint.update",
        object_type="blueprint",
        object_id=bp.id,
        detail={"changed": sorted(data.model_dump(exclude_unset=True))},
    )
    return bp


def get_blueprint(db: Session, *, actor: Staff, blueprint_id: int) -> Blueprint:
    return _of_centre(db, Blueprint, blueprint_id, _staff_centre(actor), "组卷方案", "blueprint")


def list_blueprints(db: Session, *, actor: Staff) -> list[Blueprint]:
    centre_id = _staff_centre(actor)
    return list(
        db.exec(
            select(Blueprint)
            .where(Blueprint.centre_id == centre_id)
            .order_by(col(Blueprint.created_at).desc(), col(Blueprint.id).desc())
        )
    )


@dataclass(frozen=True)
class PreviewSection:
    index: int
    item_type: str
    type_name: str
    count: int
    points_each: float
    total_points: float
    by_area: dict[str, int]


@dataclass(frozen=True)
class PreviewArea:
    area: str
    name: str
    weight: float
    target_points: float
    drawn_points: float
    count: int


@dataclass(frozen=True)
class BlueprintPreview:
    """A sample form drawn from the bank, counted the way staff check a paper."""

    seed: int
    sections: list[PreviewSection]
    areas: list[PreviewArea]
    bands: dict[str, int]  # difficulty band → items
    item_count: int
    total_points: float

    @property
    def meets_blueprint(self) -> bool:
        return abs(self.total_points - assembly.TOTAL_POINTS) < 1e-9 and all(
            abs(a.drawn_points - a.target_points) < 1e-9 for a in self.areas
        )


def _preview(spec: BlueprintSpec, pool: assembly.Pool, seed: int) -> BlueprintPreview:
    form = assembly.draw_form(spec, pool, seed, shuffle=False)
    by_id = {p.version_id: p for p in pool}
    drawn = [(d, by_id[d.item_version_id]) for d in form]
    sections = []
    for i, s in enumerate(spec.sections):
        in_section = [p for d, p in drawn if d.section == i]
        sections.append(
            PreviewSection(
                index=i,
                item_type=s.item_type,
                type_name=ITEM_TYPE_NAMES.get(ItemType(s.item_type), s.item_type),
                count=len(in_section),
                points_each=s.points,
                total_points=sum(d.points for d, _ in drawn if d.section == i),
                by_area=dict(sorted(Counter(p.area for p in in_section).items())),
            )
        )
    areas = [
        PreviewArea(
            area=area,
            name=spec.area_names.get(area, ""),
            weight=weight,
            target_points=assembly.TOTAL_POINTS * weight / 100,
            drawn_points=sum(d.points for d, p in drawn if p.area == area),
            count=sum(1 for _, p in drawn if p.area == area),
        )
        for area, weight in sorted(spec.area_weights.items())
    ]
    bands = Counter(assembly.band_of(p.difficulty) for _, p in drawn)
    return BlueprintPreview(
        seed=seed,
        sections=sections,
        areas=areas,
        bands={b: bands.get(b, 0) for b in assembly.BANDS},
        item_count=len(drawn),
        total_points=sum(d.points for d, _ in drawn),
    )


def _sample_seed(seed: int | None) -> int:
    return secrets.randbelow(2**31 - 1) if seed is None else seed


def check_blueprint(
    db: Session, *, actor: Staff, data: BlueprintCreate, seed: int | None = None
) -> BlueprintPreview:
    """Validate a blueprint without saving it, and draw a sample form."""
    _admin_centre(actor)
    checked = _check_blueprint(db, actor, data)
    return _preview(checked.spec, checked.pool, _sample_seed(seed))


def preview_blueprint(
    db: Session, *, actor: Staff, blueprint_id: int, seed: int | None = None
) -> BlueprintPreview:
    bp = get_blueprint(db, actor=actor, blueprint_id=blueprint_id)
    bank = db.get(QuestionBank, bp.bank_id)
    assert bank is not None
    spec = blueprint_spec(bp, bank)
    # The bank may have changed since the blueprint was saved: say what is short now.
    return _preview(spec, _pool(db, bank, bp.level_code), _sample_seed(seed))


# --- Exam plans (考试计划) -------------------------------------------------------------


def components_for(level: Level) -> list[str]:
    """Components the level is assessed by (DOMAIN.md §2). Only the theory paper is
    delivered on the platform for now; the others are recorded on the plan."""
    return ["theory", "review"] if level.needs_review else ["theory"]


def create_plan(db: Session, *, actor: Staff, data: PlanCreate) -> ExamPlan:
    centre_id = _admin_centre(actor)
    problems: list[dict[str, Any]] = []
    if not data.name.strip():
        problems.append({"field": "name", "problem": "考试计划名称不能为空"})
    level: Level | None = None
    try:
        scheme = Scheme(data.scheme)
    except ValueError:
        scheme = None
        problems.append({"field": "scheme", "problem": f"未知认定体系 {data.scheme}"})
    if scheme is not None:
        allowed = {lv.code: lv for lv in examinable_levels(scheme)}
        code = _level_code(data.level_code)
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
                "problem": f"组卷方案「{bp.name}」用于 {_occupation_label(db, bp.occupation_id)} "
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
        raise _invalid("考试计划有误", "plan_invalid", problems)
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


def _occupation_label(db: Session, occupation_id: int) -> str:
    occ = db.get(Occupation, occupation_id)
    if occ is None:
        return ""
    return f"{occ.name}（{occ.direction}）" if occ.direction else occ.name


def get_plan(db: Session, *, actor: Staff, plan_id: int) -> ExamPlan:
    return _of_centre(db, ExamPlan, plan_id, _staff_centre(actor), "考试计划", "plan")


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


def _summaries(db: Session, plans: list[ExamPlan]) -> list[PlanSummary]:
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
            occupation=_occupation_label(db, p.occupation_id),
            level=get_level(p.level_code),
            blueprint_name=blueprints.get(p.blueprint_id, ""),
            session_count=sessions.get(p.id or 0, 0),
            candidate_count=candidates.get(p.id or 0, 0),
        )
        for p in plans
    ]


def list_plans(db: Session, *, actor: Staff) -> list[PlanSummary]:
    centre_id = _staff_centre(actor)
    plans = list(
        db.exec(
            select(ExamPlan)
            .where(ExamPlan.centre_id == centre_id)
            .order_by(col(ExamPlan.created_at).desc(), col(ExamPlan.id).desc())
        )
    )
    return _summaries(db, plans)


def plan_summary(db: Session, *, actor: Staff, plan_id: int) -> PlanSummary:
    return _summaries(db, [get_plan(db, actor=actor, plan_id=plan_id)])[0]


# --- Forms (试卷) ---------------------------------------------------------------------


def form_for_registration(db: Session, *, registration: Registration) -> list[DrawnItem]:
    """The candidate's paper. Deterministic: FIXED plans give everyone the form of
    plan.form_seed in bank order; SHUFFLED plans (千人千卷) draw and order each candidate's
    paper from a seed derived from plan.form_seed and the registration id."""
    session = db.get(ExamSession, registration.session_id)
    assert session is not None and registration.id is not None
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    bank = db.get(QuestionBank, bp.bank_id)
    assert bank is not None
    if plan.form_mode == FormMode.FIXED and plan.fixed_form:
        # One form for all: drawn once, at the first start, and kept on the plan so that
        # a bank edit during the exam window cannot give later candidates another paper.
        return [assembly.DrawnItem(**d) for d in plan.fixed_form]
    spec = blueprint_spec(bp, bank)
    pool = _pool(db, bank, bp.level_code)
    if plan.form_mode == FormMode.FIXED:
        form = assembly.draw_form(spec, pool, plan.form_seed, shuffle=False)
        plan.fixed_form = [asdict(d) for d in form]
        db.add(plan)
        db.flush()
        return form
    seed = assembly.candidate_seed(plan.form_seed, registration.id)
    return assembly.draw_form(spec, pool, seed, shuffle=True)


# --- Sessions (考场/场次) ---------------------------------------------------------------


def staffing_problems(*, proctors: int, candidates: int) -> list[str]:
    """DOMAIN.md §2 staffing: ≥ 2 proctors per room and ≥ 1 per 15 candidates.

    Shown as a warning on the session and in the API, never a refusal: centres register
    candidates weeks ahead and settle staffing before exam day, so refusing a registration
    for want of a proctor would only block the roster."""
    found = []
    if proctors < MIN_PROCTORS_PER_ROOM:
        found.append(f"每个考场至少需要 {MIN_PROCTORS_PER_ROOM} 名监考员，目前只有 {proctors} 名")
    needed = math.ceil(candidates / CANDIDATES_PER_PROCTOR)
    # Up to 2 × 15 candidates the per-room minimum already says it all.
    if needed > proctors and needed > MIN_PROCTORS_PER_ROOM:
        found.append(
            f"按每 {CANDIDATES_PER_PROCTOR} 名考生至少 1 名监考员，{candidates} 名考生需要 "
            f"{needed} 名监考员，目前只有 {proctors} 名"
        )
    return found


def eligible_proctors(db: Session, *, actor: Staff) -> list[StaffUser]:
    """Staff of the centre who may proctor: proctors and centre admins."""
    centre_id = _staff_centre(actor)
    return list(
        db.exec(
            select(StaffUser)
            .where(
                StaffUser.centre_id == centre_id,
                col(StaffUser.role).in_([r.value for r in PROCTOR_ROLES]),
                col(StaffUser.is_active).is_(True),
            )
            .order_by(col(StaffUser.display_name), col(StaffUser.id))
        )
    )


def _checked_proctors(db: Session, centre_id: int, ids: list[int]) -> list[StaffUser]:
    found = []
    problems = []
    for staff_id in dict.fromkeys(ids):
        user = db.get(StaffUser, staff_id)
        if (
            user is None
            or user.centre_id != centre_id
            or user.role not in PROCTOR_ROLES
            or not user.is_active
        ):
            problems.append(
                {
                    "field": "proctor_ids",
                    "problem": f"账号 #{staff_id} 不是本机构在职的监考员或管理员",
                }
            )
        else:
            found.append(user)
    if problems:
        raise _invalid("监考员有误", "proctors_invalid", problems)
    return found


def create_session(db: Session, *, actor: Staff, data: SessionCreate) -> ExamSession:
    centre_id = _admin_centre(actor)
    plan = get_plan(db, actor=actor, plan_id=data.plan_id)
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    problems: list[dict[str, Any]] = []
    if not data.name.strip():
        problems.append({"field": "name", "problem": "场次名称不能为空"})
    if not data.room.strip():
        problems.append({"field": "room", "problem": "考场不能为空"})
    duration = bp.time_limit_minutes if data.duration_minutes is None else data.duration_minutes
    if not bp.time_limit_minutes <= duration <= MAX_MINUTES:
        problems.append(
            {
                "field": "duration_minutes",
                "problem": f"考试时长应在 {bp.time_limit_minutes}–{MAX_MINUTES} 分钟之间"
                f"（组卷方案规定 {bp.time_limit_minutes} 分钟）",
            }
        )
    if problems:
        raise _invalid("场次信息有误", "session_invalid", problems)
    proctors = _checked_proctors(db, centre_id, data.proctor_ids)
    session = ExamSession(
        centre_id=centre_id,
        plan_id=data.plan_id,
        name=data.name.strip(),
        room=data.room.strip(),
        starts_at=clock.from_china(data.starts_at),
        duration_minutes=duration,
    )
    db.add(session)
    db.flush()
    for user in proctors:
        db.add(SessionProctor(session_id=session.id or 0, staff_user_id=user.id or 0))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="session.create",
        object_type="exam_session",
        object_id=session.id,
        detail={"plan_id": plan.id, "room": session.room, "proctor_ids": [u.id for u in proctors]},
    )
    return session


def assign_proctors(
    db: Session, *, actor: Staff, session_id: int, proctor_ids: list[int]
) -> list[StaffUser]:
    """Replace the session's proctors."""
    centre_id = _admin_centre(actor)
    session = get_session(db, actor=actor, session_id=session_id)
    proctors = _checked_proctors(db, centre_id, proctor_ids)
    for old in db.exec(select(SessionProctor).where(SessionProctor.session_id == session_id)):
        db.delete(old)
    db.flush()
    for user in proctors:
        db.add(SessionProctor(session_id=session_id, staff_user_id=user.id or 0))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="session.assign_proctors",
        object_type="exam_session",
        object_id=session.id,
        detail={"proctor_ids": [u.id for u in proctors]},
    )
    return proctors


def get_session(db: Session, *, actor: Staff, session_id: int) -> ExamSession:
    """Any staff member of the centre may read a session (proctors and examiners too)."""
    return _of_centre(db, ExamSession, session_id, _staff_centre(actor), "考场", "session")


@dataclass(frozen=True)
class SessionSummary:
    session: ExamSession
    plan_name: str
    proctors: list[StaffUser]
    candidate_count: int
    staffing_problems: list[str]

    @property
    def ends_at(self) -> datetime:
        return self.session.starts_at + timedelta(minutes=self.session.duration_minutes)


def _session_summaries(db: Session, sessions: list[ExamSession]) -> list[SessionSummary]:
    ids = [s.id for s in sessions]
    counts = dict(
        db.exec(
            select(Registration.session_id, func.count())
            .where(col(Registration.session_id).in_(ids))
            .group_by(col(Registration.session_id))
        ).all()
    )
    proctors: dict[int, list[StaffUser]] = {}
    for sp, user in db.exec(
        select(SessionProctor, StaffUser)
        .join(StaffUser, col(StaffUser.id) == SessionProctor.staff_user_id)
        .where(col(SessionProctor.session_id).in_(ids))
        .order_by(col(StaffUser.display_name), col(StaffUser.id))
    ):
        proctors.setdefault(sp.session_id, []).append(user)
    plans = {
        p.id: p.name
        for p in db.exec(
            select(ExamPlan).where(col(ExamPlan.id).in_({s.plan_id for s in sessions}))
        )
    }
    found = []
    for s in sessions:
        people = proctors.get(s.id or 0, [])
        n = counts.get(s.id or 0, 0)
        found.append(
            SessionSummary(
                session=s,
                plan_name=plans.get(s.plan_id, ""),
                proctors=people,
                candidate_count=n,
                staffing_problems=staffing_problems(proctors=len(people), candidates=n),
            )
        )
    return found


def list_sessions(db: Session, *, actor: Staff, plan_id: int | None = None) -> list[SessionSummary]:
    """Centre admins and examiners see every session of the centre; proctors only the
    sessions they are assigned to."""
    centre_id = _staff_centre(actor)
    query = select(ExamSession).where(ExamSession.centre_id == centre_id)
    if plan_id is not None:
        query = query.where(ExamSession.plan_id == plan_id)
    if actor.role == Role.PROCTOR:
        query = query.join(SessionProctor, col(SessionProctor.session_id) == ExamSession.id).where(
            SessionProctor.staff_user_id == actor.id
        )
    sessions = list(db.exec(query.order_by(col(ExamSession.starts_at), col(ExamSession.id))))
    return _session_summaries(db, sessions)


@dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    candidate: Candidate


@dataclass(frozen=True)
class SessionDetail:
    summary: SessionSummary
    plan: PlanSummary
    registrations: list[RegistrationRow]

    @property
    def session(self) -> ExamSession:
        return self.summary.session


def session_detail(db: Session, *, actor: Staff, session_id: int) -> SessionDetail:
    session = get_session(db, actor=actor, session_id=session_id)
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    return SessionDetail(
        summary=_session_summaries(db, [session])[0],
        plan=_summaries(db, [plan])[0],
        registrations=list_registrations(db, actor=actor, session_id=session_id),
    )


# --- Candidates (考生) -----------------------------------------------------------------


def _candidate_problems(data: CandidateIn) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    name = data.name.strip()
    if not name:
        problems.append({"field": "name", "problem": "姓名不能为空"})
    elif len(name) > 50:
        problems.append({"field": "name", "problem": "姓名不能超过 50 个字符"})
    if not data.id_number.strip():
        problems.append({"field": "id_number", "problem": "身份证号不能为空"})
    elif problem := resident_id_problem(data.id_number):
        problems.append({"field": "id_number", "problem": problem})
    if len(data.phone.strip()) > 20:
        problems.append({"field": "phone", "problem": "联系电话不能超过 20 个字符"})
    if len(data.employer.strip()) > 200:
        problems.append({"field": "employer", "problem": "工作单位不能超过 200 个字符"})
    return problems


def _find_candidate(db: Session, centre_id: int, id_number: str) -> Candidate | None:
    return db.exec(
        select(Candidate).where(
            Candidate.centre_id == centre_id,
            Candidate.id_number == normalise_resident_id(id_number),
        )
    ).first()


def _upsert_candidate(
    db: Session, actor: Staff, centre_id: int, data: CandidateIn
) -> tuple[Candidate, bool]:
    """The centre's candidate with this ID number, created when new (→ True). A known
    person keeps their record; contact details given now replace the old ones."""
    problems = _candidate_problems(data)
    id_number = normalise_resident_id(data.id_number)
    known = _find_candidate(db, centre_id, id_number) if not problems else None
    if known is not None and (problem := roster.name_mismatch(known.name, data.name.strip())):
        problems.append({"field": "name", "problem": problem})
    if problems:
        raise _invalid("考生信息有误", "candidate_invalid", problems)
    if known is not None:
        for attr in ("phone", "employer"):
            value = getattr(data, attr).strip()
            if value:
                setattr(known, attr, value)
        db.add(known)
        db.flush()
        return known, False
    cand = Candidate(
        centre_id=centre_id,
        name=data.name.strip(),
        id_number=id_number,
        gender=resident_id_gender(id_number),
        birth_date=resident_id_birth_date(id_number),
        phone=data.phone.strip(),
        employer=data.employer.strip(),
    )
    db.add(cand)
    db.flush()
    audit.record(
        db, actor=actor, action="candidate.create", object_type="candidate", object_id=cand.id
    )
    return cand, True


def create_candidate(db: Session, *, actor: Staff, data: CandidateIn) -> Candidate:
    """Add a candidate; the same ID number again reuses the existing candidate."""
    centre_id = _admin_centre(actor)
    return _upsert_candidate(db, actor, centre_id, data)[0]


def get_candidate(db: Session, *, actor: Staff, candidate_id: int) -> Candidate:
    return _of_centre(db, Candidate, candidate_id, _admin_centre(actor), "考生", "candidate")


def list_candidates(db: Session, *, actor: Staff, q: str = "", limit: int = 200) -> list[Candidate]:
    """The centre's candidates, newest first; `q` matches name, ID number, phone or
    employer."""
    centre_id = _admin_centre(actor)
    query = select(Candidate).where(Candidate.centre_id == centre_id)
    term = q.strip()
    if term:
        like = f"%{term}%"
        query = query.where(
            or_(
                col(Candidate.name).like(like),
                col(Candidate.id_number).like(f"%{term.upper()}%"),
                col(Candidate.phone).like(like),
                col(Candidate.employer).like(like),
            )
        )
    return list(
        db.exec(
            query.order_by(col(Candidate.created_at).desc(), col(Candidate.id).desc()).limit(limit)
        )
    )


# --- Registrations and admission tickets (报名, 准考证) -----------------------------------


def ticket_number(*, year: int, centre_id: int, session_id: int, seat: int) -> str:
    """准考证号: 2-digit year of the session + centre id (4 digits) + session id (4 digits)
    + seat (3 digits), e.g. 26 0001 0003 012 → "2600010003012" (13 digits).

    Ids above 9999 widen their field rather than wrap, so a number is never given twice
    (the column is unique as well); seats are never reused within a session."""
    return f"{year % 100:02d}{centre_id:04d}{session_id:04d}{seat:03d}"


def _lock_session(db: Session, session: ExamSession) -> None:
    # Two admins adding candidates at once must not get the same seat: take the session
    # row's lock (PostgreSQL; SQLite already runs one writer at a time).
    db.exec(select(ExamSession.id).where(ExamSession.id == session.id).with_for_update()).first()


def _next_seat(db: Session, session_id: int) -> int:
    last = db.exec(
        select(func.max(Registration.seat_number)).where(Registration.session_id == session_id)
    ).one()
    return (last or 0) + 1


def _open_session(db: Session, actor: Staff, session_id: int) -> ExamSession:
    _admin_centre(actor)
    session = get_session(db, actor=actor, session_id=session_id)
    if session.status == SessionStatus.CLOSED:
        raise Conflict("考场已关闭，不能再报名", code="session_closed")
    _lock_session(db, session)
    return session


def _add_registration(
    db: Session, session: ExamSession, candidate: Candidate, seat: int
) -> Registration:
    if seat > MAX_SEATS:
        raise Conflict(f"一个考场最多 {MAX_SEATS} 个座位", code="session_full")
    starts = clock.to_china(session.starts_at)
    assert starts is not None and session.id is not None
    reg = Registration(
        centre_id=session.centre_id,
        session_id=session.id,
        candidate_id=candidate.id or 0,
        ticket_number=ticket_number(
            year=starts.year, centre_id=session.centre_id, session_id=session.id, seat=seat
        ),
        seat_number=seat,
    )
    db.add(reg)
    return reg


def register_candidate(
    db: Session, *, actor: Staff, session_id: int, data: RegistrationCreate
) -> Registration:
    """Put a candidate in the session: the next seat and a new admission ticket."""
    session = _open_session(db, actor, session_id)
    centre_id = session.centre_id
    if data.candidate_id is not None:
        candidate = get_candidate(db, actor=actor, candidate_id=data.candidate_id)
    else:
        candidate, _ = _upsert_candidate(
            db,
            actor,
            centre_id,
            CandidateIn(
                name=data.name, id_number=data.id_number, phone=data.phone, employer=data.employer
            ),
        )
    existing = db.exec(
        select(Registration).where(
            Registration.session_id == session_id, Registration.candidate_id == candidate.id
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"考生 {candidate.name} 已在本考场报名（准考证号 {existing.ticket_number}）",
            code="already_registered",
            details=[{"field": "id_number", "problem": "该考生已在本考场报名"}],
        )
    reg = _add_registration(db, session, candidate, _next_seat(db, session_id))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="registration.create",
        object_type="registration",
        object_id=reg.id,
        detail={
            "session_id": session_id,
            "candidate_id": candidate.id,
            "ticket": reg.ticket_number,
        },
    )
    return reg


@dataclass(frozen=True)
class RosterImport:
    registrations: list[Registration]
    new_candidates: int

    @property
    def summary(self) -> str:
        n = len(self.registrations)
        return f"已导入 {n} 名考生（新建考生 {self.new_candidates} 名，沿用已有考生 {n - self.new_candidates} 名）"


def import_roster(db: Session, *, actor: Staff, session_id: int, content: bytes) -> RosterImport:
    """Register every candidate of an Excel roster, or none: every row is checked first
    and every problem is reported with its row and column."""
    _admin_centre(actor)
    get_session(db, actor=actor, session_id=session_id)  # theirs? (a read: no lock yet)
    rows = roster.read_roster(content)  # parsed before _open_session takes the write lock
    session = _open_session(db, actor, session_id)
    ids = [r.id_number for r in rows if r.id_number]
    known = {
        c.id_number: c
        for c in db.exec(
            select(Candidate).where(
                Candidate.centre_id == session.centre_id, col(Candidate.id_number).in_(ids)
            )
        )
    }
    registered = {
        c.id_number: reg.ticket_number
        for reg, c in db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.session_id == session_id)
        )
    }
    problems = roster.roster_problems(
        rows, known_names={k: c.name for k, c in known.items()}, registered=registered
    )
    seat = _next_seat(db, session_id)
    if not problems and seat + len(rows) - 1 > MAX_SEATS:
        problems.append(
            {
                "row": rows[-1].row,
                "column": "",
                "place": "名单",
                "problem": f"一个考场最多 {MAX_SEATS} 个座位，本考场还能安排 {MAX_SEATS - seat + 1} 名",
            }
        )
    if problems:
        raise _invalid(
            f"名单有 {len(problems)} 处问题，未导入任何考生；请修改后重新上传",
            "roster_invalid",
            problems,
        )
    found: list[Registration] = []
    new = 0
    for r in rows:
        cand, created = _upsert_candidate(
            db,
            actor,
            session.centre_id,
            CandidateIn(name=r.name, id_number=r.id_number, phone=r.phone, employer=r.employer),
        )
        new += created
        found.append(_add_registration(db, session, cand, seat))
        seat += 1
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="registration.import",
        object_type="exam_session",
        object_id=session_id,
        detail={"registered": len(found), "new_candidates": new},
    )
    return RosterImport(found, new)


def registrations_with_attempts(
    db: Session, *, session_id: int
) -> list[tuple[Registration, Candidate, Attempt | None]]:
    """Every registration of a session by seat, with its candidate and attempt (None
    before the start): one query, for the proctor's roster and the results table."""
    return list(
        db.exec(
            select(Registration, Candidate, Attempt)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .outerjoin(Attempt, col(Attempt.registration_id) == Registration.id)
            .where(Registration.session_id == session_id)
            .order_by(col(Registration.seat_number), col(Registration.ticket_number))
        ).all()
    )


def list_registrations(db: Session, *, actor: Staff, session_id: int) -> list[RegistrationRow]:
    get_session(db, actor=actor, session_id=session_id)
    return [
        RegistrationRow(reg, cand)
        for reg, cand in db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.session_id == session_id)
            .order_by(col(Registration.seat_number))
        )
    ]


@dataclass(frozen=True)
class AdmissionTicket:
    """准考证: what a candidate brings to the exam. The ticket is the candidate's own, so
    it shows the full ID number."""

    ticket_number: str
    name: str
    gender: str
    id_number: str
    centre_name: str
    plan_name: str
    occupation: str
    level_display: str
    session_name: str
    room: str
    seat_number: int
    starts_at: datetime  # naive UTC; pages show China time
    duration_minutes: int
    late_entry_minutes: int
    registration_id: int = 0
    components: list[str] = field(default_factory=list)


def _tickets(
    db: Session, session: ExamSession, rows: list[RegistrationRow]
) -> list[AdmissionTicket]:
    plan = db.get(ExamPlan, session.plan_id)
    centre = db.get(EvaluationCentre, session.centre_id)
    assert plan is not None and centre is not None
    occupation = _occupation_label(db, plan.occupation_id)
    level = get_level(plan.level_code)
    return [
        AdmissionTicket(
            ticket_number=r.registration.ticket_number,
            name=r.candidate.name,
            gender=r.candidate.gender,
            id_number=r.candidate.id_number,
            centre_name=centre.name,
            plan_name=plan.name,
            occupation=occupation,
            level_display=level.display,
            session_name=session.name,
            room=session.room,
            seat_number=r.registration.seat_number,
            starts_at=session.starts_at,
            duration_minutes=session.duration_minutes,
            late_entry_minutes=plan.late_entry_minutes,
            registration_id=r.registration.id or 0,
            components=[COMPONENT_NAMES.get(c, c) for c in plan.components],
        )
        for r in rows
    ]


def _ticket_reader_centre(actor: Staff) -> int:
    require_role(actor, *PROCTOR_ROLES)
    return centre_of(actor)


def admission_tickets(db: Session, *, actor: Staff, session_id: int) -> list[AdmissionTicket]:
    """Every ticket of a session, by seat (centre admins and proctors)."""
    _ticket_reader_centre(actor)
    session = get_session(db, actor=actor, session_id=session_id)
    return _tickets(db, session, list_registrations(db, actor=actor, session_id=session_id))


def admission_ticket(db: Session, *, actor: Staff, registration_id: int) -> AdmissionTicket:
    centre_id = _ticket_reader_centre(actor)
    reg = _of_centre(db, Registration, registration_id, centre_id, "准考证", "registration")
    cand = db.get(Candidate, reg.candidate_id)
    session = db.get(ExamSession, reg.session_id)
    assert cand is not None and session is not None
    return _tickets(db, session, [RegistrationRow(reg, cand)])[0]


def registration_template() -> bytes:
    return roster.template_xlsx()


def level_choices(scheme: Scheme | None = None) -> list[Level]:
    """Examinable levels for the forms, in order."""
    schemes = [scheme] if scheme else list(Scheme)
    return [lv for s in schemes for lv in examinable_levels(s)]


def item_type_choices() -> Mapping[str, str]:
    return {t.value: name for t, name in ITEM_TYPE_NAMES.items()}


MULTIPLE_CHOICE_RULE_NAMES = {
    MultipleChoiceRule.ALL_OR_NOTHING: "全对才得分",
    MultipleChoiceRule.PARTIAL: "少选按比例得分，错选不得分",
}
FORM_MODE_NAMES = {FormMode.SHUFFLED: "千人千卷（每人随机抽题、乱序）", FormMode.FIXED: "统一试卷"}
