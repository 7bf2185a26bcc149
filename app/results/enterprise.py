"""企业评聘 of 特级技师 and 首席技师: recorded by the enterprise (a centre of type Y), with
its panel's scores and decision; the certificate is issued from an appointed evaluation.

DOMAIN.md says only that these posts are filled by enterprise evaluation. What Jiping
adds, following the 人社部 特级技师评聘 guidance: the candidate holds the level below
(特级技师 needs 高级技师, 首席技师 needs 特级技师: a Jiping certificate or one on the
candidate's record), the panel is odd and at least three, its mean score must reach the
pass mark for an appointment, and the appointment document (聘任文件) is named."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.core.errors import NotFound, ValidationFailed
from app.exams import eligibility, holders
from app.exams.candidates import facts_of
from app.exams.common import centre_for
from app.exams.models import Candidate
from app.reference.levels import get_level
from app.reference.models import Occupation
from app.results import rules
from app.results.models import EnterpriseEvaluation, EvaluationDecision

ENTERPRISE_LEVELS = {
    "principal_technician": "senior_technician",
    "chief_technician": "principal_technician",
}
ROUNDING = rules.Rounding(step=Decimal("0.1"))


class PanelMark(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    title: str = Field(default="", max_length=50)
    score: float = Field(ge=0, le=100)


class EvaluationIn(BaseModel):
    candidate_id: int
    occupation_id: int
    level_code: str
    panel: list[PanelMark]
    decision: EvaluationDecision
    basis: str = Field(default="", max_length=200)
    decided_on: date
    pass_mark: float = Field(default=60, ge=0, le=100)


def holds_level_below(
    db: Session, candidate: Candidate, occupation: Occupation, data: EvaluationIn
) -> bool:
    """The certificate the post requires, on the day the panel decided, as 申报条件 reads a
    certificate requirement: a valid Jiping one (any centre, by ID number) or one on the
    candidate's record."""
    check = eligibility.holds_certificate(
        ENTERPRISE_LEVELS[data.level_code],
        facts_of(candidate),
        data.decided_on,
        holders.jiping_certificates(db, [candidate.id_number]).get(candidate.id_number, []),
        occupation_code=occupation.code,
    )
    return check.ok


def record_evaluation(db: Session, *, actor: Staff, data: EvaluationIn) -> EnterpriseEvaluation:
    """企业评聘, the candidate's certificates read from their record and the registry."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.RESULT)
    problems = []
    candidate = db.get(Candidate, data.candidate_id)
    if candidate is None or candidate.centre_id != centre_id:
        raise NotFound("考生不存在", code="candidate_not_found")
    occupation = db.get(Occupation, data.occupation_id)
    if occupation is None:
        problems.append({"field": "occupation_id", "problem": "职业不存在"})
    if data.level_code not in ENTERPRISE_LEVELS:
        problems.append({"field": "level_code", "problem": "企业评聘只用于特级技师、首席技师"})
    try:
        rules.check_panel_size(len(data.panel), what="评审组")
    except rules.RuleError as exc:
        problems.append({"field": "panel", "problem": exc.message})
    marks = [m.score for m in data.panel]
    score = float(ROUNDING.apply(sum(marks) / len(marks))) if marks else 0.0
    if data.decision == EvaluationDecision.APPOINTED:
        if score < data.pass_mark:
            problems.append(
                {
                    "field": "decision",
                    "problem": f"评审平均分 {score} 低于合格线 {data.pass_mark}，不能评聘",
                }
            )
        if not data.basis.strip():
            problems.append({"field": "basis", "problem": "评聘须注明聘任文件（文号）"})
    if (
        not problems
        and occupation is not None
        and not holds_level_below(db, candidate, occupation, data)
    ):
        below = get_level(ENTERPRISE_LEVELS[data.level_code]).display
        problems.append(
            {
                "field": "candidate_id",
                "problem": f"{candidate.name} 没有本职业{below}证书，不能参加{get_level(data.level_code).name}评聘",
            }
        )
    if problems:
        raise ValidationFailed(
            "企业评聘记录有误，未保存", code="evaluation_invalid", details=problems
        )
    assert occupation is not None and occupation.id is not None
    row = EnterpriseEvaluation(
        centre_id=centre_id,
        candidate_id=candidate.id or 0,
        occupation_id=occupation.id,
        level_code=data.level_code,
        panel=[m.model_dump() for m in data.panel],
        score=score,
        pass_mark=data.pass_mark,
        decision=data.decision.value,
        basis=data.basis.strip(),
        decided_on=data.decided_on,
        recorded_by=actor.id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="evaluation.record",
        object_type="enterprise_evaluation",
        object_id=row.id,
        reason=row.basis,
        detail={"level": row.level_code, "score": score, "decision": row.decision},
    )
    return row


def get_evaluation(
    db: Session, *, actor: Staff, evaluation_id: int, action: Action = Action.READ
) -> EnterpriseEvaluation:
    row = db.get(EnterpriseEvaluation, evaluation_id)
    policy.check(
        actor,
        action,
        Resource.RESULT,
        Facts.of(row.centre_id) if row else None,
        missing=NotFound("评聘记录不存在", code="evaluation_not_found"),
    )
    assert row is not None
    return row


def list_evaluations(db: Session, *, actor: Staff) -> list[tuple[EnterpriseEvaluation, Candidate]]:
    centre_id = centre_for(actor, Action.READ, Resource.RESULT)
    return list(
        db.exec(
            select(EnterpriseEvaluation, Candidate)
            .join(Candidate, col(Candidate.id) == EnterpriseEvaluation.candidate_id)
            .where(EnterpriseEvaluation.centre_id == centre_id)
            .order_by(col(EnterpriseEvaluation.id).desc())
        ).all()
    )
