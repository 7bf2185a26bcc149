"""Form assembly (组卷) rules: pure, no database."""

from collections import Counter
from itertools import count
from typing import Any

import pytest

from app.core.errors import ValidationFailed
from app.exams.assembly import (
    BlueprintShortfall,
    BlueprintSpec,
    DrawnItem,
    Pool,
    PoolItem,
    band_of,
    blueprint_problems,
    candidate_seed,
    draw_form,
    largest_remainder,
    shortfalls,
)

# The demo paper: 40 SC × 1.5 + 10 MC × 2 + 10 TF × 1 + 10 fill-in × 1 over A 30 / B 50 / C 20.
DEMO_SECTIONS = [
    {"item_type": "single_choice", "count": 40, "points": 1.5},
    {"item_type": "multiple_choice", "count": 10, "points": 2},
    {"item_type": "true_false", "count": 10, "points": 1},
    {"item_type": "fill_in", "count": 10, "points": 1},
]
WEIGHTS = {"A": 30, "B": 50, "C": 20}
NAMES = {"A": "基础知识", "B": "专业知识", "C": "安全与相关知识"}
POINTS = {"single_choice": 1.5, "multiple_choice": 2, "true_false": 1, "fill_in": 1}
LABELS = {"single_choice": ("A", "B", "C", "D"), "multiple_choice": ("A", "B", "C", "D", "E")}


def spec(
    sections: list[dict[str, Any]] | None = None,
    weights: dict[str, float] | None = None,
    mix: dict[str, float] | None = None,
) -> BlueprintSpec:
    return BlueprintSpec.from_json(sections or DEMO_SECTIONS, weights or WEIGHTS, mix or {}, NAMES)


def pool(per_cell: int = 30, *, short: dict[tuple[str, str], int] | None = None) -> list[PoolItem]:
    """`per_cell` items per (type, area), difficulties cycling 1..5; `short` overrides."""
    ids = count(1)
    items = []
    for item_type, points in POINTS.items():
        for area in WEIGHTS:
            n = (short or {}).get((item_type, area), per_cell)
            items += [
                PoolItem(next(ids), item_type, points, area, k % 5 + 1, LABELS.get(item_type, ()))
                for k in range(n)
            ]
    return items


def area_points(form: list[DrawnItem], items: list[PoolItem]) -> dict[str, float]:
    by_id = {it.version_id: it for it in items}
    got: dict[str, float] = {}
    for d in form:
        area = by_id[d.item_version_id].area
        got[area] = got.get(area, 0) + d.points
    return got


def test_form_meets_counts_points_and_area_weights_exactly() -> None:
    items = pool()
    form = draw_form(spec(), items, seed=7, shuffle=True)
    assert Counter(d.section for d in form) == {0: 40, 1: 10, 2: 10, 3: 10}
    assert sum(d.points for d in form) == 100
    assert area_points(form, items) == {"A": 30, "B": 50, "C": 20}
    assert len({d.item_version_id for d in form}) == 70  # no question twice
    by_id = {it.version_id: it for it in items}
    assert all(
        by_id[d.item_version_id].item_type == DEMO_SECTIONS[d.section]["item_type"] for d in form
    )


def test_sections_come_in_blueprint_order() -> None:
    form = draw_form(spec(), pool(), seed=3, shuffle=True)
    assert [d.section for d in form] == sorted(d.section for d in form)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, {"A": 30, "B": 50, "C": 20}, {"A": 3, "B": 5, "C": 2}),
        # 1.5 / 2.5 / 1.0: one left over; equal remainders go to the first key.
        (5, {"A": 30, "B": 50, "C": 20}, {"A": 2, "B": 2, "C": 1}),
        (7, {"A": 1, "B": 1, "C": 1}, {"A": 3, "B": 2, "C": 2}),
        # 40 × 0.3 = 12, 40 × 0.5 = 20, 40 × 0.2 = 8: exact, nothing to hand out.
        (40, {"A": 30, "B": 50, "C": 20}, {"A": 12, "B": 20, "C": 8}),
        (11, {"A": 35, "B": 45, "C": 20}, {"A": 4, "B": 5, "C": 2}),
    ],
)
def test_largest_remainder_splits_whole_items(
    total: int, weights: dict[str, float], expected: dict[str, int]
) -> None:
    got = largest_remainder(total, weights)
    assert got == expected
    assert sum(got.values()) == total


