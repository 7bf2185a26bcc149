"""Sessions (考场/场次): a plan's sitting in one room at one time, with its proctors and
its registrations."""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import StaffUser
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.text import name_problem
from app.exams import rules, seating
from app.exams.common import MAX_MINUTES, centre_for, invalid
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    Registration,
    SessionProctor,
    SessionStatus,
    registered,
)
from app.exams.plans import PlanSummary, get_plan, plan_summaries
from app.exams.schemas import SessionCreate, SessionUpdate
from app.reference.identifiers import mask_resident_id

log = logging.getLogger(__name__)

# Who may be put on a session's proctor list: those the policy lets proctor attempts.
PROCTOR_ROLES = policy.roles_allowed(Action.PROCTOR, Resource.ATTEMPT)
staffing_problems = rules.staffing_problems  # one rule (exams.rules), known here too


def eligible_proctors(db: Session, *, actor: Staff) -> list[StaffUser]:
    """Staff of the centre who may proctor: proctors and centre admins."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.SESSION)
    return list(
        db.exec(
            select(StaffUser)
            .where(
                StaffUser.centre_id == centre_id,
                col(StaffUser.role).in_([r.value for r in PROCTOR_ROLES]),
                col(StaffUser.is_active).is_(True),
            )
            .order_by(col(StaffUser.display_name), col(StaffUser.id))
        )
    )


def _checked_proctors(db: Session, centre_id: int, ids: list[int]) -> list[StaffUser]:
    found = []
    problems = []
    for staff_id in dict.fromkeys(ids):
        user = db.get(StaffUser, staff_id)
        if (
            user is None
            or user.centre_id != centre_id
            or user.role not in PROCTOR_ROLES
            or not user.is_active
        ):
            problems.append(
                {
                    "field": "proctor_ids",
                    "problem": f"账号 #{staff_id} 不是本机构在职的监考员或管理员",
                }
            )
        else:
            found.append(user)
    if problems:
        raise invalid("监考员有误", "proctors_invalid", problems)
    return found


def _session_problems(
    bp: Blueprint,
    *,
    name: str,
    room: str,
    duration: int,
    seats_per_row: int,
    starts_at: datetime,
    confirm_past_start: bool,
) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if problem := name_problem(name, label="场次名称", max_length=100):
        problems.append({"field": "name", "problem": problem})
    if problem := name_problem(room, label="考场", max_length=100):
        problems.append({"field": "room", "problem": problem})
    if not bp.time_limit_minutes <= duration <= MAX_MINUTES:
        problems.append(
            {
                "field": "duration_minutes",
                "problem": f"考试时长应在 {bp.time_limit_minutes}–{MAX_MINUTES} 分钟之间"
                f"（组卷方案规定 {bp.time_limit_minutes} 分钟）",
            }
        )
    if problem := seating.seats_per_row_problem(seats_per_row):
        problems.append({"field": "seats_per_row", "problem": problem})
    if problem := rules.start_time_problem(
        starts_at=starts_at, now=clock.utcnow(), confirmed=confirm_past_start
    ):
        problems.append({"field": "starts_at", "problem": problem})
    return problems


def create_session(db: Session, *, actor: Staff, data: SessionCreate) -> ExamSession:
    centre_id = centre_for(actor, Action.MANAGE, Resource.SESSION)
    plan = get_plan(db, actor=actor, plan_id=data.plan_id)
    if plan.cancelled_at is not None:
        raise Conflict("考试计划已取消，不能再安排场次", code="plan_cancelled")
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    duration = bp.time_limit_minutes if data.duration_minutes is None else data.duration_minutes
    starts_at = clock.from_china(data.starts_at)
    problems = _session_problems(
        bp,
        name=data.name,
        room=data.room,
        duration=duration,
        seats_per_row=data.seats_per_row,
        starts_at=starts_at,
        confirm_past_start=data.confirm_past_start,
    )
    if problems:
        raise invalid("场次信息有误", "session_invalid", problems)
    proctors = _checked_proctors(db, centre_id, data.proctor_ids)
    session = ExamSession(
        centre_id=centre_id,
        plan_id=data.plan_id,
        name=data.name.strip(),
        room=data.room.strip(),
        starts_at=starts_at,
        duration_minutes=duration,
        seats_per_row=data.seats_per_row,
    )
    db.add(session)
    db.flush()
    for user in proctors:
        db.add(SessionProctor(session_id=session.id or 0, staff_user_id=user.id or 0))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="session.create",
        object_type="exam_session",
        object_id=session.id,
        detail={"plan_id": plan.id, "room": session.room, "proctor_ids": [u.id for u in proctors]},
    )
    return session


def require_scheduled(session: ExamSession) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise Conflict("场次已取消", code="session_cancelled")
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict("场次已关闭，不能再修改", code="session_closed")


def update_session(
    db: Session, *, actor: Staff, session: ExamSession, data: SessionUpdate
) -> ExamSession:
    """Correct a session (name, room, start, duration, seats per row), with the reason;
    the caller has checked that no candidate started (corrections.service). Records what
    changed, from what, to what."""
    require_scheduled(session)
    reason = clean_reason(data.reason)
    _, _, bp = session_plan_blueprint(db, session.id or 0)
    starts_at = session.starts_at if data.starts_at is None else clock.from_china(data.starts_at)
    # The page's field holds the start to the minute: the same minute is the same start
    # (not a change moving it back by its seconds, audited as "15:24 → 15:24").
    if starts_at == session.starts_at.replace(second=0, microsecond=0):
        starts_at = session.starts_at
    wanted: dict[str, Any] = {
        "name": session.name if data.name is None else data.name.strip(),
        "room": session.room if data.room is None else data.room.strip(),
        "starts_at": starts_at,
        "duration_minutes": session.duration_minutes
        if data.duration_minutes is None
        else data.duration_minutes,
        "seats_per_row": session.seats_per_row
        if data.seats_per_row is None
        else data.seats_per_row,
    }
    problems = _session_problems(
        bp,
        name=wanted["name"],
        room=wanted["room"],
        duration=wanted["duration_minutes"],
        seats_per_row=wanted["seats_per_row"],
        starts_at=wanted["starts_at"],
        # An unchanged start already in the past needs no new confirmation.
        confirm_past_start=data.confirm_past_start or wanted["starts_at"] == session.starts_at,
    )
    if problems:
        raise invalid("场次信息有误", "session_invalid", problems)
    changes = {
        k: [_shown(getattr(session, k)), _shown(v)]
        for k, v in wanted.items()
        if getattr(session, k) != v
    }
    if not changes:
        raise Conflict("没有需要保存的修改", code="nothing_changed")
    for key, value in wanted.items():
        setattr(session, key, value)
    db.add(session)
    audit.record(
        db,
        actor=actor,
        action="session.update",
        object_type="exam_session",
        object_id=session.id,
        reason=reason,
        detail={"changes": changes},
    )
    db.flush()
    return session


def _shown(value: Any) -> Any:
    """A value as the audit trail keeps it: times in China time, to the minute."""
    if isinstance(value, datetime):
        local = clock.to_china(value)
        assert local is not None
        return local.strftime("%Y-%m-%d %H:%M")
    return value


def cancel_session(db: Session, *, actor: Staff, session: ExamSession, reason: str) -> ExamSession:
    """Call a session off (取消场次), with the reason; the caller has checked that no
    candidate started. Its registrations stay (and are listed), nobody may enter."""
    require_scheduled(session)
    text = clean_reason(reason)
    session.status = SessionStatus.CANCELLED
    db.add(session)
    audit.record(
        db,
        actor=actor,
        action="session.cancel",
        object_type="exam_session",
        object_id=session.id,
        reason=text,
        detail={"plan_id": session.plan_id, "starts_at": _shown(session.starts_at)},
    )
    db.flush()
    return session


def assign_proctors(
    db: Session, *, actor: Staff, session_id: int, proctor_ids: list[int]
) -> list[StaffUser]:
    """Replace the session's proctors."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.SESSION)
    session = get_session(db, actor=actor, session_id=session_id, action=Action.MANAGE)
    proctors = _checked_proctors(db, centre_id, proctor_ids)
    for old in db.exec(select(SessionProctor).where(SessionProctor.session_id == session_id)):
        db.delete(old)
    db.flush()
    for user in proctors:
        db.add(SessionProctor(session_id=session_id, staff_user_id=user.id or 0))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="session.assign_proctors",
        object_type="exam_session",
        object_id=session.id,
        detail={"proctor_ids": [u.id for u in proctors]},
    )
    return proctors


