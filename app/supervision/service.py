"""The regulator's workspace (监管): dashboards over the region's centres (pass rates,
subsidies committed and paid, certificates per month) and the centre audit (incidents,
window switches, automatic submissions, arbitrations, re-checks that changed a score,
pass rates far from the region's), each figure with the records behind it.

Region-scoped through the access policy: a regulator sees the centres of their region
(Resource.CENTRE, Scope.REGION) and nothing else."""

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, col, func, select

from app.accounts import policy
from app.accounts import service as accounts
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.certificates.models import Certificate
from app.core.clock import to_china
from app.core.errors import NotFound
from app.delivery.models import Attempt, SubmitReason
from app.exams.models import ExamPlan, ExamSession, Registration
from app.proctoring.models import INCIDENT_REASON_NAMES, Incident
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre, Occupation
from app.results.models import Arbitration, PaperTask, PracticalSession, RecheckRequest, Result
from app.results.rules import Outcome
from app.subsidies.models import STATE_NAMES, SubsidyRecord, SubsidyState
from app.supervision import figures
from app.supervision.figures import Chart

DECIDED = (Outcome.PASSED, Outcome.FAILED)  # 缺考 and 违纪 are not a pass rate's
GROUPINGS = {"centre": "评价机构", "occupation": "职业", "level": "等级"}
COMMITTED = (SubsidyState.AWAITING_EVIDENCE, SubsidyState.PENDING, SubsidyState.APPROVED)


def centres(db: Session, actor: Staff) -> list[EvaluationCentre]:
    return accounts.visible_centres(db, actor=actor)


def _day(dt: object) -> date:
    china = to_china(dt)  # type: ignore[arg-type]
    assert china is not None
    return china.date()


def pass_rate_chart(db: Session, *, actor: Staff, by: str = "centre") -> Chart:
    """合格率 per month (of confirmation) by centre, occupation or level."""
    by = by if by in GROUPINGS else "centre"
    ids = {c.id: c.name for c in centres(db, actor)}
    rows = db.exec(
        select(Result, ExamPlan, Occupation)
        .join(ExamPlan, col(ExamPlan.id) == Result.plan_id)
        .join(Occupation, col(Occupation.id) == ExamPlan.occupation_id)
        .where(
            col(Result.centre_id).in_(list(ids)),
            col(Result.outcome).in_(list(DECIDED)),
            col(Result.confirmed_at).is_not(None),
        )
    ).all()

    def group(result: Result, plan: ExamPlan, occupation: Occupation) -> str:
        if by == "occupation":
            return occupation.name
        if by == "level":
            return get_level(plan.level_code).display
        return ids[result.centre_id]

    return figures.pass_rates(
        (
            (group(r, p, o), figures.month_of(_day(r.confirmed_at)), r.outcome == Outcome.PASSED)
            for r, p, o in rows
        ),
        f"合格率（按{GROUPINGS[by]}，按确认月份）",
    )


def _region_records(db: Session, actor: Staff) -> list[SubsidyRecord]:
    from app.subsidies import service as subsidies

    return subsidies.queue(db, actor=actor, f=subsidies.QueueFilter())


def subsidy_chart(db: Session, *, actor: Staff, by: str = "state") -> Chart:
    """补贴金额 per month of issue: committed vs paid, or by policy or level."""
    rows = []
    for r in _region_records(db, actor):
        if by == "policy":
            name = r.policy_name
        elif by == "level":
            name = get_level(r.level_code).display
        elif r.state == SubsidyState.PAID:
            name = "已发放"
        elif r.state in COMMITTED:
            name = "已承诺（待发放）"
        else:
            continue
        if by in ("policy", "level") and r.state not in (*COMMITTED, SubsidyState.PAID):
            continue
        rows.append((name, figures.month_of(r.issued_on), r.amount))
    title = {"policy": "按政策", "level": "按等级"}.get(by, "已承诺与已发放")
    return figures.sums(rows, f"补贴金额（{title}，按发证月份）", "元")


def certificate_chart(db: Session, *, actor: Staff) -> Chart:
    ids = {c.id: c.name for c in centres(db, actor)}
    rows = db.exec(
        select(col(Certificate.centre_id), col(Certificate.issued_on)).where(
            col(Certificate.centre_id).in_(list(ids))
        )
    ).all()
    return figures.sums(
        ((ids[c], figures.month_of(d), 1) for c, d in rows), "发证数量（按月）", "本"
    )


