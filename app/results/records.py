"""Result records (成绩): one explicit, auditable row per candidate per plan, computed from
the components' sources with app/results/rules.decide, reviewed by the centre admin,
confirmed (locked) and published to the candidate.

- Sources: the theory attempt's score (缺考 when the session ended without an attempt), the
  practical panel's component score (app/results/practical.py), and the 缺考/违纪 the centre
  records per component (违纪 always with the proctor's incident). 综合评审 and enterprise
  evaluation have no source yet, so their results stay pending.
- A draft result follows its sources whenever it is recomputed (汇总成绩); a confirmed
  result never does: confirming refuses when a draft no longer matches its sources (the
  admin reviewed something else), and a locked result changes only through 复核."""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.policy import Action, Resource
from app.accounts.principals import CandidateLogin, Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.delivery import service as delivery_service
from app.exams.common import centre_for, of_centre
from app.exams.components import COMPONENT_NAMES, DEFAULT_PASS_MARK, Component, assessment_rule
from app.exams.models import Blueprint, Candidate, ExamPlan, ExamSession, Registration
from app.exams.plans import get_plan, occupation_label, plan_rule
from app.proctoring.models import Incident
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre
from app.results import export, practical, rules
from app.results.models import (
    ComponentStanding,
    RecheckRequest,
    Result,
    ResultState,
    StandingStatus,
)
from app.results.schemas import (
    MARK_STATUS_NAMES,
    RESULT_STATE_NAMES,
    AssessmentResult,
    ComponentOut,
    PlanResultFilter,
    PlanResults,
    RefreshOut,
    ResultOut,
    ResultStatus,
    StandingIn,
)
from app.results.service import attempt_status

log = logging.getLogger(__name__)

COMPOSITE_ROUNDING = rules.Rounding(step=Decimal("0.1"))


def _rule(db: Session, plan: ExamPlan) -> rules.AssessmentRule:
    if plan.component_rules:
        return plan_rule(plan)
    # Plans made before component rules were recorded: the level's components, the theory
    # paper's pass mark from its blueprint.
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    return assessment_rule(get_level(plan.level_code), pass_marks={"theory": bp.pass_mark})


WRITTEN_PENDING = "主观题待评阅"


@dataclass(frozen=True)
class _Computed:
    registration: Registration
    candidate: Candidate
    components: list[dict[str, Any]]
    decision: rules.Decision

    def fields(self) -> dict[str, Any]:
        return {
            "components": self.components,
            "composite": float(self.decision.composite)
            if self.decision.composite is not None
            else None,
            "outcome": self.decision.outcome.value,
            "reasons": list(self.decision.reasons),
        }