def session_facts(db: Session, session: ExamSession) -> Facts:
    """What the access policy needs to know about a session: its centre and proctors."""
    proctors = db.exec(
        select(SessionProctor.staff_user_id).where(SessionProctor.session_id == session.id)
    )
    return Facts.of(session.centre_id, proctors=proctors)


def is_absent(session: ExamSession, plan: ExamPlan, *, started: bool, now: datetime) -> bool:
    """缺考: registered, never started, and entry has closed (exams.rules.is_absent)."""
    return rules.is_absent(
        now=now,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        late_entry_minutes=plan.late_entry_minutes,
        closed=session.status == SessionStatus.CLOSED,
        started=started,
    )


def staffing_of(db: Session, session: ExamSession) -> list[str]:
    """The DOMAIN.md §2 staffing rules this session breaks now (its proctors and the
    candidates registered in it)."""
    proctors, candidates = db.connection().execute(_STAFFING, {"session": session.id}).one()
    return rules.staffing_problems(proctors=proctors, candidates=candidates)


# Asked at every candidate's start as the room opens: both counts in one statement, built
# once (scripts/bench_rush.py).
_STAFFING = select(
    select(func.count())
    .select_from(SessionProctor)
    .where(col(SessionProctor.session_id) == bindparam("session"))
    .scalar_subquery(),
    select(func.count())
    .select_from(Registration)
    .where(col(Registration.session_id) == bindparam("session"), registered())
    .scalar_subquery(),
)


