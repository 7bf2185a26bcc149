"""Registrations (报名) in a session, one by one or from an Excel roster, and admission
tickets (准考证)."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.exams import roster
from app.exams.candidates import get_candidate, upsert_candidate
from app.exams.common import invalid, of_centre
from app.exams.components import COMPONENT_NAMES
from app.exams.models import Candidate, ExamPlan, ExamSession, Registration, SessionStatus
from app.exams.plans import occupation_label
from app.exams.schemas import (
    CandidateIn,
    RegistrationCreate,
)
from app.exams.sessions import RegistrationRow, get_session, list_registrations, session_facts
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre

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


def register_candidate(
    db: Session, *, actor: Staff, session_id: int, data: RegistrationCreate
) -> Registration:
    """Put a candidate in the session: the next seat and a new admission ticket."""
    session = _open_session(db, actor, session_id)
    centre_id = session.centre_id
    if data.candidate_id is not None:
        candidate = get_candidate(db, actor=actor, candidate_id=data.candidate_id)
    else:
        candidate, _ = upsert_candidate(
            db,
            actor,
            centre_id,
            CandidateIn(
                name=data.name, id_number=data.id_number, phone=data.phone, employer=data.employer
            ),
        )
    reg = place_candidate(db, session=session, candidate=candidate)
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
        },
    )
    return reg


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
        cand, created = upsert_candidate(
            db,
            actor,
            session.centre_id,
            CandidateIn(name=r.name, id_number=r.id_number, phone=r.phone, employer=r.employer),
        )
        new += created
        found.append(_add_registration(db, session, cand, seat))
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