def test_blueprint_total_must_be_100_points() -> None:
    problems = blueprint_problems(
        spec(sections=[{"item_type": "fill_in", "count": 5, "points": 1}])
    )
    assert {
        "field": "sections",
        "problem": "试卷总分应为 100 分，按各题型题量和分值合计为 5 分",
    } in problems


def test_weights_not_achievable_with_these_counts_are_named_per_area() -> None:
    # 19 SC × 5 + 5 fill-in × 1 = 100 points, but whole items cannot give 30 / 50 / 20.
    problems = blueprint_problems(
        spec(
            sections=[
                {"item_type": "single_choice", "count": 19, "points": 5},
                {"item_type": "fill_in", "count": 5, "points": 1},
            ]
        )
    )
    messages = {p["field"]: p["problem"] for p in problems}
    assert messages["area_weights.A"] == (
        "A 区比重 30% 应占 30 分，按各题型题量分配只能得到 32 分；请调整题量或比重"
    )
    assert set(messages) == {"area_weights.A", "area_weights.B", "area_weights.C"}


@pytest.mark.parametrize(
    ("sections", "weights", "mix", "field", "problem"),
    [
        ([], WEIGHTS, {}, "sections", "组卷方案至少需要一个题型部分"),
        (
            [{"item_type": "essay", "count": 100, "points": 1}],
            WEIGHTS,
            {},
            "sections[0].item_type",
            "未知题型 essay",
        ),
        (
            [{"item_type": "true_false", "count": 0, "points": 1}],
            WEIGHTS,
            {},
            "sections[0].count",
            "题量必须大于 0",
        ),
        (
            [{"item_type": "true_false", "count": 100, "points": 0.3}],
            WEIGHTS,
            {},
            "sections[0].points",
            "每题分值必须大于 0，且为 0.5 的倍数",
        ),
        (
            [{"item_type": "true_false", "count": 100, "points": 0}],
            WEIGHTS,
            {},
            "sections[0].points",
            "每题分值必须大于 0，且为 0.5 的倍数",
        ),
        (
            [{"item_type": "true_false", "count": 201, "points": 0.5}],
            WEIGHTS,
            {},
            "sections",
            "试卷总分应为 100 分，按各题型题量和分值合计为 100.5 分",
        ),
        (
            DEMO_SECTIONS,
            {"A": 30, "B": 50},
            {},
            "area_weights",
            "鉴定范围比重合计应为 100%，实际为 80%",
        ),
        (
            DEMO_SECTIONS,
            {"A": 30, "B": 50, "C": 20.5},
            {},
            "area_weights",
            "鉴定范围比重合计应为 100%，实际为 100.5%",
        ),
        (DEMO_SECTIONS, {}, {}, "area_weights", "缺少鉴定范围比重"),
        (
            DEMO_SECTIONS,
            WEIGHTS,
            {"easy": 50, "hard": 40},
            "difficulty_mix",
            "难度比例合计应为 100%",
        ),
        (
            DEMO_SECTIONS,
            WEIGHTS,
            {"easy": 50, "hard": 50.5},
            "difficulty_mix",
            "难度比例合计应为 100%",
        ),
        (
            DEMO_SECTIONS,
            WEIGHTS,
            {"trivial": 50, "brutal": 50},
            "difficulty_mix",
            "未知难度档 brutal, trivial",
        ),
    ],
)
def test_structural_problems_name_the_field(
    sections: list[dict[str, Any]],
    weights: dict[str, float],
    mix: dict[str, float],
    field: str,
    problem: str,
) -> None:
    problems = blueprint_problems(BlueprintSpec.from_json(sections, weights, mix))
    assert {"field": field, "problem": problem} in problems, problems


def test_an_invalid_blueprint_is_refused_before_any_draw() -> None:
    broken = spec(weights={"A": 30, "B": 50})
    with pytest.raises(ValidationFailed) as caught:
        draw_form(broken, pool(), seed=1, shuffle=True)
    assert caught.value.message == "组卷方案不合理"
    assert caught.value.code == "blueprint_invalid" and caught.value.status_code == 422
    assert caught.value.details == blueprint_problems(broken) != []


