"""Every bank file shipped in question_banks/ imports with no problem."""

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session

from app import demo
from app.banks import format as bank_format
from app.banks import service as banks
from app.exams import assembly
from app.itemtypes import ItemType
from tests.factories import make_centre, make_occupations

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "question_banks").glob("*.yaml"))
# The demo blueprint (question_banks/README.md): two papers with no item in common need
# twice these counts per type.
DEMO_SECTIONS = {
    ItemType.SINGLE_CHOICE: 40,
    ItemType.MULTIPLE_CHOICE: 10,
    ItemType.TRUE_FALSE: 10,
    ItemType.FILL_IN: 10,
}


def test_there_are_shipped_banks() -> None:
    assert SHIPPED, "question_banks/*.yaml: no bank files found"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_bank_imports_cleanly(db: Session, path: Path) -> None:
    make_occupations(db)
    centre = make_centre(db)
    content = path.read_bytes()
    parsed, problems = bank_format.check_bank_file(content, path.name)
    assert problems == [], "\n".join(f"{p.place}：{p.problem}" for p in problems)
    assert parsed is not None
    result = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename=path.name, content=content, actor=None
    )
    assert result.created == len(parsed.items) and result.new_versions == 0
    again = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename=path.name, content=content, actor=None
    )
    assert (again.created, again.new_versions, again.unchanged) == (0, 0, len(parsed.items))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_bank_holds_two_demo_papers(path: Path) -> None:
    parsed = bank_format.parse_bank_file(path.read_bytes(), path.name)
    for level in parsed.header.level_codes:
        for item_type, per_paper in DEMO_SECTIONS.items():
            have = sum(
                1 for i in parsed.items if i.item_type == item_type and level in i.level_codes
            )
            assert have >= 2 * per_paper, f"{level} {item_type}: {have} < {2 * per_paper}"


def pool_of(parsed: bank_format.BankFile, level: str) -> list[assembly.PoolItem]:
    """The shipped file as exam assembly sees the bank (ids in file order)."""
    groups: dict[str, tuple[str, ...]] = {}
    for number, group in enumerate(parsed.enemy_groups, start=1):
        for item_id in group.items:
            groups[item_id] = (*groups.get(item_id, ()), str(number))
    return [
        assembly.PoolItem(
            index,
            it.item_type,
            it.points,
            it.area_code,
            it.difficulty,
            tuple(o["label"] for o in it.options),
            point=it.point_code,
            core=it.importance == "X",
            enemy_groups=groups.get(it.external_id, ()),
        )
        for index, it in enumerate(parsed.items, start=1)
        if level in it.level_codes
    ]


DEMO_PAPER = [
    {"item_type": "single_choice", "count": 40, "points": 1.5},
    {"item_type": "multiple_choice", "count": 10, "points": 2},
    {"item_type": "true_false", "count": 10, "points": 1},
    {"item_type": "fill_in", "count": 10, "points": 1},
]
# The review that asked for enemy groups found these pairs together on 11–20% of papers.
REVIEWED_PAIRS = {
    "electrician_intermediate.yaml": [
        ("DG4-B002-008", "DG4-B002-009"),
        ("DG4-A005-011", "DG4-A005-013"),
    ],
    "electrician_senior.yaml": [("DG3-B006-001", "DG3-B006-008")],
    "iiot_ops_senior.yaml": [("GY3-C003-001", "GY3-C003-004")],
}


def check_papers(
    parsed: bank_format.BankFile, spec: assembly.BlueprintSpec, level: str, papers: int
) -> None:
    pool = pool_of(parsed, level)
    by_id = {p.version_id: p for p in pool}
    external = {index: it.external_id for index, it in enumerate(parsed.items, start=1)}
    for seed in range(papers):
        form = assembly.draw_form(spec, pool, assembly.candidate_seed(seed, 17), shuffle=True)
        drawn = [by_id[d.item_version_id] for d in form]
        groups = [g for it in drawn for g in it.enemy_groups]
        assert len(groups) == len(set(groups)), f"seed {seed}: two enemies on one paper"
        ids = {external[it.version_id] for it in drawn}
        for pair in REVIEWED_PAIRS.get(parsed.filename, []):
            assert not set(pair) <= ids
        for area, code in spec.mandatory_points:
            assert any(it.area == area and it.point == code for it in drawn)
        for area, share in spec.core_min_share.items():
            core = sum(
                d.points for d, it in zip(form, drawn, strict=True) if it.area == area and it.core
            )
            assert core >= spec.area_points(area) * share / 100 - 1e-9
        assert sum(d.points for d in form) == 100


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_demo_papers_keep_enemies_apart_and_hold_mandatory_points(path: Path) -> None:
    parsed = bank_format.parse_bank_file(path.read_bytes(), path.name)
    assert parsed.enemy_groups, "every shipped bank declares its enemy items"
    mandatory = [
        assembly.point_ref(a.code, p.code) for a in parsed.outline for p in a.points if p.mandatory
    ]
    assert mandatory, "职业道德 is on every paper"
    weights = {a.code: a.weight for a in parsed.outline}
    spec = assembly.BlueprintSpec.from_json(
        DEMO_PAPER,
        weights,
        core_min_share={area: 40 for area in weights},
        mandatory_points=mandatory,
    )
    check_papers(parsed, spec, parsed.header.level_codes[0], 1000)


def test_the_classic_national_paper_is_built_from_the_electrician_l4_bank() -> None:
    """DOMAIN.md §2: 160 single choice × 0.5 + 40 true/false × 0.5, from a bank whose
    items carry 1.5 and 1 point: the paper's points, enemies apart, core share met."""
    path = next(p for p in SHIPPED if p.name == "electrician_intermediate.yaml")
    parsed = bank_format.parse_bank_file(path.read_bytes(), path.name)
    counts = Counter(i.item_type for i in parsed.items)
    assert counts[ItemType.SINGLE_CHOICE] >= 170 and counts[ItemType.TRUE_FALSE] >= 45
    mandatory = [
        assembly.point_ref(a.code, p.code) for a in parsed.outline for p in a.points if p.mandatory
    ]
    spec = assembly.BlueprintSpec.from_json(
        [{"item_type": t, "count": n, "points": p} for t, n, p in demo.CLASSIC_SECTIONS],
        {a.code: a.weight for a in parsed.outline},
        core_min_share=demo.CLASSIC_CORE_SHARE,
        mandatory_points=mandatory,
    )
    check_papers(parsed, spec, "intermediate", 1000)
