"""Form assembly (组卷): drawing a paper from a bank so that it meets its blueprint exactly.

Pure functions over plain data. A blueprint has sections (item type, count, points each)
and assessment-area weights from the 鉴定要素细目表 (DOMAIN.md §2): each section's count is
split across areas by weight (largest remainder), and the blueprint is valid only if the
resulting points per area equal the weights exactly. An optional difficulty mix splits each
(section, area) quota again by difficulty band. The draw is reproducible from its seed.

Points belong to the paper: a section gives every item it draws its points, whatever the
item's own (default) points in the bank. On top of the quotas a paper never holds two items
of one enemy group (互斥题), holds at least one item of every mandatory assessment point,
and, where the blueprint asks for it, at least a share of each area's points from core (X)
assessment points."""

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import ValidationFailed
from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType

TOTAL_POINTS = 100.0  # each component is scored out of 100 (DOMAIN.md §2)

BANDS = {"easy": (1, 2), "medium": (3, 3), "hard": (4, 5)}
BAND_NAMES = {"easy": "容易", "medium": "中等", "hard": "较难"}
# Types whose options are shuffled per candidate on shuffled papers.
CHOICE_TYPES = {t for t, s in STRATEGIES.items() if s.option_counts is not None}
ALWAYS_SHUFFLED = {ItemType.ORDERING, ItemType.MATCHING}


@dataclass(frozen=True)
class SectionSpec:
    item_type: str
    count: int
    points: float  # what each drawn item is worth on this paper
    # Blueprints made before points belonged to the paper drew only items whose own
    # points equalled the section's; the migration keeps that meaning for them here.
    only_item_points: float | None = None


@dataclass(frozen=True)
class BlueprintSpec:
    sections: tuple[SectionSpec, ...]
    area_weights: Mapping[str, float]  # {"A": 30, ...} percent of points
    difficulty_mix: Mapping[str, float] = field(default_factory=dict)  # {"easy": 30, ...}
    area_names: Mapping[str, str] = field(default_factory=dict)
    # {"A": 60}: at least 60% of area A's points come from X (core) assessment points.
    core_min_share: Mapping[str, float] = field(default_factory=dict)
    # ("A", "001"): every paper holds at least one item of this assessment point.
    mandatory_points: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(
        cls,
        sections: Sequence[Mapping[str, Any]],
        area_weights: Mapping[str, float],
        difficulty_mix: Mapping[str, float] | None = None,
        area_names: Mapping[str, str] | None = None,
        *,
        core_min_share: Mapping[str, float] | None = None,
        mandatory_points: Sequence[str] = (),
    ) -> "BlueprintSpec":
        return cls(
            sections=tuple(
                SectionSpec(
                    str(s["item_type"]),
                    int(s["count"]),
                    float(s["points"]),
                    None if s.get("only_item_points") is None else float(s["only_item_points"]),
                )
                for s in sections
            ),
            area_weights=dict(area_weights),
            difficulty_mix=dict(difficulty_mix or {}),
            area_names=dict(area_names or {}),
            core_min_share=dict(core_min_share or {}),
            mandatory_points=tuple(split_point_ref(ref) for ref in mandatory_points),
        )

    def area_points(self, area: str) -> float:
        """The points the quotas give an area (its weight's share of the paper)."""
        return sum(
            q.get(area, 0) * s.points
            for q, s in zip(section_area_quotas(self), self.sections, strict=True)
        )

    @property
    def total_points(self) -> float:
        return sum(s.count * s.points for s in self.sections)


def point_ref(area: str, code: str) -> str:
    """An assessment point as blueprints store it: "A-001"."""
    return f"{area}-{code}"


def split_point_ref(ref: str) -> tuple[str, str]:
    area, _, code = ref.partition("-")
    return area, code