def test_an_area_of_weight_zero_and_an_area_of_one_item() -> None:
    one = BlueprintSpec.from_json(
        [{"item_type": "true_false", "count": 100, "points": 1}], {"A": 0, "B": 1, "C": 99}
    )
    assert blueprint_problems(one) == []
    items = [PoolItem(n, "true_false", 1, "ABC"[n % 3], 3) for n in range(1, 400)]
    form = draw_form(one, items, seed=5, shuffle=True)
    assert area_points(form, items) == {"B": 1, "C": 99}


def test_a_pool_drawn_from_still_refuses_a_blueprint_it_cannot_fill() -> None:
    # A cached pool remembers the blueprints it was checked against, not a pass for all.
    shared = Pool(pool(per_cell=12))
    fits = spec([{"item_type": "single_choice", "count": 20, "points": 5}])
    too_many = spec([{"item_type": "single_choice", "count": 40, "points": 2.5}])
    first = draw_form(fits, shared, seed=3, shuffle=True)
    with pytest.raises(BlueprintShortfall):
        draw_form(too_many, shared, seed=3, shuffle=True)
    assert draw_form(fits, shared, seed=3, shuffle=True) == first
    with pytest.raises(BlueprintShortfall):
        draw_form(too_many, shared, seed=4, shuffle=True)


def test_sound_blueprint_has_no_problems() -> None:
    assert blueprint_problems(spec()) == []


def test_shortfall_names_area_type_points_needed_and_available() -> None:
    items = pool(short={("single_choice", "B"): 17})
    with pytest.raises(BlueprintShortfall) as caught:
        draw_form(spec(), items, seed=1, shuffle=False)
    assert caught.value.message == "题库无法满足组卷方案"
    assert caught.value.details == [
        {
            "field": "sections[0]",
            "area": "B",
            "needed": 20,
            "available": 17,
            "problem": "B 区（专业知识）需要 20 道单项选择题，题库只有 17 道可用",
        }
    ]
    assert caught.value.shortfalls == shortfalls(spec(), items)
    assert caught.value.status_code == 422
    # Without the outline's area names the area is named by its code alone.
    unnamed = BlueprintSpec.from_json(DEMO_SECTIONS, WEIGHTS)
    with pytest.raises(BlueprintShortfall) as caught:
        draw_form(unnamed, items, seed=1, shuffle=False)
    assert caught.value.details[0]["problem"] == "B 区需要 20 道单项选择题，题库只有 17 道可用"


def test_shortfalls_list_every_cell_that_is_short() -> None:
    items = pool(short={("single_choice", "A"): 0, ("fill_in", "C"): 1})
    found = {(s.section, s.area, s.needed, s.available) for s in shortfalls(spec(), items)}
    assert found == {(0, "A", 12, 0), (3, "C", 2, 1)}


def test_section_points_are_the_papers_whatever_the_items_own_points() -> None:
    # A bank of "1.5-point" single-choice items serves a 0.5-point section.
    items = [PoolItem(i, "single_choice", 1.5, "A", 3, ("A", "B")) for i in range(1, 301)]
    half = BlueprintSpec.from_json(
        [{"item_type": "single_choice", "count": 200, "points": 0.5}], {"A": 100}
    )
    form = draw_form(half, items, seed=3, shuffle=True)
    assert len(form) == 200
    assert {d.points for d in form} == {0.5}
    assert sum(d.points for d in form) == 100


def test_items_without_own_points_are_drawn_too() -> None:
    items = [PoolItem(i, "true_false", None, "A", 3) for i in range(1, 101)]
    one = BlueprintSpec.from_json(
        [{"item_type": "true_false", "count": 100, "points": 1}], {"A": 100}
    )
    assert len(draw_form(one, items, seed=1, shuffle=False)) == 100


