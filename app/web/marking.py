"""Pages: the practical component (技能考核). For the centre admin: the plan's practical
paper, practical sessions with their panels and every candidate's scores. For examiners
(考评员): their sessions, a blind roster (ticket and seat only) and a tablet-sized marking
page per candidate that saves as they go; for the chief examiner (考评组长) arbitration.
Who may do what is decided in results.practical."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth.deps import CentreAdmin, Marker
from app.banks.practical import STEPS
from app.core.db import SessionDep
from app.core.errors import Conflict, ValidationFailed
from app.exams import plans, sessions
from app.results import practical, written
from app.results.schemas import (
    PracticalPaperIn,
    PracticalSectionIn,
    PracticalSessionCreate,
    ReviewCriterionIn,
    ReviewSheetIn,
    SheetIn,
)
from app.web.exams import FormDep, FormErrors, _number, _redirect, _text
from app.web.templating import is_htmx, render

router = APIRouter()

PAPER_SECTIONS = 6  # rows of the practical paper form
REVIEW_ROWS = 6  # rows of the 综合评审 sheet form
REVIEW_FIELDS = ("code", "name", "points", "step", "earns")
_BLANK_SESSION: dict[str, Any] = {
    "component": "practical",
    "exam_session_id": "",
    "name": "",
    "site": "",
    "starts_at": "",
    "duration_minutes": "",
    "examiner_ids": [],
    "chief_examiner_id": "",
}


# -- centre admin: the practical paper and sessions --------------------------------------------


def _stored_paper(db: SessionDep, staff: CentreAdmin, plan_id: int) -> list[dict[str, Any]]:
    """The sections as stored, or (nothing stored yet) one section per task at its points."""
    plan = plans.get_plan(db, actor=staff, plan_id=plan_id)
    stored = plan.practical_sections or [
        {"task_ids": [c.task_id], "weight": c.points}
        for c in practical.task_choices(db, actor=staff, plan_id=plan_id)
    ]
    rows = [
        {"task_ids": [int(t) for t in s["task_ids"]], "weight": f"{float(s['weight']):g}"}
        for s in stored
    ]
    return rows + [{"task_ids": [], "weight": ""} for _ in range(PAPER_SECTIONS - len(rows))]


def _practical_page(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    plan_id: int,
    *,
    paper: list[dict[str, Any]] | None = None,
    paper_errors: FormErrors | None = None,
    v: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    review: list[dict[str, Any]] | None = None,
    review_errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    summary = plans.plan_summary(db, actor=staff, plan_id=plan_id)
    if review is None:
        stored = summary.plan.review_sheet or practical.DEFAULT_REVIEW_SHEET
        review = [
            {k: (f"{c[k]:g}" if k in ("points", "step") else c.get(k, "")) for k in REVIEW_FIELDS}
            for c in stored
        ]
    review = review + [dict.fromkeys(REVIEW_FIELDS, "") for _ in range(REVIEW_ROWS - len(review))]
    return render(
        request,
        "marking/plan_practical.html",
        {
            "s": summary,
            "choices": practical.task_choices(db, actor=staff, plan_id=plan_id),
            "paper": paper or _stored_paper(db, staff, plan_id),
            "paper_saved": bool(summary.plan.practical_sections),
            "paper_errors": paper_errors or FormErrors(),
            "practical_sessions": practical.plan_practical_sessions(
                db, actor=staff, plan_id=plan_id
            ),
            "exam_sessions": sessions.list_sessions(db, actor=staff, plan_id=plan_id),
            "examiners": practical.eligible_examiners(db, actor=staff),
            "v": v or dict(_BLANK_SESSION),
            "errors": errors or FormErrors(),
            "review": review,
            "review_saved": bool(summary.plan.review_sheet),
            "review_errors": review_errors or FormErrors(),
            "steps": STEPS,
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}/practical")
def practical_page(request: Request, plan_id: int, db: SessionDep, staff: CentreAdmin) -> Response:
    return _practical_page(request, db, staff, plan_id)


def _ids(form: FormData, name: str) -> list[int]:
    return [int(x) for x in form.getlist(name) if isinstance(x, str) and x.isdigit()]


def _paper_form(form: FormData) -> list[dict[str, Any]]:
    return [
        {
            "task_ids": _ids(form, f"tasks_{i}"),
            "weight": _text(form, f"weight_{i}"),
        }
        for i in range(PAPER_SECTIONS)
    ]


@router.post("/plans/{plan_id}/practical/paper")
def save_paper(
    request: Request, plan_id: int, db: SessionDep, staff: CentreAdmin, form: FormDep
) -> Response:
    rows = _paper_form(form)
    errors = FormErrors()
    sections = []
    for i, row in enumerate(rows):
        if not row["task_ids"] and not row["weight"]:
            continue  # an unused row
        weight = _number(row["weight"], float, f"sections[{i}]", errors)
        sections.append(PracticalSectionIn(task_ids=row["task_ids"], weight=weight or 0))
    if errors:
        errors.message = "技能考核试卷有误"
        return _practical_page(
            request, db, staff, plan_id, paper=rows, paper_errors=errors, status_code=422
        )
    try:
        practical.set_practical_paper(
            db, actor=staff, plan_id=plan_id, data=PracticalPaperIn(sections=sections)
        )
    except (ValidationFailed, Conflict) as exc:
        return _practical_page(
            request,
            db,
            staff,
            plan_id,
            paper=rows,
            paper_errors=FormErrors(exc.message, exc.details),
            status_code=exc.status_code,
        )
    return _redirect(f"/plans/{plan_id}/practical")


@router.post("/plans/{plan_id}/practical/review-sheet")
def save_review_sheet(
    request: Request, plan_id: int, db: SessionDep, staff: CentreAdmin, form: FormDep
) -> Response:
    """The plan's 综合评审 sheet: its criteria (code, name, points, step, what earns them)."""
    rows = [{k: _text(form, f"{k}_{i}") for k in REVIEW_FIELDS} for i in range(REVIEW_ROWS)]
    errors = FormErrors()
    criteria = []
    for i, row in enumerate(rows):
        if not any(row.values()):
            continue  # an unused row
        points = _number(row["points"], float, f"criteria[{i}]", errors)
        step = _number(row["step"] or "1", float, f"criteria[{i}]", errors)
        criteria.append(
            ReviewCriterionIn(
                code=row["code"].upper(),
                name=row["name"],
                points=points or 0,
                step=step or 1,
                earns=row["earns"],
            )
        )
    status = 422
    if not errors:
        try:
            practical.set_review_sheet(
                db, actor=staff, plan_id=plan_id, data=ReviewSheetIn(criteria=criteria)
            )
            return _redirect(f"/plans/{plan_id}/practical")
        except (ValidationFailed, Conflict) as exc:
            errors, status = FormErrors(exc.message, exc.details), exc.status_code
    errors.message = errors.message or "综合评审表有误"
    return _practical_page(
        request, db, staff, plan_id, review=rows, review_errors=errors, status_code=status
    )


