"""Subsidy records (补贴记录): what a certificate triggered under a policy, one row per
payable part (the whole, the 90% and the deferred 10%, each month of a monthly schedule),
with the engine's explanation, and their way through review and payment."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class SubsidyState(StrEnum):
    AWAITING_EVIDENCE = "awaiting_evidence"  # 待补材料: the deferred part waits for its condition
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已审核
    PAID = "paid"  # 已发放
    REJECTED = "rejected"  # 已驳回
    EXPIRED = "expired"  # 已过申领期
    FORFEITED = "forfeited"  # 已失效: the deferred condition was not shown in time
    VOID = "void"  # 已作废: the certificate was revoked before payment


STATE_NAMES = {
    SubsidyState.AWAITING_EVIDENCE: "待补材料",
    SubsidyState.PENDING: "待审核",
    SubsidyState.APPROVED: "已审核",
    SubsidyState.PAID: "已发放",
    SubsidyState.REJECTED: "已驳回",
    SubsidyState.EXPIRED: "已过申领期",
    SubsidyState.FORFEITED: "已失效",
    SubsidyState.VOID: "已作废",
}
TRANCHE_NAMES = {
    "full": "全额",
    "initial": "首期（90%）",
    "deferred": "尾款（10%）",
    "month": "月度",
}


class SubsidyRecord(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("certificate_id", "policy_id", "tranche", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    certificate_number: str = Field(max_length=40)
    policy_id: str = Field(max_length=60, index=True)
    policy_name: str = Field(max_length=100)
    holder_name: str = Field(max_length=50)
    id_number: str = Field(max_length=30, index=True)  # one person across centres
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    region_code: str = Field(max_length=6, index=True)  # whose regulators review it
    occupation_code: str = Field(max_length=20)
    level_code: str = Field(max_length=32)
    item: str = Field(max_length=40)
    combination_group: str = Field(max_length=60)
    course: str = Field(default="", max_length=200)
    tranche: str = Field(max_length=16)  # full / initial / deferred / month
    month: int = 0  # a monthly schedule's month, from 1
    amount: int  # yuan
    payee: str = Field(max_length=20)
    issued_on: date  # the certificate's
    claim_deadline: date
    evidence_deadline: date | None = None  # the deferred part's
    explanation: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(default=SubsidyState.PENDING, max_length=20, index=True)
    decided_by: int | None = Field(default=None, foreign_key="staffuser.id")
    decided_at: NaiveDatetime | None = None
    reason: str = ""
    batch_id: int | None = Field(default=None, foreign_key="paymentbatch.id", index=True)
    paid_at: NaiveDatetime | None = None
    recovery: bool = False  # 追回: paid, and its certificate was revoked since
    recovery_note: str = ""
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class PaymentBatch(SQLModel, table=True):
    """拨付批次: approved records paid together by a region's finance office."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(max_length=6, index=True)
    reference: str = Field(max_length=60)  # 拨付批次号
    created_by: int = Field(foreign_key="staffuser.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    paid_at: NaiveDatetime | None = None
    paid_by: int | None = Field(default=None, foreign_key="staffuser.id")
    paid_on: date | None = None  # the payment date the finance office reported
    note: str = ""


class SubsidyStandard(SQLModel, table=True):
    """当地标准: a region's amount for a policy's level where the policy leaves it to the
    region (kind local_standard) or caps it (up_to). Without a row, the policy file's."""

    policy_id: str = Field(primary_key=True, max_length=60)
    level_code: str = Field(primary_key=True, max_length=32)
    amount: int
    set_by: int = Field(foreign_key="staffuser.id")
    set_at: NaiveDatetime = Field(default_factory=utcnow)