def _compute(db: Session, plan: ExamPlan) -> list[_Computed]:
    """Every candidate of the plan (their latest registration), decided from the sources."""
    rule = _rule(db, plan)
    practicals = practical.practical_standings(db, plan_id=plan.id or 0)
    by_candidate: dict[int, tuple[Registration, Candidate, Any, ExamSession]] = {}
    for session in db.exec(
        select(ExamSession).where(ExamSession.plan_id == plan.id).order_by(col(ExamSession.id))
    ):
        for reg, cand, attempt in delivery_service.registrations_with_attempts(
            db, session_id=session.id or 0
        ):
            by_candidate[cand.id or 0] = (reg, cand, attempt, session)
    standings: dict[tuple[int, str], ComponentStanding] = {
        (s.registration_id, s.component): s
        for s in db.exec(
            select(ComponentStanding).where(
                col(ComponentStanding.registration_id).in_(
                    [r.id for r, _c, _a, _s in by_candidate.values()]
                )
            )
        )
    }
    incidents = {
        i.id: i
        for i in db.exec(
            select(Incident).where(
                col(Incident.id).in_([s.incident_id for s in standings.values() if s.incident_id])
            )
        )
    }
    # 复核 decisions that changed a score: the latest for each candidate's component.
    rechecked: dict[tuple[int, str], float] = {
        (cid, req.component): req.new_score
        for req, cid in db.exec(
            select(RecheckRequest, Result.candidate_id)
            .join(Result, col(Result.id) == RecheckRequest.result_id)
            .where(
                Result.plan_id == plan.id,
                col(RecheckRequest.decided_at).is_not(None),
                col(RecheckRequest.new_score).is_not(None),
            )
            .order_by(col(RecheckRequest.decided_at), col(RecheckRequest.id))
        ).all()
        if req.new_score is not None and req.new_score != req.old_score
    }
    out = []
    for reg, cand, attempt, session in by_candidate.values():
        assert reg.id is not None
        marks: list[rules.ComponentMark] = []
        extra: dict[str, dict[str, Any]] = {}
        for c in rule.components:
            standing = standings.get((reg.id, c.component.value))
            if standing is not None:
                incident = incidents.get(standing.incident_id) if standing.incident_id else None
                marks.append(
                    rules.ComponentMark(
                        c.component,
                        rules.MarkStatus(standing.status),
                        incident_id=standing.incident_id,
                        incident_note=(incident.note if incident else "") or standing.reason,
                    )
                )
                extra[c.component] = {"note": standing.reason}
                continue
            new_score = rechecked.get((cand.id or 0, c.component.value))
            if new_score is not None:
                marks.append(rules.ComponentMark.scored(c.component, new_score))
                extra[c.component] = {"note": "复核后成绩"}
            elif c.component == Component.THEORY:
                status = attempt_status(attempt, session, plan)
                if status == ResultStatus.ABSENT:
                    marks.append(rules.ComponentMark(c.component, rules.MarkStatus.ABSENT))
                elif attempt is not None and attempt.score is not None:
                    marks.append(rules.ComponentMark.scored(c.component, attempt.score))
                else:
                    marks.append(rules.ComponentMark(c.component, rules.MarkStatus.PENDING))
                    if status == ResultStatus.SUBMITTED:  # written answers being marked
                        extra[c.component] = {"note": WRITTEN_PENDING}
            elif c.component in (Component.PRACTICAL, Component.REVIEW):
                standing_p = practicals.get((reg.id, c.component.value))
                if standing_p is not None and standing_p.score is not None:
                    marks.append(rules.ComponentMark.scored(c.component, standing_p.score))
                else:
                    marks.append(rules.ComponentMark(c.component, rules.MarkStatus.PENDING))
                    if standing_p is not None and standing_p.awaiting_arbitration:
                        extra[c.component] = {"awaiting_arbitration": True}
            else:  # enterprise evaluation (特级/首席技师): no source on the platform yet
                marks.append(rules.ComponentMark(c.component, rules.MarkStatus.PENDING))
        # Component scores arrive rounded by the plan's rule; the 1+X composite to 0.1.
        decision = rules.decide(rule, marks, COMPOSITE_ROUNDING)
        components = [
            {
                "component": m.component.value,
                "status": m.status.value,
                "score": float(m.score) if m.score is not None else None,
                "incident_id": m.incident_id,
                "note": "",
                **extra.get(m.component, {}),
            }
            for m in marks
        ]
        out.append(_Computed(reg, cand, components, decision))
    return out


def _stored(db: Session, plan_id: int) -> dict[int, Result]:
    return {r.candidate_id: r for r in db.exec(select(Result).where(Result.plan_id == plan_id))}


def _same(result: Result, computed: _Computed) -> bool:
    f = computed.fields()
    return (
        result.registration_id == computed.registration.id
        and result.components == f["components"]
        and result.composite == f["composite"]
        and result.outcome == f["outcome"]
        and result.reasons == f["reasons"]
    )


