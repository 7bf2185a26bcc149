"""Pages: marking the written answers of a theory paper (主观题阅卷: 简答, 论述/计算). For the
centre admin: a session's marking job (its examiners, the chief, the tolerance) and its
progress. For examiners: their jobs, the job's items, and one response at a time to mark,
blind; for the chief examiner, the responses waiting for arbitration. Who may do what is
decided in results.written."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.auth.deps import CentreAdmin, Marker
from app.core.db import SessionDep
from app.core.errors import Conflict, ValidationFailed
from app.exams import sessions
from app.results import practical, written
from app.results.schemas import MarkIn, MarkingJobIn
from app.web.exams import FormDep, FormErrors, _number, _redirect, _text
from app.web.marking import _ids
from app.web.refusals import refused
from app.web.templating import render

router = APIRouter()


# -- centre admin: the session's marking job ------------------------------------------------


def _job_page(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    session_id: int,
    *,
    v: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    session = sessions.get_session(db, actor=staff, session_id=session_id)
    job = written.session_marking(db, actor=staff, exam_session_id=session_id)
    if v is None:
        v = {
            "examiner_ids": [m.staff_user_id for m in job.members] if job else [],
            "chief_examiner_id": next((m.staff_user_id for m in job.members if m.is_chief), "")
            if job
            else "",
            "tolerance_percent": f"{job.tolerance_percent:g}" if job else "20",
        }
    return render(
        request,
        "marking/written_job.html",
        {
            "session": session,
            "job": job,
            "examiners": practical.eligible_examiners(db, actor=staff),
            "v": v,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/sessions/{session_id}/written")
def job_page(request: Request, session_id: int, db: SessionDep, staff: CentreAdmin) -> Response:
    return _job_page(request, db, staff, session_id)


@router.post("/sessions/{session_id}/written")
def set_job(
    request: Request, session_id: int, db: SessionDep, staff: CentreAdmin, form: FormDep
) -> Response:
    v: dict[str, Any] = {
        "examiner_ids": _ids(form, "examiner_ids"),
        "chief_examiner_id": _text(form, "chief_examiner_id"),
        "tolerance_percent": _text(form, "tolerance_percent"),
    }
    errors = FormErrors()
    chief = _number(v["chief_examiner_id"], int, "chief_examiner_id", errors)
    tolerance = _number(v["tolerance_percent"], float, "tolerance_percent", errors)
    if errors or chief is None or tolerance is None:
        errors.message = "阅卷任务有误"
        return _job_page(request, db, staff, session_id, v=v, errors=errors, status_code=422)
    try:
        written.set_marking_job(
            db,
            actor=staff,
            exam_session_id=session_id,
            data=MarkingJobIn(
                examiner_ids=v["examiner_ids"], chief_examiner_id=chief, tolerance_percent=tolerance
            ),
        )
    except (ValidationFailed, Conflict) as exc:
        return _job_page(request, db, staff, session_id, v=v, **refused(exc))
    return _redirect(f"/sessions/{session_id}/written")


# -- examiners ------------------------------------------------------------------------------


@router.get("/marking/written/{job_id}")
def items_page(request: Request, job_id: int, db: SessionDep, staff: Marker) -> Response:
    job = written.job_for_marker(db, actor=staff, job_id=job_id)
    return render(request, "marking/written_items.html", {"job": job})


def _response_page(
    request: Request,
    db: SessionDep,
    staff: Marker,
    job_id: int,
    item_version_id: int,
    *,
    response_id: int | None = None,
    v: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    job = written.job_for_marker(db, actor=staff, job_id=job_id)
    r = (
        written.response_for_marker(db, actor=staff, job_id=job_id, response_id=response_id)
        if response_id is not None
        else written.next_response(db, actor=staff, job_id=job_id, item_version_id=item_version_id)
    )
    item = next((i for i in job.items if i.item_version_id == item_version_id), None)
    return render(
        request,
        "marking/written_response.html",
        {
            "job": job,
            "item": item,
            "r": r,
            "v": v or {"score": "", "comment": ""},
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/marking/written/{job_id}/items/{item_version_id}")
def next_response_page(
    request: Request, job_id: int, item_version_id: int, db: SessionDep, staff: Marker
) -> Response:
    return _response_page(request, db, staff, job_id, item_version_id)


@router.post("/marking/written/{job_id}/responses/{response_id}")
def submit_mark(
    request: Request, job_id: int, response_id: int, db: SessionDep, staff: Marker, form: FormDep
) -> Response:
    v = {"score": _text(form, "score"), "comment": _text(form, "comment")}
    item_version_id = _number(_text(form, "item_version_id"), int, "item_version_id", FormErrors())
    errors = FormErrors()
    score = _number(v["score"], float, "score", errors)
    if not errors and score is not None:
        try:
            written.submit_mark(
                db,
                actor=staff,
                job_id=job_id,
                response_id=response_id,
                data=MarkIn(score=score, comment=v["comment"]),
            )
            return _redirect(f"/marking/written/{job_id}/items/{item_version_id or 0}")
        except ValidationFailed as exc:
            errors = FormErrors(exc.message, exc.details)
        except Conflict as exc:  # marked meanwhile by others: on to the next one
            errors = FormErrors(exc.message)
            return _response_page(
                request, db, staff, job_id, item_version_id or 0, errors=errors, status_code=409
            )
    errors.message = errors.message or "评分有误"
    return _response_page(
        request,
        db,
        staff,
        job_id,
        item_version_id or 0,
        response_id=response_id,
        v=v,
        errors=errors,
        status_code=422,
    )


def _arbitration_page(
    request: Request,
    db: SessionDep,
    staff: Marker,
    job_id: int,
    *,
    failed: int | None = None,
    v: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "marking/written_arbitration.html",
        {
            "job": written.job_for_marker(db, actor=staff, job_id=job_id),
            "queue": written.arbitration_queue(db, actor=staff, job_id=job_id),
            "failed": failed,
            "v": v or {},
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/marking/written/{job_id}/arbitration")
def arbitration_page(request: Request, job_id: int, db: SessionDep, staff: Marker) -> Response:
    return _arbitration_page(request, db, staff, job_id)


@router.post("/marking/written/{job_id}/responses/{response_id}/arbitration")
def arbitrate(
    request: Request, job_id: int, response_id: int, db: SessionDep, staff: Marker, form: FormDep
) -> Response:
    v = {"score": _text(form, "score"), "reason": _text(form, "reason")}
    errors = FormErrors()
    score = _number(v["score"], float, "score", errors)
    if not errors and score is not None:
        try:
            written.arbitrate(
                db,
                actor=staff,
                job_id=job_id,
                response_id=response_id,
                score=score,
                reason=v["reason"],
            )
            return _redirect(f"/marking/written/{job_id}/arbitration")
        except (ValidationFailed, Conflict) as exc:
            errors = FormErrors(exc.message, exc.details)
    errors.message = errors.message or "仲裁有误"
    return _arbitration_page(
        request, db, staff, job_id, failed=response_id, v=v, errors=errors, status_code=422
    )
