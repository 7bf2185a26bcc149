"""Pages: theory results (成绩) for centre admins and examiners — the centre's sessions,
one session's result table (filterable, exportable to Excel) and one attempt question by
question. Who may read what is decided in scoring.service."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.auth.deps import CurrentCandidate, ResultManager, ResultReader
from app.core.db import SessionDep
from app.core.downloads import attachment
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.results import practical, rechecks, records, statistics
from app.results import service as results_service
from app.results.schemas import (
    PLAN_RESULT_FILTER_NAMES,
    RECHECK_METHOD_NAMES,
    RESULT_FILTER_NAMES,
    PlanResultFilter,
    RecheckDecisionIn,
    RecheckIn,
    ResultFilter,
    StandingIn,
)
from app.web.exams import FormDep, FormErrors, _number, _text
from app.web.templating import is_htmx, render

router = APIRouter()

OUTCOME_BADGES = {"correct": "badge-ok", "partial": "badge-warn", "wrong": "badge-bad"}


@router.get("/results")
def session_list(request: Request, db: SessionDep, staff: ResultReader) -> Response:
    return render(
        request,
        "results/index.html",
        {"sessions": results_service.centre_sessions(db, staff=staff)},
    )


@router.get("/results/sessions/{session_id}")
def session_page(
    request: Request,
    session_id: int,
    db: SessionDep,
    staff: ResultReader,
    only: ResultFilter = ResultFilter.ALL,
) -> Response:
    results = results_service.session_results(db, staff=staff, session_id=session_id, only=only)
    template = "results/_session_table.html" if is_htmx(request) else "results/session.html"
    return render(request, template, {"results": results, "filters": RESULT_FILTER_NAMES})


@router.get("/results/sessions/{session_id}/export.xlsx")
def session_export(session_id: int, db: SessionDep, staff: ResultReader) -> Response:
    return attachment(
        *results_service.export_session_results(db, staff=staff, session_id=session_id),
        ascii_name="results.xlsx",
    )


@router.get("/results/attempts/{attempt_id}")
def attempt_page(
    request: Request, attempt_id: int, db: SessionDep, staff: ResultReader
) -> Response:
    breakdown = results_service.attempt_breakdown(db, staff=staff, attempt_id=attempt_id)
    return render(
        request, "results/attempt.html", {"b": breakdown, "outcome_badges": OUTCOME_BADGES}
    )


@router.get("/results/sessions/{session_id}/statistics")
def statistics_page(
    request: Request, session_id: int, db: SessionDep, staff: ResultReader
) -> Response:
    stats = statistics.session_statistics(db, staff=staff, session_id=session_id)
    return render(request, "results/statistics.html", {"st": stats})


# -- result records: the centre admin's review, confirmation and publication ------------------


def _plan_results_page(
    request: Request,
    db: SessionDep,
    staff: ResultManager,
    plan_id: int,
    only: PlanResultFilter = PlanResultFilter.ALL,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    results = records.plan_results(db, actor=staff, plan_id=plan_id, only=only)
    return render(
        request,
        "results/plan.html",
        {
            "r": results,
            "rechecks": rechecks.plan_rechecks(db, actor=staff, plan_id=plan_id),
            "examiners": practical.eligible_examiners(db, actor=staff),
            "methods": RECHECK_METHOD_NAMES,
            "filters": PLAN_RESULT_FILTER_NAMES,
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}/results")
def plan_results_page(
    request: Request,
    plan_id: int,
    db: SessionDep,
    staff: ResultManager,
    only: PlanResultFilter = PlanResultFilter.ALL,
) -> Response:
    return _plan_results_page(request, db, staff, plan_id, only)


@router.get("/plans/{plan_id}/results/export.xlsx")
def plan_results_export(
    plan_id: int, db: SessionDep, staff: ResultManager, session_id: int | None = None
) -> Response:
    name, content = records.export_plan_results(
        db, actor=staff, plan_id=plan_id, session_id=session_id
    )
    return attachment(name, content, ascii_name="results.xlsx")


@router.get("/plans/{plan_id}/results/{result_id}/slip")
def result_slip(
    request: Request, plan_id: int, result_id: int, db: SessionDep, staff: ResultManager
) -> Response:
    slip = records.result_slip(db, actor=staff, plan_id=plan_id, result_id=result_id)
    return render(request, "results/slip.html", {"slip": slip})


@router.post("/plans/{plan_id}/results/refresh")
def refresh(request: Request, plan_id: int, db: SessionDep, staff: ResultManager) -> Response:
    out = records.refresh_results(db, actor=staff, plan_id=plan_id)
    notice = f"已汇总：新增 {out.created} 人，更新 {out.updated} 人"
    if out.locked:
        notice += f"，{out.locked} 人的成绩已确认（锁定，不再变动）"
    return _plan_results_page(request, db, staff, plan_id, notice=notice)


@router.post("/plans/{plan_id}/results/confirm")
def confirm(request: Request, plan_id: int, db: SessionDep, staff: ResultManager) -> Response:
    count = records.confirm_results(db, actor=staff, plan_id=plan_id)
    return _plan_results_page(request, db, staff, plan_id, notice=f"已确认 {count} 人的成绩")


@router.post("/plans/{plan_id}/results/publish")
def publish(request: Request, plan_id: int, db: SessionDep, staff: ResultManager) -> Response:
    count = records.publish_results(db, actor=staff, plan_id=plan_id)
    return _plan_results_page(request, db, staff, plan_id, notice=f"已公布 {count} 人的成绩")


@router.post("/plans/{plan_id}/results/standings/{registration_id}")
def record_standing(
    request: Request,
    plan_id: int,
    registration_id: int,
    db: SessionDep,
    staff: ResultManager,
    form: FormDep,
) -> Response:
    incident = _text(form, "incident_id")
    data = StandingIn(
        component=_text(form, "component"),
        status=_text(form, "status"),
        incident_id=int(incident) if incident.isdigit() else None,
        reason=_text(form, "reason"),
    )
    try:
        records.record_standing(db, actor=staff, registration_id=registration_id, data=data)
    except ValidationFailed as exc:
        return _plan_results_page(
            request,
            db,
            staff,
            plan_id,
            errors=FormErrors(exc.message, exc.details),
            status_code=exc.status_code,
        )
    records.refresh_results(db, actor=staff, plan_id=plan_id)
    return _plan_results_page(request, db, staff, plan_id, notice="已登记，成绩已重新汇总")


@router.post("/plans/{plan_id}/rechecks/{request_id}")
def decide_recheck(
    request: Request,
    plan_id: int,
    request_id: int,
    db: SessionDep,
    staff: ResultManager,
    form: FormDep,
) -> Response:
    errors = FormErrors()
    score = _number(_text(form, "new_score"), float, "new_score", errors)
    examiner = _text(form, "examiner_id")
    if not errors and score is not None:
        data = RecheckDecisionIn(
            method=_text(form, "method"),
            new_score=score,
            decision=_text(form, "decision"),
            examiner_id=int(examiner) if examiner.isdigit() else None,
        )
        try:
            out = rechecks.decide_recheck(db, actor=staff, request_id=request_id, data=data)
        except ValidationFailed as exc:
            errors = FormErrors(exc.message, exc.details)
        else:
            notice = "复核已处理"
            if out.new_score != out.old_score:
                notice += "：成绩已更正，请重新确认并公布"
            return _plan_results_page(request, db, staff, plan_id, notice=notice)
    errors.message = errors.message or "复核处理有误"
    return _plan_results_page(request, db, staff, plan_id, errors=errors, status_code=422)


def _assessment_page(
    request: Request,
    db: SessionDep,
    login: CurrentCandidate,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    result, message = None, ""
    try:
        result = rechecks.candidate_view(db, login=login)
    except NotFound as exc:
        message = exc.message
    return render(
        request,
        "exam/assessment.html",
        {"result": result, "message": message, "errors": errors or FormErrors()},
        status_code=status_code,
    )


@router.get("/exam/assessment")
def my_assessment(request: Request, db: SessionDep, login: CurrentCandidate) -> Response:
    """The candidate's published result; before publication only that it is not out yet."""
    return _assessment_page(request, db, login)


@router.post("/exam/assessment/recheck")
def request_recheck(
    request: Request, db: SessionDep, login: CurrentCandidate, form: FormDep
) -> Response:
    data = RecheckIn(component=_text(form, "component"), reason=_text(form, "reason"))
    try:
        rechecks.request_recheck(db, login=login, data=data)
    except (ValidationFailed, Conflict) as exc:
        return _assessment_page(
            request,
            db,
            login,
            errors=FormErrors(exc.message, exc.details),
            status_code=exc.status_code,
        )
    return RedirectResponse("/exam/assessment", status_code=303)
