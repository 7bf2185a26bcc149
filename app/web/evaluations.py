"""Pages: 企业评聘 of 特级技师 and 首席技师 (centre admins of the enterprise): the list, the
record form (panel scores, decision, appointment document), and issuing the certificate
of an appointed evaluation."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from app.auth.deps import CertificateIssuer
from app.certificates import service as certificates
from app.core.db import SessionDep
from app.core.errors import DomainError
from app.exams import candidates as candidate_service
from app.reference import service as reference
from app.reference.levels import get_level
from app.results import enterprise
from app.results.enterprise import ENTERPRISE_LEVELS, EvaluationIn
from app.results.models import EvaluationDecision
from app.web.exams import FormDep, FormErrors
from app.web.refusals import refused
from app.web.templating import render

router = APIRouter()

DECISION_NAMES = {EvaluationDecision.APPOINTED: "评聘", EvaluationDecision.NOT_APPOINTED: "未评聘"}


def _page(
    request: Request,
    db: SessionDep,
    staff: CertificateIssuer,
    *,
    form: dict[str, str] | None = None,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    rows = enterprise.list_evaluations(db, actor=staff)
    issued = {
        c.evaluation_id: c
        for c in certificates.certificates_of_evaluations(db, [e.id for e, _ in rows])
    }
    return render(
        request,
        "evaluations/index.html",
        {
            "rows": rows,
            "issued": issued,
            "candidates": candidate_service.list_candidates(db, actor=staff),
            "occupations": reference.list_occupations(db),
            "levels": [get_level(code) for code in ENTERPRISE_LEVELS],
            "decisions": DECISION_NAMES,
            "level_name": lambda code: get_level(code).name,
            "form": form or {"decided_on": certificates.today().isoformat()},
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/evaluations")
def evaluations_page(request: Request, db: SessionDep, staff: CertificateIssuer) -> Response:
    return _page(request, db, staff)


@router.post("/evaluations")
def record(request: Request, db: SessionDep, staff: CertificateIssuer, form: FormDep) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    names = form.getlist("panel_name")
    titles = form.getlist("panel_title")
    scores = form.getlist("panel_score")
    panel = [
        {"name": str(n).strip(), "title": str(t).strip(), "score": str(s).strip()}
        for n, t, s in zip(names, titles, scores, strict=False)
        if str(n).strip() or str(s).strip()
    ]
    try:
        data = EvaluationIn.model_validate(
            {
                "candidate_id": values.get("candidate_id") or 0,
                "occupation_id": values.get("occupation_id") or 0,
                "level_code": values.get("level_code", ""),
                "panel": panel,
                "decision": values.get("decision", ""),
                "basis": values.get("basis", ""),
                "decided_on": values.get("decided_on") or str(date.min),
            }
        )
    except ValidationError as exc:
        problems = [
            {"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()
        ]
        return _page(
            request,
            db,
            staff,
            form=values,
            errors=FormErrors("请修改以下问题", problems),
            status_code=422,
        )
    try:
        enterprise.record_evaluation(db, actor=staff, data=data)
    except DomainError as exc:
        return _page(request, db, staff, form=values, **refused(exc))
    return _page(request, db, staff, notice="评聘记录已保存")


@router.post("/evaluations/{evaluation_id}/certificate")
def issue(
    request: Request, evaluation_id: int, db: SessionDep, staff: CertificateIssuer
) -> Response:
    try:
        cert = certificates.issue_from_evaluation(db, actor=staff, evaluation_id=evaluation_id)
    except DomainError as exc:
        return _page(request, db, staff, **refused(exc))
    certificates.store_pdf(db, cert)
    return RedirectResponse(f"/certificates/{cert.id}", status_code=303)
