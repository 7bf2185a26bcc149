"""A candidate's history (考生档案) as one person across sessions and centres, found by ID
number: the certificates Jiping issued them, their results, and the subsidies those
certificates triggered. Read-only; shown on the candidate's page to their centre's
admins, who already hold the ID number."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.accounts.principals import Staff
from app.certificates.models import Certificate, CertificateStatus
from app.certificates.service import STATUS_NAMES
from app.exams import candidates
from app.exams.models import Candidate, ExamPlan
from app.exams.plans import occupation_label
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre
from app.results.models import Result, ResultState
from app.results.rules import OUTCOME_NAMES, Outcome
from app.subsidies.models import STATE_NAMES, TRANCHE_NAMES, SubsidyRecord, SubsidyState


@dataclass(frozen=True)
class CertificateEntry:
    number: str
    level: str
    occupation: str
    centre: str
    issued_on: date
    status: str
    valid: bool


@dataclass(frozen=True)
class ResultEntry:
    plan: str
    level: str
    occupation: str
    centre: str
    outcome: str
    composite: float | None
    state: str


@dataclass(frozen=True)
class SubsidyEntry:
    policy: str
    certificate_number: str
    level: str
    tranche: str
    amount: int
    state: str


@dataclass(frozen=True)
class History:
    candidate: Candidate
    certificates: list[CertificateEntry]
    results: list[ResultEntry]
    subsidies: list[SubsidyEntry]


def _centres(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        c.id or 0: c.name
        for c in db.exec(select(EvaluationCentre).where(col(EvaluationCentre.id).in_(ids)))
    }


def history(db: Session, *, actor: Staff, candidate_id: int) -> History:
    """The candidate (theirs to read) and everything Jiping knows of the person by ID
    number, at every centre. Results in draft (still being computed) are left out."""
    cand = candidates.get_candidate(db, actor=actor, candidate_id=candidate_id)
    certs = list(
        db.exec(
            select(Certificate)
            .where(Certificate.id_number == cand.id_number)
            .order_by(col(Certificate.issued_on).desc(), col(Certificate.id).desc())
        )
    )
    people = [
        c.id or 0 for c in db.exec(select(Candidate).where(Candidate.id_number == cand.id_number))
    ]
    results = list(
        db.exec(
            select(Result, ExamPlan)
            .join(ExamPlan, col(ExamPlan.id) == Result.plan_id)
            .where(col(Result.candidate_id).in_(people), Result.state != ResultState.DRAFT)
            .order_by(col(Result.computed_at).desc())
        )
    )
    subsidies = list(
        db.exec(
            select(SubsidyRecord)
            .where(SubsidyRecord.id_number == cand.id_number)
            .order_by(col(SubsidyRecord.issued_on).desc(), col(SubsidyRecord.id))
        )
    )
    centres = _centres(db, {c.centre_id for c in certs} | {r.centre_id for r, _ in results})
    return History(
        candidate=cand,
        certificates=[
            CertificateEntry(
                number=c.number,
                level=c.level_display,
                occupation=c.occupation_name,
                centre=centres.get(c.centre_id, ""),
                issued_on=c.issued_on,
                status=STATUS_NAMES[CertificateStatus(c.status)],
                valid=c.status == CertificateStatus.VALID,
            )
            for c in certs
        ],
        results=[
            ResultEntry(
                plan=p.name,
                level=get_level(p.level_code).display,
                occupation=occupation_label(db, p.occupation_id),
                centre=centres.get(r.centre_id, ""),
                outcome=OUTCOME_NAMES[Outcome(r.outcome)],
                composite=r.composite,
                state="已公布" if r.state == ResultState.PUBLISHED else "已确认",
            )
            for r, p in results
        ],
        subsidies=[
            SubsidyEntry(
                policy=s.policy_name,
                certificate_number=s.certificate_number,
                level=get_level(s.level_code).display,
                tranche=TRANCHE_NAMES.get(s.tranche, s.tranche)
                + (f" 第 {s.month} 月" if s.month else ""),
                amount=s.amount,
                state=STATE_NAMES.get(SubsidyState(s.state), s.state),
            )
            for s in subsidies
        ],
    )
