"""API: theory results (成绩) for centre admins and examiners, and a candidate's own result.
The response shapes are app.results.schemas, the same the pages render."""

from fastapi import APIRouter
from starlette.responses import Response

from app.auth.deps import CurrentCandidate, ResultReader
from app.core.db import SessionDep
from app.core.downloads import XLSX_MEDIA_TYPE, attachment
from app.results import service as results_service
from app.results.schemas import (
    AttemptBreakdown,
    CandidateResult,
    ResultFilter,
    SessionResults,
    SessionResultSummary,
)

router = APIRouter(tags=["results"])


@router.get("/results/sessions", response_model=list[SessionResultSummary])
def list_sessions(db: SessionDep, staff: ResultReader) -> list[SessionResultSummary]:
    return results_service.centre_sessions(db, staff=staff)


@router.get("/results/sessions/{session_id}", response_model=SessionResults)
def session_results(
    session_id: int, db: SessionDep, staff: ResultReader, only: ResultFilter = ResultFilter.ALL
) -> SessionResults:
    return results_service.session_results(db, staff=staff, session_id=session_id, only=only)


@router.get(
    "/results/sessions/{session_id}/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
def export_session_results(session_id: int, db: SessionDep, staff: ResultReader) -> Response:
    return attachment(
        *results_service.export_session_results(db, staff=staff, session_id=session_id),
        ascii_name="results.xlsx",
    )


@router.get("/results/attempts/{attempt_id}", response_model=AttemptBreakdown)
def attempt_breakdown(attempt_id: int, db: SessionDep, staff: ResultReader) -> AttemptBreakdown:
    return results_service.attempt_breakdown(db, staff=staff, attempt_id=attempt_id)


@router.get("/exam/result", response_model=CandidateResult)
def my_result(db: SessionDep, login: CurrentCandidate) -> CandidateResult:
    return results_service.candidate_result(db, login=login)
