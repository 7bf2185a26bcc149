"""API: a bank's practical tasks (操作技能考核试题) with their rubrics. Tasks are imported
with their bank file (POST /banks/import)."""

from fastapi import APIRouter
from pydantic import BaseModel

from app.auth.deps import CentreAdmin
from app.banks import tasks as bank_tasks
from app.core.db import SessionDep

router = APIRouter(prefix="/banks", tags=["banks"])


class DeductionOut(BaseModel):
    """A rubric criterion's deduction rule (practical.Deduction)."""

    text: str
    points: float


class CriterionOut(BaseModel):
    """A rubric criterion (评分要素) as the bank file writes it."""

    code: str
    name: str
    points: float  # 0 for a veto
    step: float
    earns: str
    deductions: list[DeductionOut]
    veto: bool  # 否决项: ticking it zeros the task


class TaskOut(BaseModel):
    """A PracticalTask row with its current version's title, levels, minutes and points
    (one row of the list)."""

    id: int
    external_id: str
    status: str
    current_version: int
    title: str
    levels: list[str]
    minutes: int
    points: float


class TaskDetailOut(TaskOut):
    """TaskOut with the current version's instructions, materials and rubric."""

    instructions: str
    materials: list[str]
    rubric: list[CriterionOut]


def _task_out(row: bank_tasks.TaskRow) -> TaskOut:
    return TaskOut(
        id=row.task.id or 0,
        external_id=row.task.external_id,
        status=row.task.status,
        current_version=row.task.current_version,
        title=row.version.title,
        levels=row.version.level_codes,
        minutes=row.version.minutes,
        points=row.version.points,
    )


@router.get("/{bank_id}/tasks", response_model=list[TaskOut])
def list_tasks(bank_id: int, db: SessionDep, staff: CentreAdmin) -> list[TaskOut]:
    _, rows = bank_tasks.bank_tasks(db, actor=staff, bank_id=bank_id)
    return [_task_out(r) for r in rows]


@router.get("/{bank_id}/tasks/{task_id}", response_model=TaskDetailOut)
def get_task(bank_id: int, task_id: int, db: SessionDep, staff: CentreAdmin) -> TaskDetailOut:
    _, row = bank_tasks.bank_task(db, actor=staff, bank_id=bank_id, task_id=task_id)
    return TaskDetailOut(
        **_task_out(row).model_dump(),
        instructions=row.version.instructions,
        materials=row.version.materials,
        rubric=[CriterionOut.model_validate(c) for c in row.version.rubric],
    )