def refresh_results(db: Session, *, actor: Staff, plan_id: int) -> RefreshOut:
    """汇总成绩: bring every draft result of the plan in line with its sources and create
    the missing ones; confirmed and published results are locked and left as they are."""
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    stored = _stored(db, plan_id)
    created = updated = locked = 0
    now = clock.utcnow()
    for c in _compute(db, plan):
        result = stored.get(c.candidate.id or 0)
        if result is None:
            result = Result(
                centre_id=plan.centre_id,
                plan_id=plan_id,
                candidate_id=c.candidate.id or 0,
                registration_id=c.registration.id or 0,
                computed_at=now,
                **c.fields(),
            )
            created += 1
        elif result.state != ResultState.DRAFT:
            locked += 1
            continue
        elif not _same(result, c):
            for name, value in c.fields().items():
                setattr(result, name, value)
            result.registration_id = c.registration.id or 0
            result.computed_at = now
            updated += 1
        else:
            continue
        db.add(result)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="results.refresh",
        object_type="exam_plan",
        object_id=plan_id,
        detail={"created": created, "updated": updated, "locked": locked},
    )
    return RefreshOut(created=created, updated=updated, locked=locked)


def _matches(r: ResultOut, only: PlanResultFilter) -> bool:
    if only == PlanResultFilter.ALL:
        return True
    if only == PlanResultFilter.ARBITRATION:
        return r.awaiting_arbitration
    return r.outcome == only.value


def _component_out(rule: rules.AssessmentRule, d: dict[str, Any]) -> ComponentOut:
    c = rule.get(d["component"])
    return ComponentOut(
        component=d["component"],
        name=COMPONENT_NAMES.get(d["component"], d["component"]),
        status=d["status"],
        status_name=MARK_STATUS_NAMES.get(d["status"], d["status"]),
        score=d.get("score"),
        pass_mark=float(c.pass_mark) if c else float(DEFAULT_PASS_MARK),
        weight=float(c.weight) if c and c.weight is not None else None,
        incident_id=d.get("incident_id"),
        note=d.get("note", ""),
    )


def _result_out(
    rule: rules.AssessmentRule, r: Result, cand: Candidate, reg: Registration
) -> ResultOut:
    return ResultOut(
        id=r.id or 0,
        registration_id=reg.id or 0,
        candidate_name=cand.name,
        ticket_number=reg.ticket_number,
        components=[_component_out(rule, d) for d in r.components],
        composite=r.composite,
        outcome=r.outcome,
        outcome_name=rules.OUTCOME_NAMES[rules.Outcome(r.outcome)],
        reasons=list(r.reasons),
        awaiting_arbitration=any(d.get("awaiting_arbitration") for d in r.components),
        state=r.state,
        state_name=RESULT_STATE_NAMES[r.state],
        computed_at=r.computed_at,
        confirmed_at=r.confirmed_at,
        published_at=r.published_at,
    )


def plan_results(
    db: Session, *, actor: Staff, plan_id: int, only: PlanResultFilter = PlanResultFilter.ALL
) -> PlanResults:
    """The plan's stored results by ticket, for the centre admin's review; `counts` over
    the whole plan, `rows` filtered."""
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    rule = _rule(db, plan)
    found = db.exec(
        select(Result, Candidate, Registration)
        .join(Candidate, col(Candidate.id) == Result.candidate_id)
        .join(Registration, col(Registration.id) == Result.registration_id)
        .where(Result.plan_id == plan_id)
        .order_by(col(Registration.ticket_number))
    ).all()
    rows = [_result_out(rule, r, c, reg) for r, c, reg in found]
    counts = {f.value: sum(_matches(r, f) for r in rows) for f in PlanResultFilter}
    states = {s.value: sum(r.state == s for r in rows) for s in ResultState}
    return PlanResults(
        plan_id=plan_id,
        plan_name=plan.name,
        level=get_level(plan.level_code).display,
        composite_pass_mark=plan.composite_pass_mark,
        only=only,
        counts=counts,
        states=states,
        rows=[r for r in rows if _matches(r, only)],
    )


