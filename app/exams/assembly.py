"""Form assembly (组卷): drawing a paper from a bank so that it meets its blueprint exactly.

Pure functions over plain data. A blueprint has sections (item type, count, points each)
and assessment-area weights from the 鉴定要素细目表 (DOMAIN.md §2): each section's count is
split across areas by weight (largest remainder), and the blueprint is valid only if the
resulting points per area equal the weights exactly. An optional difficulty mix splits each
(section, area) quota again by difficulty band. The draw is reproducible from its seed."""

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import ValidationFailed
from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType

TOTAL_POINTS = 100.0  # each component is scored out of 100 (DOMAIN.md §2)

BANDS = {"easy": (1, 2), "medium": (3, 3), "hard": (4, 5)}
BAND_NAMES = {"easy": "容易", "medium": "中等", "hard": "较难"}
# Types whose options are shuffled per candidate on shuffled papers.
CHOICE_TYPES = {t for t, s in STRATEGIES.items() if s.option_counts is not None}


@dataclass(frozen=True)
class SectionSpec:
    item_type: str
    count: int
    points: float


@dataclass(frozen=True)
class BlueprintSpec:
    sections: tuple[SectionSpec, ...]
    area_weights: Mapping[str, float]  # {"A": 30, ...} percent of points
    difficulty_mix: Mapping[str, float] = field(default_factory=dict)  # {"easy": 30, ...}
    area_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(
        cls,
        sections: Sequence[Mapping[str, Any]],
        area_weights: Mapping[str, float],
        difficulty_mix: Mapping[str, float] | None = None,
        area_names: Mapping[str, str] | None = None,
    ) -> "BlueprintSpec":
        return cls(
            sections=tuple(
                SectionSpec(str(s["item_type"]), int(s["count"]), float(s["points"]))
                for s in sections
            ),
            area_weights=dict(area_weights),
            difficulty_mix=dict(difficulty_mix or {}),
            area_names=dict(area_names or {}),
        )

    @property
    def total_points(self) -> float:
        return sum(s.count * s.points for s in self.sections)


@dataclass(frozen=True)
class PoolItem:
    """A drawable item version: what assembly needs to know, nothing more."""

    version_id: int
    item_type: str
    points: float
    area: str
    difficulty: int
    option_labels: tuple[str, ...] = ()


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
    points: float
    area: str
    band: str | None
    needed: int
    available: int

    def message(self, area_names: Mapping[str, str] | None = None) -> str:
        name = (area_names or {}).get(self.area)
        area = f"{self.area} 区（{name}）" if name else f"{self.area} 区"
        band = f"、难度{BAND_NAMES[self.band]}" if self.band else ""
        return (
            f"{area}需要 {self.needed} 道 {self.points:g} 分的"
            f"{ITEM_TYPE_NAMES.get(ItemType(self.item_type), self.item_type)}{band}，"
            f"题库只有 {self.available} 道"
        )


class BlueprintShortfall(ValidationFailed):
    code = "blueprint_unsatisfiable"

    def __init__(self, shortfalls: list[Shortfall], area_names: Mapping[str, str]) -> None:
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
            ],
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
    """Drawable items indexed the way a draw asks for them: by (item type, points, area,
    band), each list in version order. Built once per bank version and reused for every
    candidate (exams.blueprints caches it), so a draw looks up its cells instead of scanning
    the whole bank: a 10,000-item bank draws as fast as a 500-item one."""

    def __init__(self, items: Iterable[PoolItem]) -> None:
        self.items: tuple[PoolItem, ...] = tuple(sorted(items, key=lambda it: it.version_id))
        cells: dict[tuple[str, float, str, str | None], list[PoolItem]] = {}
        for it in self.items:
            for band in (band_of(it.difficulty), None):
                cells.setdefault((it.item_type, _points_key(it.points), it.area, band), []).append(
                    it
                )
        self._cells = {key: tuple(found) for key, found in cells.items()}

    def __iter__(self) -> Iterator[PoolItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def candidates(
        self, item_type: str, points: float, area: str, band: str | None
    ) -> tuple[PoolItem, ...]:
        return self._cells.get((item_type, _points_key(points), area, band), ())


def _points_key(points: float) -> float:
    return round(points, 6)


def as_pool(pool: "Pool | Iterable[PoolItem]") -> Pool:
    return pool if isinstance(pool, Pool) else Pool(pool)


def _candidates(
    spec: BlueprintSpec, pool: Pool, section: int, area: str, band: str | None
) -> tuple[PoolItem, ...]:
    s = spec.sections[section]
    return pool.candidates(s.item_type, s.points, area, band)


def shortfalls(spec: BlueprintSpec, pool: Pool | Iterable[PoolItem]) -> list[Shortfall]:
    """What the pool lacks. Sections of the same item type and points draw from the same
    items, so their needs are added up (reported on the first such section)."""
    pool = as_pool(pool)
    needs: dict[tuple[str, float, str, str | None], tuple[int, int]] = {}
    for section, area, band, need in _cells(spec):
        s = spec.sections[section]
        key = (s.item_type, s.points, area, band)
        first, total = needs.get(key, (section, 0))
        needs[key] = (first, total + need)
    found = []
    for (item_type, points, area, band), (section, need) in needs.items():
        have = len(_candidates(spec, pool, section, area, band))
        if have < need:
            found.append(Shortfall(section, item_type, points, area, band, need, have))
    return found


def draw_form(
    spec: BlueprintSpec, pool: Pool | Iterable[PoolItem], seed: int, *, shuffle: bool
) -> list[DrawnItem]:
    """The paper for `seed`: sections in blueprint order; with `shuffle`, item order inside
    each section and option order of choice items are shuffled too (千人千卷)."""
    pool = as_pool(pool)
    problems = blueprint_problems(spec)
    if problems:
        raise ValidationFailed("组卷方案不合理", code="blueprint_invalid", details=problems)
    missing = shortfalls(spec, pool)
    if missing:
        raise BlueprintShortfall(missing, spec.area_names)
    rng = random.Random(seed)
    by_section: dict[int, list[PoolItem]] = {i: [] for i in range(len(spec.sections))}
    used: set[int] = set()  # no question twice on one paper
    for section, area, band, need in _cells(spec):
        free = [
            it for it in _candidates(spec, pool, section, area, band) if it.version_id not in used
        ]
        picked = rng.sample(free, need)
        used.update(it.version_id for it in picked)
        by_section[section].extend(picked)
    form: list[DrawnItem] = []
    for section in range(len(spec.sections)):
        chosen = by_section[section]
        if shuffle:
            rng.shuffle(chosen)
        for it in chosen:
            labels = list(it.option_labels)
            if shuffle and it.item_type in CHOICE_TYPES:
                rng.shuffle(labels)
            form.append(DrawnItem(section, it.version_id, labels, spec.sections[section].points))
    return form


def candidate_seed(form_seed: int, registration_id: int) -> int:
    """Per-candidate seed for shuffled forms: stable, distinct per registration."""
    return (form_seed * 1_000_003 + registration_id * 7_919) % (2**31 - 1)