@router.post("/plans/{plan_id}/practical/sessions")
def create_practical_session(
    request: Request, plan_id: int, db: SessionDep, staff: CentreAdmin, form: FormDep
) -> Response:
    v: dict[str, Any] = {name: _text(form, name) for name in _BLANK_SESSION}
    v["examiner_ids"] = _ids(form, "examiner_ids")
    errors = FormErrors()
    exam_session_id = _number(v["exam_session_id"], int, "exam_session_id", errors)
    chief = _number(v["chief_examiner_id"], int, "chief_examiner_id", errors)
    duration = _number(v["duration_minutes"], int, "duration_minutes", errors, required=False)
    starts_at: datetime | None = None
    try:
        starts_at = datetime.fromisoformat(v["starts_at"]) if v["starts_at"] else None
    except ValueError:
        errors.add("starts_at", "时间格式应为 2026-06-01 09:00")
    if not v["starts_at"]:
        errors.add("starts_at", "请填写开始时间")
    if errors or starts_at is None or exam_session_id is None or chief is None:
        errors.message = "技能考核场次有误"
        return _practical_page(request, db, staff, plan_id, v=v, errors=errors, status_code=422)
    data = PracticalSessionCreate(
        component=v["component"] or "practical",
        exam_session_id=exam_session_id,
        name=v["name"],
        site=v["site"],
        starts_at=starts_at,
        duration_minutes=duration,
        examiner_ids=v["examiner_ids"],
        chief_examiner_id=chief,
    )
    try:
        ps = practical.create_practical_session(db, actor=staff, plan_id=plan_id, data=data)
    except (ValidationFailed, Conflict) as exc:
        return _practical_page(
            request,
            db,
            staff,
            plan_id,
            v=v,
            errors=FormErrors(exc.message, exc.details),
            status_code=exc.status_code,
        )
    return _redirect(f"/practical/{ps.id}")


