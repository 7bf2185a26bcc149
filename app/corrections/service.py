"""Corrections (更正) to what a centre set up: a plan or a session changed or called off,
a registration withdrawn or moved to another session of the plan, a candidate's details
put right. Each is refused once the candidates concerned started (an attempt exists: the
paper, its clock and its record are then facts), and each is audited with who and why.

The changes themselves are the exams domain's (plans, sessions, registrations,
candidates); this module adds the one guard exams cannot see, the attempts, and tells the
consoles. Flush-only: the request owns the transaction."""

import logging
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import AuthSession
from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.delivery.models import Attempt
from app.exams import candidates, plans, registrations, rules, sessions
from app.exams.models import (
    Candidate,
    ExamPlan,
    ExamSession,
    Registration,
    SessionStatus,
)
from app.exams.schemas import CandidateIn, PlanUpdate, SessionUpdate
from app.live import service as live

log = logging.getLogger(__name__)


def has_started(
    db: Session,
    *,
    plan_id: int | None = None,
    session_id: int | None = None,
    registration_id: int | None = None,
) -> bool:
    """Whether a candidate of the plan, the session or the registration has an attempt:
    the pages say so before offering a correction that would be refused."""
    query = select(Attempt.id)
    if plan_id is not None:
        query = query.join(ExamSession, col(ExamSession.id) == Attempt.session_id).where(
            ExamSession.plan_id == plan_id
        )
    if session_id is not None:
        query = query.where(Attempt.session_id == session_id)
    if registration_id is not None:
        query = query.where(Attempt.registration_id == registration_id)
    return db.exec(query.limit(1)).first() is not None


def candidate_started(db: Session, *, candidate_id: int) -> bool:
    """Whether the candidate started in any session (their name and ID number are then
    on an attempt's record)."""
    return (
        db.exec(
            select(Attempt.id)
            .join(Registration, col(Registration.id) == Attempt.registration_id)
            .where(Registration.candidate_id == candidate_id)
            .limit(1)
        ).first()
        is not None
    )


def _refuse_if_started(
    db: Session,
    *,
    what: str,
    plan_id: int | None = None,
    session_id: int | None = None,
    registration_id: int | None = None,
) -> None:
    if has_started(db, plan_id=plan_id, session_id=session_id, registration_id=registration_id):
        raise Conflict(f"已有考生开始作答，{what}", code="attempt_started")


def _end_logins(db: Session, registration_id: int) -> None:
    """A withdrawn ticket's logins end at once (its page goes back to the login)."""
    for login in db.exec(
        select(AuthSession).where(
            AuthSession.registration_id == registration_id,
            col(AuthSession.revoked_at).is_(None),
        )
    ):
        login.revoked_at = utcnow()
        db.add(login)


# --- sessions ---------------------------------------------------------------------------


def update_session(
    db: Session, *, actor: Staff, session_id: int, data: SessionUpdate
) -> ExamSession:
    session = sessions.get_session(db, actor=actor, session_id=session_id, action=Action.MANAGE)
    _refuse_if_started(db, what="不能再修改本场次", session_id=session_id)
    updated = sessions.update_session(db, actor=actor, session=session, data=data)
    live.announce(db, live.session_topic(session_id), {"kind": "roster"})
    return updated


def cancel_session(db: Session, *, actor: Staff, session_id: int, reason: str) -> ExamSession:
    session = sessions.get_session(db, actor=actor, session_id=session_id, action=Action.MANAGE)
    _refuse_if_started(db, what="不能取消本场次", session_id=session_id)
    cancelled = sessions.cancel_session(db, actor=actor, session=session, reason=reason)
    live.announce(db, live.session_topic(session_id), {"kind": "roster"})
    return cancelled


# --- plans ------------------------------------------------------------------------------


def update_plan(db: Session, *, actor: Staff, plan_id: int, data: PlanUpdate) -> ExamPlan:
    plan = plans.get_plan(db, actor=actor, plan_id=plan_id, action=Action.MANAGE)
    _refuse_if_started(db, what="不能再修改本考试计划", plan_id=plan_id)
    return plans.update_plan(db, actor=actor, plan=plan, data=data)


def cancel_plan(db: Session, *, actor: Staff, plan_id: int, reason: str) -> ExamPlan:
    """Call a plan off with every session of it still scheduled (each audited)."""
    plan = plans.get_plan(db, actor=actor, plan_id=plan_id, action=Action.MANAGE)
    _refuse_if_started(db, what="不能取消本考试计划", plan_id=plan_id)
    text = clean_reason(reason)
    for session in db.exec(
        select(ExamSession).where(
            ExamSession.plan_id == plan_id, ExamSession.status == SessionStatus.SCHEDULED
        )
    ):
        sessions.cancel_session(db, actor=actor, session=session, reason=text)
    return plans.mark_cancelled(db, actor=actor, plan=plan, reason=text)


# --- registrations ----------------------------------------------------------------------


def _registration(db: Session, actor: Staff, registration_id: int) -> Registration:
    reg, _ = registrations.registration_with_candidate(
        db, actor=actor, registration_id=registration_id, action=Action.MANAGE
    )
    if reg.withdrawn_at is not None:
        raise Conflict("该报名已撤销", code="already_withdrawn")
    return reg


