"""API: marking the written answers of a theory paper (主观题阅卷: 简答, 论述/计算) — a
session's marking job, examiners marking by item and blind, the chief examiner's
arbitration. The same services and rules as the pages (app/web/written.py)."""

from fastapi import APIRouter, Response

from app.auth.deps import CentreAdmin, Marker
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.results import written
from app.results.schemas import (
    ArbitrationIn,
    MarkIn,
    MarkingJobIn,
    MarkingJobOut,
    ResponseToMark,
    WrittenArbitration,
    WrittenMarkOut,
)

router = APIRouter(tags=["written marking"])


@router.put("/sessions/{session_id}/marking-job", response_model=MarkingJobOut)
def set_marking_job(
    session_id: int, body: MarkingJobIn, db: SessionDep, staff: CentreAdmin
) -> MarkingJobOut:
    """Create or change the session's marking job (examiners ≥ 3, the chief among them,
    the tolerance as a percentage of each item's points)."""
    written.set_marking_job(db, actor=staff, exam_session_id=session_id, data=body)
    found = written.session_marking(db, actor=staff, exam_session_id=session_id)
    assert found is not None
    return found


@router.get("/sessions/{session_id}/marking-job", response_model=MarkingJobOut)
def marking_job(session_id: int, db: SessionDep, staff: CentreAdmin) -> MarkingJobOut:
    found = written.session_marking(db, actor=staff, exam_session_id=session_id)
    if found is None:
        raise NotFound("该场次还没有阅卷任务", code="marking_job_not_found")
    return found


@router.get("/marking/written", response_model=list[MarkingJobOut])
def my_jobs(db: SessionDep, staff: Marker) -> list[MarkingJobOut]:
    return written.marker_jobs(db, actor=staff)


@router.get("/marking/written/{job_id}", response_model=MarkingJobOut)
def job(job_id: int, db: SessionDep, staff: Marker) -> MarkingJobOut:
    return written.job_for_marker(db, actor=staff, job_id=job_id)


@router.get(
    "/marking/written/{job_id}/items/{item_version_id}/next",
    response_model=ResponseToMark,
    responses={204: {"description": "本题已没有待您评阅的作答"}},
)
def next_response(
    job_id: int, item_version_id: int, db: SessionDep, staff: Marker
) -> ResponseToMark | Response:
    found = written.next_response(db, actor=staff, job_id=job_id, item_version_id=item_version_id)
    return found if found is not None else Response(status_code=204)


@router.post(
    "/marking/written/{job_id}/responses/{response_id}/marks",
    response_model=WrittenMarkOut,
    status_code=201,
)
def submit_mark(
    job_id: int, response_id: int, body: MarkIn, db: SessionDep, staff: Marker
) -> WrittenMarkOut:
    return written.submit_mark(db, actor=staff, job_id=job_id, response_id=response_id, data=body)


@router.get("/marking/written/{job_id}/arbitration", response_model=list[WrittenArbitration])
def arbitration_queue(job_id: int, db: SessionDep, staff: Marker) -> list[WrittenArbitration]:
    return written.arbitration_queue(db, actor=staff, job_id=job_id)


@router.post(
    "/marking/written/{job_id}/responses/{response_id}/arbitration",
    response_model=WrittenMarkOut,
)
def arbitrate(
    job_id: int, response_id: int, body: ArbitrationIn, db: SessionDep, staff: Marker
) -> WrittenMarkOut:
    return written.arbitrate(
        db,
        actor=staff,
        job_id=job_id,
        response_id=response_id,
        score=body.score,
        reason=body.reason,
    )