def opening_refusal(db: Session, session: ExamSession) -> str | None:
    """Why no candidate may start in this session yet (staffing, not overridden)."""
    if session.staffing_override_at is not None:
        return None
    return rules.opening_refusal(staffing_of(db, session), overridden=False)


def override_staffing(db: Session, *, actor: Staff, session_id: int, reason: str) -> ExamSession:
    """A centre admin lets an understaffed room open (e.g. a proctor fell ill and the
    candidates are present), with the reason: recorded on the session and audited."""
    session = get_session(db, actor=actor, session_id=session_id, action=Action.MANAGE)
    text = clean_reason(reason)
    problems = staffing_of(db, session)
    if not problems:
        raise Conflict("本场次监考人员配备符合要求，无需确认", code="staffing_ok")
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict("场次已关闭或已取消", code="session_closed")
    session.staffing_override_reason = text
    session.staffing_override_by = actor.id
    session.staffing_override_at = clock.utcnow()
    db.add(session)
    audit.record(
        db,
        actor=actor,
        action="session.staffing_override",
        object_type="exam_session",
        object_id=session.id,
        reason=text,
        detail={"problems": problems},
    )
    db.flush()
    return session


def get_session(
    db: Session,
    *,
    actor: Staff,
    session_id: int,
    action: Action = Action.READ,
    resource: Resource = Resource.SESSION,
) -> ExamSession:
    """The session, if the policy lets the actor do the action to it (or to its roster,
    `resource`): a proctor reads only the sessions they are assigned to."""
    found = db.get(ExamSession, session_id)
    facts = session_facts(db, found) if found is not None else None
    policy.check(
        actor, action, resource, facts, missing=NotFound("考场不存在", code="session_not_found")
    )
    assert found is not None
    return found


def session_plan_blueprint(db: Session, session_id: int) -> tuple[ExamSession, ExamPlan, Blueprint]:
    """A session with its plan and the plan's blueprint, in one query (no centre check:
    callers check the centre)."""
    row = db.exec(
        select(ExamSession, ExamPlan, Blueprint)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
        .join(Blueprint, col(Blueprint.id) == ExamPlan.blueprint_id)
        .where(ExamSession.id == session_id)
    ).first()
    if row is None:
        raise NotFound("考试场次不存在", code="session_not_found")
    return row[0], row[1], row[2]


@dataclass(frozen=True)
class SessionSummary:
    session: ExamSession
    plan_name: str
    proctors: list[StaffUser]
    candidate_count: int
    staffing_problems: list[str]

    @property
    def ends_at(self) -> datetime:
        return self.session.ends_at