# -- the centre audit -----------------------------------------------------------------------


@dataclass(frozen=True)
class CentreFigures:
    centre: EvaluationCentre
    sessions: int
    registrations: int
    attempts: int
    incidents: int
    incident_rate: float | None  # incidents per 100 registrations
    window_switches: int
    switches_per_attempt: float | None
    auto_submits: int  # time-out and window-switch limit
    forced_submits: int
    practical_tasks: int
    arbitrations: int
    arbitration_rate: float | None  # % of marked tasks
    decided: int
    passed: int
    pass_rate: float | None
    rechecks_changed: int
    certificates: int
    far_from_region: bool = False


def _count(db: Session, query: object) -> int:
    return int(db.exec(query).one() or 0)  # type: ignore[call-overload]


def _decided(db: Session, centre_ids: list[int | None]) -> tuple[int, int]:
    """(decided, passed) over the centres' results."""
    counts: dict[str, int] = dict(
        db.exec(
            select(Result.outcome, func.count())
            .where(col(Result.centre_id).in_(centre_ids), col(Result.outcome).in_(list(DECIDED)))
            .group_by(col(Result.outcome))
        ).all()
    )
    return sum(counts.values()), counts.get(Outcome.PASSED, 0)


def centre_figures(db: Session, centre: EvaluationCentre) -> CentreFigures:
    cid = centre.id
    sessions = _count(
        db, select(func.count()).select_from(ExamSession).where(ExamSession.centre_id == cid)
    )
    regs = _count(
        db, select(func.count()).select_from(Registration).where(Registration.centre_id == cid)
    )
    attempts = db.exec(
        select(Attempt.leave_count, Attempt.submit_reason).where(Attempt.centre_id == cid)
    ).all()
    incidents = _count(
        db, select(func.count()).select_from(Incident).where(Incident.centre_id == cid)
    )
    tasks = _count(
        db,
        select(func.count())
        .select_from(PaperTask)
        .join(PracticalSession, col(PracticalSession.id) == PaperTask.practical_session_id)
        .where(PracticalSession.centre_id == cid),
    )
    arbitrations = _count(
        db,
        select(func.count())
        .select_from(Arbitration)
        .join(PaperTask, col(PaperTask.id) == Arbitration.paper_task_id)
        .join(PracticalSession, col(PracticalSession.id) == PaperTask.practical_session_id)
        .where(PracticalSession.centre_id == cid),
    )
    decided, passed = _decided(db, [cid])
    changed = _count(
        db,
        select(func.count())
        .select_from(RecheckRequest)
        .join(Result, col(Result.id) == RecheckRequest.result_id)
        .where(
            Result.centre_id == cid,
            col(RecheckRequest.new_score).is_not(None),
            col(RecheckRequest.new_score) != col(RecheckRequest.old_score),
        ),
    )
    certs = _count(
        db, select(func.count()).select_from(Certificate).where(Certificate.centre_id == cid)
    )
    switches = sum(a[0] for a in attempts)
    auto = sum(1 for a in attempts if a[1] in (SubmitReason.TIMEOUT, SubmitReason.LEAVE_LIMIT))
    forced = sum(1 for a in attempts if a[1] == SubmitReason.FORCED)
    return CentreFigures(
        centre=centre,
        sessions=sessions,
        registrations=regs,
        attempts=len(attempts),
        incidents=incidents,
        incident_rate=figures.rate(incidents, regs),
        window_switches=switches,
        switches_per_attempt=round(switches / len(attempts), 2) if attempts else None,
        auto_submits=auto,
        forced_submits=forced,
        practical_tasks=tasks,
        arbitrations=arbitrations,
        arbitration_rate=figures.rate(arbitrations, tasks),
        decided=decided,
        passed=passed,
        pass_rate=figures.rate(passed, decided),
        rechecks_changed=changed,
        certificates=certs,
    )


@dataclass(frozen=True)
class RegionAudit:
    rows: list[CentreFigures]
    region_pass_rate: float | None


