"""API: reference data (levels, occupations)."""

from fastapi import APIRouter
from pydantic import BaseModel

from app.auth.deps import CurrentStaff
from app.core.db import SessionDep
from app.reference import service as reference
from app.reference.levels import LEVELS


class LevelOut(BaseModel):
    code: str
    scheme: str
    order: int
    name: str
    grade_name: str
    display: str
    award: str
    certificate_digit: str


class OccupationOut(BaseModel):
    id: int
    code: str
    name: str
    direction: str


router = APIRouter(tags=["reference"])


@router.get("/levels", response_model=list[LevelOut])
def levels() -> list[LevelOut]:
    return [
        LevelOut(
            code=lv.code,
            scheme=lv.scheme,
            order=lv.order,
            name=lv.name,
            grade_name=lv.grade_name,
            display=lv.display,
            award=lv.award,
            certificate_digit=lv.certificate_digit,
        )
        for lv in LEVELS
    ]


@router.get("/occupations", response_model=list[OccupationOut])
def occupations(db: SessionDep, staff: CurrentStaff) -> list[OccupationOut]:
    return [
        OccupationOut.model_validate(o, from_attributes=True)
        for o in reference.list_occupations(db)
    ]