def _session_summaries(db: Session, sessions: list[ExamSession]) -> list[SessionSummary]:
    ids = [s.id for s in sessions]
    counts = dict(
        db.exec(
            select(Registration.session_id, func.count())
            .where(col(Registration.session_id).in_(ids), registered())
            .group_by(col(Registration.session_id))
        ).all()
    )
    proctors: dict[int, list[StaffUser]] = {}
    for sp, user in db.exec(
        select(SessionProctor, StaffUser)
        .join(StaffUser, col(StaffUser.id) == SessionProctor.staff_user_id)
        .where(col(SessionProctor.session_id).in_(ids))
        .order_by(col(StaffUser.display_name), col(StaffUser.id))
    ):
        proctors.setdefault(sp.session_id, []).append(user)
    plans = {
        p.id: p.name
        for p in db.exec(
            select(ExamPlan).where(col(ExamPlan.id).in_({s.plan_id for s in sessions}))
        )
    }
    found = []
    for s in sessions:
        people = proctors.get(s.id or 0, [])
        n = counts.get(s.id or 0, 0)
        found.append(
            SessionSummary(
                session=s,
                plan_name=plans.get(s.plan_id, ""),
                proctors=people,
                candidate_count=n,
                staffing_problems=staffing_problems(proctors=len(people), candidates=n),
            )
        )
    return found


def list_sessions(db: Session, *, actor: Staff, plan_id: int | None = None) -> list[SessionSummary]:
    """The sessions the actor may read: the centre's, or (a proctor) those assigned."""
    centre_id = centre_for(actor, Action.READ, Resource.SESSION)
    query = select(ExamSession).where(ExamSession.centre_id == centre_id)
    if plan_id is not None:
        query = query.where(ExamSession.plan_id == plan_id)
    if policy.scope(actor, Action.READ, Resource.SESSION) is policy.Scope.PROCTORING:
        query = query.join(SessionProctor, col(SessionProctor.session_id) == ExamSession.id).where(
            SessionProctor.staff_user_id == actor.id
        )
    sessions = list(db.exec(query.order_by(col(ExamSession.starts_at), col(ExamSession.id))))
    return _session_summaries(db, sessions)


@dataclass(frozen=True)
class CandidateShown:
    """A candidate as a roster reader sees them. Ticket + ID number is a candidate's
    login, so the full ID number, birth date and phone go only to those whose work needs
    them (policy: IDENTITY); others get the ID number masked, as on the proctor console."""

    id: int | None
    name: str
    gender: str
    id_number: str
    birth_date: date | None
    phone: str
    employer: str
    created_at: datetime
    photo_digest: str | None = None  # names the photo's version (cache key), shows nothing

    @classmethod
    def of(cls, c: Candidate, *, full: bool) -> "CandidateShown":
        return cls(
            id=c.id,
            name=c.name,
            gender=c.gender,
            id_number=c.id_number if full else mask_resident_id(c.id_number),
            birth_date=c.birth_date if full else None,
            phone=c.phone if full else "",
            employer=c.employer,
            created_at=c.created_at,
            photo_digest=c.photo_digest,
        )


@dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    candidate: Candidate | CandidateShown


@dataclass(frozen=True)
class SessionDetail:
    summary: SessionSummary
    plan: PlanSummary
    registrations: list[RegistrationRow]

    @property
    def session(self) -> ExamSession:
        return self.summary.session


def session_detail(db: Session, *, actor: Staff, session_id: int) -> SessionDetail:
    session = get_session(db, actor=actor, session_id=session_id)
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    return SessionDetail(
        summary=_session_summaries(db, [session])[0],
        plan=plan_summaries(db, [plan])[0],
        registrations=list_registrations(db, actor=actor, session_id=session_id)
        if policy.allows(actor, Action.READ, Resource.ROSTER, session_facts(db, session))
        else [],
    )


def list_registrations(db: Session, *, actor: Staff, session_id: int) -> list[RegistrationRow]:
    """The session's roster, by seat, with what the actor may see of each candidate."""
    session = get_session(db, actor=actor, session_id=session_id, resource=Resource.ROSTER)
    full = policy.allows(actor, Action.READ, Resource.IDENTITY, session_facts(db, session))
    return [
        RegistrationRow(reg, CandidateShown.of(cand, full=full))
        for reg, cand in db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.session_id == session_id, registered())
            .order_by(col(Registration.seat_number))
        )
    ]
