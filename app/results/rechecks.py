"""复核 (re-check): within the plan's window after publication (default 15 days) a candidate
asks for one component of their result to be re-checked, with a reason; the centre
re-marks it (another examiner) or re-adds the marks, and records the decision with the old
and new score. A changed score becomes a source of the result (app/results/records.py),
which goes back to be confirmed and published again; an unchanged one leaves it as it was."""

import logging

from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import Role, StaffUser
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import CandidateLogin, Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.exams.common import centre_for
from app.exams.components import COMPONENT_NAMES
from app.exams.models import Candidate, ExamPlan, ExamSession, Registration
from app.exams.plans import get_plan
from app.results import records, rules
from app.results.models import (
    PanelMember,
    PaperTask,
    RecheckMethod,
    RecheckRequest,
    Result,
    ResultState,
)
from app.results.schemas import (
    RECHECK_METHOD_NAMES,
    AssessmentResult,
    RecheckDecisionIn,
    RecheckIn,
    RecheckOut,
)

log = logging.getLogger(__name__)


def _out(
    req: RecheckRequest, result: Result, cand: Candidate, reg: Registration, names: dict[int, str]
) -> RecheckOut:
    return RecheckOut(
        id=req.id or 0,
        result_id=result.id or 0,
        ticket_number=reg.ticket_number,
        candidate_name=cand.name,
        component=req.component,
        component_name=COMPONENT_NAMES.get(req.component, req.component),
        reason=req.reason,
        requested_at=req.requested_at,
        decided=req.decided_at is not None,
        method=req.method,
        method_name=RECHECK_METHOD_NAMES.get(req.method or "", ""),
        remarked_by=names.get(req.remarked_by or 0, ""),
        old_score=req.old_score,
        new_score=req.new_score,
        decision=req.decision,
        decided_by=names.get(req.decided_by or 0, ""),
        decided_at=req.decided_at,
    )


def _listed(db: Session, where: list[object]) -> list[RecheckOut]:
    rows = db.exec(
        select(RecheckRequest, Result, Candidate, Registration)
        .join(Result, col(Result.id) == RecheckRequest.result_id)
        .join(Candidate, col(Candidate.id) == Result.candidate_id)
        .join(Registration, col(Registration.id) == Result.registration_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(col(RecheckRequest.requested_at), col(RecheckRequest.id))
    ).all()
    staff_ids = {i for r in rows for i in (r[0].remarked_by, r[0].decided_by) if i}
    names = {
        u.id or 0: u.display_name
        for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(staff_ids)))
    }
    return [_out(req, result, cand, reg, names) for req, result, cand, reg in rows]


def _published_result(db: Session, login: CandidateLogin) -> tuple[Result, ExamPlan]:
    policy.require(login, Action.READ, Resource.RESULT)
    reg = db.get(Registration, login.registration_id)
    assert reg is not None
    session = db.get(ExamSession, reg.session_id)
    assert session is not None
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    result = db.exec(
        select(Result).where(Result.plan_id == plan.id, Result.candidate_id == login.candidate_id)
    ).first()
    if result is None or result.published_at is None:
        raise NotFound("成绩尚未公布", code="result_not_published")
    return result, plan


def candidate_rechecks(db: Session, *, login: CandidateLogin) -> list[RecheckOut]:
    result, _plan = _published_result(db, login)
    return _listed(db, [RecheckRequest.result_id == result.id])


def request_recheck(db: Session, *, login: CandidateLogin, data: RecheckIn) -> RecheckOut:
    """The candidate's 复核 request for one scored component, while the window is open."""
    result, plan = _published_result(db, login)
    assert result.published_at is not None
    if not rules.recheck_open(result.published_at, clock.utcnow(), plan.recheck_days):
        raise Conflict(
            f"复核申请期限（成绩公布后 {plan.recheck_days} 天）已过", code="recheck_window_closed"
        )
    component = next((c for c in result.components if c["component"] == data.component), None)
    if component is None or component["status"] != rules.MarkStatus.SCORED:
        raise ValidationFailed(
            "只能对已有分数的考核项目申请复核",
            code="recheck_component_invalid",
            details=[{"field": "component", "problem": "请选择有分数的考核项目"}],
        )
    reason = clean_reason(data.reason)
    open_one = db.exec(
        select(RecheckRequest.id).where(
            RecheckRequest.result_id == result.id,
            RecheckRequest.component == data.component,
            col(RecheckRequest.decided_at).is_(None),
        )
    ).first()
    if open_one is not None:
        raise Conflict("该考核项目的复核申请正在处理中", code="recheck_pending")
    req = RecheckRequest(
        result_id=result.id or 0,
        component=data.component,
        reason=reason,
        requested_at=clock.utcnow(),
        old_score=component["score"],
    )
    db.add(req)
    db.flush()
    audit.record(
        db,
        actor=login,
        action="recheck.request",
        object_type="result",
        object_id=result.id,
        reason=reason,
        detail={"component": data.component, "request_id": req.id},
    )
    return _listed(db, [RecheckRequest.id == req.id])[0]