def export_plan_results(
    db: Session, *, actor: Staff, plan_id: int, session_id: int | None = None
) -> tuple[str, bytes]:
    """The plan's results (or one session's candidates) as the 成绩单 workbook: (file name,
    content). Audited: the file leaves the platform with names and scores."""
    results = plan_results(db, actor=actor, plan_id=plan_id)
    label = ""
    if session_id is not None:
        session = of_centre(
            db, ExamSession, session_id, actor, Action.MANAGE, Resource.RESULT, "考场", "session"
        )
        if session.plan_id != plan_id:
            raise NotFound("考场不存在", code="session_not_found")
        tickets = set(
            db.exec(
                select(Registration.ticket_number).where(Registration.session_id == session_id)
            ).all()
        )
        results = results.model_copy(
            update={"rows": [r for r in results.rows if r.ticket_number in tickets]}
        )
        label = f" {session.name}（{session.room}）"
    audit.record(
        db,
        actor=actor,
        action="results.export_plan",
        object_type="exam_plan",
        object_id=plan_id,
        detail={"rows": len(results.rows), "session_id": session_id},
    )
    return f"成绩单-{results.plan_name}{label.strip()}.xlsx", export.plan_results_xlsx(
        results, label
    )


@dataclass(frozen=True)
class ResultSlip:
    """成绩通知单: one candidate's result, printable."""

    result: ResultOut
    plan_name: str
    occupation: str
    level: str
    centre: str
    composite_pass_mark: float | None


def result_slip(db: Session, *, actor: Staff, plan_id: int, result_id: int) -> ResultSlip:
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    result = db.get(Result, result_id)
    if result is None or result.plan_id != plan.id:
        raise NotFound("成绩记录不存在", code="result_not_found")
    cand = db.get(Candidate, result.candidate_id)
    reg = db.get(Registration, result.registration_id)
    centre = db.get(EvaluationCentre, plan.centre_id)
    assert cand is not None and reg is not None and centre is not None
    return ResultSlip(
        result=_result_out(_rule(db, plan), result, cand, reg),
        plan_name=plan.name,
        occupation=occupation_label(db, plan.occupation_id),
        level=get_level(plan.level_code).display,
        centre=centre.name,
        composite_pass_mark=plan.composite_pass_mark,
    )


def confirm_results(db: Session, *, actor: Staff, plan_id: int) -> int:
    """确认: lock every decided draft result (pending ones wait). Refused, changing
    nothing, when a draft no longer matches its sources: recompute and review first."""
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    stored = _stored(db, plan_id)
    computed = {c.candidate.id: c for c in _compute(db, plan)}
    stale = [
        r
        for r in stored.values()
        if r.state == ResultState.DRAFT
        and (r.candidate_id not in computed or not _same(r, computed[r.candidate_id]))
    ]
    missing = [cid for cid in computed if cid not in stored]
    if stale or missing:
        raise Conflict(
            f"有 {len(stale) + len(missing)} 名考生的成绩与评分记录不一致，请先重新汇总成绩再确认",
            code="results_stale",
        )
    now = clock.utcnow()
    confirmed = []
    for r in stored.values():
        if r.state == ResultState.DRAFT and r.outcome != rules.Outcome.PENDING:
            r.state, r.confirmed_at, r.confirmed_by = ResultState.CONFIRMED, now, actor.id
            db.add(r)
            confirmed.append(r.id)
    if not confirmed:
        raise Conflict("没有可确认的成绩（待评分的成绩不能确认）", code="nothing_to_confirm")
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="results.confirm",
        object_type="exam_plan",
        object_id=plan_id,
        detail={"result_ids": confirmed},
    )
    return len(confirmed)