@router.get("/practical/{practical_session_id}")
def practical_session_page(
    request: Request, practical_session_id: int, db: SessionDep, staff: CentreAdmin
) -> Response:
    ps = practical.practical_session(db, actor=staff, practical_session_id=practical_session_id)
    return render(request, "marking/practical_session.html", {"ps": ps})


@router.post("/practical/{practical_session_id}/draw")
def draw_missing(practical_session_id: int, db: SessionDep, staff: CentreAdmin) -> Response:
    practical.draw_missing_papers(db, actor=staff, practical_session_id=practical_session_id)
    return _redirect(f"/practical/{practical_session_id}")


# -- examiners ------------------------------------------------------------------------------------


@router.get("/marking")
def my_sessions(request: Request, db: SessionDep, staff: Marker) -> Response:
    return render(
        request,
        "marking/index.html",
        {
            "rows": practical.examiner_sessions(db, actor=staff),
            "jobs": written.marker_jobs(db, actor=staff),
        },
    )


@router.get("/marking/{practical_session_id}")
def roster_page(
    request: Request, practical_session_id: int, db: SessionDep, staff: Marker
) -> Response:
    roster = practical.marking_roster(db, actor=staff, practical_session_id=practical_session_id)
    return render(request, "marking/roster.html", {"r": roster})


@router.get("/marking/{practical_session_id}/candidates/{registration_id}")
def marking_page(
    request: Request,
    practical_session_id: int,
    registration_id: int,
    db: SessionDep,
    staff: Marker,
) -> Response:
    page = practical.marking_page(
        db,
        actor=staff,
        practical_session_id=practical_session_id,
        registration_id=registration_id,
    )
    return render(request, "marking/sheet.html", {"p": page})


def _sheet_form(form: FormData) -> SheetIn:
    marks: dict[str, float | str | None] = {
        key.removeprefix("mark_"): _text(form, key) for key in form if key.startswith("mark_")
    }
    vetoes = [str(v) for v in form.getlist("veto")]
    return SheetIn(marks=marks, vetoes=vetoes, comment=_text(form, "comment"))


@router.post("/marking/sheets/{paper_task_id}/save")
def save_sheet(
    request: Request, paper_task_id: int, db: SessionDep, staff: Marker, form: FormDep
) -> Response:
    """Autosave (htmx, on every change): answers with the sheet's saved time."""
    sheet = practical.save_sheet(
        db, actor=staff, paper_task_id=paper_task_id, data=_sheet_form(form)
    )
    return render(request, "marking/_saved.html", {"sheet": sheet})


@router.post("/marking/sheets/{paper_task_id}/submit")
def submit_sheet(
    request: Request, paper_task_id: int, db: SessionDep, staff: Marker, form: FormDep
) -> Response:
    practical.submit_sheet(db, actor=staff, paper_task_id=paper_task_id, data=_sheet_form(form))
    back = _text(form, "back") or "/marking"
    if not back.startswith("/marking/"):
        back = "/marking"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": back})
    return _redirect(back)


@router.get("/marking/tasks/{paper_task_id}/arbitration")
def arbitration_page(
    request: Request, paper_task_id: int, db: SessionDep, staff: Marker
) -> Response:
    page = practical.arbitration_page(db, actor=staff, paper_task_id=paper_task_id)
    return render(request, "marking/arbitration.html", {"a": page, "errors": FormErrors()})


@router.post("/marking/tasks/{paper_task_id}/arbitration")
def arbitrate(
    request: Request, paper_task_id: int, db: SessionDep, staff: Marker, form: FormDep
) -> Response:
    errors = FormErrors()
    score = _number(_text(form, "score"), float, "score", errors)
    reason = _text(form, "reason")
    if not errors and score is not None:
        try:
            practical.arbitrate(
                db, actor=staff, paper_task_id=paper_task_id, score=score, reason=reason
            )
            return _redirect(f"/marking/tasks/{paper_task_id}/arbitration")
        except ValidationFailed as exc:
            errors = FormErrors(exc.message, exc.details)
    errors.message = errors.message or "仲裁有误"
    page = practical.arbitration_page(db, actor=staff, paper_task_id=paper_task_id)
    return render(
        request,
        "marking/arbitration.html",
        {"a": page, "errors": errors, "score": _text(form, "score"), "reason": reason},
        status_code=422,
    )
