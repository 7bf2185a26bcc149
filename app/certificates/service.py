"""Issuing certificates (发证) from confirmed, passing results; numbers; the stored PDF;
revocation (撤销) and corrected re-issue (换发).

A certificate is issued from nothing but a result the centre confirmed (or published) with
the outcome 合格. Its holder data is copied in at issue and never follows the candidate's
row afterwards; a correction is a re-issue that supersedes the old record, with a reason.
Issuing takes the next serial of the number's prefix inside the issuing transaction
(`allocate_serial`), so numbers are unique and gap-free per prefix and year, also with
several processes issuing at once; certificate rows are never deleted, so a number is
never given twice."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import StaffUser
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.accounts.service import as_staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.certificates import claims as claims_rules
from app.certificates import events, numbers, statuslist
from app.certificates.claims import NO_DIRECTION, CertificateFacts
from app.certificates.models import (
    Certificate,
    CertificateSerial,
    CertificateSettings,
    CertificateStatus,
    RevocationReason,
)
from app.core import clock, signing
from app.core.config import get_settings
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.keys import signing_keys
from app.exams import photos
from app.exams.models import Candidate, ExamPlan
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre, Occupation
from app.results.models import EnterpriseEvaluation, EvaluationDecision, Result, ResultState
from app.results.rules import Outcome

log = logging.getLogger(__name__)

REVOCATION_REASON_NAMES = {
    RevocationReason.IMPROPER_MEANS: "以欺骗、贿赂等不正当手段取得",
    RevocationReason.ASSESSMENT_VIOLATION: "考核违纪舞弊，事后查实",
    RevocationReason.WRONG_ISSUE: "不符合发证条件而错发",
    RevocationReason.HOLDER_REQUEST: "持证人申请注销",
    RevocationReason.OTHER: "其他",
}
STATUS_NAMES = {
    CertificateStatus.VALID: "有效",
    CertificateStatus.REVOKED: "已撤销",
    CertificateStatus.SUPERSEDED: "已换发（被新证书替代）",
}
ISSUABLE_STATES = (ResultState.CONFIRMED, ResultState.PUBLISHED)


def _missing() -> NotFound:
    return NotFound("证书不存在", code="certificate_not_found")


# -- settings and numbers --------------------------------------------------------------


def centre_settings(db: Session, centre_id: int) -> CertificateSettings:
    """The centre's certificate settings (defaults, unsaved, when it has none)."""
    return db.get(CertificateSettings, centre_id) or CertificateSettings(centre_id=centre_id)


def evaluator_codes(
    centre: EvaluationCentre, settings: CertificateSettings
) -> numbers.EvaluatorCodes:
    return numbers.EvaluatorCodes(
        evaluator_type=centre.evaluator_type,
        national_code=centre.national_code,
        province_code=centre.province_code,
        site_serial=settings.site_serial,
    )


def number_format(settings: CertificateSettings, kind: numbers.NumberKind) -> numbers.NumberFormat:
    if kind is numbers.NumberKind.SKILL_LEVEL:  # the national layout is not a setting
        return numbers.NATIONAL_FORMAT
    return numbers.NumberFormat(
        settings.number_templates.get(kind.value) or numbers.DEFAULT_TEMPLATES[kind],
        numbers.LEVEL_CHARS[kind],
    )


def known_formats(db: Session) -> list[numbers.NumberFormat]:
    """Every number format in use (for checking what people type into the lookup): the
    defaults and each centre's templates, read from the settings' one column that holds
    them (read afresh each time: any instance may just have changed a centre's)."""
    kinds = (numbers.NumberKind.ENTERPRISE, numbers.NumberKind.ONE_PLUS_X)
    templates = {(numbers.DEFAULT_TEMPLATES[k], k) for k in kinds}
    for kept in db.exec(select(CertificateSettings.number_templates)):
        templates |= {(t, numbers.NumberKind(k)) for k, t in kept.items()}
    out = []
    for template, kind in sorted(templates):
        try:
            out.append(numbers.NumberFormat(template, numbers.LEVEL_CHARS[kind]))
        except numbers.NumberFormatInvalid:
            continue
    return out


