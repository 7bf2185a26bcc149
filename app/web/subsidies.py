"""Pages: subsidies (补贴). Regulators: the review queue (filters, bulk approval with one
reason, rejection), a record with its explanation, the deferred part's evidence, payment
batches (xlsx for the finance system, marked paid), local standards, and the what-if
page. Centre admins read their candidates' records and try the what-if page."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from app.auth.deps import SubsidyManager, SubsidyReader
from app.core.db import SessionDep
from app.core.downloads import attachment
from app.core.errors import DomainError
from app.exams.facts import EDUCATION_NAMES, EMPLOYMENT_NAMES, HolderFacts
from app.reference.levels import LEVELS, get_level
from app.subsidies import service
from app.subsidies.engine import CertificateCase, Decision
from app.subsidies.models import STATE_NAMES, TRANCHE_NAMES
from app.subsidies.policies import shipped_policies
from app.web.exams import FormDep, FormErrors, _text
from app.web.refusals import refused
from app.web.templating import render

router = APIRouter()


def _month(raw: str) -> str:
    return raw if len(raw) == 7 and raw[4] == "-" and raw.replace("-", "").isdigit() else ""


def _queue_page(
    request: Request,
    db: SessionDep,
    staff: SubsidyReader,
    f: service.QueueFilter,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "subsidies/queue.html",
        {
            "rows": service.queue(db, actor=staff, f=f),
            "f": f,
            "policies": shipped_policies(),
            "levels": LEVELS,
            "states": STATE_NAMES,
            "tranches": TRANCHE_NAMES,
            "level_name": service.level_name,
            "totals": service.overview(db, actor=staff),
            "manages": staff.role == "regulator",
            "limit": service.QUEUE_LIMIT,
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


def _filter_of(query: dict[str, str]) -> service.QueueFilter:
    centre = query.get("centre_id", "")
    return service.QueueFilter(
        policy_id=query.get("policy_id", ""),
        state=query.get("state", "") if query.get("state", "") in set(STATE_NAMES) else "",
        centre_id=int(centre) if centre.isdigit() else None,
        level_code=query.get("level_code", ""),
        month=_month(query.get("month", "")),
        recovery=query.get("recovery") == "1",
    )


@router.get("/subsidies")
def queue_page(request: Request, db: SessionDep, staff: SubsidyReader) -> Response:
    return _queue_page(request, db, staff, _filter_of(dict(request.query_params)))


@router.post("/subsidies/approve")
def approve(request: Request, db: SessionDep, staff: SubsidyManager, form: FormDep) -> Response:
    ids = [int(v) for v in form.getlist("record_id") if isinstance(v, str) and v.isdigit()]
    f = _filter_of(dict(request.query_params))
    try:
        n = service.approve(db, actor=staff, record_ids=ids, reason=_text(form, "reason"))
    except DomainError as exc:
        return _queue_page(request, db, staff, f, **refused(exc))
    return _queue_page(request, db, staff, f, notice=f"已审核通过 {n} 条")


# -- payment batches -----------------------------------------------------------------------------


def _batches_page(
    request: Request,
    db: SessionDep,
    staff: SubsidyManager,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    approved = service.queue(db, actor=staff, f=service.QueueFilter(state="approved"))
    return render(
        request,
        "subsidies/batches.html",
        {
            "batches": service.batches(db, actor=staff),
            "approved": [r for r in approved if r.batch_id is None],
            "level_name": service.level_name,
            "tranches": TRANCHE_NAMES,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/subsidies/batches")
def batches_page(request: Request, db: SessionDep, staff: SubsidyManager) -> Response:
    return _batches_page(request, db, staff)


@router.post("/subsidies/batches")
def create_batch(
    request: Request, db: SessionDep, staff: SubsidyManager, form: FormDep
) -> Response:
    ids = [int(v) for v in form.getlist("record_id") if isinstance(v, str) and v.isdigit()]
    try:
        batch = service.create_batch(
            db, actor=staff, record_ids=ids, reference=_text(form, "reference")
        )
    except DomainError as exc:
        return _batches_page(request, db, staff, **refused(exc))
    return RedirectResponse(f"/subsidies/batches/{batch.id}", status_code=303)


def _batch_page(
    request: Request, db: SessionDep, staff: SubsidyManager, batch_id: int, *, notice: str = "",
    errors: FormErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    batch, records = service.get_batch(db, actor=staff, batch_id=batch_id)
    by_policy: dict[str, list[int]] = {}
    for r in records:
        by_policy.setdefault(r.policy_name, []).append(r.amount)
    return render(
        request,
        "subsidies/batch.html",
        {
            "b": batch,
            "records": records,
            "totals": sorted((k, len(v), sum(v)) for k, v in by_policy.items()),
            "total": sum(r.amount for r in records),
            "level_name": service.level_name,
            "tranches": TRANCHE_NAMES,
            "states": STATE_NAMES,
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/subsidies/batches/{batch_id}")
def batch_page(request: Request, batch_id: int, db: SessionDep, staff: SubsidyManager) -> Response:
    return _batch_page(request, db, staff, batch_id)


@router.get("/subsidies/batches/{batch_id}/export.xlsx")
def batch_export(batch_id: int, db: SessionDep, staff: SubsidyManager) -> Response:
    name, content = service.batch_xlsx(db, actor=staff, batch_id=batch_id)
    return attachment(name, content, ascii_name=f"payment-batch-{batch_id}.xlsx")


@router.post("/subsidies/batches/{batch_id}/paid")
def batch_paid(
    request: Request, batch_id: int, db: SessionDep, staff: SubsidyManager, form: FormDep
) -> Response:
    try:
        paid_on = date.fromisoformat(_text(form, "paid_on"))
    except ValueError:
        return _batch_page(
            request, db, staff, batch_id,
            errors=FormErrors("请填写发放日期", [{"field": "paid_on", "problem": "日期格式应为 YYYY-MM-DD"}]),
            status_code=422,
        )  # fmt: skip
    try:
        service.mark_batch_paid(
            db, actor=staff, batch_id=batch_id, paid_on=paid_on, note=_text(form, "note")
        )
    except DomainError as exc:
        return _batch_page(request, db, staff, batch_id, **refused(exc))
    return _batch_page(request, db, staff, batch_id, notice="已标记为已发放")


# -- local standards and the what-if page ----------------------------------------------------------


@router.get("/subsidies/standards")
def standards_page(request: Request, db: SessionDep, staff: SubsidyManager) -> Response:
    return _standards_page(request, db, staff)


def _standards_page(
    request: Request, db: SessionDep, staff: SubsidyManager, *, notice: str = "",
    errors: FormErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    current = service.standards(db)
    rows = [
        (p, level, cap, current.get((p.id, level), cap))
        for p in shipped_policies()
        if p.amount.kind in ("local_standard", "up_to")
        for level, cap in p.amount.per_level.items()
    ]
    return render(
        request,
        "subsidies/standards.html",
        {
            "rows": rows,
            "level_name": service.level_name,
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.post("/subsidies/standards")
def set_standard(
    request: Request, db: SessionDep, staff: SubsidyManager, form: FormDep
) -> Response:
    raw = _text(form, "amount")
    try:
        service.set_standard(
            db,
            actor=staff,
            policy_id=_text(form, "policy_id"),
            level_code=_text(form, "level_code"),
            amount=int(raw) if raw.isdigit() else 0,
        )
    except DomainError as exc:
        return _standards_page(request, db, staff, **refused(exc))
    return _standards_page(request, db, staff, notice="当地标准已保存，此后发证按新标准计算")


FACT_FLAGS = {
    "monthly_pension": "按月领取养老金",
    "hard_to_employ": "就业困难人员",
    "rural_migrant": "农村转移劳动者",
    "school_leaver": "应届初高中毕业生（未继续升学）",
    "talent_apartment": "已提供人才公寓",
    "receiving_unemployment_benefit": "正在领取失业保险金",
}


def _what_if_page(
    request: Request, staff: SubsidyReader, *, form: dict[str, str], decisions: list[Decision] | None = None,
    errors: FormErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    return render(
        request,
        "subsidies/what_if.html",
        {
            "form": form,
            "decisions": decisions,
            "levels": LEVELS,
            "educations": EDUCATION_NAMES,
            "employments": EMPLOYMENT_NAMES,
            "flags": FACT_FLAGS,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/subsidies/what-if")
def what_if_form(request: Request, staff: SubsidyReader) -> Response:
    return _what_if_page(request, staff, form={"issued_on": service.today().isoformat()})


@router.post("/subsidies/what-if")
def what_if(request: Request, db: SessionDep, staff: SubsidyReader, form: FormDep) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    problems = []
    try:
        level = get_level(values.get("level_code", ""))
    except KeyError:
        level = None
        problems.append({"field": "level_code", "problem": "请选择等级"})
    try:
        issued = date.fromisoformat(values.get("issued_on", ""))
    except ValueError:
        issued = None
        problems.append({"field": "issued_on", "problem": "发证日期格式应为 YYYY-MM-DD"})
    birth = None
    if values.get("birth_date"):
        try:
            birth = date.fromisoformat(values["birth_date"])
        except ValueError:
            problems.append({"field": "birth_date", "problem": "出生日期格式应为 YYYY-MM-DD"})
    facts_data: dict[str, object] = {k: True for k in FACT_FLAGS if values.get(k) == "1"}
    for key in ("education", "employment", "work_region", "graduation_date", "newly_recruited_on"):
        if values.get(key):
            facts_data[key] = values[key]
    if values.get("insurance_months", "").isdigit():
        facts_data["unemployment_insurance_months"] = int(values["insurance_months"])
    if values.get("training_course"):
        facts_data["trainings"] = [{"course": values["training_course"]}]
    try:
        facts = HolderFacts.model_validate(facts_data)
    except ValidationError as exc:
        problems += [
            {"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()
        ]
        facts = None
    if problems or level is None or issued is None or facts is None:
        return _what_if_page(
            request,
            staff,
            form=values,
            errors=FormErrors("请修改以下问题", problems),
            status_code=422,
        )
    case = CertificateCase(
        number="（试算）",
        scheme=level.scheme.value,
        level_code=level.code,
        occupation_code=values.get("occupation_code", ""),
        occupation_name=values.get("occupation_name", "") or "（未填）",
        issued_on=issued,
        holder_birth=birth,
        earlier_certificates=1 if values.get("earlier") == "1" else 0,
    )
    decisions = service.what_if(db, actor=staff, case=case, facts=facts)
    return _what_if_page(request, staff, form=values, decisions=decisions)


# -- one record (last: its path would take the words above) ----------------------------------


def _record_page(
    request: Request,
    db: SessionDep,
    staff: SubsidyReader,
    record_id: int,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    r = service.get_record(db, actor=staff, record_id=record_id)
    return render(
        request,
        "subsidies/record.html",
        {
            "r": r,
            "states": STATE_NAMES,
            "tranches": TRANCHE_NAMES,
            "level_name": service.level_name,
            "siblings": service.records_of_certificate(db, r.certificate_id),
            "manages": staff.role == "regulator",
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/subsidies/{record_id}")
def record_page(request: Request, record_id: int, db: SessionDep, staff: SubsidyReader) -> Response:
    return _record_page(request, db, staff, record_id)


@router.post("/subsidies/{record_id}/reject")
def reject(
    request: Request, record_id: int, db: SessionDep, staff: SubsidyManager, form: FormDep
) -> Response:
    try:
        service.reject(db, actor=staff, record_id=record_id, reason=_text(form, "reason"))
    except DomainError as exc:
        return _record_page(request, db, staff, record_id, **refused(exc))
    return _record_page(request, db, staff, record_id, notice="已驳回")


@router.post("/subsidies/{record_id}/evidence")
def evidence(
    request: Request, record_id: int, db: SessionDep, staff: SubsidyManager, form: FormDep
) -> Response:
    raw = _text(form, "shown_on")
    try:
        shown = date.fromisoformat(raw)
    except ValueError:
        return _record_page(
            request, db, staff, record_id,
            errors=FormErrors("请填写稳定就业日期", [{"field": "shown_on", "problem": "日期格式应为 YYYY-MM-DD"}]),
            status_code=422,
        )  # fmt: skip
    try:
        service.record_evidence(
            db, actor=staff, record_id=record_id, note=_text(form, "note"), shown_on=shown
        )
    except DomainError as exc:
        return _record_page(request, db, staff, record_id, **refused(exc))
    return _record_page(request, db, staff, record_id, notice="已登记稳定就业，尾款转为待审核")
