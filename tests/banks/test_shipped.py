"""Every bank file shipped in question_banks/ imports with no problem."""

from pathlib import Path

import pytest
from sqlmodel import Session

from app.banks import format as bank_format
from app.banks import service as banks
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
