"""Verifying a certificate: its QR token online (`/v/<token>`), offline (the CLI, with a
JWKS and a cached status list) and by the public lookup (number + name or ID number).

Each verification says which checks were made: the signature is checked with the public
keys alone, so it is answered even when the registry (the database) cannot be reached;
the registry then says whether the certificate is still valid, revoked or superseded."""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from joserfc.jwk import KeySet
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.certificates import claims as claims_rules
from app.certificates import service, statuslist
from app.certificates.claims import CLAIM_NAMES
from app.certificates.models import Certificate, CertificateStatus
from app.core import signing
from app.core.clock import to_china
from app.core.db import session_scope

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    VALID = "valid"  # 有效
    REVOKED = "revoked"  # 已撤销
    SUPERSEDED = "superseded"  # 已换发
    INVALID = "invalid"  # 签名无效 / 伪造
    UNCONFIRMED = "unconfirmed"  # 签名有效，登记状态未能核实


VERDICT_NAMES = {
    Verdict.VALID: "证书有效",
    Verdict.REVOKED: "证书已撤销",
    Verdict.SUPERSEDED: "证书已换发，此证书不再有效",
    Verdict.INVALID: "无法验证：不是本平台签发的有效证书",
    Verdict.UNCONFIRMED: "签名有效，但未能核实证书当前状态",
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: not made
    detail: str


@dataclass
class Verification:
    verdict: Verdict
    checks: list[Check] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    kid: str | None = None
    problem_code: str | None = None
    revoked_at: datetime | None = None
    revocation: str = ""
    successor_number: str | None = None

    @property
    def verdict_name(self) -> str:
        return VERDICT_NAMES[self.verdict]

    def shown_claims(self) -> list[tuple[str, str]]:
        return [(CLAIM_NAMES[k], str(self.claims[k])) for k in CLAIM_NAMES if k in self.claims]

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "verdict_name": self.verdict_name,
            "checks": [c.__dict__ for c in self.checks],
            "claims": {k: self.claims[k] for k in CLAIM_NAMES if k in self.claims},
            "kid": self.kid,
            "problem": self.problem_code,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revocation": self.revocation,
            "successor_number": self.successor_number,
        }


def check_signature(token: str, key_set: KeySet) -> Verification:
    """The signature and the claims' shape: needs nothing but the public keys."""
    try:
        verified = signing.verify(token, key_set)
    except signing.TokenInvalid as exc:
        return Verification(
            Verdict.INVALID,
            [Check("签名", False, exc.message)],
            problem_code=exc.code,
        )
    problem = claims_rules.claims_problem(verified.payload)
    if problem:
        return Verification(
            Verdict.INVALID,
            [Check("签名", True, "签名有效"), Check("内容", False, problem)],
            problem_code="bad_claims",
        )
    return Verification(
        Verdict.UNCONFIRMED,
        [Check("签名", True, f"签名有效（Ed25519，密钥 {verified.kid}）")],
        claims=verified.payload,
        kid=verified.kid,
    )


def _apply_record(
    v: Verification, token: str, cert: Certificate | None, successor: str | None
) -> None:
    if cert is None or cert.token != token.strip():
        # Signed by our key, but not a token the registry issued: never trust it.
        v.verdict, v.problem_code = Verdict.INVALID, "not_registered"
        v.checks.append(Check("登记状态", False, "证书登记库中没有这张证书"))
        return
    if cert.status == CertificateStatus.REVOKED:
        v.verdict = Verdict.REVOKED
        v.revoked_at = to_china(cert.revoked_at)
        v.revocation = service.revocation_text(cert)
        when = v.revoked_at.strftime("%Y-%m-%d") if v.revoked_at else ""
        v.checks.append(Check("登记状态", False, f"已于 {when} 撤销（{v.revocation}）"))
    elif cert.status == CertificateStatus.SUPERSEDED:
        v.verdict = Verdict.SUPERSEDED
        v.successor_number = successor
        v.checks.append(
            Check("登记状态", False, f"已换发，新证书编号 {successor}" if successor else "已换发")
        )
    else:
        v.verdict = Verdict.VALID
        v.checks.append(Check("登记状态", True, "登记库中证书有效"))