def region_audit(db: Session, *, actor: Staff) -> RegionAudit:
    rows = [centre_figures(db, c) for c in centres(db, actor)]
    decided = sum(r.decided for r in rows)
    region_rate = figures.rate(sum(r.passed for r in rows), decided)
    flagged = [replace(r, far_from_region=figures.far_from(r.pass_rate, region_rate)) for r in rows]
    return RegionAudit(flagged, region_rate)


@dataclass(frozen=True)
class CentreDetail:
    figures: CentreFigures
    region_pass_rate: float | None
    sessions: list[
        tuple[ExamSession, str, int, int]
    ]  # session, plan name, registrations, incidents
    incidents: list[tuple[Incident, str, str]]  # incident, session name, reason name
    auto_submits: list[tuple[Attempt, str]]  # attempt, session name
    arbitrations: list[tuple[Arbitration, str]]  # arbitration, practical session name
    rechecks: list[tuple[RecheckRequest, Result]]
    subsidies: dict[str, int]  # state name → amount


def centre_detail(db: Session, *, actor: Staff, centre_id: int) -> CentreDetail:
    """A centre of the region with its sessions, results, certificates, incidents and the
    records behind each audit figure."""
    centre = db.get(EvaluationCentre, centre_id)
    policy.check(
        actor,
        Action.READ,
        Resource.CENTRE,
        Facts.of(centre.id, region_code=centre.region_code) if centre else None,
        missing=NotFound("评价机构不存在", code="centre_not_found"),
    )
    assert centre is not None
    # The region's rate from its centres' results alone: the other centres' figures are
    # not shown here.
    decided, passed = _decided(db, [c.id for c in centres(db, actor)])
    region_rate = figures.rate(passed, decided)
    own = centre_figures(db, centre)
    mine = replace(own, far_from_region=figures.far_from(own.pass_rate, region_rate))
    sessions = []
    for s, plan in db.exec(
        select(ExamSession, ExamPlan)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
        .where(ExamSession.centre_id == centre_id)
        .order_by(col(ExamSession.starts_at).desc())
    ).all():
        regs = _count(
            db,
            select(func.count()).select_from(Registration).where(Registration.session_id == s.id),
        )
        inc = _count(
            db, select(func.count()).select_from(Incident).where(Incident.session_id == s.id)
        )
        sessions.append((s, plan.name, regs, inc))
    names = {s.id: s.name for s, *_ in sessions}
    incidents = [
        (i, names.get(i.session_id, ""), INCIDENT_REASON_NAMES.get(i.reason_code, i.reason_code))  # type: ignore[call-overload]
        for i in db.exec(
            select(Incident)
            .where(Incident.centre_id == centre_id)
            .order_by(col(Incident.at).desc())
        )
    ]
    autos = [
        (a, names.get(a.session_id, ""))
        for a in db.exec(
            select(Attempt).where(
                Attempt.centre_id == centre_id,
                col(Attempt.submit_reason).in_(
                    [SubmitReason.TIMEOUT, SubmitReason.LEAVE_LIMIT, SubmitReason.FORCED]
                ),
            )
        )
    ]
    arbitrations = [
        (a, ps.name)
        for a, ps in db.exec(
            select(Arbitration, PracticalSession)
            .join(PaperTask, col(PaperTask.id) == Arbitration.paper_task_id)
            .join(PracticalSession, col(PracticalSession.id) == PaperTask.practical_session_id)
            .where(PracticalSession.centre_id == centre_id)
        ).all()
    ]
    rechecks = list(
        db.exec(
            select(RecheckRequest, Result)
            .join(Result, col(Result.id) == RecheckRequest.result_id)
            .where(
                Result.centre_id == centre_id,
                col(RecheckRequest.new_score).is_not(None),
                col(RecheckRequest.new_score) != col(RecheckRequest.old_score),
            )
        ).all()
    )
    amounts: dict[str, int] = {}
    for r in db.exec(select(SubsidyRecord).where(SubsidyRecord.centre_id == centre_id)):
        key = STATE_NAMES[SubsidyState(r.state)]
        amounts[key] = amounts.get(key, 0) + r.amount
    return CentreDetail(
        mine, region_rate, sessions, incidents, autos, arbitrations, rechecks, amounts
    )
