"""Pages: certificates. Public (no login): the lookup (/verify), a QR code's verification
page (/v/<token>) with its Open Badges credential, the JWKS and the revocation lists.
Centres: a plan's issuance (per candidate and in bulk, with the batch's progress and
ZIP), a certificate's record, PDF, revocation and re-issue, their certificate settings.
Centres and regulators: the registry search."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from app.auth.deps import CertificateIssuer, CertificateReader, CertificateRevoker, client_ip
from app.certificates import batches, lookup, numbers, service, verification
from app.certificates.models import CertificateStatus
from app.certificates.service import REVOCATION_REASON_NAMES, STATUS_NAMES
from app.core.db import SessionDep
from app.core.downloads import ZIP_MEDIA_TYPE, attachment
from app.core.errors import DomainError, TooManyAttempts, ValidationFailed
from app.exams.models import ExamPlan
from app.reference.levels import LEVELS
from app.web.exams import FormDep, FormErrors, _text
from app.web.refusals import refused
from app.web.templating import is_htmx, render

router = APIRouter()

PDF_MEDIA_TYPE = "application/pdf"
VC_JWT_MEDIA_TYPE = "application/vc+jwt"


# -- public -----------------------------------------------------------------------------------


@router.get("/.well-known/jwks.json")
def jwks() -> JSONResponse:
    """The public keys that sign certificates (every key ever used: old ones still verify)."""
    return JSONResponse(
        service.signing_keys().public_jwks(), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/certificates/status/{list_no}")
def status_list(list_no: int, db: SessionDep) -> Response:
    """A revocation list (BitstringStatusListCredential, VC-JWT) for offline verifiers."""
    return Response(
        service.status_list_jwt(db, list_no),
        media_type=VC_JWT_MEDIA_TYPE,
        headers={"Cache-Control": "no-cache"},
    )


def _verify_page(
    request: Request,
    *,
    found: verification.PublicCertificate | None = None,
    asked: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    not_found: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "certificates/verify.html",
        {
            "found": found,
            "asked": asked or {},
            "errors": errors or FormErrors(),
            "not_found": not_found,
        },
        status_code=status_code,
    )


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return _verify_page(request)


@router.post("/verify")
def verify_lookup(request: Request, db: SessionDep, form: FormDep) -> Response:
    asked = {k: _text(form, k) for k in ("number", "name", "id_number")}
    try:
        lookup.admit(client_ip(request))
        found = verification.lookup(
            db, number=asked["number"], name=asked["name"], id_number=asked["id_number"]
        )
    except verification.LookupRefused as exc:
        errors = FormErrors(exc.message, [{"field": exc.field_name, "problem": exc.message}])
        return _verify_page(request, asked=asked, errors=errors, status_code=422)
    except TooManyAttempts as exc:
        return _verify_page(request, asked=asked, errors=FormErrors(exc.message), status_code=429)
    asked["id_number"] = ""  # never echoed back into the page
    return _verify_page(
        request,
        found=found,
        asked=asked,
        not_found=found is None,
        status_code=200 if found else 404,
    )


@router.get("/v/{token}")
def verify_token_page(request: Request, token: str) -> Response:
    v = verification.verify_online(token)
    return render(
        request,
        "certificates/token.html",
        {"v": v, "token": token},
        status_code=200 if v.verdict is not verification.Verdict.INVALID else 400,
    )


@router.get("/v/{token}/credential.jwt")
def credential(token: str, db: SessionDep) -> Response:
    """The certificate as an Open Badges 3.0 credential (VC-JWT), for credential wallets."""
    v = verification.verify_online(token)
    if v.verdict not in (verification.Verdict.VALID, verification.Verdict.UNCONFIRMED):
        raise ValidationFailed(v.verdict_name, code="not_valid")
    cert = service.by_number(db, str(v.claims["no"]))
    if cert is None:
        raise ValidationFailed(v.verdict_name, code="not_valid")
    return attachment(
        f"{cert.number}.jwt",
        service.credential_jwt(db, cert).encode(),
        ascii_name=f"{cert.number}.jwt",
        media_type=VC_JWT_MEDIA_TYPE,
    )


# -- a plan's issuance (centres) ------------------------------------------------------------------


def _plan_page(
    request: Request,
    db: SessionDep,
    staff: CertificateIssuer,
    plan_id: int,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    rows = service.plan_certificates(db, actor=staff, plan_id=plan_id)
    plan = db.get(ExamPlan, plan_id)
    assert plan is not None
    sessions = sorted({r.session_id for r in rows})
    from app.exams.models import ExamSession

    return render(
        request,
        "certificates/plan.html",
        {
            "plan": plan,
            "rows": rows,
            "sessions": [db.get(ExamSession, s) for s in sessions],
            "batches": batches.centre_batches(db, actor=staff, plan_id=plan_id),
            "batch_states": batches.BATCH_STATE_NAMES,
            "status_names": STATUS_NAMES,
            "numbering_problem": batches.numbering_problem(db, plan),
            "issuable": sum(1 for r in rows if r.problem is None and r.certificate is None),
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}/certificates")
def plan_page(request: Request, plan_id: int, db: SessionDep, staff: CertificateIssuer) -> Response:
    return _plan_page(request, db, staff, plan_id)


@router.post("/plans/{plan_id}/certificates/results/{result_id}")
def issue_one(
    request: Request, plan_id: int, result_id: int, db: SessionDep, staff: CertificateIssuer
) -> Response:
    try:
        cert = service.issue_from_result(db, actor=staff, result_id=result_id)
    except DomainError as exc:
        return _plan_page(request, db, staff, plan_id, **refused(exc))
    service.store_pdf(db, cert)
    return RedirectResponse(f"/certificates/{cert.id}", status_code=303)


@router.post("/plans/{plan_id}/certificates/batches")
def issue_batch(
    request: Request, plan_id: int, db: SessionDep, staff: CertificateIssuer, form: FormDep
) -> Response:
    raw = _text(form, "session_id")
    try:
        batch = batches.create_batch(
            db, actor=staff, plan_id=plan_id, session_id=int(raw) if raw.isdigit() else None
        )
    except DomainError as exc:
        return _plan_page(request, db, staff, plan_id, **refused(exc))
    return RedirectResponse(f"/certificates/batches/{batch.id}", status_code=303)


@router.get("/certificates/batches/{batch_id}")
def batch_page(
    request: Request, batch_id: int, db: SessionDep, staff: CertificateIssuer
) -> Response:
    p = batches.progress(db, actor=staff, batch_id=batch_id)
    template = (
        "certificates/_batch_progress.html" if is_htmx(request) else "certificates/batch.html"
    )
    return render(request, template, {"p": p})


@router.get("/certificates/batches/{batch_id}/certificates.zip")
def batch_download(batch_id: int, db: SessionDep, staff: CertificateIssuer) -> Response:
    name, content = batches.batch_zip(db, actor=staff, batch_id=batch_id)
    return attachment(
        name, content, ascii_name=f"certificates-{batch_id}.zip", media_type=ZIP_MEDIA_TYPE
    )


# -- settings ---------------------------------------------------------------------------------


def _settings_page(
    request: Request,
    db: SessionDep,
    staff: CertificateIssuer,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    from app.reference.models import EvaluationCentre

    centre = db.get(EvaluationCentre, staff.centre_id or 0)
    settings = service.centre_settings(db, staff.centre_id or 0)
    return render(
        request,
        "certificates/settings.html",
        {
            "centre": centre,
            "s": settings,
            "defaults": numbers.DEFAULT_TEMPLATES,
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/certificates/settings")
def settings_page(request: Request, db: SessionDep, staff: CertificateIssuer) -> Response:
    return _settings_page(request, db, staff)


@router.post("/certificates/settings")
async def save_settings(
    request: Request,
    db: SessionDep,
    staff: CertificateIssuer,
    form: FormDep,
    seal: Annotated[UploadFile | None, File()] = None,
) -> Response:
    seal_png = await seal.read() if seal is not None and seal.filename else None
    try:
        service.save_settings(
            db,
            actor=staff,
            site_serial=_text(form, "site_serial"),
            templates={
                "enterprise": _text(form, "template_enterprise"),
                "one_plus_x": _text(form, "template_one_plus_x"),
            },
            body_text=_text(form, "body_text"),
            lookup_text=_text(form, "lookup_text"),
            seal_png=seal_png,
        )
    except ValidationFailed as exc:
        return _settings_page(request, db, staff, **refused(exc))
    return _settings_page(request, db, staff, notice="证书设置已保存")


# -- the registry and one certificate (centres, regulators) ------------------------------------


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("/certificates")
def registry(
    request: Request,
    db: SessionDep,
    staff: CertificateReader,
    number: str = "",
    name: str = "",
    id_number: str = "",
    occupation: str = "",
    level_code: str = "",
    centre_id: str = "",
    issued_from: str = "",
    issued_to: str = "",
    status: str = "",
) -> Response:
    f = service.RegistryFilter(
        number=number,
        name=name,
        id_number=id_number,
        occupation=occupation,
        level_code=level_code,
        centre_id=int(centre_id) if centre_id.isdigit() else None,
        issued_from=_date(issued_from),
        issued_to=_date(issued_to),
        status=status if status in set(CertificateStatus) else "",
    )
    return render(
        request,
        "certificates/registry.html",
        {
            "rows": service.search_registry(db, actor=staff, f=f),
            "f": f,
            "centres": service.centres_in_scope(db, staff),
            "levels": LEVELS,
            "status_names": STATUS_NAMES,
            "limit": service.REGISTRY_LIMIT,
        },
    )


def _detail_page(
    request: Request,
    db: SessionDep,
    staff: CertificateReader,
    certificate_id: int,
    *,
    notice: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    from app.accounts import policy
    from app.accounts.policy import Action, Resource

    cert = service.get_certificate(db, actor=staff, certificate_id=certificate_id)
    return render(
        request,
        "certificates/detail.html",
        {
            "c": cert,
            "status_name": STATUS_NAMES[CertificateStatus(cert.status)],
            "reasons": REVOCATION_REASON_NAMES,
            "successor": service.successor_of(db, cert),
            "verify_url": service.verify_url(cert.token),
            "may_revoke": policy.may(staff, Action.REVOKE, Resource.CERTIFICATE),
            "may_reissue": policy.may(staff, Action.MANAGE, Resource.CERTIFICATE),
            "notice": notice,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/certificates/{certificate_id}")
def detail(
    request: Request, certificate_id: int, db: SessionDep, staff: CertificateReader
) -> Response:
    return _detail_page(request, db, staff, certificate_id)


@router.get("/certificates/{certificate_id}/certificate.pdf")
def download_pdf(certificate_id: int, db: SessionDep, staff: CertificateReader) -> Response:
    cert = service.get_certificate(db, actor=staff, certificate_id=certificate_id)
    return attachment(
        service.pdf_filename(cert),
        service.stored_pdf(cert),
        ascii_name=f"{cert.number}.pdf",
        media_type=PDF_MEDIA_TYPE,
    )


@router.post("/certificates/{certificate_id}/revoke")
def revoke(
    request: Request, certificate_id: int, db: SessionDep, staff: CertificateRevoker, form: FormDep
) -> Response:
    try:
        service.revoke(
            db,
            actor=staff,
            certificate_id=certificate_id,
            reason=_text(form, "reason"),
            note=_text(form, "note"),
        )
    except ValidationFailed as exc:
        return _detail_page(request, db, staff, certificate_id, **refused(exc))
    return _detail_page(
        request,
        db,
        staff,
        certificate_id,
        notice="证书已撤销：查询页、接口和状态列表即刻显示为已撤销",
    )


@router.post("/certificates/{certificate_id}/reissue")
def reissue(
    request: Request, certificate_id: int, db: SessionDep, staff: CertificateIssuer, form: FormDep
) -> Response:
    try:
        new = service.reissue(
            db, actor=staff, certificate_id=certificate_id, reason=_text(form, "reason")
        )
    except ValidationFailed as exc:
        return _detail_page(request, db, staff, certificate_id, **refused(exc))
    service.store_pdf(db, new)
    return RedirectResponse(f"/certificates/{new.id}", status_code=303)