def test_migrated_blueprint_keeps_drawing_only_items_of_its_old_points() -> None:
    items = [PoolItem(i, "single_choice", 1.0, "A", 3, ("A", "B")) for i in range(1, 101)]
    items += [PoolItem(i, "single_choice", 2.0, "A", 3, ("A", "B")) for i in range(101, 151)]
    old = BlueprintSpec.from_json(
        [{"item_type": "single_choice", "count": 50, "points": 2, "only_item_points": 2}],
        {"A": 100},
    )
    form = draw_form(old, items, seed=1, shuffle=False)
    assert {d.item_version_id for d in form} == set(range(101, 151))
    short = BlueprintSpec.from_json(
        [{"item_type": "single_choice", "count": 50, "points": 2, "only_item_points": 1.5}],
        {"A": 100},
    )
    assert [s.message() for s in shortfalls(short, items)] == [
        "A 区需要 50 道自身分值为 1.5 分的单项选择题，题库只有 0 道可用"
    ]
    # Nor do 1.5-point items count for a migrated 2-point section, or 2-point items for a
    # 1.5-point one (both would round to 2 as whole numbers).
    halves = [PoolItem(i, "single_choice", 1.5, "A", 3, ("A", "B")) for i in range(1, 101)]
    assert [(s.needed, s.available) for s in shortfalls(old, halves)] == [(50, 0)]
    assert [(s.needed, s.available) for s in shortfalls(short, items[100:])] == [(50, 0)]
    # Items without own points never match a migrated section.
    unpointed = [PoolItem(i, "single_choice", None, "A", 3, ("A", "B")) for i in range(1, 101)]
    assert [(s.needed, s.available) for s in shortfalls(old, unpointed)] == [(50, 0)]


def test_a_pool_lists_its_items_in_version_order() -> None:
    items = pool(per_cell=2)
    indexed = Pool(reversed(items))
    assert list(indexed) == sorted(items, key=lambda it: it.version_id)
    assert len(indexed) == len(items)
    assert draw_form(spec(), Pool(pool()), 9, shuffle=True) == draw_form(
        spec(), pool(), 9, shuffle=True
    )


def test_a_section_may_have_a_single_item() -> None:
    sections = [
        {"item_type": "single_choice", "count": 1, "points": 10},
        {"item_type": "true_false", "count": 90, "points": 1},
    ]
    assert blueprint_problems(BlueprintSpec.from_json(sections, {"A": 100})) == []


def test_same_seed_gives_the_same_form() -> None:
    items = pool()
    assert draw_form(spec(), items, 42, shuffle=True) == draw_form(spec(), items, 42, shuffle=True)


def test_different_registrations_get_different_items_order_and_options() -> None:
    items = pool()
    first = draw_form(spec(), items, candidate_seed(99, 1), shuffle=True)
    second = draw_form(spec(), items, candidate_seed(99, 2), shuffle=True)
    assert [d.item_version_id for d in first] != [d.item_version_id for d in second]
    choice_orders = {tuple(d.option_order) for d in first + second if d.section == 0}
    assert len(choice_orders) > 1  # options shuffled too
    assert {tuple(sorted(o)) for o in choice_orders} == {("A", "B", "C", "D")}


def test_unshuffled_form_keeps_bank_order_of_options() -> None:
    form = draw_form(spec(), pool(), 5, shuffle=False)
    assert {tuple(d.option_order) for d in form if d.section == 0} == {("A", "B", "C", "D")}
    assert all(d.option_order == [] for d in form if d.section in (2, 3))


def test_candidate_seeds_are_stable_and_distinct() -> None:
    assert candidate_seed(12345, 7) == candidate_seed(12345, 7)
    assert len({candidate_seed(12345, r) for r in range(1, 2000)}) == 1999


@pytest.mark.parametrize(
    ("form_seed", "registration_id"),
    # Inputs whose seed would leave the range under a slightly different modulus.
    [(294090561, 1), (3000, 1), (2**31 - 2, 10**6), (0, 1)],
)
def test_candidate_seeds_fit_a_database_integer(form_seed: int, registration_id: int) -> None:
    seed = candidate_seed(form_seed, registration_id)
    assert isinstance(seed, int) and 0 <= seed < 2**31 - 1  # PostgreSQL integer: < 2**31


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # 1.2 / 1.8 / 7.0: the one left over goes to the largest remainder, B, not to A.
        (10, {"A": 12, "B": 18, "C": 70}, {"A": 1, "B": 2, "C": 7}),
        (1, {"A": 30, "B": 70}, {"A": 0, "B": 1}),
        (3, {"A": 0.5, "B": 0.5}, {"A": 2, "B": 1}),
        (0, {"A": 30, "B": 70}, {"A": 0, "B": 0}),
        (5, {"A": 0, "B": 0}, {"A": 0, "B": 0}),
    ],
)
def test_largest_remainder_edges(
    total: int, weights: dict[str, float], expected: dict[str, int]
) -> None:
    assert largest_remainder(total, weights) == expected