def allocate_serial(db: Session, prefix: str) -> int:
    """The next serial under a prefix, taken inside the caller's transaction: the row's
    lock queues other issuers of the prefix until this transaction ends, and a rollback
    returns the serial (no gaps)."""
    dialect = db.get_bind().dialect.name
    insert_for: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.execute(
        insert_for(CertificateSerial)
        .values(prefix=prefix, last_serial=0)
        .on_conflict_do_nothing(index_elements=["prefix"])
    )
    serial = db.execute(
        update(CertificateSerial)
        .where(col(CertificateSerial.prefix) == prefix)
        .values(last_serial=col(CertificateSerial.last_serial) + 1)
        .returning(col(CertificateSerial.last_serial))
    ).scalar_one()
    return int(serial)


# -- facts and tokens ------------------------------------------------------------------


def facts_of(cert: Certificate) -> CertificateFacts:
    assert cert.id is not None
    list_no, index = statuslist.list_position(cert.id)
    return CertificateFacts(
        number=cert.number,
        holder_name=cert.holder_name,
        id_type=cert.id_type,
        id_number=cert.id_number,
        occupation_name=cert.occupation_name,
        occupation_code=cert.occupation_code,
        direction=cert.direction,
        level_display=cert.level_display,
        evaluator_name=cert.evaluator_name,
        issued_on=cert.issued_on,
        status_list=list_no,
        status_index=index,
    )


def verify_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/v/{token}"


def lookup_url() -> str:
    return f"{get_settings().public_url.rstrip('/')}/verify"


# -- issuance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Whose certificate it is, as printed: the candidate's row at the moment of issue."""

    candidate: Candidate
    photo: bytes


def _holder(candidate: Candidate) -> Holder:
    photo = photos.photo_of(candidate)
    if photo is None:
        raise ValidationFailed(
            f"考生 {candidate.name} 没有证件照，不能发证：请先在考生信息中上传照片",
            code="photo_missing",
            details=[{"field": "photo", "candidate": candidate.name, "problem": "缺少证件照"}],
        )
    return Holder(candidate, photo)


def missing_photos(db: Session, candidate_ids: list[int]) -> list[str]:
    """Names of the candidates among these without a photo (bulk issuance refuses them)."""
    rows = db.exec(select(Candidate).where(col(Candidate.id).in_(candidate_ids))).all()
    return sorted(c.name for c in rows if photos.photo_of(c) is None)


def _photo_path(sha256: str) -> Path:
    return Path(get_settings().data_dir) / "certificates" / "photos" / f"{sha256}.jpg"


def certificate_photo(cert: Certificate) -> bytes:
    return _photo_path(cert.photo_sha256).read_bytes()


