"""API: certificates. Public (no login): the lookup `/verify` by number plus name or ID
number (the ID number masked in the answer), token verification, the JWKS and the
revocation lists. Centres: issuance per result and in bulk, revocation, re-issue; centres
and regulators: the registry's full records."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.shapes import Shape, UtcDatetime
from app.auth.deps import CertificateIssuer, CertificateReader, CertificateRevoker, client_ip
from app.certificates import batches, lookup, service, verification
from app.certificates.models import Certificate
from app.core.db import SessionDep
from app.core.errors import NotFound, ValidationFailed
from app.results import enterprise
from app.results.enterprise import EvaluationIn
from app.results.models import EnterpriseEvaluation

router = APIRouter(tags=["certificates"])


class LookupIn(BaseModel):
    """Certificate number plus the holder's name or ID number (at least one)."""

    number: str = Field(max_length=40)
    name: str = Field(default="", max_length=50)
    id_number: str = Field(default="", max_length=30)


class PublicCertificateOut(Shape):
    """verification.PublicCertificate: what anyone may learn, the ID number masked."""

    number: str
    holder_name: str
    id_type_name: str
    masked_id: str
    occupation: str
    direction: str
    level: str
    evaluator: str
    issued_on: str
    status: str  # valid / revoked / superseded
    status_name: str
    revoked_at: str | None
    revocation: str
    verify_url: str


@router.post("/verify", response_model=PublicCertificateOut)
def verify_certificate(request: Request, data: LookupIn, db: SessionDep) -> PublicCertificateOut:
    """Public lookup for employers' systems. 404 when number and name/ID do not match a
    certificate (without saying which was wrong); 422 for a malformed number; 429 when
    the client asks too often."""
    lookup.admit(client_ip(request))
    found = _lookup(db, data)
    return PublicCertificateOut.model_validate(found)


def _lookup(db: Session, data: LookupIn) -> verification.PublicCertificate:
    try:
        found = verification.lookup(
            db, number=data.number, name=data.name, id_number=data.id_number
        )
    except verification.LookupRefused as exc:
        raise ValidationFailed(
            exc.message,
            code=exc.code,
            details=[{"field": exc.field_name, "problem": exc.message}],
        ) from None
    if found is None:
        raise NotFound("未查到与证书编号和持证人信息相符的证书", code="certificate_not_found")
    return found


class TokenIn(BaseModel):
    token: str = Field(max_length=4096)


class CheckOut(BaseModel):
    name: str
    passed: bool | None  # None: the check could not be made
    detail: str


class VerificationOut(BaseModel):
    """verification.Verification.as_json(): the verdict, each check made, the claims."""

    verdict: str  # valid / revoked / superseded / invalid / unconfirmed
    verdict_name: str
    checks: list[CheckOut]
    claims: dict[str, str]
    kid: str | None
    problem: str | None
    revoked_at: str | None
    revocation: str
    successor_number: str | None


@router.post("/verify/token", response_model=VerificationOut)
def verify_token(request: Request, data: TokenIn) -> VerificationOut:
    """A QR token (the part after /v/): its signature, then the registry's status."""
    lookup.admit(client_ip(request))
    return VerificationOut.model_validate(verification.verify_online(data.token).as_json())


class CertificateOut(Shape):
    """A Certificate row (full record: centres and regulators only), without its token."""

    id: int
    number: str
    scheme: str
    centre_id: int
    candidate_id: int
    result_id: int | None
    holder_name: str
    id_type: str
    id_number: str
    occupation_name: str
    occupation_code: str
    direction: str
    level_code: str
    level_display: str
    evaluator_name: str
    issued_on: date
    status: str
    revoked_at: UtcDatetime | None
    revocation_reason: str | None
    revocation_note: str
    supersedes_id: int | None
    reissue_reason: str
    pdf_sha256: str | None
    issued_at: UtcDatetime


@router.post("/results/{result_id}/certificate", response_model=CertificateOut, status_code=201)
def issue_certificate(result_id: int, db: SessionDep, staff: CertificateIssuer) -> Certificate:
    """Issue the certificate of one confirmed, passing result, and store its PDF."""
    cert = service.issue_from_result(db, actor=staff, result_id=result_id)
    return service.store_pdf(db, cert)


class BatchIn(BaseModel):
    session_id: int | None = None  # None: every session of the plan


class BatchOut(BaseModel):
    """batches.BatchProgress, flattened: counts and each item's state."""

    id: int
    state: str
    total: int
    done: int
    failed: int
    items: list[dict[str, object]]