def publish_results(db: Session, *, actor: Staff, plan_id: int) -> int:
    """公布: candidates see their confirmed results from now on; the 复核 window opens."""
    centre_for(actor, Action.MANAGE, Resource.RESULT)
    get_plan(db, actor=actor, plan_id=plan_id)
    now = clock.utcnow()
    published = []
    for r in _stored(db, plan_id).values():
        if r.state == ResultState.CONFIRMED:
            # Re-published after a 复核: the window still counts from the first publication.
            r.state, r.published_by = ResultState.PUBLISHED, actor.id
            r.published_at = r.published_at or now
            db.add(r)
            published.append(r.id)
    if not published:
        raise Conflict("没有已确认、待公布的成绩", code="nothing_to_publish")
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="results.publish",
        object_type="exam_plan",
        object_id=plan_id,
        detail={"result_ids": published},
    )
    return len(published)


def record_standing(
    db: Session, *, actor: Staff, registration_id: int, data: StandingIn
) -> ComponentStanding:
    """缺考 or 违纪 in one component of the candidate's plan; 违纪 names the incident (a
    proctor's record of this registration). Refused once the result is confirmed."""
    reg = of_centre(
        db,
        Registration,
        registration_id,
        actor,
        Action.MANAGE,
        Resource.RESULT,
        "报名记录",
        "registration",
    )
    session = db.get(ExamSession, reg.session_id)
    assert session is not None
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    problems: list[dict[str, Any]] = []
    if data.component not in plan.components:
        problems.append({"field": "component", "problem": "该考试计划没有这个考核项目"})
    if data.status not in {s.value for s in StandingStatus}:
        problems.append({"field": "status", "problem": "请选择缺考或违纪"})
    incident: Incident | None = None
    if data.status == StandingStatus.DISQUALIFIED:
        incident = db.get(Incident, data.incident_id) if data.incident_id else None
        if incident is None or incident.registration_id != reg.id:
            problems.append(
                {"field": "incident_id", "problem": "违纪须对应该考生的一条考场事件记录"}
            )
    if problems:
        raise ValidationFailed("缺考/违纪登记有误", code="standing_invalid", details=problems)
    reason = clean_reason(data.reason)
    result = db.exec(
        select(Result).where(Result.plan_id == plan.id, Result.candidate_id == reg.candidate_id)
    ).first()
    if result is not None and result.state != ResultState.DRAFT:
        raise Conflict("成绩已确认，只能通过复核更改", code="result_locked")
    standing = db.exec(
        select(ComponentStanding).where(
            ComponentStanding.registration_id == reg.id,
            ComponentStanding.component == data.component,
        )
    ).first()
    if standing is None:
        standing = ComponentStanding(
            registration_id=reg.id or 0,
            component=data.component,
            status=data.status,
            reason=reason,
            recorded_by=actor.id,
        )
    standing.status = data.status
    standing.incident_id = incident.id if incident else None
    standing.reason = reason
    standing.recorded_by = actor.id
    standing.recorded_at = clock.utcnow()
    db.add(standing)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="results.standing",
        object_type="registration",
        object_id=reg.id,
        reason=reason,
        detail={
            "component": data.component,
            "status": data.status,
            "incident_id": standing.incident_id,
        },
    )
    return standing


def my_result(db: Session, *, login: CandidateLogin) -> AssessmentResult:
    """The candidate's own result, once published; nothing before."""
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
    if result.state != ResultState.PUBLISHED:
        raise NotFound("复核后的成绩正在重新确认，公布后即可查询", code="result_under_recheck")
    rule = _rule(db, plan)
    shown = db.get(Registration, result.registration_id) or reg
    return AssessmentResult(
        plan_name=plan.name,
        occupation=occupation_label(db, plan.occupation_id),
        level=get_level(plan.level_code).display,
        ticket_number=shown.ticket_number,
        components=[_component_out(rule, d) for d in result.components],
        composite=result.composite,
        composite_pass_mark=plan.composite_pass_mark,
        outcome=result.outcome,
        outcome_name=rules.OUTCOME_NAMES[rules.Outcome(result.outcome)],
        reasons=list(result.reasons),
        published_at=result.published_at,
        recheck_until=rules.recheck_deadline(result.published_at, plan.recheck_days),
        recheck_open=rules.recheck_open(result.published_at, clock.utcnow(), plan.recheck_days),
    )