def _keep_photo(photo: bytes) -> str:
    sha = hashlib.sha256(photo).hexdigest()
    path = _photo_path(sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(photo)
        tmp.replace(path)
    return sha


def _result_of(db: Session, actor: Staff, result_id: int) -> Result:
    result = db.get(Result, result_id)
    policy.check(
        actor,
        Action.MANAGE,
        Resource.CERTIFICATE,
        Facts.of(result.centre_id) if result else None,
        missing=NotFound("成绩不存在", code="result_not_found"),
    )
    assert result is not None
    return result


def issuable_problem(result: Result) -> str | None:
    """None when a certificate may be issued from this result, else why not."""
    if result.state not in ISSUABLE_STATES:
        return "成绩尚未确认：只能依据已确认的成绩发证"
    if result.outcome != Outcome.PASSED:
        return "成绩不合格（或待定、缺考、违纪），不能发证"
    return None


def revocation_text(cert: Certificate) -> str:
    """Why a certificate was revoked, as the public and the QR page read it."""
    reason = REVOCATION_REASON_NAMES.get(cert.revocation_reason or "", "")  # type: ignore[call-overload]
    return f"{reason}：{cert.revocation_note}" if reason else cert.revocation_note


def results_with_valid_certificates(db: Session, result_ids: list[int]) -> set[int]:
    """Which of these results already have a valid certificate (one query)."""
    if not result_ids:
        return set()
    found = db.exec(
        select(Certificate.result_id).where(
            col(Certificate.result_id).in_(result_ids),
            Certificate.status == CertificateStatus.VALID,
        )
    ).all()
    return {r for r in found if r is not None}


def valid_certificate_of(db: Session, result_id: int) -> Certificate | None:
    return db.exec(
        select(Certificate).where(
            Certificate.result_id == result_id, Certificate.status == CertificateStatus.VALID
        )
    ).first()


@dataclass(frozen=True)
class Source:
    """What a certificate is issued from: a confirmed result, or (特级/首席技师) an
    appointed enterprise evaluation."""

    centre_id: int
    occupation_id: int
    level_code: str
    result: Result | None = None
    plan_id: int | None = None
    evaluation_id: int | None = None

    @classmethod
    def of_result(cls, db: Session, result: Result) -> "Source":
        plan = db.get(ExamPlan, result.plan_id)
        assert plan is not None
        return cls(result.centre_id, plan.occupation_id, plan.level_code, result, plan.id)

    @classmethod
    def of_evaluation(cls, evaluation: EnterpriseEvaluation) -> "Source":
        return cls(
            evaluation.centre_id,
            evaluation.occupation_id,
            evaluation.level_code,
            evaluation_id=evaluation.id,
        )


def _new_certificate(
    db: Session,
    *,
    actor: Staff | None,
    source: Source,
    holder: Holder,
    issued_on: date,
    supersedes: Certificate | None = None,
    reason: str = "",
) -> Certificate:
    centre = db.get(EvaluationCentre, source.centre_id)
    assert centre is not None and centre.id is not None
    occupation = db.get(Occupation, source.occupation_id)
    assert occupation is not None
    level = get_level(source.level_code)
    settings = centre_settings(db, centre.id)
    kind = numbers.kind_of(level)
    codes = evaluator_codes(centre, settings)
    if "{site}" in number_format(settings, kind).template:
        problem = numbers.codes_problem(codes)
        if problem:
            raise ValidationFailed(
                f"证书编号所需的机构代码不完整：{problem}（证书设置）", code="codes_incomplete"
            )
    fmt = number_format(settings, kind)
    prefix = fmt.prefix(codes, level_char=numbers.level_char(level), issued=issued_on)
    number = fmt.number(prefix, allocate_serial(db, prefix))
    cand = holder.candidate
    cert = Certificate(
        number=number,
        scheme=level.scheme.value,
        centre_id=centre.id,
        candidate_id=cand.id or 0,
        result_id=source.result.id if source.result else None,
        plan_id=source.plan_id,
        evaluation_id=source.evaluation_id,
        holder_name=cand.name,
        id_type=cand.id_type,
        id_number=cand.id_number,
        photo_sha256=_keep_photo(holder.photo),
        occupation_name=occupation.name,
        occupation_code=occupation.code,
        direction=occupation.direction or NO_DIRECTION,
        level_code=level.code,
        level_display=level.display,
        evaluator_name=centre.name,
        holder_facts=dict(cand.facts or {}),
        issued_on=issued_on,
        kid="",
        token="",
        supersedes_id=supersedes.id if supersedes else None,
        reissue_reason=reason,
        issued_by=actor.id if actor else None,
    )
    db.add(cert)
    db.flush()  # its id is its place in the revocation list, which the token carries
    keys = signing_keys()
    cert.kid = keys.current_kid
    cert.token = signing.sign(claims_rules.claims_of(facts_of(cert)), keys)
    db.add(cert)
    audit.record(
        db,
        actor=actor,
        action="certificate.reissue" if supersedes else "certificate.issue",
        object_type="certificate",
        object_id=cert.id,
        centre_id=centre.id,
        reason=reason,
        detail={
            "number": number,
            "result_id": cert.result_id,
            "evaluation_id": cert.evaluation_id,
        },
    )
    db.flush()
    events.issued(db, cert)  # subsidies, in this transaction
    log.info("certificate %s issued", number)
    return cert


def issue_from_result(
    db: Session, *, actor: Staff, result_id: int, issued_on: date | None = None
) -> Certificate:
    """Issue one candidate's certificate (its PDF is rendered by `store_pdf`)."""
    result = _result_of(db, actor, result_id)
    problem = issuable_problem(result)
    if problem:
        raise Conflict(problem, code="result_not_issuable")
    existing = valid_certificate_of(db, result_id)
    if existing is not None:
        raise Conflict(f"已为该成绩发证：{existing.number}", code="already_issued")
    candidate = db.get(Candidate, result.candidate_id)
    assert candidate is not None
    return _new_certificate(
        db,
        actor=actor,
        source=Source.of_result(db, result),
        holder=_holder(candidate),
        issued_on=issued_on or today(),
    )


def issue_from_evaluation(
    db: Session, *, actor: Staff, evaluation_id: int, issued_on: date | None = None
) -> Certificate:
    """A 特级技师 / 首席技师 certificate from the enterprise's appointed evaluation."""
    from app.results import enterprise

    evaluation = enterprise.get_evaluation(
        db, actor=actor, evaluation_id=evaluation_id, action=Action.MANAGE
    )
    policy.require(actor, Action.MANAGE, Resource.CERTIFICATE)
    if evaluation.decision != EvaluationDecision.APPOINTED:
        raise Conflict("未评聘，不能发证", code="not_appointed")
    existing = db.exec(
        select(Certificate).where(
            Certificate.evaluation_id == evaluation.id,
            Certificate.status == CertificateStatus.VALID,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"已为该评聘发证：{existing.number}", code="already_issued")
    candidate = db.get(Candidate, evaluation.candidate_id)
    assert candidate is not None
    return _new_certificate(
        db,
        actor=actor,
        source=Source.of_evaluation(evaluation),
        holder=_holder(candidate),
        issued_on=issued_on or today(),
    )


def issue_for_batch(db: Session, *, result_id: int, actor_id: int, issued_on: date) -> Certificate:
    """A bulk issuance's step for one result, by a worker (no request): the certificate
    the result already has, or a new one. Idempotent, so a resumed batch never issues
    twice."""
    existing = valid_certificate_of(db, result_id)
    if existing is not None:
        return existing
    result = db.get(Result, result_id)
    assert result is not None
    problem = issuable_problem(result)
    if problem:
        raise Conflict(problem, code="result_not_issuable")
    candidate = db.get(Candidate, result.candidate_id)
    assert candidate is not None
    user = db.get(StaffUser, actor_id)  # the requester, for the audit trail
    actor = as_staff(user) if user is not None else None
    return _new_certificate(
        db,
        actor=actor,
        source=Source.of_result(db, result),
        holder=_holder(candidate),
        issued_on=issued_on,
    )


def today() -> date:
    """The issue date: the day in China (发证日期)."""
    now = clock.to_china(clock.utcnow())
    assert now is not None
    return now.date()


# -- the stored PDF ---------------------------------------------------------------------


def pdf_path(cert: Certificate) -> Path:
    return (
        Path(get_settings().data_dir)
        / "certificates"
        / str(cert.centre_id)
        / str(cert.issued_on.year)
        / f"{cert.number}.pdf"
    )


def store_pdf(db: Session, cert: Certificate) -> Certificate:
    """Render the certificate once and keep the file with its SHA-256; later downloads
    are that file. A stored PDF is never rendered again."""
    if cert.pdf_sha256:
        return cert
    from app.certificates import pdf  # WeasyPrint is loaded only where PDFs are made

    return save_pdf(db, cert, pdf.render(db, cert))


def save_pdf(db: Session, cert: Certificate, content: bytes) -> Certificate:
    """Keep a rendered PDF: the file first, then its digest on the row (a committed
    digest always has its file)."""
    path = pdf_path(cert)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    cert.pdf_sha256 = hashlib.sha256(content).hexdigest()
    db.add(cert)
    db.flush()
    return cert


def stored_pdf(cert: Certificate) -> bytes:
    if not cert.pdf_sha256:
        raise Conflict("证书文件正在生成，请稍后再下载", code="pdf_pending")
    content = pdf_path(cert).read_bytes()
    if hashlib.sha256(content).hexdigest() != cert.pdf_sha256:
        # Never serve a file that is not the one issued.
        log.error("certificate %s: stored PDF does not match its SHA-256", cert.number)
        raise Conflict("证书文件校验失败，请联系平台管理员", code="pdf_mismatch")
    return content


def pdf_filename(cert: Certificate) -> str:
    return f"{cert.number}_{cert.holder_name}.pdf"


# -- reading ----------------------------------------------------------------------------


def _facts(db: Session, cert: Certificate) -> Facts:
    centre = db.get(EvaluationCentre, cert.centre_id)
    return Facts.of(cert.centre_id, region_code=centre.region_code if centre else None)


def get_certificate(
    db: Session, *, actor: Staff, certificate_id: int, action: Action = Action.READ
) -> Certificate:
    cert = db.get(Certificate, certificate_id)
    policy.check(
        actor, action, Resource.CERTIFICATE, _facts(db, cert) if cert else None, missing=_missing()
    )
    assert cert is not None
    return cert


def by_number(db: Session, number: str) -> Certificate | None:
    return db.exec(
        select(Certificate).where(Certificate.number == numbers.normalise_number(number))
    ).first()


def successor_of(db: Session, cert: Certificate) -> Certificate | None:
    return db.exec(select(Certificate).where(Certificate.supersedes_id == cert.id)).first()


# -- revocation and re-issue ----------------------------------------------------------------


def revoke(
    db: Session, *, actor: Staff, certificate_id: int, reason: str, note: str
) -> Certificate:
    """撤销: the issuing centre or a regulator of its region, with a reason code and text.
    It reads revoked at once on every surface (they all read this row, and the status
    list is built from it)."""
    cert = get_certificate(db, actor=actor, certificate_id=certificate_id, action=Action.REVOKE)
    try:
        code = RevocationReason(reason)
    except ValueError:
        raise ValidationFailed(
            "请选择撤销原因",
            code="reason_invalid",
            details=[{"field": "reason", "problem": f"未知的撤销原因：{reason}"}],
        ) from None
    text = clean_reason(note)
    if not text:
        raise ValidationFailed(
            "请填写撤销说明",
            code="note_required",
            details=[{"field": "note", "problem": "必填"}],
        )
    if cert.status != CertificateStatus.VALID:
        raise Conflict(
            f"证书{STATUS_NAMES[CertificateStatus(cert.status)]}，不能撤销", code="not_valid"
        )
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = clock.utcnow()
    cert.revoked_by = actor.id
    cert.revocation_reason = code.value
    cert.revocation_note = text
    db.add(cert)
    audit.record(
        db,
        actor=actor,
        action="certificate.revoke",
        object_type="certificate",
        object_id=cert.id,
        centre_id=cert.centre_id,
        reason=f"{REVOCATION_REASON_NAMES[code]}：{text}",
        detail={"number": cert.number},
    )
    db.flush()
    events.revoked(db, cert)  # unpaid subsidies void, paid ones flagged for recovery
    return cert


def reissue(db: Session, *, actor: Staff, certificate_id: int, reason: str) -> Certificate:
    """换发: a corrected certificate (the candidate's details as corrected now) under a new
    number, superseding the old one, which stays on record as superseded."""
    old = get_certificate(db, actor=actor, certificate_id=certificate_id, action=Action.MANAGE)
    text = clean_reason(reason)
    if not text:
        raise ValidationFailed(
            "请填写换发原因（更正了什么）",
            code="reason_required",
            details=[{"field": "reason", "problem": "必填"}],
        )
    if old.status != CertificateStatus.VALID:
        raise Conflict("只能换发有效的证书", code="not_valid")
    if old.result_id is not None:
        result = db.get(Result, old.result_id)
        assert result is not None
        source = Source.of_result(db, result)
    elif old.evaluation_id is not None:
        evaluation = db.get(EnterpriseEvaluation, old.evaluation_id)
        assert evaluation is not None
        source = Source.of_evaluation(evaluation)
    else:
        raise Conflict("该证书没有发证依据记录，不能换发", code="no_source")
    candidate = db.get(Candidate, old.candidate_id)
    assert candidate is not None
    holder = _holder(candidate)
    old.status = CertificateStatus.SUPERSEDED
    old.superseded_at = clock.utcnow()
    db.add(old)
    db.flush()
    return _new_certificate(
        db,
        actor=actor,
        source=source,
        holder=holder,
        issued_on=today(),
        supersedes=old,
        reason=text,
    )


# -- the revocation list -------------------------------------------------------------------


def status_bits(db: Session, list_no: int) -> list[int]:
    """The set bits of one revocation list: its revoked and superseded certificates."""
    first = (list_no - 1) * statuslist.LIST_BITS + 1
    ids = db.exec(
        select(Certificate.id).where(
            col(Certificate.id) >= first,
            col(Certificate.id) < first + statuslist.LIST_BITS,
            Certificate.status != CertificateStatus.VALID,
        )
    ).all()
    return [statuslist.list_position(i)[1] for i in ids if i is not None]


def status_list_count(db: Session) -> int:
    last = db.exec(select(Certificate.id).order_by(col(Certificate.id).desc())).first()
    return statuslist.list_position(last)[0] if last else 1


# -- the registry (评价机构 and regulators) ---------------------------------------------------


@dataclass(frozen=True)
class RegistryFilter:
    number: str = ""
    name: str = ""
    id_number: str = ""
    occupation: str = ""
    level_code: str = ""
    centre_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    status: str = ""


REGISTRY_LIMIT = 200


def centres_in_scope(db: Session, actor: Staff) -> list[EvaluationCentre]:
    """The centres whose certificates the actor may read in full: their own centre, or a
    regulator's region."""
    policy.require(actor, Action.READ, Resource.CERTIFICATE)
    return [
        c
        for c in db.exec(select(EvaluationCentre).order_by(col(EvaluationCentre.name)))
        if policy.allows(
            actor, Action.READ, Resource.CERTIFICATE, Facts.of(c.id, region_code=c.region_code)
        )
    ]


def search_registry(db: Session, *, actor: Staff, f: RegistryFilter) -> list[Certificate]:
    """证书登记查询: full records of the certificates in the actor's scope, newest first."""
    from app.reference.identifiers import normalise_resident_id

    ids = [c.id for c in centres_in_scope(db, actor)]
    if f.centre_id is not None:
        ids = [i for i in ids if i == f.centre_id]
    query = select(Certificate).where(col(Certificate.centre_id).in_(ids))
    if f.number:
        query = query.where(col(Certificate.number).startswith(numbers.normalise_number(f.number)))
    if f.name:
        query = query.where(col(Certificate.holder_name).contains(f.name.strip()))
    if f.id_number:
        query = query.where(Certificate.id_number == normalise_resident_id(f.id_number))
    if f.occupation:
        query = query.where(
            col(Certificate.occupation_name).contains(f.occupation.strip())
            | (col(Certificate.occupation_code) == f.occupation.strip())
        )
    if f.level_code:
        query = query.where(Certificate.level_code == f.level_code)
    if f.issued_from:
        query = query.where(col(Certificate.issued_on) >= f.issued_from)
    if f.issued_to:
        query = query.where(col(Certificate.issued_on) <= f.issued_to)
    if f.status:
        query = query.where(Certificate.status == f.status)
    query = query.order_by(col(Certificate.issued_at).desc(), col(Certificate.id).desc())
    return list(db.exec(query.limit(REGISTRY_LIMIT)))


@dataclass(frozen=True)
class PlanCertificateRow:
    result: Result
    name: str
    ticket_number: str
    session_id: int
    has_photo: bool
    certificate: Certificate | None
    problem: str | None  # why it cannot be issued now


def plan_certificates(db: Session, *, actor: Staff, plan_id: int) -> list[PlanCertificateRow]:
    """Each result of the plan with its certificate (the latest valid one) or why none."""
    from app.exams.models import Registration

    plan = db.get(ExamPlan, plan_id)
    policy.check(
        actor,
        Action.MANAGE,
        Resource.CERTIFICATE,
        Facts.of(plan.centre_id) if plan else None,
        missing=NotFound("考试计划不存在", code="plan_not_found"),
    )
    rows = db.exec(
        select(Result, Candidate, Registration)
        .join(Candidate, col(Candidate.id) == Result.candidate_id)
        .join(Registration, col(Registration.id) == Result.registration_id)
        .where(Result.plan_id == plan_id)
        .order_by(col(Registration.ticket_number))
    ).all()
    certs: dict[int, Certificate] = {}
    for issued in db.exec(
        select(Certificate).where(Certificate.plan_id == plan_id).order_by(col(Certificate.id))
    ):
        if issued.result_id is not None and (
            issued.status == CertificateStatus.VALID or issued.result_id not in certs
        ):
            certs[issued.result_id] = issued
    out = []
    for result, cand, reg in rows:
        cert = certs.get(result.id or 0)
        problem = issuable_problem(result)
        if problem is None and not cand.photo_digest:
            problem = "缺少证件照"
        out.append(
            PlanCertificateRow(
                result=result,
                name=cand.name,
                ticket_number=reg.ticket_number,
                session_id=reg.session_id,
                has_photo=bool(cand.photo_digest),
                certificate=cert,
                problem=problem,
            )
        )
    return out


def save_settings(
    db: Session,
    *,
    actor: Staff,
    site_serial: str,
    templates: dict[str, str],
    body_text: str,
    lookup_text: str,
    seal_png: bytes | None = None,
) -> CertificateSettings:
    """The centre's certificate settings, checked as a whole: nothing changes on an error."""
    centre_id = policy.centre_scope(actor, Action.MANAGE, Resource.CERTIFICATE)
    problems = []
    if site_serial and (
        not site_serial.isdigit() or len(site_serial) != 6 or site_serial == "000000"
    ):
        problems.append({"field": "site_serial", "problem": "应为省级人社部门分配的 6 位数字"})
    clean_templates = {}
    for kind in (numbers.NumberKind.ENTERPRISE, numbers.NumberKind.ONE_PLUS_X):
        value = templates.get(kind.value, "").strip()
        if value:
            problem = numbers.template_problem(value)
            if problem:
                problems.append({"field": f"template_{kind.value}", "problem": problem})
            clean_templates[kind.value] = value
    seal_sha = None
    if seal_png:
        seal_sha, problem = _keep_seal(seal_png)
        if problem:
            problems.append({"field": "seal", "problem": problem})
    if len(body_text) > 500 or len(lookup_text) > 300:
        problems.append(
            {"field": "body_text", "problem": "文字过长（正文 500 字、查询说明 300 字以内）"}
        )
    if problems:
        raise ValidationFailed("证书设置有误，未保存", code="settings_invalid", details=problems)
    settings = db.get(CertificateSettings, centre_id) or CertificateSettings(centre_id=centre_id)
    settings.site_serial = site_serial
    settings.number_templates = clean_templates
    settings.body_text = body_text.strip()
    settings.lookup_text = lookup_text.strip()
    if seal_sha:
        settings.seal_sha256 = seal_sha
    settings.updated_at = clock.utcnow()
    db.add(settings)
    audit.record(
        db,
        actor=actor,
        action="certificate.settings",
        object_type="centre",
        object_id=centre_id,
        detail={"site_serial": site_serial, "templates": clean_templates, "seal": bool(seal_sha)},
    )
    db.flush()
    return settings


SEAL_MAX_BYTES = 1024 * 1024


def _keep_seal(data: bytes) -> tuple[str | None, str | None]:
    """A seal image as a fresh PNG (transparency kept) under the data dir."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(data) > SEAL_MAX_BYTES:
        return None, "印章图片不能超过 1 MB"
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                return None, "印章图片应为 PNG（透明背景）"
            if img.width * img.height > 4000 * 4000:
                return None, "印章图片尺寸过大"
            out = io.BytesIO()
            img.convert("RGBA").save(out, format="PNG")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None, "无法读取印章图片"
    from app.certificates.pdf import seal_path

    content = out.getvalue()
    sha = hashlib.sha256(content).hexdigest()
    path = seal_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return sha, None


# -- verifiable credentials -------------------------------------------------------------------


def credential_jwt(db: Session, cert: Certificate) -> str:
    """The certificate as an OpenBadgeCredential, secured as VC-JWT (EdDSA)."""
    from app.certificates import credentials

    centre = db.get(EvaluationCentre, cert.centre_id)
    base = get_settings().public_url.rstrip("/")
    badge = credentials.open_badge(
        facts_of(cert), base_url=base, issuer_code=centre.credit_code if centre else "unknown"
    )
    return signing.sign(badge, signing_keys(), typ=credentials.VC_JWT_TYPE, cty="vc")


def status_list_jwt(db: Session, list_no: int) -> str:
    """One revocation list as a BitstringStatusListCredential (VC-JWT), built from the
    certificates' rows at this moment: a revocation is in the next list fetched."""
    from app.certificates import credentials

    if list_no < 1 or list_no > status_list_count(db):
        raise NotFound("状态列表不存在", code="status_list_not_found")
    payload = credentials.status_list(
        base_url=get_settings().public_url.rstrip("/"),
        list_no=list_no,
        encoded=statuslist.encode(status_bits(db, list_no)),
        issuer_name="技评 Jiping",
        now=clock.utcnow(),
    )
    return signing.sign(payload, signing_keys(), typ=credentials.VC_JWT_TYPE, cty="vc")


def certificates_of_evaluations(db: Session, evaluation_ids: list[int | None]) -> list[Certificate]:
    ids = [i for i in evaluation_ids if i is not None]
    if not ids:
        return []
    return list(
        db.exec(
            select(Certificate).where(
                col(Certificate.evaluation_id).in_(ids),
                Certificate.status == CertificateStatus.VALID,
            )
        )
    )
