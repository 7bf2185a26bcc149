"""API: evaluation centres and staff accounts."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.accounts import service as accounts
from app.accounts.models import Role
from app.auth import credentials
from app.auth.deps import CurrentStaff, PlatformAdmin, StaffManager
from app.core.db import SessionDep
from app.reference import service as reference

router = APIRouter(tags=["accounts"])


class CentreIn(BaseModel):
    name: str
    credit_code: str = Field(
        description="统一社会信用代码 (GB 32100-2015, check character verified)"
    )
    evaluator_type: str = "S"
    national_code: str = "0000"
    province_code: str = "34"
    region_code: str = "340400"
    address: str = ""


class CentreOut(CentreIn):
    """An EvaluationCentre row as the API shows it (its columns, read from the row)."""

    id: int
    created_at: datetime


class StaffIn(BaseModel):
    username: str
    display_name: str
    password: str
    role: Role
    centre_id: int | None = None
    region_code: str | None = None


class StaffOut(BaseModel):
    """A StaffUser row without its password hash, lock state or login key."""

    id: int
    username: str
    display_name: str
    role: str
    centre_id: int | None
    region_code: str | None
    is_active: bool


@router.get("/centres", response_model=list[CentreOut])
def list_centres(db: SessionDep, staff: CurrentStaff) -> list[CentreOut]:
    centres = accounts.visible_centres(db, actor=staff)
    return [CentreOut.model_validate(c, from_attributes=True) for c in centres]


@router.post("/centres", response_model=CentreOut, status_code=201)
def create_centre(body: CentreIn, db: SessionDep, staff: PlatformAdmin) -> CentreOut:
    centre = reference.create_centre(db, **body.model_dump())
    return CentreOut.model_validate(centre, from_attributes=True)


@router.get("/staff", response_model=list[StaffOut])
def list_staff(db: SessionDep, staff: StaffManager) -> list[StaffOut]:
    return [
        StaffOut.model_validate(u, from_attributes=True)
        for u in accounts.list_staff(db, actor=staff)
    ]


@router.post("/staff", response_model=StaffOut, status_code=201)
def create_staff(body: StaffIn, db: SessionDep, staff: StaffManager) -> StaffOut:
    user = accounts.add_staff(db, actor=staff, **body.model_dump())
    return StaffOut.model_validate(user, from_attributes=True)


@router.post("/staff/{user_id}/disable", response_model=StaffOut)
def disable_staff(user_id: int, db: SessionDep, staff: StaffManager) -> StaffOut:
    user = accounts.set_staff_active(db, actor=staff, user_id=user_id, active=False)
    return StaffOut.model_validate(user, from_attributes=True)


@router.post("/staff/{user_id}/enable", response_model=StaffOut)
def enable_staff(user_id: int, db: SessionDep, staff: StaffManager) -> StaffOut:
    user = accounts.set_staff_active(db, actor=staff, user_id=user_id, active=True)
    return StaffOut.model_validate(user, from_attributes=True)


class ReasonIn(BaseModel):
    reason: str = ""


class PasswordResetOut(BaseModel):
    """The temporary password of a reset, shown once (it is never stored in clear)."""

    user_id: int
    temporary_password: str = Field(description="shown once; changed at the next login")


class UnlockOut(BaseModel):
    """What an unlock cleared (credentials.unlock returns the count)."""

    user_id: int
    failures_cleared: int


@router.post("/staff/{user_id}/reset-password", response_model=PasswordResetOut)
def reset_password(
    user_id: int, body: ReasonIn, db: SessionDep, staff: CurrentStaff
) -> PasswordResetOut:
    temporary = credentials.reset_password(db, actor=staff, user_id=user_id, reason=body.reason)
    return PasswordResetOut(user_id=user_id, temporary_password=temporary)


@router.post("/staff/{user_id}/unlock", response_model=UnlockOut)
def unlock(user_id: int, body: ReasonIn, db: SessionDep, staff: CurrentStaff) -> UnlockOut:
    cleared = credentials.unlock(db, actor=staff, user_id=user_id, reason=body.reason)
    return UnlockOut(user_id=user_id, failures_cleared=cleared)
