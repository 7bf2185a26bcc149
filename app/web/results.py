"""Pages: theory results (成绩) for centre admins and examiners — the centre's sessions,
one session's result table (filterable, exportable to Excel) and one attempt question by
question. Who may read what is decided in scoring.service."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.auth.deps import ResultReader
from app.core.db import SessionDep
from app.core.downloads import attachment
from app.results import service as results_service
from app.results import statistics
from app.results.schemas import RESULT_FILTER_NAMES, ResultFilter
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
