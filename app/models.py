"""Every table, imported once so the metadata (and Alembic) sees them all."""

from app.accounts.models import AuthSession, LoginFailure, StaffUser
from app.audit.models import AuditEntry, AuditHead
from app.banks.models import Item, ItemVersion, PracticalTask, PracticalTaskVersion, QuestionBank
from app.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateBatchItem,
    CertificateSerial,
    CertificateSettings,
)
from app.delivery.models import Answer, Attempt, AttemptEvent, AttemptItem
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    Registration,
    SessionProctor,
)
from app.proctoring.models import Incident
from app.reference.models import EvaluationCentre, Occupation
from app.results.models import (
    Arbitration,
    ComponentStanding,
    EnterpriseEvaluation,
    MarkSheet,
    PanelMember,
    PaperTask,
    PracticalSession,
    RecheckRequest,
    Result,
)
from app.scoring.models import ItemScore
from app.subsidies.models import PaymentBatch, SubsidyRecord, SubsidyStandard

__all__ = [
    "Answer",
    "Arbitration",
    "Attempt",
    "AttemptEvent",
    "AttemptItem",
    "AuditEntry",
    "AuditHead",
    "AuthSession",
    "Blueprint",
    "Candidate",
    "Certificate",
    "CertificateBatch",
    "CertificateBatchItem",
    "CertificateSerial",
    "CertificateSettings",
    "ComponentStanding",
    "EnterpriseEvaluation",
    "EvaluationCentre",
    "ExamPlan",
    "ExamSession",
    "Incident",
    "Item",
    "ItemScore",
    "ItemVersion",
    "LoginFailure",
    "MarkSheet",
    "Occupation",
    "PanelMember",
    "PaperTask",
    "PaymentBatch",
    "PracticalSession",
    "PracticalTask",
    "PracticalTaskVersion",
    "QuestionBank",
    "RecheckRequest",
    "Registration",
    "Result",
    "SessionProctor",
    "StaffUser",
    "SubsidyRecord",
    "SubsidyStandard",
]
