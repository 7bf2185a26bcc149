"""Blueprints (组卷方案 following the bank's 鉴定要素细目表): checked against the bank,
saved, changed while no plan uses them, previewed as a sample form."""

import logging
import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.banks import format as bank_format
from app.banks import service as banks_service
from app.banks.models import ItemVersion, QuestionBank
from app.core.errors import Conflict
from app.core.text import name_problem
from app.exams import assembly
from app.exams.assembly import BlueprintSpec, PoolItem
from app.exams.common import MAX_MINUTES, centre_for, invalid, of_centre
from app.exams.models import Blueprint, ExamPlan
from app.exams.schemas import (
    BlueprintCreate,
    BlueprintUpdate,
)
from app.itemtypes import ITEM_TYPE_NAMES, ItemType
from app.reference.levels import get_level

log = logging.getLogger(__name__)

# DOMAIN.md §2: theory papers run at least 90 minutes. Some occupation standards allow
# less; a blueprint may go below this only with `allow_short_time` set by the admin.
MIN_THEORY_MINUTES = 90


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


# One build per key at a time: the first candidates of an exam start together, and each
# building the same pool (0.5 s of CPU for a 10,000-item bank) multiplied that cost by the
# number of starts at once; the others wait for the first build and take its pool.
_BUILDING: dict[tuple[int, str, str], threading.Lock] = {}


def forget_pools() -> None:
    """Empty the cache (tests: each test's database numbers its banks from 1 again)."""
    with _POOLS_LOCK:
        _POOLS.clear()


def drawable_pool(db: Session, bank: QuestionBank, level_code: str) -> assembly.Pool:
    assert bank.id is not None
    key = (bank.id, bank.items_stamp, level_code)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is not None:
            _POOLS.move_to_end(key)
            return pool
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _POOLS_LOCK:
            pool = _POOLS.get(key)
        if pool is not None:
            return pool
        try:
            return _build_pool(db, bank, level_code, key)
        finally:
            with _POOLS_LOCK:
                _BUILDING.pop(key, None)


def _build_pool(
    db: Session, bank: QuestionBank, level_code: str, key: tuple[int, str, str]
) -> assembly.Pool:
    assert bank.id is not None
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


def known_level_code(code: str) -> str | None:
    """The level's canonical code, or None for an unknown level."""
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
    if problem := name_problem(data.name, label="组卷方案名称", max_length=200):
        problems.append({"field": "name", "problem": problem})
    level_code = known_level_code(data.level_code)
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
        raise invalid("组卷方案有误", "blueprint_invalid", problems)
    assert level_code is not None
    pool = drawable_pool(db, bank, level_code)
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
    centre_id = centre_for(actor, Action.MANAGE, Resource.BLUEPRINT)
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
    centre_for(actor, Action.MANAGE, Resource.BLUEPRINT)
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
    return of_centre(
        db, Blueprint, blueprint_id, actor, Action.READ, Resource.BLUEPRINT, "组卷方案", "blueprint"
    )


def list_blueprints(
    db: Session, *, actor: Staff, occupation_id: int | None = None, level_code: str | None = None
) -> list[Blueprint]:
    """The centre's blueprints, newest first; of one occupation and level when given (a
    plan's blueprint is replaced only by one of its own occupation and level)."""
    centre_id = centre_for(actor, Action.READ, Resource.BLUEPRINT)
    query = select(Blueprint).where(Blueprint.centre_id == centre_id)
    if occupation_id is not None:
        query = query.where(Blueprint.occupation_id == occupation_id)
    if level_code is not None:
        query = query.where(Blueprint.level_code == level_code)
    return list(db.exec(query.order_by(col(Blueprint.created_at).desc(), col(Blueprint.id).desc())))


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
    centre_for(actor, Action.MANAGE, Resource.BLUEPRINT)
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
    return _preview(spec, drawable_pool(db, bank, bp.level_code), _sample_seed(seed))


def item_type_choices() -> Mapping[str, str]:
    return {t.value: name for t, name in ITEM_TYPE_NAMES.items()}