def _batch_out(p: batches.BatchProgress) -> BatchOut:
    return BatchOut(
        id=p.batch.id or 0,
        state=p.batch.state,
        total=p.batch.total,
        done=p.done,
        failed=p.failed,
        items=[i.__dict__ for i in p.items],
    )


@router.post("/plans/{plan_id}/certificate-batches", response_model=BatchOut, status_code=202)
def create_batch(plan_id: int, data: BatchIn, db: SessionDep, staff: CertificateIssuer) -> BatchOut:
    """Queue the bulk issuance of the plan's (or one session's) passing candidates; worker
    processes issue and render them. Poll GET /certificate-batches/{id}."""
    batch = batches.create_batch(db, actor=staff, plan_id=plan_id, session_id=data.session_id)
    return _batch_out(batches.progress(db, actor=staff, batch_id=batch.id or 0))


@router.get("/certificate-batches/{batch_id}", response_model=BatchOut)
def batch_progress(batch_id: int, db: SessionDep, staff: CertificateIssuer) -> BatchOut:
    return _batch_out(batches.progress(db, actor=staff, batch_id=batch_id))


@router.get("/certificates", response_model=list[CertificateOut])
def search_certificates(
    db: SessionDep,
    staff: CertificateReader,
    number: str = "",
    name: str = "",
    id_number: str = "",
    occupation: str = "",
    level_code: str = "",
    centre_id: int | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    status: Annotated[str, Query(max_length=16)] = "",
) -> list[Certificate]:
    """The registry (证书登记): full records in the caller's scope (a centre's own, a
    regulator's region), newest first, at most 200."""
    f = service.RegistryFilter(
        number=number,
        name=name,
        id_number=id_number,
        occupation=occupation,
        level_code=level_code,
        centre_id=centre_id,
        issued_from=issued_from,
        issued_to=issued_to,
        status=status,
    )
    return service.search_registry(db, actor=staff, f=f)


@router.get("/certificates/{certificate_id}", response_model=CertificateOut)
def get_certificate(certificate_id: int, db: SessionDep, staff: CertificateReader) -> Certificate:
    return service.get_certificate(db, actor=staff, certificate_id=certificate_id)


class RevokeIn(BaseModel):
    reason: str  # models.RevocationReason
    note: str = Field(max_length=500)


@router.post("/certificates/{certificate_id}/revoke", response_model=CertificateOut)
def revoke_certificate(
    certificate_id: int, data: RevokeIn, db: SessionDep, staff: CertificateRevoker
) -> Certificate:
    """撤销: by the issuing centre or a regulator of its region; reads revoked at once."""
    return service.revoke(
        db, actor=staff, certificate_id=certificate_id, reason=data.reason, note=data.note
    )


class ReissueIn(BaseModel):
    reason: str = Field(max_length=500)


@router.post(
    "/certificates/{certificate_id}/reissue", response_model=CertificateOut, status_code=201
)
def reissue_certificate(
    certificate_id: int, data: ReissueIn, db: SessionDep, staff: CertificateIssuer
) -> Certificate:
    """换发: a corrected certificate under a new number; the old one reads superseded."""
    cert = service.reissue(db, actor=staff, certificate_id=certificate_id, reason=data.reason)
    return service.store_pdf(db, cert)


class EvaluationOut(Shape):
    """An EnterpriseEvaluation row (企业评聘 of 特级/首席技师)."""

    id: int
    centre_id: int
    candidate_id: int
    occupation_id: int
    level_code: str
    panel: list[dict[str, object]]
    score: float
    pass_mark: float
    decision: str
    basis: str
    decided_on: date


@router.post("/enterprise-evaluations", response_model=EvaluationOut, status_code=201)
def record_evaluation(
    data: EvaluationIn, db: SessionDep, staff: CertificateIssuer
) -> EnterpriseEvaluation:
    """Record a 特级技师 / 首席技师 evaluation: an odd panel of three or more, its mean at
    least the pass mark for an appointment, the appointment document named, and the
    candidate holding the level below (a Jiping certificate or one on their record)."""
    return enterprise.record_evaluation(db, actor=staff, data=data)


@router.get("/enterprise-evaluations", response_model=list[EvaluationOut])
def list_evaluations(db: SessionDep, staff: CertificateIssuer) -> list[EnterpriseEvaluation]:
    return [e for e, _ in enterprise.list_evaluations(db, actor=staff)]


@router.post(
    "/enterprise-evaluations/{evaluation_id}/certificate",
    response_model=CertificateOut,
    status_code=201,
)
def issue_evaluation_certificate(
    evaluation_id: int, db: SessionDep, staff: CertificateIssuer
) -> Certificate:
    cert = service.issue_from_evaluation(db, actor=staff, evaluation_id=evaluation_id)
    return service.store_pdf(db, cert)