def test_difficulty_outside_1_to_5_has_no_band() -> None:
    assert [band_of(d) for d in range(1, 6)] == ["easy", "easy", "medium", "hard", "hard"]
    for wrong in (0, 6):
        with pytest.raises(ValueError) as caught:
            band_of(wrong)
        assert str(caught.value) == f"difficulty {wrong} outside 1..5"


def test_a_pool_with_exactly_enough_items_is_not_short() -> None:
    # The demo paper needs 40 SC over A/B/C as 12/20/8 and 10 of each other type as 3/5/2.
    forty, ten = {"A": 12, "B": 20, "C": 8}, {"A": 3, "B": 5, "C": 2}
    exact = {(t, a): (forty if t == "single_choice" else ten)[a] for t in POINTS for a in WEIGHTS}
    items = pool(short=exact)
    assert shortfalls(spec(), items) == []
    assert len(draw_form(spec(), items, seed=2, shuffle=True)) == 70


def test_difficulty_mix_is_respected_in_every_section_and_area() -> None:
    items = pool(per_cell=60)  # 24 easy, 12 medium, 24 hard per (type, area)
    mixed = spec(mix={"easy": 30, "medium": 50, "hard": 20})
    form = draw_form(mixed, items, 11, shuffle=True)
    by_id = {it.version_id: it for it in items}
    cells: Counter[tuple[int, str, str]] = Counter()
    for d in form:
        it = by_id[d.item_version_id]
        cells[(d.section, it.area, band_of(it.difficulty))] += 1
    # Section 0, area B: 20 items → 6 easy, 10 medium, 4 hard.
    assert (cells[(0, "B", "easy")], cells[(0, "B", "medium")], cells[(0, "B", "hard")]) == (
        6,
        10,
        4,
    )
    # Section 1, area A: 3 items → 0.9 / 1.5 / 0.6 → 1 / 1 / 1 by largest remainder.
    assert (cells[(1, "A", "easy")], cells[(1, "A", "medium")], cells[(1, "A", "hard")]) == (
        1,
        1,
        1,
    )
    assert sum(d.points for d in form) == 100


def test_difficulty_shortfall_names_the_band() -> None:
    # Only medium (3) items: the easy and hard cells are short.
    items = [PoolItem(i, "true_false", 1, "A", 3) for i in range(1, 200)]
    one = BlueprintSpec.from_json(
        [{"item_type": "true_false", "count": 100, "points": 1}],
        {"A": 100},
        {"easy": 50, "medium": 50},
        {"A": "基础知识"},
    )
    with pytest.raises(BlueprintShortfall) as caught:
        draw_form(one, items, 1, shuffle=False)
    assert [d["problem"] for d in caught.value.details] == [
        "A 区（基础知识）需要 50 道判断题、难度容易，题库只有 0 道可用"
    ]


def test_two_sections_of_the_same_type_and_points_never_repeat_an_item() -> None:
    items = [PoolItem(i, "single_choice", 1, "A", 3, ("A", "B")) for i in range(1, 61)]
    twice = BlueprintSpec.from_json(
        [
            {"item_type": "single_choice", "count": 50, "points": 1},
            {"item_type": "single_choice", "count": 50, "points": 1},
        ],
        {"A": 100},
    )
    # 100 items needed, 60 in the pool: this must be a shortfall, not a paper with repeats.
    assert shortfalls(twice, items) != []
    assert shortfalls(twice, items)[0].needed == 100
    enough = [PoolItem(i, "single_choice", 1, "A", 3, ("A", "B")) for i in range(1, 121)]
    form = draw_form(twice, enough, seed=1, shuffle=True)
    assert len(form) == 100
    assert len({d.item_version_id for d in form}) == 100


# -- enemy items, mandatory points, core share ----------------------------------------


