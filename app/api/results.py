"""API: theory results (成绩) for centre admins and examiners, and a candidate's own result.
The response shapes are app.results.schemas, the same the pages render."""

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from app.auth.deps import CurrentCandidate, ResultManager, ResultReader
from app.core.db import SessionDep
from app.core.downloads import XLSX_MEDIA_TYPE, attachment
from app.results import rechecks, records, statistics
from app.results import service as results_service
from app.results.schemas import (
    AssessmentResult,
    AttemptBreakdown,
    CandidateResult,
    PlanResultFilter,
    PlanResults,
    RecheckDecisionIn,
    RecheckIn,
    RecheckOut,
    RefreshOut,
    ResultFilter,
    SessionResults,
    SessionResultSummary,
    StandingIn,
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


# -- result records: review, confirm, publish; the candidate's published result --------------


@router.get("/plans/{plan_id}/results", response_model=PlanResults)
def plan_results(
    plan_id: int,
    db: SessionDep,
    staff: ResultManager,
    only: PlanResultFilter = PlanResultFilter.ALL,
) -> PlanResults:
    return records.plan_results(db, actor=staff, plan_id=plan_id, only=only)


@router.get(
    "/plans/{plan_id}/results/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
def export_plan_results(
    plan_id: int, db: SessionDep, staff: ResultManager, session_id: int | None = None
) -> Response:
    """The 成绩单 workbook: the plan's results, or one session's candidates."""
    name, content = records.export_plan_results(
        db, actor=staff, plan_id=plan_id, session_id=session_id
    )
    return attachment(name, content, ascii_name="results.xlsx")


@router.post("/plans/{plan_id}/results/refresh", response_model=RefreshOut)
def refresh_results(plan_id: int, db: SessionDep, staff: ResultManager) -> RefreshOut:
    """汇总成绩: draft results follow their sources; confirmed ones are locked."""
    return records.refresh_results(db, actor=staff, plan_id=plan_id)


class CountOut(BaseModel):
    count: int


@router.post("/plans/{plan_id}/results/confirm", response_model=CountOut)
def confirm_results(plan_id: int, db: SessionDep, staff: ResultManager) -> CountOut:
    return CountOut(count=records.confirm_results(db, actor=staff, plan_id=plan_id))


@router.post("/plans/{plan_id}/results/publish", response_model=CountOut)
def publish_results(plan_id: int, db: SessionDep, staff: ResultManager) -> CountOut:
    return CountOut(count=records.publish_results(db, actor=staff, plan_id=plan_id))


@router.post("/registrations/{registration_id}/standings", status_code=201, response_model=CountOut)
def record_standing(
    registration_id: int, body: StandingIn, db: SessionDep, staff: ResultManager
) -> CountOut:
    """缺考 or 违纪 (with the incident) in one component; recompute to see it in the result."""
    records.record_standing(db, actor=staff, registration_id=registration_id, data=body)
    return CountOut(count=1)


@router.get("/exam/assessment-result", response_model=AssessmentResult)
def my_assessment_result(db: SessionDep, login: CurrentCandidate) -> AssessmentResult:
    """The candidate's own result in the plan, once the centre has published it, with
    their 复核 requests."""
    return rechecks.candidate_view(db, login=login)


@router.post("/exam/rechecks", response_model=RecheckOut, status_code=201)
def request_recheck(body: RecheckIn, db: SessionDep, login: CurrentCandidate) -> RecheckOut:
    """复核 of one component, within the plan's window after publication."""
    return rechecks.request_recheck(db, login=login, data=body)


@router.get("/plans/{plan_id}/rechecks", response_model=list[RecheckOut])
def plan_rechecks(plan_id: int, db: SessionDep, staff: ResultManager) -> list[RecheckOut]:
    return rechecks.plan_rechecks(db, actor=staff, plan_id=plan_id)


@router.post("/rechecks/{request_id}/decision", response_model=RecheckOut)
def decide_recheck(
    request_id: int, body: RecheckDecisionIn, db: SessionDep, staff: ResultManager
) -> RecheckOut:
    """The decision: a changed score puts the result back to be confirmed and published."""
    return rechecks.decide_recheck(db, actor=staff, request_id=request_id, data=body)
