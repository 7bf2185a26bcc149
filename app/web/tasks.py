"""Pages: a bank's practical tasks (操作技能考核试题) with their rubrics (评分表)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.auth.deps import CentreAdmin
from app.banks import tasks as bank_tasks
from app.core.db import SessionDep
from app.reference.levels import get_level, is_level
from app.web.templating import render

router = APIRouter()


def _levels_text(codes: list[str]) -> str:
    return "、".join(get_level(c).display if is_level(c) else c for c in codes)


@router.get("/banks/{bank_id}/tasks")
def task_list(request: Request, bank_id: int, db: SessionDep, staff: CentreAdmin) -> Response:
    bank, rows = bank_tasks.bank_tasks(db, actor=staff, bank_id=bank_id)
    return render(
        request, "banks/tasks.html", {"bank": bank, "rows": rows, "levels_text": _levels_text}
    )


@router.get("/banks/{bank_id}/tasks/{task_id}")
def task_page(
    request: Request, bank_id: int, task_id: int, db: SessionDep, staff: CentreAdmin
) -> Response:
    bank, row = bank_tasks.bank_task(db, actor=staff, bank_id=bank_id, task_id=task_id)
    return render(
        request, "banks/task.html", {"bank": bank, "row": row, "levels_text": _levels_text}
    )