def classic_pool() -> list[PoolItem]:
    """Half the items core (X), points 001..010, enemy pairs among the first 20 of each cell."""
    ids = count(1)
    items = []
    for item_type in ("single_choice", "true_false"):
        for area, n in (("A", 70), ("B", 110), ("C", 45)):
            for k in range(n if item_type == "single_choice" else n // 3):
                vid = next(ids)
                items.append(
                    PoolItem(
                        vid,
                        item_type,
                        1.0,
                        area,
                        k % 5 + 1,
                        ("A", "B", "C", "D") if item_type == "single_choice" else (),
                        point=f"{k % 10 + 1:03d}",
                        core=k % 10 < 5,
                        # The first 20 items of each (type, area) are enemy pairs.
                        enemy_groups=(f"{area}{item_type}{k // 2}",) if k < 20 else (),
                    )
                )
    return items


CLASSIC = [
    {"item_type": "single_choice", "count": 160, "points": 0.5},
    {"item_type": "true_false", "count": 40, "points": 0.5},
]


def test_no_paper_holds_two_enemies_and_core_share_and_mandatory_points_hold() -> None:
    items = classic_pool()
    by_id = {it.version_id: it for it in items}
    rules = BlueprintSpec.from_json(
        CLASSIC,
        WEIGHTS,
        core_min_share={"A": 60, "B": 60, "C": 50},
        mandatory_points=["A-010", "C-009"],
    )
    for seed in range(1000):
        form = draw_form(rules, items, candidate_seed(seed, 1), shuffle=True)
        drawn = [by_id[d.item_version_id] for d in form]
        groups = [g for it in drawn for g in it.enemy_groups]
        assert len(groups) == len(set(groups)), seed
        assert any(it.area == "A" and it.point == "010" for it in drawn)
        assert any(it.area == "C" and it.point == "009" for it in drawn)
        for area, share in {"A": 60, "B": 60, "C": 50}.items():
            core = sum(
                d.points for d, it in zip(form, drawn, strict=True) if it.area == area and it.core
            )
            assert core >= WEIGHTS[area] * share / 100, (seed, area)
        assert sum(d.points for d in form) == 100


def test_enemy_groups_reduce_what_a_cell_can_take() -> None:
    # 12 items in 3 groups of 4: at most 3 can share a paper.
    items = [
        PoolItem(i, "true_false", 1, "A", 3, enemy_groups=(f"g{(i - 1) // 4}",))
        for i in range(1, 13)
    ]
    five = BlueprintSpec.from_json(
        [{"item_type": "true_false", "count": 5, "points": 20}], {"A": 100}
    )
    with pytest.raises(BlueprintShortfall) as caught:
        draw_form(five, items, 1, shuffle=False)
    assert [d["problem"] for d in caught.value.details] == [
        "A 区需要 5 道判断题，题库只有 3 道可用（同一互斥组的题每卷只能选一道）"
    ]


def test_unreachable_core_share_and_missing_mandatory_point_are_named() -> None:
    items = [PoolItem(i, "true_false", 1, "A", 3, point="001", core=i <= 10) for i in range(1, 60)]
    one = BlueprintSpec.from_json(
        [{"item_type": "true_false", "count": 50, "points": 2}],
        {"A": 100},
        area_names={"A": "基础知识"},
        core_min_share={"A": 40},
        mandatory_points=["A-002"],
    )
    with pytest.raises(BlueprintShortfall) as caught:
        draw_form(one, items, 1, shuffle=False)
    assert {d["field"]: d["problem"] for d in caught.value.details} == {
        "mandatory_points": "必考鉴定点 A-002 在题库中没有可用于本方案各题型的题目",
        "core_min_share.A": "A 区（基础知识）要求核心（X）鉴定点至少占 40%（40 分），"
        "题库中的核心题最多只能组成 20 分",
    }


def test_core_share_outside_0_to_100_is_a_blueprint_problem() -> None:
    problems = blueprint_problems(
        BlueprintSpec.from_json(DEMO_SECTIONS, WEIGHTS, core_min_share={"A": 120, "D": 10})
    )
    assert {p["field"] for p in problems} == {"core_min_share.A", "core_min_share.D"}