def verify_online(token: str) -> Verification:
    """For `/v/<token>` and the API: the signature, then the registry. The registry being
    unreachable leaves the signature's answer standing, and says so."""
    v = check_signature(token, service.signing_keys().key_set())
    if v.verdict is Verdict.INVALID:
        return v
    try:
        with session_scope() as db:
            cert = service.by_number(db, str(v.claims["no"]))
            successor = service.successor_of(db, cert) if cert else None
            _apply_record(v, token, cert, successor.number if successor else None)
    except SQLAlchemyError:
        log.exception("certificate registry unreachable while verifying a token")
        v.checks.append(Check("登记状态", None, "证书登记库暂时无法访问，仅核验了签名"))
    return v


def verify_offline(token: str, key_set: KeySet, status_list: dict[str, Any] | None) -> Verification:
    """With no network: the signature against a JWKS, and, given a cached revocation list
    (a verified BitstringStatusListCredential's payload), the certificate's bit in it."""
    v = check_signature(token, key_set)
    if v.verdict is Verdict.INVALID:
        return v
    entry = claims_rules.status_entry(v.claims)
    if status_list is None or entry is None:
        v.checks.append(Check("撤销状态", None, "未提供状态列表：未核验是否撤销"))
        return v
    list_no, index = entry
    subject = status_list.get("credentialSubject", {})
    if not str(status_list.get("id", "")).endswith(f"/certificates/status/{list_no}"):
        v.checks.append(Check("撤销状态", None, f"状态列表不是第 {list_no} 号，未核验是否撤销"))
        return v
    try:
        revoked = statuslist.bit_is_set(str(subject.get("encodedList", "")), index)
    except statuslist.StatusListInvalid as exc:
        v.checks.append(Check("撤销状态", None, f"状态列表无法读取：{exc}"))
        return v
    when = status_list.get("validFrom", "")
    if revoked:
        v.verdict = Verdict.REVOKED
        v.checks.append(Check("撤销状态", False, f"状态列表（{when}）中已撤销或已换发"))
    else:
        v.verdict = Verdict.VALID
        v.checks.append(Check("撤销状态", True, f"状态列表（{when}）中未撤销"))
    return v


# -- the public lookup ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicCertificate:
    """What the public lookup answers: the certificate's data, the ID number masked."""

    number: str
    holder_name: str
    id_type_name: str
    masked_id: str
    occupation: str
    direction: str
    level: str
    evaluator: str
    issued_on: str
    status: str
    status_name: str
    revoked_at: str | None
    revocation: str
    verify_url: str


def public_view(db: Session, cert: Certificate) -> PublicCertificate:
    facts = service.facts_of(cert)
    revoked = to_china(cert.revoked_at)
    return PublicCertificate(
        number=cert.number,
        holder_name=cert.holder_name,
        id_type_name=facts.id_type_name,
        masked_id=facts.masked_id,
        occupation=f"{cert.occupation_name}（{cert.occupation_code}）",
        direction=cert.direction,
        level=cert.level_display,
        evaluator=cert.evaluator_name,
        issued_on=cert.issued_on.isoformat(),
        status=cert.status,
        status_name=service.STATUS_NAMES[CertificateStatus(cert.status)],
        revoked_at=revoked.strftime("%Y-%m-%d") if revoked else None,
        revocation=service.revocation_text(cert) if cert.revocation_reason else "",
        verify_url=service.verify_url(cert.token),
    )


class LookupRefused(ValueError):
    def __init__(self, code: str, message: str, field_name: str) -> None:
        super().__init__(message)
        self.code, self.message, self.field_name = code, message, field_name


def lookup(
    db: Session, *, number: str, name: str = "", id_number: str = ""
) -> PublicCertificate | None:
    """Number plus the holder's name or ID number. None when they do not match a
    certificate, without saying which of the two was wrong."""
    from app.certificates import numbers
    from app.core.text import clean_name
    from app.reference.identifiers import normalise_resident_id

    if not number.strip():
        raise LookupRefused("number_required", "请输入证书编号", "number")
    problem = numbers.number_problem(number, lambda: service.known_formats(db))
    if problem:
        raise LookupRefused("number_invalid", problem, "number")
    name, id_number = clean_name(name), normalise_resident_id(id_number)
    if not name and not id_number:
        raise LookupRefused("holder_required", "请输入持证人姓名或证件号码", "name")
    cert = service.by_number(db, number)
    if cert is None:
        return None
    if name and name != cert.holder_name:
        return None
    if id_number and id_number != normalise_resident_id(cert.id_number):
        return None
    return public_view(db, cert)
