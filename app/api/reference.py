"""API: reference data (levels, occupations)."""

from fastapi import APIRouter

from app.api.shapes import Shape
from app.auth.deps import CurrentStaff
from app.core.db import SessionDep
from app.reference import service as reference
from app.reference.levels import LEVELS
from app.reference.models import Occupation


class LevelOut(Shape):
    """levels.Level with its printed form (`display`, a property) spelled out."""

    code: str
    scheme: str
    order: int
    name: str
    grade_name: str
    display: str
    award: str
    certificate_digit: str


router = APIRouter(tags=["reference"])


@router.get("/levels", response_model=list[LevelOut])
def levels() -> list[LevelOut]:
    return [LevelOut.model_validate(lv) for lv in LEVELS]


@router.get("/occupations", response_model=list[Occupation])
def occupations(db: SessionDep, staff: CurrentStaff) -> list[Occupation]:
    """The occupations table as it is (职业编码, 名称, 工种/方向)."""
    return reference.list_occupations(db)
