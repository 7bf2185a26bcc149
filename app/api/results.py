"""API: theory results (成绩) for centre admins and examiners, and a candidate's own result.
The response shapes are app.results.schemas, the same the pages render."""

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from app.auth.deps import CurrentCandidate, ResultReader
from app.core.db import SessionDep
from app.core.downloads import XLSX_MEDIA_TYPE, attachment
from app.results import service as results_service
from app.results import statistics
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


class ItemStatisticsOut(BaseModel):
    number: int
    item_id: int
    external_id: str
    item_type: str
    candidates: int
    facility: float  # p
    discrimination: float | None  # upper − lower 27 %
    point_biserial: float | None
    distractors: dict[str, int]  # option label ("" blank) → count, choice items only
    flags: list[str]  # negative_discrimination | too_hard | too_easy


class SessionStatisticsOut(BaseModel):
    session_id: int
    candidates: int
    fixed_form: bool
    kr20: float | None  # fixed forms only
    faulty: int
    items: list[ItemStatisticsOut]


@router.get("/results/sessions/{session_id}/statistics", response_model=SessionStatisticsOut)
def session_statistics(
    session_id: int, db: SessionDep, staff: ResultReader
) -> SessionStatisticsOut:
    st = statistics.session_statistics(db, staff=staff, session_id=session_id)
    return SessionStatisticsOut(
        session_id=session_id,
        candidates=st.candidates,
        fixed_form=st.fixed_form,
        kr20=st.kr20,
        faulty=st.faulty,
        items=[
            ItemStatisticsOut(
                number=r.number,
                item_id=r.item_id,
                external_id=r.external_id,
                item_type=r.item_type,
                candidates=r.candidates,
                facility=r.stats.facility,
                discrimination=r.stats.discrimination,
                point_biserial=r.stats.point_biserial,
                distractors=dict(r.stats.distractors),
                flags=[str(f) for f in r.stats.flags],
            )
            for r in st.items
        ],
    )
