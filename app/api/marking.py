"""API: the practical component (技能考核) — the plan's practical paper, practical sessions
with their panels, examiners' blind mark sheets and the chief examiner's arbitration.
The same services and rules as the pages (app/web/marking.py)."""

from fastapi import APIRouter
from pydantic import BaseModel

from app.auth.deps import CentreAdmin, Marker
from app.core.db import SessionDep
from app.exams import plans
from app.results import practical
from app.results.schemas import (
    ArbitrationIn,
    ArbitrationPage,
    ExaminerSessionOut,
    MarkingPage,
    MarkingRoster,
    PracticalPaperIn,
    PracticalSessionCreate,
    PracticalSessionOut,
    ReviewSheetIn,
    SheetIn,
    SheetOut,
)

router = APIRouter(tags=["practical marking"])


class PracticalPaperOut(BaseModel):
    plan_id: int
    sections: list[dict[str, object]]  # [{"task_ids": [...], "weight": 40}]


class TaskChoiceOut(BaseModel):
    task_id: int
    external_id: str
    title: str
    points: float
    minutes: int


@router.get("/plans/{plan_id}/practical-tasks", response_model=list[TaskChoiceOut])
def task_choices(plan_id: int, db: SessionDep, staff: CentreAdmin) -> list[TaskChoiceOut]:
    return [
        TaskChoiceOut(**c.__dict__)
        for c in practical.task_choices(db, actor=staff, plan_id=plan_id)
    ]


@router.put("/plans/{plan_id}/practical-paper", response_model=PracticalPaperOut)
def set_practical_paper(
    plan_id: int, body: PracticalPaperIn, db: SessionDep, staff: CentreAdmin
) -> PracticalPaperOut:
    plan = practical.set_practical_paper(db, actor=staff, plan_id=plan_id, data=body)
    return PracticalPaperOut(plan_id=plan_id, sections=plan.practical_sections)


class ReviewSheetOut(BaseModel):
    plan_id: int
    criteria: list[dict[str, object]]


@router.get("/plans/{plan_id}/review-sheet", response_model=ReviewSheetOut)
def review_sheet(plan_id: int, db: SessionDep, staff: CentreAdmin) -> ReviewSheetOut:
    """The plan's 综合评审 sheet (the default one until the plan sets its own)."""
    plan = plans.get_plan(db, actor=staff, plan_id=plan_id)
    return ReviewSheetOut(
        plan_id=plan_id, criteria=plan.review_sheet or practical.DEFAULT_REVIEW_SHEET
    )


@router.put("/plans/{plan_id}/review-sheet", response_model=ReviewSheetOut)
def set_review_sheet(
    plan_id: int, body: ReviewSheetIn, db: SessionDep, staff: CentreAdmin
) -> ReviewSheetOut:
    plan = practical.set_review_sheet(db, actor=staff, plan_id=plan_id, data=body)
    return ReviewSheetOut(plan_id=plan_id, criteria=plan.review_sheet)


@router.post(
    "/plans/{plan_id}/practical-sessions", response_model=PracticalSessionOut, status_code=201
)
def create_practical_session(
    plan_id: int, body: PracticalSessionCreate, db: SessionDep, staff: CentreAdmin
) -> PracticalSessionOut:
    ps = practical.create_practical_session(db, actor=staff, plan_id=plan_id, data=body)
    return practical.practical_session(db, actor=staff, practical_session_id=ps.id or 0)


@router.get("/practical-sessions/{practical_session_id}", response_model=PracticalSessionOut)
def practical_session(
    practical_session_id: int, db: SessionDep, staff: CentreAdmin
) -> PracticalSessionOut:
    return practical.practical_session(db, actor=staff, practical_session_id=practical_session_id)


@router.post("/practical-sessions/{practical_session_id}/draw", response_model=PracticalSessionOut)
def draw_missing_papers(
    practical_session_id: int, db: SessionDep, staff: CentreAdmin
) -> PracticalSessionOut:
    practical.draw_missing_papers(db, actor=staff, practical_session_id=practical_session_id)
    return practical.practical_session(db, actor=staff, practical_session_id=practical_session_id)


@router.get("/marking/practical-sessions", response_model=list[ExaminerSessionOut])
def my_sessions(db: SessionDep, staff: Marker) -> list[ExaminerSessionOut]:
    return practical.examiner_sessions(db, actor=staff)


@router.get("/marking/practical-sessions/{practical_session_id}", response_model=MarkingRoster)
def marking_roster(practical_session_id: int, db: SessionDep, staff: Marker) -> MarkingRoster:
    return practical.marking_roster(db, actor=staff, practical_session_id=practical_session_id)


@router.get(
    "/marking/practical-sessions/{practical_session_id}/candidates/{registration_id}",
    response_model=MarkingPage,
)
def marking_page(
    practical_session_id: int, registration_id: int, db: SessionDep, staff: Marker
) -> MarkingPage:
    return practical.marking_page(
        db,
        actor=staff,
        practical_session_id=practical_session_id,
        registration_id=registration_id,
    )


@router.put("/marking/sheets/{paper_task_id}", response_model=SheetOut)
def save_sheet(paper_task_id: int, body: SheetIn, db: SessionDep, staff: Marker) -> SheetOut:
    """Save this examiner's sheet as a draft (autosave); a submitted sheet is refused."""
    return practical.save_sheet(db, actor=staff, paper_task_id=paper_task_id, data=body)


@router.post("/marking/sheets/{paper_task_id}/submit", response_model=SheetOut)
def submit_sheet(paper_task_id: int, body: SheetIn, db: SessionDep, staff: Marker) -> SheetOut:
    return practical.submit_sheet(db, actor=staff, paper_task_id=paper_task_id, data=body)


@router.get("/marking/tasks/{paper_task_id}/arbitration", response_model=ArbitrationPage)
def arbitration(paper_task_id: int, db: SessionDep, staff: Marker) -> ArbitrationPage:
    return practical.arbitration_page(db, actor=staff, paper_task_id=paper_task_id)


@router.post("/marking/tasks/{paper_task_id}/arbitration", response_model=ArbitrationPage)
def arbitrate(
    paper_task_id: int, body: ArbitrationIn, db: SessionDep, staff: Marker
) -> ArbitrationPage:
    practical.arbitrate(
        db, actor=staff, paper_task_id=paper_task_id, score=body.score, reason=body.reason
    )
    return practical.arbitration_page(db, actor=staff, paper_task_id=paper_task_id)