def plan_rechecks(db: Session, *, actor: Staff, plan_id: int) -> list[RecheckOut]:
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    get_plan(db, actor=actor, plan_id=plan_id)
    return _listed(db, [Result.plan_id == plan_id])


def _check_remarker(db: Session, actor: Staff, result: Result, examiner_id: int | None) -> int:
    """复评 is by another examiner of the centre: not one of the candidate's practical panel."""
    user = db.get(StaffUser, examiner_id) if examiner_id else None
    if (
        user is None
        or user.centre_id != actor.centre_id
        or user.role != Role.EXAMINER
        or not user.is_active
    ):
        raise ValidationFailed(
            "复评须指定本机构在职的考评员",
            code="remarker_invalid",
            details=[{"field": "examiner_id", "problem": "请选择本机构的考评员"}],
        )
    on_panel = db.exec(
        select(PanelMember.staff_user_id)
        .join(PaperTask, col(PaperTask.practical_session_id) == PanelMember.practical_session_id)
        .where(
            PaperTask.registration_id == result.registration_id,
            PanelMember.staff_user_id == user.id,
        )
    ).first()
    if on_panel is not None:
        raise ValidationFailed(
            "复评须由原考评组以外的考评员进行",
            code="remarker_on_panel",
            details=[{"field": "examiner_id", "problem": "该考评员参加了原评分"}],
        )
    return user.id or 0


def decide_recheck(
    db: Session, *, actor: Staff, request_id: int, data: RecheckDecisionIn
) -> RecheckOut:
    """Record the decision. A changed score goes into the result, which is recomputed and
    must be confirmed (and published) again."""
    req = db.get(RecheckRequest, request_id)
    result = db.get(Result, req.result_id) if req else None
    policy.check(
        actor,
        Action.MANAGE,
        Resource.RESULT,
        Facts.of(result.centre_id) if result is not None else None,
        missing=NotFound("复核申请不存在", code="recheck_not_found"),
    )
    assert req is not None and result is not None
    if req.decided_at is not None:
        raise Conflict("该复核申请已处理", code="recheck_decided")
    try:
        method = RecheckMethod(data.method)
    except ValueError:
        raise ValidationFailed(
            "请选择复核方式",
            code="recheck_method_invalid",
            details=[{"field": "method", "problem": "复评或复核加分"}],
        ) from None
    remarker = (
        _check_remarker(db, actor, result, data.examiner_id)
        if method == RecheckMethod.REMARK
        else None
    )
    try:
        new_score = rules.check_mark(data.new_score, max_points=100, step=0, what="复核后成绩")
    except rules.RuleError as exc:
        raise ValidationFailed(
            exc.message, code=exc.code, details=[{"field": "new_score", "problem": exc.message}]
        ) from exc
    decision = clean_reason(data.decision)
    req.method, req.remarked_by = method.value, remarker
    req.new_score, req.decision = float(new_score), decision
    req.decided_by, req.decided_at = actor.id, clock.utcnow()
    db.add(req)
    db.flush()
    changed = req.new_score != req.old_score
    if changed:
        # The result follows its sources again (this decision is one) and waits for a
        # new confirmation and publication.
        result.state = ResultState.DRAFT
        db.add(result)
        db.flush()
        records.refresh_results(db, actor=actor, plan_id=result.plan_id)
    audit.record(
        db,
        actor=actor,
        action="recheck.decide",
        object_type="result",
        object_id=result.id,
        reason=decision,
        detail={
            "request_id": req.id,
            "component": req.component,
            "method": req.method,
            "remarked_by": remarker,
            "old_score": req.old_score,
            "new_score": req.new_score,
            "changed": changed,
        },
    )
    return _listed(db, [RecheckRequest.id == req.id])[0]


def candidate_view(db: Session, *, login: CandidateLogin) -> AssessmentResult:
    """The candidate's published result with their 复核 requests and decisions."""
    mine = records.my_result(db, login=login)
    return mine.model_copy(update={"rechecks": candidate_rechecks(db, login=login)})