@dataclass(frozen=True)
class PoolItem:
    """A drawable item version: what assembly needs to know, nothing more."""

    version_id: int
    item_type: str
    points: float | None  # the item's own default points; the section decides
    area: str
    difficulty: int
    option_labels: tuple[str, ...] = ()
    point: str = ""  # 鉴定点 code inside the area
    core: bool = False  # the point is rated X (核心)
    enemy_groups: tuple[str, ...] = ()  # 互斥题 groups the item belongs to


@dataclass(frozen=True)
class DrawnItem:
    section: int
    item_version_id: int
    option_order: list[str]
    points: float


@dataclass(frozen=True)
class Shortfall:
    section: int
    item_type: str
    only_item_points: float | None
    area: str
    band: str | None
    needed: int
    available: int
    enemies: bool = False  # the pool has more items, but some are enemies of each other

    def message(self, area_names: Mapping[str, str] | None = None) -> str:
        area = _area_label(self.area, area_names)
        band = f"、难度{BAND_NAMES[self.band]}" if self.band else ""
        own = (
            f"自身分值为 {self.only_item_points:g} 分的"
            if self.only_item_points is not None
            else ""
        )
        enemies = "（同一互斥组的题每卷只能选一道）" if self.enemies else ""
        return (
            f"{area}需要 {self.needed} 道{own}"
            f"{ITEM_TYPE_NAMES.get(ItemType(self.item_type), self.item_type)}{band}，"
            f"题库只有 {self.available} 道可用{enemies}"
        )


def _area_label(area: str, area_names: Mapping[str, str] | None) -> str:
    name = (area_names or {}).get(area)
    return f"{area} 区（{name}）" if name else f"{area} 区"


