"""API: subsidy records (补贴). Regulators of the record's region review and pay; centres
read their candidates' records. The same services as the pages (app/web/subsidies.py)."""

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.shapes import Shape, UtcDatetime
from app.auth.deps import SubsidyManager, SubsidyReader
from app.core.db import SessionDep
from app.core.downloads import attachment
from app.core.errors import ValidationFailed
from app.exams.facts import HolderFacts
from app.reference.levels import get_level
from app.subsidies import service
from app.subsidies.engine import CertificateCase
from app.subsidies.models import PaymentBatch, SubsidyRecord

router = APIRouter(tags=["subsidies"])


class SubsidyOut(Shape):
    """A SubsidyRecord row as stored, its explanation included."""

    id: int
    certificate_id: int
    certificate_number: str
    policy_id: str
    policy_name: str
    holder_name: str
    id_number: str
    centre_id: int
    region_code: str
    level_code: str
    tranche: str
    month: int
    amount: int
    payee: str
    issued_on: date
    claim_deadline: date
    evidence_deadline: date | None
    explanation: list[dict[str, Any]]
    state: str
    reason: str
    batch_id: int | None
    paid_at: UtcDatetime | None
    recovery: bool
    recovery_note: str


@router.get("/subsidies", response_model=list[SubsidyOut])
def list_subsidies(
    db: SessionDep,
    staff: SubsidyReader,
    policy_id: str = "",
    state: str = "",
    centre_id: int | None = None,
    level_code: str = "",
    month: str = "",
    recovery: bool = False,
) -> list[SubsidyRecord]:
    """The review queue in the caller's scope (a regulator's region, a centre's own)."""
    f = service.QueueFilter(policy_id, state, centre_id, level_code, month, recovery)
    return service.queue(db, actor=staff, f=f)


@router.get("/subsidies/{record_id}", response_model=SubsidyOut)
def get_subsidy(record_id: int, db: SessionDep, staff: SubsidyReader) -> SubsidyRecord:
    return service.get_record(db, actor=staff, record_id=record_id)


class ApproveIn(BaseModel):
    record_ids: list[int] = Field(max_length=1000)
    reason: str = Field(max_length=500)


class CountOut(BaseModel):
    count: int


@router.post("/subsidies/approve", response_model=CountOut)
def approve(data: ApproveIn, db: SessionDep, staff: SubsidyManager) -> CountOut:
    """审核通过 with one reason: every record pending, or nothing changes (409)."""
    return CountOut(
        count=service.approve(db, actor=staff, record_ids=data.record_ids, reason=data.reason)
    )


class ReasonIn(BaseModel):
    reason: str = Field(max_length=500)


@router.post("/subsidies/{record_id}/reject", response_model=SubsidyOut)
def reject(record_id: int, data: ReasonIn, db: SessionDep, staff: SubsidyManager) -> SubsidyRecord:
    return service.reject(db, actor=staff, record_id=record_id, reason=data.reason)


class EvidenceIn(BaseModel):
    note: str = Field(max_length=500)
    shown_on: date


@router.post("/subsidies/{record_id}/evidence", response_model=SubsidyOut)
def evidence(
    record_id: int, data: EvidenceIn, db: SessionDep, staff: SubsidyManager
) -> SubsidyRecord:
    """The deferred 10%: stable employment shown within its deadline."""
    return service.record_evidence(
        db, actor=staff, record_id=record_id, note=data.note, shown_on=data.shown_on
    )


class BatchIn(BaseModel):
    record_ids: list[int] = Field(max_length=5000)
    reference: str = Field(max_length=60)


class BatchOut(Shape):
    """A PaymentBatch row."""

    id: int
    region_code: str
    reference: str
    created_at: UtcDatetime
    paid_on: date | None
    note: str


@router.post("/payment-batches", response_model=BatchOut, status_code=201)
def create_batch(data: BatchIn, db: SessionDep, staff: SubsidyManager) -> PaymentBatch:
    return service.create_batch(
        db, actor=staff, record_ids=data.record_ids, reference=data.reference
    )


class PaidIn(BaseModel):
    paid_on: date
    note: str = Field(default="", max_length=500)


@router.post("/payment-batches/{batch_id}/paid", response_model=BatchOut)
def batch_paid(batch_id: int, data: PaidIn, db: SessionDep, staff: SubsidyManager) -> PaymentBatch:
    return service.mark_batch_paid(
        db, actor=staff, batch_id=batch_id, paid_on=data.paid_on, note=data.note
    )


@router.get("/payment-batches/{batch_id}/export.xlsx", response_class=Response)
def batch_export(batch_id: int, db: SessionDep, staff: SubsidyManager) -> Response:
    name, content = service.batch_xlsx(db, actor=staff, batch_id=batch_id)
    return attachment(name, content, ascii_name=f"payment-batch-{batch_id}.xlsx")


class WhatIfIn(BaseModel):
    level_code: str
    occupation_code: str = ""
    occupation_name: str = ""
    issued_on: date
    birth_date: date | None = None
    earlier_certificates: int = Field(default=0, ge=0)
    facts: HolderFacts = Field(default_factory=HolderFacts)
    id_number: str = ""  # whose subsidy history to count (optional)


class DecisionOut(BaseModel):
    policy_id: str
    policy_name: str
    applies: bool
    amount: int
    explanation: str
    lines: list[dict[str, Any]]


@router.post("/subsidies/what-if", response_model=list[DecisionOut])
def what_if(data: WhatIfIn, db: SessionDep, staff: SubsidyReader) -> list[DecisionOut]:
    """The engine on a certificate and facts, nothing stored."""
    try:
        level = get_level(data.level_code)
    except KeyError:
        raise ValidationFailed(
            "未知等级",
            code="level_invalid",
            details=[{"field": "level_code", "problem": "未知等级"}],
        ) from None
    case = CertificateCase(
        number="（试算）",
        scheme=level.scheme.value,
        level_code=level.code,
        occupation_code=data.occupation_code,
        occupation_name=data.occupation_name,
        issued_on=data.issued_on,
        holder_birth=data.birth_date,
        earlier_certificates=data.earlier_certificates,
    )
    return [
        DecisionOut(
            policy_id=d.policy.id,
            policy_name=d.policy.name,
            applies=d.applies,
            amount=d.amount,
            explanation=d.explanation(),
            lines=[{"text": line.text, "ok": line.ok} for line in d.lines],
        )
        for d in service.what_if(
            db, actor=staff, case=case, facts=data.facts, id_number=data.id_number
        )
    ]