def withdraw_registration(
    db: Session, *, actor: Staff, registration_id: int, reason: str
) -> Registration:
    """撤销报名: the candidate leaves the session; seat and ticket are never reused."""
    reg = _registration(db, actor, registration_id)
    _refuse_if_started(db, what="不能撤销报名", registration_id=registration_id)
    text = clean_reason(reason)
    session = db.get(ExamSession, reg.session_id)
    assert session is not None
    sessions.require_scheduled(session)
    registrations.withdraw(db, actor=actor, registration=reg)
    _end_logins(db, registration_id)
    audit.record(
        db,
        actor=actor,
        action="registration.withdraw",
        object_type="registration",
        object_id=reg.id,
        reason=text,
        detail={"session_id": reg.session_id, "ticket_number": reg.ticket_number},
    )
    live.announce(db, live.session_topic(reg.session_id), {"kind": "roster"})
    return reg


@dataclass(frozen=True)
class Move:
    old: Registration
    new: Registration

    @property
    def summary(self) -> str:
        return (
            f"已调到新场次，新准考证号 {self.new.ticket_number}，座位 {self.new.seat_number} 号"
            f"（原准考证号 {self.old.ticket_number} 作废），请重新打印准考证"
        )


def move_registration(
    db: Session, *, actor: Staff, registration_id: int, session_id: int, reason: str
) -> Move:
    """调场: the candidate leaves this session for another session of the same plan that
    is still open for entry: a seat and ticket there (their old ones back if they were
    there before); the old ticket is void."""
    reg = _registration(db, actor, registration_id)
    _refuse_if_started(db, what="不能调场", registration_id=registration_id)
    text = clean_reason(reason)
    source = db.get(ExamSession, reg.session_id)
    assert source is not None
    sessions.require_scheduled(source)
    target = sessions.get_session(
        db, actor=actor, session_id=session_id, action=Action.MANAGE, resource=Resource.ROSTER
    )
    _, target_plan, _ = sessions.session_plan_blueprint(db, session_id)
    problem = rules.move_problem(
        same_plan=target.plan_id == source.plan_id,
        same_session=target.id == source.id,
        target_open=target.status == SessionStatus.SCHEDULED,
        target_entry_closed=utcnow()
        > rules.entry_closes_at(
            starts_at=target.starts_at,
            ends_at=target.ends_at,
            late_entry_minutes=target_plan.late_entry_minutes,
        ),
    )
    if problem is not None:
        raise Conflict(
            problem,
            code="move_refused",
            details=[{"field": "session_id", "problem": problem}],
        )
    candidate = db.get(Candidate, reg.candidate_id)
    assert candidate is not None
    locked = registrations.open_session_for(db, actor=actor, session_id=session_id)
    registrations.withdraw(db, actor=actor, registration=reg)
    new = registrations.place_candidate(db, session=locked, candidate=candidate)
    # Same plan, same level: the 申报条件 they met (or the override that let them in) holds
    # in the new session too; without it the roster there reads "—".
    new.eligibility_route = reg.eligibility_route
    new.eligibility_override_reason = reg.eligibility_override_reason
    new.eligibility_override_by = reg.eligibility_override_by
    db.add(new)
    db.flush()
    _end_logins(db, registration_id)
    audit.record(
        db,
        actor=actor,
        action="registration.move",
        object_type="registration",
        object_id=reg.id,
        reason=text,
        detail={
            "from_session_id": reg.session_id,
            "to_session_id": session_id,
            "from_ticket": reg.ticket_number,
            "to_registration_id": new.id,
            "to_ticket": new.ticket_number,
        },
    )
    for sid in (reg.session_id, session_id):
        live.announce(db, live.session_topic(sid), {"kind": "roster"})
    return Move(old=reg, new=new)


def moved_in(
    db: Session, *, actor: Staff, registration_id: int, session_id: int
) -> tuple[Registration, Candidate] | None:
    """The registration a move has just placed in this session, with its candidate, for
    the page that says who came in and which new ticket to print; None for anything else
    (another session's, one the actor may not change, one that left again)."""
    if not policy.may(actor, Action.MANAGE, Resource.ROSTER):
        return None
    try:
        reg, candidate = registrations.registration_with_candidate(
            db, actor=actor, registration_id=registration_id, action=Action.MANAGE
        )
    except NotFound:
        return None
    if reg.session_id != session_id or reg.withdrawn_at is not None:
        return None
    return reg, candidate


def move_targets(db: Session, *, actor: Staff, registration_id: int) -> list[ExamSession]:
    """The other sessions of the registration's plan a candidate could move to now."""
    reg = _registration(db, actor, registration_id)
    source = db.get(ExamSession, reg.session_id)
    assert source is not None
    plan = db.get(ExamPlan, source.plan_id)
    assert plan is not None
    now = utcnow()
    return [
        s
        for s in db.exec(
            select(ExamSession)
            .where(
                ExamSession.plan_id == source.plan_id,
                ExamSession.id != source.id,
                ExamSession.status == SessionStatus.SCHEDULED,
            )
            .order_by(col(ExamSession.starts_at), col(ExamSession.id))
        )
        if now
        <= rules.entry_closes_at(
            starts_at=s.starts_at, ends_at=s.ends_at, late_entry_minutes=plan.late_entry_minutes
        )
    ]


# --- candidates -------------------------------------------------------------------------


def update_candidate(
    db: Session, *, actor: Staff, candidate_id: int, data: CandidateIn, reason: str
) -> Candidate:
    """Name and ID number may change until the candidate's first start; contact details
    always."""
    return candidates.update_candidate(
        db,
        actor=actor,
        candidate_id=candidate_id,
        data=data,
        reason=reason,
        started=candidate_started(db, candidate_id=candidate_id),
    )


def registration_of(db: Session, *, actor: Staff, registration_id: int) -> Registration:
    """A registration the actor may correct (not found otherwise)."""
    try:
        return _registration(db, actor, registration_id)
    except Conflict:
        raise NotFound("报名记录不存在", code="registration_not_found") from None