class BlueprintShortfall(ValidationFailed):
    code = "blueprint_unsatisfiable"

    def __init__(
        self,
        shortfalls: list[Shortfall],
        area_names: Mapping[str, str],
        others: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.shortfalls = shortfalls
        super().__init__(
            "题库无法满足组卷方案",
            details=[
                {
                    "field": f"sections[{s.section}]",
                    "area": s.area,
                    "needed": s.needed,
                    "available": s.available,
                    "problem": s.message(area_names),
                }
                for s in shortfalls
            ]
            + [dict(o) for o in others],
        )


def largest_remainder(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split `total` by percent `weights` into whole numbers that add up to `total`.
    Ties go to the key that sorts first, so the split is deterministic."""
    keys = sorted(weights)
    wsum = sum(weights[k] for k in keys)
    if total == 0 or wsum <= 0:
        return {k: 0 for k in keys}
    exact = {k: total * weights[k] / wsum for k in keys}
    result = {k: int(exact[k]) for k in keys}
    short = total - sum(result.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - result[k]), k))[:short]:
        result[k] += 1
    return result


def band_of(difficulty: int) -> str:
    for band, (lo, hi) in BANDS.items():
        if lo <= difficulty <= hi:
            return band
    raise ValueError(f"difficulty {difficulty} outside 1..5")


def section_area_quotas(spec: BlueprintSpec) -> list[dict[str, int]]:
    return [largest_remainder(s.count, spec.area_weights) for s in spec.sections]


def blueprint_problems(spec: BlueprintSpec) -> list[dict[str, str]]:
    """Structural problems of a blueprint, each {"field", "problem"}; [] when sound."""
    problems: list[dict[str, str]] = []
    if not spec.sections:
        problems.append({"field": "sections", "problem": "组卷方案至少需要一个题型部分"})
    for i, s in enumerate(spec.sections):
        if s.item_type not in {t.value for t in ItemType}:
            problems.append(
                {"field": f"sections[{i}].item_type", "problem": f"未知题型 {s.item_type}"}
            )
        if s.count <= 0:
            problems.append({"field": f"sections[{i}].count", "problem": "题量必须大于 0"})
        if s.points <= 0 or (s.points * 2) != int(s.points * 2):
            problems.append(
                {"field": f"sections[{i}].points", "problem": "每题分值必须大于 0，且为 0.5 的倍数"}
            )
    if spec.sections and abs(spec.total_points - TOTAL_POINTS) > 1e-9:
        problems.append(
            {
                "field": "sections",
                "problem": f"试卷总分应为 {TOTAL_POINTS:g} 分，按各题型题量和分值合计为 {spec.total_points:g} 分",
            }
        )
    if not spec.area_weights:
        problems.append({"field": "area_weights", "problem": "缺少鉴定范围比重"})
    elif abs(sum(spec.area_weights.values()) - 100) > 1e-9:
        problems.append(
            {
                "field": "area_weights",
                "problem": f"鉴定范围比重合计应为 100%，实际为 {sum(spec.area_weights.values()):g}%",
            }
        )
    if spec.difficulty_mix:
        unknown = set(spec.difficulty_mix) - set(BANDS)
        if unknown:
            problems.append(
                {"field": "difficulty_mix", "problem": f"未知难度档 {', '.join(sorted(unknown))}"}
            )
        elif abs(sum(spec.difficulty_mix.values()) - 100) > 1e-9:
            problems.append({"field": "difficulty_mix", "problem": "难度比例合计应为 100%"})
    for area, share in sorted(spec.core_min_share.items()):
        if area not in spec.area_weights:
            problems.append({"field": f"core_min_share.{area}", "problem": f"方案中没有 {area} 区"})
        elif not 0 <= share <= 100:
            problems.append(
                {
                    "field": f"core_min_share.{area}",
                    "problem": f"核心鉴定点最低比例应在 0–100% 之间，实际为 {share:g}%",
                }
            )
    for area, code in spec.mandatory_points:
        if area not in spec.area_weights or not spec.area_weights[area]:
            problems.append(
                {
                    "field": "mandatory_points",
                    "problem": f"必考鉴定点 {area}-{code} 所在的 {area} 区在方案中没有比重",
                }
            )
    if problems:
        return problems
    # Each area's share of points must match its weight exactly.
    quotas = section_area_quotas(spec)
    for area, weight in sorted(spec.area_weights.items()):
        got = sum(q[area] * s.points for q, s in zip(quotas, spec.sections, strict=True))
        want = TOTAL_POINTS * weight / 100
        if abs(got - want) > 1e-9:
            problems.append(
                {
                    "field": f"area_weights.{area}",
                    "problem": f"{area} 区比重 {weight:g}% 应占 {want:g} 分，按各题型题量分配只能得到 {got:g} 分；请调整题量或比重",
                }
            )
    return problems


def _cells(spec: BlueprintSpec) -> list[tuple[int, str, str | None, int]]:
    """(section, area, band, count) cells the draw must fill."""
    cells: list[tuple[int, str, str | None, int]] = []
    for i, quota in enumerate(section_area_quotas(spec)):
        for area in sorted(quota):
            n = quota[area]
            if n == 0:
                continue
            if spec.difficulty_mix:
                for band, k in largest_remainder(n, spec.difficulty_mix).items():
                    if k:
                        cells.append((i, area, band, k))
            else:
                cells.append((i, area, None, n))
    return cells


class Pool:
    """Drawable items indexed the way a draw asks for them: by (item type, area, band),
    each list in version order. Built once per bank version and reused for every
    candidate (exams.blueprints caches it), so a draw looks up its cells instead of scanning
    the whole bank: a 10,000-item bank draws as fast as a 500-item one. Item points are
    not part of the key: the section sets them (only migrated blueprints filter on them)."""

    def __init__(self, items: Iterable[PoolItem]) -> None:
        self.items: tuple[PoolItem, ...] = tuple(sorted(items, key=lambda it: it.version_id))
        cells: dict[tuple[str, str, str | None], list[PoolItem]] = {}
        for it in self.items:
            for band in (band_of(it.difficulty), None):
                cells.setdefault((it.item_type, it.area, band), []).append(it)
        self._cells = {key: tuple(found) for key, found in cells.items()}
        # Blueprints (as repr(spec)) checked against this pool without a problem: the checks
        # read every candidate of every cell, and a pool serves a whole exam's draws.
        self.fits_blueprints: set[str] = set()

    def __iter__(self) -> Iterator[PoolItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def candidates(
        self, item_type: str, area: str, band: str | None, only_item_points: float | None = None
    ) -> tuple[PoolItem, ...]:
        found = self._cells.get((item_type, area, band), ())
        if only_item_points is None:
            return found
        return tuple(
            it for it in found if it.points is not None and abs(it.points - only_item_points) < 1e-9
        )


def as_pool(pool: "Pool | Iterable[PoolItem]") -> Pool:
    return pool if isinstance(pool, Pool) else Pool(pool)


def _candidates(
    spec: BlueprintSpec, pool: Pool, section: int, area: str, band: str | None
) -> tuple[PoolItem, ...]:
    s = spec.sections[section]
    return pool.candidates(s.item_type, area, band, s.only_item_points)


def _distinct_available(items: Sequence[PoolItem]) -> int:
    """How many of these can share one paper: items outside any enemy group, plus one per
    group (an upper bound when groups overlap, exact otherwise)."""
    free = sum(1 for it in items if not it.enemy_groups)
    groups: set[str] = set()
    for it in items:
        if it.enemy_groups and not groups.intersection(it.enemy_groups):
            groups.add(it.enemy_groups[0])
    return free + len(groups)


def shortfalls(spec: BlueprintSpec, pool: Pool | Iterable[PoolItem]) -> list[Shortfall]:
    """What the pool lacks. Sections of the same item type draw from the same items, so
    their needs are added up (reported on the first such section)."""
    pool = as_pool(pool)
    needs: dict[tuple[str, float | None, str, str | None], tuple[int, int]] = {}
    for section, area, band, need in _cells(spec):
        s = spec.sections[section]
        key = (s.item_type, s.only_item_points, area, band)
        first, total = needs.get(key, (section, 0))
        needs[key] = (first, total + need)
    found = []
    for (item_type, only, area, band), (section, need) in needs.items():
        candidates = _candidates(spec, pool, section, area, band)
        have = _distinct_available(candidates)
        if have < need:
            found.append(
                Shortfall(section, item_type, only, area, band, need, have, have < len(candidates))
            )
    return found


def rule_shortfalls(spec: BlueprintSpec, pool: Pool | Iterable[PoolItem]) -> list[dict[str, Any]]:
    """What the pool lacks for the mandatory points and the core (X) minimums."""
    pool = as_pool(pool)
    cells = _cells(spec)
    found: list[dict[str, Any]] = []
    in_cells = {
        it.version_id: it
        for section, area, band, _ in cells
        for it in _candidates(spec, pool, section, area, band)
    }.values()
    for area, code in spec.mandatory_points:
        if not any(it.area == area and it.point == code for it in in_cells):
            found.append(
                {
                    "field": "mandatory_points",
                    "area": area,
                    "problem": f"必考鉴定点 {area}-{code} 在题库中没有可用于本方案各题型的题目",
                }
            )
    for area, share in sorted(spec.core_min_share.items()):
        target = spec.area_points(area) * share / 100
        reachable = 0.0
        for section, cell_area, band, need in cells:
            if cell_area != area:
                continue
            core = [it for it in _candidates(spec, pool, section, area, band) if it.core]
            reachable += min(need, _distinct_available(core)) * spec.sections[section].points
        if reachable + 1e-9 < target:
            found.append(
                {
                    "field": f"core_min_share.{area}",
                    "area": area,
                    "problem": f"{_area_label(area, spec.area_names)}要求核心（X）鉴定点至少占 "
                    f"{share:g}%（{target:g} 分），题库中的核心题最多只能组成 {reachable:g} 分",
                }
            )
    return found


# A draw that meets the quotas can still paint itself into a corner (enemy groups spanning
# cells, core items needed where they are scarce); it is then retried with the same rng.
DRAW_TRIES = 50


class _Draw:
    """One attempt at filling every cell, with the paper-wide rules kept as it goes."""

    def __init__(self, spec: BlueprintSpec, pool: Pool, rng: random.Random):
        self.spec, self.rng = spec, rng
        self.cells = _cells(spec)
        self.candidates = [_candidates(spec, pool, s, a, b) for s, a, b, _ in self.cells]
        self.remaining = [need for *_, need in self.cells]
        self.chosen: list[list[PoolItem]] = [[] for _ in self.cells]
        self.used: set[int] = set()  # no question twice on one paper
        self.groups: set[str] = set()  # no two of one enemy group

    def fits(self, it: PoolItem) -> bool:
        return it.version_id not in self.used and not self.groups.intersection(it.enemy_groups)

    def take(self, cell: int, it: PoolItem) -> None:
        self.chosen[cell].append(it)
        self.remaining[cell] -= 1
        self.used.add(it.version_id)
        self.groups.update(it.enemy_groups)

    def open_choices(
        self, cells: Sequence[int], wanted: Callable[[PoolItem], bool]
    ) -> list[tuple[int, PoolItem]]:
        return [
            (c, it)
            for c in cells
            if self.remaining[c] > 0
            for it in self.candidates[c]
            if wanted(it) and self.fits(it)
        ]

    def run(self) -> list[list[PoolItem]] | None:
        every = range(len(self.cells))
        for area, code in self.spec.mandatory_points:
            if any(it.area == area and it.point == code for c in self.chosen for it in c):
                continue
            choices = self.open_choices(every, _of_point(area, code))
            if not choices:
                return None
            self.take(*self.rng.choice(choices))
        for area, share in sorted(self.spec.core_min_share.items()):
            target = self.spec.area_points(area) * share / 100
            cells = [c for c in every if self.cells[c][1] == area]
            have = sum(
                self.spec.sections[self.cells[c][0]].points
                for c in cells
                for it in self.chosen[c]
                if it.core
            )
            choices = self.open_choices(cells, lambda it: it.core)
            self.rng.shuffle(choices)
            for cell, it in choices:
                if have + 1e-9 >= target:
                    break
                if self.remaining[cell] and self.fits(it):
                    self.take(cell, it)
                    have += self.spec.sections[self.cells[cell][0]].points
            if have + 1e-9 < target:
                return None
        for c in every:
            if not self.remaining[c]:
                continue
            for it in _in_random_order(self.candidates[c], self.rng):
                if not self.remaining[c]:
                    break
                if self.fits(it):
                    self.take(c, it)
            if self.remaining[c]:
                return None
        return self.chosen


def _in_random_order(items: Sequence[PoolItem], rng: random.Random) -> Iterator[PoolItem]:
    """The items in a uniformly random order, produced one at a time (a partial
    Fisher–Yates shuffle): taking k of a cell's n items costs about k steps, not n, so a
    draw from a 10,000-item bank costs what one from a 500-item bank does."""
    order = list(items)
    for i in range(len(order)):
        j = rng.randrange(i, len(order))
        order[i], order[j] = order[j], order[i]
        yield order[i]


def _of_point(area: str, code: str) -> Callable[[PoolItem], bool]:
    return lambda it: it.area == area and it.point == code


class DrawFailed(ValidationFailed):
    code = "blueprint_unsatisfiable"


def draw_form(
    spec: BlueprintSpec, pool: Pool | Iterable[PoolItem], seed: int, *, shuffle: bool
) -> list[DrawnItem]:
    """The paper for `seed`: sections in blueprint order; with `shuffle`, item order inside
    each section and option order of choice items are shuffled too (千人千卷)."""
    pool = as_pool(pool)
    checked = repr(spec)
    if checked not in pool.fits_blueprints:
        problems = blueprint_problems(spec)
        if problems:
            raise ValidationFailed("组卷方案不合理", code="blueprint_invalid", details=problems)
        missing, others = shortfalls(spec, pool), rule_shortfalls(spec, pool)
        if missing or others:
            raise BlueprintShortfall(missing, spec.area_names, others)
        pool.fits_blueprints.add(checked)
    rng = random.Random(seed)
    for _ in range(DRAW_TRIES):
        draw = _Draw(spec, pool, rng)
        chosen = draw.run()
        if chosen is not None:
            break
    else:
        raise DrawFailed(
            "题库中的互斥题、必考鉴定点和核心题比例要求互相冲突，多次尝试仍无法组出试卷；"
            "请补充题目或放宽要求"
        )
    by_section: dict[int, list[PoolItem]] = {i: [] for i in range(len(spec.sections))}
    for (section, *_), items in zip(draw.cells, chosen, strict=True):
        by_section[section].extend(items)
    form: list[DrawnItem] = []
    for section in range(len(spec.sections)):
        in_section = by_section[section]
        if shuffle:
            rng.shuffle(in_section)
        for it in in_section:
            labels = list(it.option_labels)
            # An ordering or matching item in the bank's order would often show its
            # answer (options written in the key's order): its options are shuffled on
            # every paper.
            if (shuffle and it.item_type in CHOICE_TYPES) or it.item_type in ALWAYS_SHUFFLED:
                rng.shuffle(labels)
            form.append(DrawnItem(section, it.version_id, labels, spec.sections[section].points))
    return form


def candidate_seed(form_seed: int, registration_id: int) -> int:
    """Per-candidate seed for shuffled forms: stable, distinct per registration."""
    return (form_seed * 1_000_003 + registration_id * 7_919) % (2**31 - 1)


# -- practical papers (技能考核试卷) ------------------------------------------------------


@dataclass(frozen=True)
class TaskSection:
    """One section of a practical paper: one of its tasks is drawn per candidate (or one
    for all on a fixed paper), and counts for `weight` of the practical's 100 points."""

    task_ids: tuple[int, ...]
    weight: float


def practical_paper_problems(
    sections: Sequence[TaskSection], available: Iterable[int]
) -> list[dict[str, str]]:
    """What is wrong with a plan's practical sections: every section has tasks of the plan's
    occupation and level, no task in two sections, weights adding up to 100."""
    usable = set(available)
    problems: list[dict[str, str]] = []
    if not sections:
        return [{"field": "sections", "problem": "技能考核试卷至少要有一组试题"}]
    seen: set[int] = set()
    for i, s in enumerate(sections):
        where = f"sections[{i}]"
        if not s.task_ids:
            problems.append({"field": where, "problem": f"第 {i + 1} 组没有选择试题"})
        for task_id in s.task_ids:
            if task_id not in usable:
                problems.append(
                    {
                        "field": where,
                        "problem": f"试题 #{task_id} 不是本计划职业和等级可用的操作技能试题",
                    }
                )
            elif task_id in seen:
                problems.append(
                    {"field": where, "problem": f"试题 #{task_id} 不能同时出现在两组中"}
                )
            seen.add(task_id)
        if not 0 < s.weight <= TOTAL_POINTS:
            problems.append({"field": where, "problem": f"第 {i + 1} 组的配分应在 0–100 之间"})
    total = sum(s.weight for s in sections)
    if abs(total - TOTAL_POINTS) > 1e-9:
        problems.append(
            {"field": "sections", "problem": f"各组配分之和为 {total:g}，应为 {TOTAL_POINTS:g}"}
        )
    return problems


def draw_practical(sections: Sequence[TaskSection], seed: int) -> list[tuple[int, float]]:
    """(task id, weight) per section, in section order; reproducible from the seed."""
    rng = random.Random(seed)
    return [(rng.choice(sorted(s.task_ids)), s.weight) for s in sections]
