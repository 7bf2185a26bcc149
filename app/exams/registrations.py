"""Registrations (报名) in a session, one by one or from an Excel roster, and admission
tickets (准考证)."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.exams import eligibility, holders, roster
from app.exams.candidates import facts_of, get_candidate, upsert_candidate
from app.exams.common import invalid, of_centre
from app.exams.components import COMPONENT_NAMES
from app.exams.eligibility import Evaluation
from app.exams.facts import HolderFacts, PriorCertificate, stored
from app.exams.models import Candidate, ExamPlan, ExamSession, Registration, SessionStatus
from app.exams.plans import occupation_label
from app.exams.schemas import (
    CandidateIn,
    RegistrationCreate,
)
from app.exams.sessions import RegistrationRow, get_session, list_registrations, session_facts
from app.reference.identifiers import resident_id_problem
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre, Occupation

log = logging.getLogger(__name__)

MAX_SEATS = 999  # the ticket number holds a 3-digit seat


def ticket_number(*, year: int, centre_id: int, session_id: int, seat: int) -> str:
    """准考证号: 2-digit year of the session + centre id (4 digits) + session id (4 digits)
    + seat (3 digits), e.g. 26 0001 0003 012 → "2600010003012" (13 digits).

    Ids above 9999 widen their field rather than wrap, so a number is never given twice
    (the column is unique as well); seats are never reused within a session."""
    return f"{year % 100:02d}{centre_id:04d}{session_id:04d}{seat:03d}"


def _lock_session(db: Session, session: ExamSession) -> None:
    # Two admins adding candidates at once must not get the same seat: take the session
    # row's lock (PostgreSQL; SQLite already runs one writer at a time).
    db.exec(select(ExamSession.id).where(ExamSession.id == session.id).with_for_update()).first()


def _next_seat(db: Session, session_id: int) -> int:
    last = db.exec(
        select(func.max(Registration.seat_number)).where(Registration.session_id == session_id)
    ).one()
    return (last or 0) + 1


def _open_session(db: Session, actor: Staff, session_id: int) -> ExamSession:
    session = get_session(
        db, actor=actor, session_id=session_id, action=Action.MANAGE, resource=Resource.ROSTER
    )
    if session.status == SessionStatus.CANCELLED:
        raise Conflict("场次已取消，不能再报名", code="session_cancelled")
    if session.status == SessionStatus.CLOSED:
        raise Conflict("考场已关闭，不能再报名", code="session_closed")
    _lock_session(db, session)
    return session


def _add_registration(
    db: Session, session: ExamSession, candidate: Candidate, seat: int
) -> Registration:
    if seat > MAX_SEATS:
        raise Conflict(f"一个考场最多 {MAX_SEATS} 个座位", code="session_full")
    starts = clock.to_china(session.starts_at)
    assert starts is not None and session.id is not None
    reg = Registration(
        centre_id=session.centre_id,
        session_id=session.id,
        candidate_id=candidate.id or 0,
        ticket_number=ticket_number(
            year=starts.year, centre_id=session.centre_id, session_id=session.id, seat=seat
        ),
        seat_number=seat,
    )
    db.add(reg)
    return reg


@dataclass(frozen=True)
class Registered:
    registration: Registration
    eligibility: Evaluation


def _plan_of(db: Session, session: ExamSession) -> tuple[ExamPlan, str]:
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    occupation = db.get(Occupation, plan.occupation_id)
    return plan, occupation.code if occupation else ""


def _today() -> date:
    today = clock.to_china(clock.utcnow())
    assert today is not None
    return today.date()


def of_occupation(facts: HolderFacts | None, occupation_code: str) -> HolderFacts | None:
    """Prior certificates entered without an occupation are this occupation's: the form
    and the roster ask for the certificate of the occupation applied for."""
    if facts is None or all(c.occupation_code for c in facts.prior_certificates):
        return facts
    return facts.model_copy(
        update={
            "prior_certificates": [
                c
                if c.occupation_code
                else c.model_copy(update={"occupation_code": occupation_code})
                for c in facts.prior_certificates
            ]
        }
    )


def evaluate_eligibility(
    plan: ExamPlan,
    occupation_code: str,
    facts: HolderFacts,
    jiping: list[PriorCertificate],
    on_date: date,
) -> Evaluation:
    return eligibility.evaluate(
        plan.level_code, facts, on_date, jiping, occupation_code=occupation_code
    )


def not_eligible(name: str, evaluation: Evaluation) -> ValidationFailed:
    level = get_level(evaluation.level_code).display
    return ValidationFailed(
        f"考生 {name} 不符合{level}申报条件，未报名。各申报途径所缺条件见下；"
        "确需报名的，中心管理员可填写破格报名原因后再次提交",
        code="not_eligible",
        details=[
            {"field": "eligibility", "route": r.route.code, "problem": r.sentence}
            for r in evaluation.results
        ],
    )


def register(db: Session, *, actor: Staff, session_id: int, data: RegistrationCreate) -> Registered:
    """Put a candidate in the session (the next seat and a new admission ticket) if they
    meet the plan level's 申报条件 by one route, or with a centre admin's override and its
    reason; otherwise ValidationFailed listing what each route misses."""
    session = _open_session(db, actor, session_id)
    centre_id = session.centre_id
    plan, occupation_code = _plan_of(db, session)
    if data.candidate_id is not None:
        candidate = get_candidate(db, actor=actor, candidate_id=data.candidate_id)
    else:
        candidate, _ = upsert_candidate(
            db,
            actor,
            centre_id,
            CandidateIn(
                name=data.name,
                id_number=data.id_number,
                phone=data.phone,
                employer=data.employer,
                facts=of_occupation(data.facts, occupation_code),
            ),
        )
    evaluation = evaluate_eligibility(
        plan,
        occupation_code,
        facts_of(candidate),
        holders.jiping_certificates(db, [candidate.id_number]).get(candidate.id_number, []),
        _today(),
    )
    override = ""
    if not evaluation.qualified:
        if not data.eligibility_override_reason.strip():
            raise not_eligible(candidate.name, evaluation)
        override = clean_reason(data.eligibility_override_reason)
    reg = place_candidate(db, session=session, candidate=candidate)
    reg.eligibility_route = evaluation.route_code
    reg.eligibility_override_reason = override or None
    reg.eligibility_override_by = actor.id if override else None
    db.add(reg)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="registration.create",
        object_type="registration",
        object_id=reg.id,
        detail={
            "session_id": session_id,
            "candidate_id": candidate.id,
            "ticket": reg.ticket_number,
            "eligibility_route": evaluation.route_code,
        },
    )
    if override:
        audit.record(
            db,
            actor=actor,
            action="registration.eligibility_override",
            object_type="registration",
            object_id=reg.id,
            reason=override,
            detail={"missing": evaluation.missing},
        )
    return Registered(reg, evaluation)


def register_candidate(
    db: Session, *, actor: Staff, session_id: int, data: RegistrationCreate
) -> Registration:
    """`register`, for callers that need only the registration."""
    return register(db, actor=actor, session_id=session_id, data=data).registration


def place_candidate(db: Session, *, session: ExamSession, candidate: Candidate) -> Registration:
    """The candidate's place in the session (locked by `_open_session`): the next seat and
    a new ticket; or, if they were withdrawn from it before, their old seat and ticket
    back (a seat is never given to anyone else). Already there: Conflict."""
    existing = db.exec(
        select(Registration).where(
            Registration.session_id == session.id, Registration.candidate_id == candidate.id
        )
    ).first()
    if existing is not None and existing.withdrawn_at is None:
        raise Conflict(
            f"考生 {candidate.name} 已在本考场报名（准考证号 {existing.ticket_number}）",
            code="already_registered",
            details=[{"field": "id_number", "problem": "该考生已在本考场报名"}],
        )
    if existing is not None:
        existing.withdrawn_at = existing.withdrawn_by = None
        existing.checked_in_at = existing.checked_in_by = None
        db.add(existing)
        db.flush()
        return existing
    reg = _add_registration(db, session, candidate, _next_seat(db, session.id or 0))
    db.flush()
    return reg


def withdraw(db: Session, *, actor: Staff, registration: Registration) -> None:
    """Take the registration out of its session (撤销报名): kept, marked withdrawn, its
    check-in cleared. The caller has checked that the candidate did not start."""
    if registration.withdrawn_at is not None:
        raise Conflict("该报名已撤销", code="already_withdrawn")
    registration.withdrawn_at = clock.utcnow()
    registration.withdrawn_by = actor.id
    registration.checked_in_at = registration.checked_in_by = None
    db.add(registration)
    db.flush()


def open_session_for(db: Session, *, actor: Staff, session_id: int) -> ExamSession:
    """A session the actor may register candidates into, locked for the next seat."""
    return _open_session(db, actor, session_id)


@dataclass(frozen=True)
class RosterImport:
    registrations: list[Registration]
    new_candidates: int
    skipped: list[roster.SkippedRow] = field(default_factory=list)

    @property
    def summary(self) -> str:
        n = len(self.registrations)
        text = (
            f"已导入 {n} 名考生（新建考生 {self.new_candidates} 名，沿用已有考生 "
            f"{n - self.new_candidates} 名）"
            if n
            else "没有需要导入的新考生"
        )
        if self.skipped:
            rows = "、".join(str(s.row) for s in self.skipped)
            text += f"；跳过已在本考场报名或已撤销的 {len(self.skipped)} 名（第 {rows} 行）"
        return text


def import_roster(db: Session, *, actor: Staff, session_id: int, content: bytes) -> RosterImport:
    """Register every new candidate of an Excel or CSV roster, or none: every row is
    checked first and every problem is reported with its row and column. Candidates
    already in the session are skipped and reported, so a list can be uploaded again."""
    # Theirs to change? Asked before the parse (a read: no write lock yet).
    get_session(
        db, actor=actor, session_id=session_id, action=Action.MANAGE, resource=Resource.ROSTER
    )
    rows = roster.read_roster(content)  # parsed before _open_session takes the write lock
    session = _open_session(db, actor, session_id)
    ids = [r.id_number for r in rows if r.id_number]
    known = {
        c.id_number: c
        for c in db.exec(
            select(Candidate).where(
                Candidate.centre_id == session.centre_id, col(Candidate.id_number).in_(ids)
            )
        )
    }
    registered: dict[str, str] = {}
    withdrawn: dict[str, str] = {}
    for reg, c in db.exec(
        select(Registration, Candidate)
        .join(Candidate, col(Candidate.id) == Registration.candidate_id)
        .where(Registration.session_id == session_id)
    ):
        (registered if reg.withdrawn_at is None else withdrawn)[c.id_number] = reg.ticket_number
    problems = roster.roster_problems(rows, known_names={k: c.name for k, c in known.items()})
    new_rows, skipped = roster.skipped_rows(rows, registered=registered, withdrawn=withdrawn)
    facts, more = _roster_eligibility(db, session, new_rows, known)
    problems = sorted([*problems, *more], key=lambda p: int(p.get("row") or 0))
    seat = _next_seat(db, session_id)
    if not problems and seat + len(new_rows) - 1 > MAX_SEATS:
        problems.append(
            {
                "row": new_rows[-1].row,
                "column": "",
                "place": "名单",
                "problem": f"一个考场最多 {MAX_SEATS} 个座位，本考场还能安排 {MAX_SEATS - seat + 1} 名",
            }
        )
    if problems:
        raise invalid(
            f"名单有 {len(problems)} 处问题，未导入任何考生；请修改后重新上传",
            "roster_invalid",
            problems,
        )
    found: list[Registration] = []
    new = 0
    for r in new_rows:
        record, route = facts[r.row]
        cand, created = upsert_candidate(
            db,
            actor,
            session.centre_id,
            CandidateIn(
                name=r.name, id_number=r.id_number, phone=r.phone, employer=r.employer, facts=record
            ),
        )
        new += created
        reg = _add_registration(db, session, cand, seat)
        reg.eligibility_route = route
        found.append(reg)
        seat += 1
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="registration.import",
        object_type="exam_session",
        object_id=session_id,
        detail={
            "registered": len(found),
            "new_candidates": new,
            "skipped_rows": [s.row for s in skipped],
        },
    )
    return RosterImport(found, new, skipped)


def _roster_eligibility(
    db: Session,
    session: ExamSession,
    rows: list[roster.RosterFileRow],
    known: dict[str, Candidate],
) -> tuple[dict[int, tuple[HolderFacts | None, str]], list[dict[str, Any]]]:
    """Each new row's record (None: the row says nothing of it) and the 申报条件 route it
    qualifies by, by row number; and the rows' problems: a record that differs from the
    one already kept (corrected on the candidate's page, with a reason), or no route."""
    plan, occupation_code = _plan_of(db, session)
    level = get_level(plan.level_code).display
    jiping = holders.jiping_certificates(db, [r.id_number for r in rows])
    today = _today()
    found: dict[int, tuple[HolderFacts | None, str]] = {}
    problems: list[dict[str, Any]] = []

    def problem(r: roster.RosterFileRow, column: str, text: str) -> None:
        place = f"第 {r.row} 行「{column}」" if column else f"第 {r.row} 行"
        problems.append({"row": r.row, "column": column, "place": place, "problem": text})

    for r in rows:
        if resident_id_problem(r.id_number):
            continue  # reported with its column already
        cand = known.get(r.id_number)
        record, facts_problems = roster.row_facts(r, cand.facts if cand else {})
        if facts_problems:
            continue  # reported by roster_problems
        record = of_occupation(record, occupation_code)
        if cand is not None and record is not None and stored(record) != cand.facts:
            if cand.facts:
                problem(r, "", "与该考生已登记的考生档案不一致：请在考生页面修改（需填写原因）")
                continue
            if number := holders.certificate_using(db, cand.id or 0):
                problem(r, "", f"该考生的考生档案已用于证书 {number}，不能再修改")
                continue
        effective = record or (facts_of(cand) if cand else HolderFacts())
        evaluation = evaluate_eligibility(
            plan, occupation_code, effective, jiping.get(r.id_number, []), today
        )
        if not evaluation.qualified:
            problem(r, "申报条件", f"不符合{level}申报条件：" + "；".join(evaluation.missing))
            continue
        found[r.row] = (record, evaluation.route_code)
    return found, problems


@dataclass(frozen=True)
class AdmissionTicket:
    """准考证: what a candidate brings to the exam. The ticket is the candidate's own, so
    it shows the full ID number."""

    ticket_number: str
    name: str
    gender: str
    id_number: str
    centre_name: str
    plan_name: str
    occupation: str
    level_display: str
    session_name: str
    room: str
    seat_number: int
    starts_at: datetime  # naive UTC; pages show China time
    duration_minutes: int
    late_entry_minutes: int
    registration_id: int = 0
    components: list[str] = field(default_factory=list)
    has_photo: bool = False


def _tickets(
    db: Session, session: ExamSession, rows: list[RegistrationRow]
) -> list[AdmissionTicket]:
    plan = db.get(ExamPlan, session.plan_id)
    centre = db.get(EvaluationCentre, session.centre_id)
    assert plan is not None and centre is not None
    occupation = occupation_label(db, plan.occupation_id)
    level = get_level(plan.level_code)
    return [
        AdmissionTicket(
            ticket_number=r.registration.ticket_number,
            name=r.candidate.name,
            gender=r.candidate.gender,
            id_number=r.candidate.id_number,
            centre_name=centre.name,
            plan_name=plan.name,
            occupation=occupation,
            level_display=level.display,
            session_name=session.name,
            room=session.room,
            seat_number=r.registration.seat_number,
            starts_at=session.starts_at,
            duration_minutes=session.duration_minutes,
            late_entry_minutes=plan.late_entry_minutes,
            registration_id=r.registration.id or 0,
            components=[COMPONENT_NAMES.get(c, c) for c in plan.components],
            has_photo=r.candidate.photo_digest is not None,
        )
        for r in rows
    ]


def admission_tickets(db: Session, *, actor: Staff, session_id: int) -> list[AdmissionTicket]:
    """Every ticket of a session, by seat. A ticket carries the full ID number, so only
    those the policy shows identities to may print them (centre admins)."""
    session = get_session(db, actor=actor, session_id=session_id, resource=Resource.IDENTITY)
    return _tickets(db, session, list_registrations(db, actor=actor, session_id=session_id))


def admission_ticket(db: Session, *, actor: Staff, registration_id: int) -> AdmissionTicket:
    reg = of_centre(
        db,
        Registration,
        registration_id,
        actor,
        Action.READ,
        Resource.IDENTITY,
        "准考证",
        "registration",
    )
    cand = db.get(Candidate, reg.candidate_id)
    session = db.get(ExamSession, reg.session_id)
    assert cand is not None and session is not None
    return _tickets(db, session, [RegistrationRow(reg, cand)])[0]


def registration_with_candidate(
    db: Session,
    *,
    actor: Staff,
    registration_id: int,
    action: Action = Action.READ,
) -> tuple[Registration, Candidate]:
    """A registration and its candidate, for the photo on the ticket and at check-in:
    to those the policy lets do the action to the session's roster (reading: centre
    admins and the session's own proctors; changing: centre admins)."""
    reg = db.get(Registration, registration_id)
    session = db.get(ExamSession, reg.session_id) if reg is not None else None
    facts = session_facts(db, session) if session is not None else None
    policy.check(
        actor,
        action,
        Resource.ROSTER,
        facts,
        missing=NotFound("报名记录不存在", code="registration_not_found"),
    )
    assert reg is not None
    cand = db.get(Candidate, reg.candidate_id)
    assert cand is not None
    return reg, cand


def registration_template() -> bytes:
    return roster.template_xlsx()
