"""Certificates (职业技能等级证书) as records: what was issued to whom from which result,
frozen at issue, with its stored PDF, and what happened to it since (revoked, superseded
by a re-issue). A certificate row is never deleted and its number never reused."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class CertificateStatus(StrEnum):
    VALID = "valid"  # 有效
    REVOKED = "revoked"  # 已撤销
    SUPERSEDED = "superseded"  # 已换发: a corrected re-issue replaced it


class RevocationReason(StrEnum):
    """Why a certificate is revoked (撤销), as the 人社 regulations name the cases."""

    IMPROPER_MEANS = "improper_means"  # 以欺骗、贿赂等不正当手段取得
    ASSESSMENT_VIOLATION = "assessment_violation"  # 考核违纪舞弊，事后查实
    WRONG_ISSUE = "wrong_issue"  # 不符合发证条件而错发
    HOLDER_REQUEST = "holder_request"  # 持证人申请注销
    OTHER = "other"


class CertificateSerial(SQLModel, table=True):
    """The last serial given under one number prefix (which includes the year). Taking a
    serial updates this row inside the issuing transaction: issuers of one prefix queue on
    its lock, a rolled-back issue gives its serial back, so serials have no gaps."""

    prefix: str = Field(primary_key=True, max_length=40)
    last_serial: int = 0


class Certificate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40)
    scheme: str = Field(max_length=20)  # reference.levels.Scheme
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    # The confirmed, passing result it was issued from (None only for an enterprise
    # evaluation, which has its own record).
    result_id: int | None = Field(default=None, foreign_key="result.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="examplan.id", index=True)
    # 特级/首席技师: the appointed enterprise evaluation it was issued from (instead of a result).
    evaluation_id: int | None = Field(
        default=None, foreign_key="enterpriseevaluation.id", index=True
    )
    # Frozen at issue: what the certificate says, whatever changes later.
    holder_name: str = Field(max_length=50)
    id_type: str = Field(max_length=20)
    id_number: str = Field(max_length=30, index=True)
    photo_sha256: str = Field(max_length=64)
    occupation_name: str = Field(max_length=100)
    occupation_code: str = Field(max_length=20)
    direction: str = Field(max_length=100)  # 工种/方向, "--" when none
    level_code: str = Field(max_length=32)
    level_display: str = Field(max_length=32)  # 四级/中级工
    evaluator_name: str = Field(max_length=200)
    # The holder's record (exams.facts.HolderFacts) on the issue date: what subsidies read.
    holder_facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    issued_on: date = Field(index=True)
    kid: str = Field(max_length=64)  # the key that signed its token
    token: str  # the QR code's compact JWS
    pdf_sha256: str | None = Field(default=None, max_length=64)  # None until rendered
    status: str = Field(default=CertificateStatus.VALID, max_length=16, index=True)
    revoked_at: NaiveDatetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="staffuser.id")
    revocation_reason: str | None = Field(default=None, max_length=32)  # RevocationReason
    revocation_note: str = ""
    supersedes_id: int | None = Field(default=None, foreign_key="certificate.id")
    superseded_at: NaiveDatetime | None = None
    reissue_reason: str = ""
    issued_by: int | None = Field(default=None, foreign_key="staffuser.id")
    issued_at: NaiveDatetime = Field(default_factory=utcnow)


class CertificateSettings(SQLModel, table=True):
    """A centre's certificate settings: its site serial (digits 8–13 of a national number,
    assigned by the province), the number templates of the schemes without a national
    layout, and the template's texts and seal (changed without touching code)."""

    centre_id: int = Field(foreign_key="evaluationcentre.id", primary_key=True)
    site_serial: str = Field(default="", max_length=6)
    # {"enterprise": "...", "one_plus_x": "..."} (numbers.NumberFormat templates)
    number_templates: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    body_text: str = ""  # the certificate's body; "" is the template's default
    lookup_text: str = ""  # where to look it up; "" is the deployment's lookup page
    seal_sha256: str | None = Field(default=None, max_length=64)  # a PNG in the data dir
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class BatchState(StrEnum):
    QUEUED = "queued"  # 排队中
    RUNNING = "running"  # 生成中
    DONE = "done"  # 已完成
    FAILED = "failed"  # 部分失败: see the items' errors


class CertificateBatch(SQLModel, table=True):
    """A bulk issuance (批量发证) of a session's passing candidates, run off the request by
    worker processes (certificates.batches). Resumable: each item records its certificate."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id")
    session_id: int | None = Field(default=None, foreign_key="examsession.id")
    requested_by: int = Field(foreign_key="staffuser.id")
    issued_on: date
    state: str = Field(default=BatchState.QUEUED, max_length=16, index=True)
    total: int = 0
    # The instance running it and when it last said so: another instance takes over a
    # batch whose runner fell silent (crashed).
    runner: str | None = Field(default=None, max_length=80)
    heartbeat_at: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    finished_at: NaiveDatetime | None = None


class CertificateBatchItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("batch_id", "result_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="certificatebatch.id", index=True)
    result_id: int = Field(foreign_key="result.id")
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id")
    done: bool = False  # issued and its PDF stored
    error: str = ""
    position: int = 0
