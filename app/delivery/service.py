"""Exam delivery (机考): a candidate's attempt from the start to submission, the answers,
the window events, and the proctor's timer actions.

Flush-only: the caller owns the transaction. Every step is recorded as an AttemptEvent
(the exam's record, DOMAIN.md §7); staff actions also as an AuditEntry with who, when
and why. The timer arithmetic is in timer.py, the answer write path in saves.py."""

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import AuthSession
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import AuthContext, CandidateLogin, Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.banks.models import ItemVersion, QuestionBank
from app.core.clock import to_china, utcnow
from app.core.config import get_settings
from app.core.errors import AuthRequired, Conflict, NotFound, ValidationFailed
from app.delivery import questions, saves, timer
from app.delivery.errors import (
    AttemptClosed,
    AttemptNotFound,
    AttemptNotStarted,
    AttemptPaused,
    CheckinRequired,
    DeadlinePassed,
    ExamNotStarted,
    LateEntryClosed,
    RoomUnderstaffed,
    SessionEnded,
)
from app.delivery.models import (
    RELOGIN_EVENT,
    Answer,
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptStatus,
    SubmitReason,
)
from app.exams import assembly, forms, sessions
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    FormMode,
    Registration,
    SessionProctor,
    SessionStatus,
    registered,
)
from app.live import service as live
from app.reference.levels import get_level
from app.reference.models import Occupation
from app.scoring import service as scoring_service
from app.scoring.rules import FULL_MARKS

log = logging.getLogger(__name__)

CANDIDATE_EVENT_KINDS = ("blur", "focus", "reconnect", "offline")
# Attempts a proctor may reopen: closed by the system or a proctor, never by the candidate.
REOPENABLE = (SubmitReason.FORCED, SubmitReason.LEAVE_LIMIT, SubmitReason.TIMEOUT)
# Events the candidate's own page is told about at once (the push channel); every event
# also asks the session's proctor consoles to refresh their roster.
PUSHED_TO_CANDIDATE = ("pause", "resume", "extra_time", "submit", "reopen", "message")
# An open exam page (its stream, a save or a poll) marks its attempt as seen at least this
# often; the roster calls a page gone after proctoring.NOT_SEEN_SECONDS without a sign.
PRESENCE_INTERVAL_SECONDS = 3.0

SUBMIT_MESSAGES = {
    SubmitReason.CANDIDATE: "您已交卷",
    SubmitReason.TIMEOUT: "考试时间到，已自动交卷",
    SubmitReason.FORCED: "监考员已收卷",
    SubmitReason.LEAVE_LIMIT: "离开考试界面次数达到上限，系统已自动交卷",
}


# --- What the candidate's page needs ------------------------------------------------------


class Phase:
    """Where the candidate is: before the start (the first five) or in the attempt."""

    WAITING_START = "waiting_start"  # before the session start
    WAITING_CHECKIN = "waiting_checkin"  # started, identity not yet checked by a proctor
    WAITING_STAFF = "waiting_staff"  # the room lacks proctors (DOMAIN.md §2), no override
    READY = "ready"  # may start now
    LATE = "late"  # the late-entry window has closed
    ENDED = "ended"  # the session is over or closed
    IN_PROGRESS = AttemptStatus.IN_PROGRESS.value
    PAUSED = AttemptStatus.PAUSED.value
    SUBMITTED = AttemptStatus.SUBMITTED.value


@dataclass(frozen=True)
class SavedAnswer:
    response: dict[str, Any]
    flagged: bool
    seq: int


@dataclass(frozen=True)
class QuestionState:
    position: int
    section: int
    question: dict[str, Any]  # delivery.questions.question_view: never the key (shared: read only)


@dataclass(frozen=True)
class ProctorMessage:
    """A message from the proctor to this candidate (or the whole room)."""

    id: int
    at: datetime
    text: str


# The candidate's page shows the latest few (older ones were shown when they came).
MESSAGES_SHOWN = 5


@dataclass
class ExamState:
    phase: str
    candidate_name: str
    id_number: str
    ticket_number: str
    seat_number: int
    plan_name: str
    occupation: str
    level: str
    session_name: str
    room: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    late_entry_minutes: int
    require_checkin: bool
    checked_in: bool
    leave_limit: int | None
    seconds_to_start: int
    attempt_id: int | None = None
    remaining_seconds: int | None = None
    leave_count: int = 0
    answered_count: int = 0
    item_count: int = 0
    submitted_at: datetime | None = None
    submit_reason: str | None = None
    submit_message: str = ""
    multiple_choice_rule: str = ""  # MultipleChoiceRule, for the instructions (before the start)
    score: float | None = None  # only when the plan shows scores to candidates
    show_score: bool = False
    allow_calculator: bool = False
    allow_scratchpad: bool = False
    session_cancelled: bool = False
    last_seq: int = 0  # the page continues its save numbering from here
    answers: dict[int, SavedAnswer] = field(default_factory=dict)
    questions: list[QuestionState] = field(default_factory=list)  # only when asked for
    messages: list[ProctorMessage] = field(default_factory=list)  # latest last

    @property
    def positions(self) -> range:
        return range(1, self.item_count + 1)

    @property
    def answered(self) -> list[int]:
        return [p for p in self.positions if p in self.answers and self.answers[p].response]

    @property
    def unanswered(self) -> list[int]:
        return [p for p in self.positions if not (p in self.answers and self.answers[p].response)]

    @property
    def flagged(self) -> list[int]:
        return [p for p in self.positions if p in self.answers and self.answers[p].flagged]


@dataclass
class _Context:
    registration: Registration
    candidate: Candidate
    session: ExamSession
    plan: ExamPlan
    attempt: Attempt | None


def _context(
    db: Session, registration_id: int, *, lock: bool = False, paper_rules: bool = False
) -> _Context:
    """`paper_rules`: the plan's blueprint and bank come too, so that drawing the form
    finds them in the session instead of querying them (the start; scripts/bench_rush.py)."""
    rules = (Blueprint, QuestionBank) if paper_rules else ()
    if lock:
        row = db.exec(_joined(*rules).where(Registration.id == registration_id)).first()
        attempt = _attempt_of(db, registration_id, lock=True)
    else:
        row = db.exec(_joined(Attempt, *rules).where(Registration.id == registration_id)).first()
        attempt = row[4] if row is not None else None
    if row is None:
        raise NotFound("没有找到您的报名信息", code="registration_not_found")
    registration, candidate, session, plan = row[:4]
    return _Context(registration, candidate, session, plan, attempt)


def _joined(*more: Any) -> Any:
    """Registration, candidate, session and plan, and `more` (the attempt, the
    occupation: outer joins; the plan's blueprint and its bank) in one row."""
    query = (
        select(Registration, Candidate, ExamSession, ExamPlan, *more)
        .join(Candidate, col(Candidate.id) == Registration.candidate_id)
        .join(ExamSession, col(ExamSession.id) == Registration.session_id)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
    )
    if Attempt in more:
        query = query.outerjoin(Attempt, col(Attempt.registration_id) == Registration.id)
    if Occupation in more:
        query = query.outerjoin(Occupation, col(Occupation.id) == ExamPlan.occupation_id)
    if Blueprint in more:
        query = query.join(Blueprint, col(Blueprint.id) == ExamPlan.blueprint_id)
    if QuestionBank in more:
        query = query.join(QuestionBank, col(QuestionBank.id) == Blueprint.bank_id)
    return query


def _attempt_of(db: Session, registration_id: int, *, lock: bool = False) -> Attempt | None:
    query = select(Attempt).where(Attempt.registration_id == registration_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.exec(query).first()


def _entry_phase(db: Session, ctx: _Context, now: datetime) -> str:
    session, plan = ctx.session, ctx.plan
    if session.status != SessionStatus.SCHEDULED or now >= session.ends_at:
        return Phase.ENDED  # closed, or cancelled (its page says which)
    if now < session.starts_at:
        return Phase.WAITING_START
    if (now - session.starts_at).total_seconds() > plan.late_entry_minutes * 60:
        return Phase.LATE
    if plan.require_checkin and ctx.registration.checked_in_at is None:
        return Phase.WAITING_CHECKIN
    # DOMAIN.md §2 staffing, enforced as the room opens (asked only before the start).
    if sessions.opening_refusal(db, session) is not None:
        return Phase.WAITING_STAFF
    return Phase.READY


def exam_state(
    db: Session, *, login: CandidateLogin, with_questions: bool = True, seen: bool = False
) -> ExamState:
    """Everything the candidate's page shows, for this candidate only. An attempt found
    past its deadline is closed here (the sweeper would close it moments later). `seen`:
    the page is open (its load or periodic poll), which the proctor console watches; it
    is written by the presence writer within PRESENCE_INTERVAL_SECONDS (note_seen)."""
    ctx = _context(db, login.registration_id)
    occupation = db.get(Occupation, ctx.plan.occupation_id)
    return _state(db, ctx, occupation, with_questions=with_questions, seen=seen)


def exam_state_for_token(
    db: Session,
    *,
    token_digest: str,
    via_cookie: bool,
    with_questions: bool = True,
    seen: bool = False,
) -> tuple[AuthContext, ExamState]:
    """The candidate login of this token digest, checked as auth.resolve_token does (a
    candidate's, not expired, not revoked), and its exam_state. For the requests every
    open exam page makes (its load and its status poll; reads, so no CSRF token): the
    login and everything the page shows come in one query instead of six
    (scripts/bench_rush.py)."""
    row = db.exec(_by_token(), params={"digest": token_digest, "now": utcnow()}).first()
    if row is None:
        raise AuthRequired("请先使用准考证号登录", code="candidate_auth_required")
    registration, candidate, session, plan, attempt, occupation, login = row
    assert registration.id is not None and candidate.id is not None and login.id is not None
    principal = CandidateLogin(
        registration_id=registration.id,
        candidate_id=candidate.id,
        centre_id=registration.centre_id,
        session_id=registration.session_id,
        name=candidate.name,
    )
    auth = AuthContext(
        session_id=login.id, csrf_token=login.csrf_token, principal=principal, via_cookie=via_cookie
    )
    ctx = _Context(registration, candidate, session, plan, attempt)
    return auth, _state(db, ctx, occupation, with_questions=with_questions, seen=seen)


@lru_cache(maxsize=1)
def _by_token() -> Any:
    # Built once: constructing the statement cost as much as running it.
    return (
        _joined(Attempt, Occupation, AuthSession)
        .join(AuthSession, col(AuthSession.registration_id) == Registration.id)
        .where(
            col(AuthSession.token_digest) == bindparam("digest"),
            col(AuthSession.kind) == "candidate",
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > bindparam("now"),
        )
    )


# Core statements over plain tables, built once, for the reads every page poll makes.
_ANSWERS = select(
    saves.ANSWER.c.position,
    saves.ANSWER.c.response,
    saves.ANSWER.c.flagged,
    saves.ANSWER.c.client_seq,
).where(saves.ANSWER.c.attempt_id == bindparam("attempt_id"))
_MESSAGES = (
    select(saves.EVENT.c.id, saves.EVENT.c.at, saves.EVENT.c.detail)
    .where(saves.EVENT.c.registration_id == bindparam("registration_id"))
    .where(saves.EVENT.c.kind == "message")
    .order_by(saves.EVENT.c.id.desc())
    .limit(MESSAGES_SHOWN)
)
_SLOTS = (
    core_select(
        saves.ITEM.c.position,
        saves.ITEM.c.section,
        saves.ITEM.c.item_version_id,
        saves.ITEM.c.option_order,
        saves.ITEM.c.points,
    )
    .where(saves.ITEM.c.attempt_id == bindparam("attempt_id"))
    .order_by(saves.ITEM.c.position)
)


def _state(
    db: Session,
    ctx: _Context,
    occupation: Occupation | None,
    *,
    with_questions: bool,
    seen: bool,
) -> ExamState:
    now = utcnow()
    if ctx.attempt is not None:
        _close_if_expired(db, ctx.attempt, now)
        if seen and ctx.attempt.status != AttemptStatus.SUBMITTED:
            note_seen(ctx.attempt.registration_id)
    reg, session, plan, attempt = ctx.registration, ctx.session, ctx.plan, ctx.attempt
    state = ExamState(
        phase=attempt.status if attempt else _entry_phase(db, ctx, now),
        candidate_name=ctx.candidate.name,
        id_number=ctx.candidate.id_number,
        ticket_number=reg.ticket_number,
        seat_number=reg.seat_number,
        plan_name=plan.name,
        occupation=_occupation_label(occupation),
        level=_level_label(plan.level_code),
        session_name=session.name,
        room=session.room,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        duration_minutes=session.duration_minutes,
        late_entry_minutes=plan.late_entry_minutes,
        require_checkin=plan.require_checkin,
        checked_in=reg.checked_in_at is not None,
        leave_limit=plan.leave_limit,
        seconds_to_start=max(0, int((session.starts_at - now).total_seconds())),
        show_score=plan.show_score_to_candidate,
        allow_calculator=plan.allow_calculator,
        allow_scratchpad=plan.allow_scratchpad,
        session_cancelled=session.status == SessionStatus.CANCELLED,
    )
    state.messages = proctor_messages(db, registration_id=reg.id or 0)
    if attempt is None:
        blueprint = db.get(Blueprint, plan.blueprint_id)  # the paper's rules, for the instructions
        if blueprint is not None:
            state.multiple_choice_rule = blueprint.multiple_choice_rule
        return state
    assert attempt.id is not None
    state.attempt_id = attempt.id
    state.leave_count = attempt.leave_count
    state.answered_count = attempt.answered_count
    state.item_count = attempt.item_count
    conn = db.connection()
    for position, response, flagged, seq in conn.execute(_ANSWERS, {"attempt_id": attempt.id}):
        state.answers[position] = SavedAnswer(response, flagged, seq)
    state.last_seq = max((a.seq for a in state.answers.values()), default=0)
    if attempt.status == AttemptStatus.SUBMITTED:
        state.remaining_seconds = 0
        state.submitted_at = attempt.submitted_at
        state.submit_reason = attempt.submit_reason
        state.submit_message = SUBMIT_MESSAGES.get(
            SubmitReason(attempt.submit_reason or SubmitReason.CANDIDATE), "已交卷"
        )
        if plan.show_score_to_candidate:
            state.score = attempt.score
        return state
    state.remaining_seconds = timer.remaining_seconds(attempt, now)
    if with_questions:
        slots = conn.execute(_SLOTS, {"attempt_id": attempt.id}).all()
        views = questions.views_of(db, {version_id for _, _, version_id, _, _ in slots})
        # What a question is worth is the paper's (its blueprint section's), not the item's.
        state.questions = [
            QuestionState(
                position,
                section,
                {**questions.in_order(views[version_id], order), "points": points},
            )
            for position, section, version_id, order, points in slots
        ]
    return state


def proctor_messages(db: Session, *, registration_id: int) -> list[ProctorMessage]:
    rows = db.connection().execute(_MESSAGES, {"registration_id": registration_id}).all()
    return [
        ProctorMessage(id, at, str(detail.get("text", ""))) for id, at, detail in reversed(rows)
    ]


def _occupation_label(occupation: Occupation | None) -> str:
    if occupation is None:
        return ""
    return (
        f"{occupation.name}（{occupation.direction}）" if occupation.direction else occupation.name
    )


def _level_label(code: str) -> str:
    try:
        return get_level(code).display
    except KeyError:
        return code


# --- Starting ----------------------------------------------------------------------------


def registrations_with_attempts(
    db: Session, *, session_id: int
) -> list[tuple[Registration, Candidate, Attempt | None]]:
    """Every registration of a session by seat, with its candidate and attempt (None
    before the start): one query, for the proctor's roster and the results table."""
    return list(
        db.exec(
            select(Registration, Candidate, Attempt)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .outerjoin(Attempt, col(Attempt.registration_id) == Registration.id)
            .where(Registration.session_id == session_id, registered())
            .order_by(col(Registration.seat_number), col(Registration.ticket_number))
        ).all()
    )


def started_registrations(db: Session, *, session_id: int) -> set[int]:
    """The registrations of a session whose candidate started (an attempt exists)."""
    return set(db.exec(select(Attempt.registration_id).where(Attempt.session_id == session_id)))


def start_attempt(db: Session, *, login: CandidateLogin) -> Attempt:
    """Start the candidate's attempt, freezing their paper. Idempotent: a candidate who
    started already gets their attempt back (after a reload, a crash, another computer)."""
    ctx = _context(db, login.registration_id, paper_rules=True)
    if ctx.attempt is not None:
        return ctx.attempt
    now = utcnow()
    phase = _entry_phase(db, ctx, now)
    session, plan, reg = ctx.session, ctx.plan, ctx.registration
    if phase == Phase.WAITING_START:
        raise ExamNotStarted(f"考试尚未开始，开考时间 {_cst(session.starts_at)}")
    if phase == Phase.ENDED:
        cancelled = session.status == SessionStatus.CANCELLED
        raise SessionEnded("本场考试已取消" if cancelled else "本场考试已结束")
    if phase == Phase.LATE:
        raise LateEntryClosed(f"开考 {plan.late_entry_minutes} 分钟后不能再进入考试，请联系监考员")
    if phase == Phase.WAITING_CHECKIN:
        raise CheckinRequired()
    if phase == Phase.WAITING_STAFF:
        raise RoomUnderstaffed()
    assert reg.id is not None and session.id is not None
    form = forms.form_for_registration(db, registration=reg)
    seed = (
        plan.form_seed
        if plan.form_mode == FormMode.FIXED
        else assembly.candidate_seed(plan.form_seed, reg.id)
    )
    values: dict[str, Any] = {
        "centre_id": reg.centre_id,
        "registration_id": reg.id,
        "session_id": session.id,
        "status": AttemptStatus.IN_PROGRESS.value,
        "seed": seed,
        "started_at": now,
        "deadline_at": timer.initial_deadline(session.ends_at),
        "extra_seconds": 0,
        "leave_count": 0,
        "answered_count": 0,
        "item_count": len(form),
        "max_score": float(FULL_MARKS),
        "last_seen_at": now,
    }
    # Core statements, no savepoint: through the ORM, the attempt, its 100-200 AttemptItem
    # rows and the start event cost most of a start (scripts/bench_rush.py). The same
    # candidate pressing start twice at once (two tabs, PostgreSQL) is the unique
    # registration: the second insert does nothing and gets the first one's attempt.
    conn = db.connection()
    attempt_id = conn.execute(_insert_attempt(conn.dialect.name), values).scalar()
    if attempt_id is None:
        existing = _attempt_of(db, reg.id)
        assert existing is not None
        return existing
    conn.execute(
        insert(saves.ITEM),
        [
            {
                "attempt_id": attempt_id,
                "position": n,
                "section": drawn.section,
                "item_version_id": drawn.item_version_id,
                "option_order": list(drawn.option_order),
                "points": drawn.points,
            }
            for n, drawn in enumerate(form, start=1)
        ],
    )
    late = int((now - session.starts_at).total_seconds())
    conn.execute(
        insert(saves.EVENT),
        {
            "attempt_id": attempt_id,
            "registration_id": reg.id,
            "kind": "start",
            "at": now,
            "actor_staff_id": None,
            "detail": {"items": len(form), "late_seconds": late},
        },
    )
    # The attempt as the caller's session would have loaded it, without reading it back.
    attempt = Attempt(id=attempt_id, **values)
    make_transient_to_detached(attempt)
    db.add(attempt)
    announce_attempt(db, attempt, "start", now)
    log.info("attempt %s started (registration %s)", attempt.id, reg.id)
    return attempt


@lru_cache(maxsize=4)
def _insert_attempt(dialect: str) -> Any:
    """INSERT of an attempt RETURNING its id, or nothing if its registration has one."""
    insert_for: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return (
        insert_for(saves.ATTEMPT)
        .on_conflict_do_nothing(index_elements=[saves.ATTEMPT.c.registration_id])
        .returning(saves.ATTEMPT.c.id)
    )


def _cst(dt: datetime) -> str:
    local = to_china(dt)
    assert local is not None
    return local.strftime("%Y-%m-%d %H:%M")


# --- Answers -----------------------------------------------------------------------------


def save_answer(
    db: Session,
    *,
    login: CandidateLogin,
    position: int,
    response: dict[str, Any],
    flagged: bool,
    client_seq: int,
) -> saves.SaveResult:
    """Save one answer in the caller's transaction, through the same checks and statements
    as the batching writer. A save that finds the time over closes the attempt and is
    refused (the close stands only if the caller commits, as the writer does)."""
    if client_seq < 1:
        raise ValidationFailed(
            "保存序号必须是正整数", details=[{"field": "seq", "problem": "应 ≥ 1"}]
        )
    db.flush()
    outcome = saves.apply_saves(
        db.connection(),
        [
            saves.SaveRequest(
                position=position,
                response=response,
                flagged=flagged,
                seq=client_seq,
                registration_id=login.registration_id,
            )
        ],
        now=utcnow(),
        grace_seconds=get_settings().answer_grace_seconds,
    )
    result = outcome.results[0]
    if isinstance(result, saves.SaveResult):
        _expire_written(db, result.attempt_id)
    close_timed_out(db, outcome.expired_attempt_ids)
    if isinstance(result, Exception):
        raise result
    return result


def _expire_written(db: Session, attempt_id: int) -> None:
    """Forget what the Core statements changed behind the session's back (only that: an
    expired object reloads with another query)."""
    for obj in list(db.identity_map.values()):
        if (isinstance(obj, Attempt) and obj.id == attempt_id) or (
            isinstance(obj, Answer) and obj.attempt_id == attempt_id
        ):
            db.expire(obj)


def close_timed_out(db: Session, attempt_ids: set[int]) -> None:
    """Close attempts a save found past their deadline (the writer calls this too)."""
    now = utcnow()
    for attempt_id in sorted(attempt_ids):
        attempt = _lock(db, attempt_id)
        if attempt is not None:
            _close_if_expired(db, attempt, now)


# --- Events from the candidate's page -------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    kind: str
    status: str | None
    leave_count: int
    leave_limit: int | None
    submitted_now: bool  # this event closed the attempt (leave limit reached)


def record_relogin(db: Session, *, registration_id: int, ended: int, client_ip: str) -> None:
    """A candidate's login that ended earlier logins of the same ticket, in the exam's
    record: the proctor console shows it as an alert, the session log as 再次登录."""
    attempt = db.exec(select(Attempt).where(Attempt.registration_id == registration_id)).first()
    db.add(
        AttemptEvent(
            attempt_id=attempt.id if attempt is not None else None,
            registration_id=registration_id,
            kind=RELOGIN_EVENT,
            detail={"ended": ended, "client_ip": client_ip},
        )
    )
    db.flush()


def record_event(db: Session, *, login: CandidateLogin, kind: str) -> EventOutcome:
    """Record a window event. Leaving the exam window ("blur") counts against the plan's
    leave limit; reaching it submits the attempt and raises an alert for the proctors."""
    if kind not in CANDIDATE_EVENT_KINDS:
        raise ValidationFailed(
            "未知的事件类型",
            code="invalid_event_kind",
            details=[{"field": "kind", "problem": f"应为 {', '.join(CANDIDATE_EVENT_KINDS)} 之一"}],
        )
    now = utcnow()
    ctx = _context(db, login.registration_id, lock=True)
    attempt, limit = ctx.attempt, ctx.plan.leave_limit
    if attempt is None:
        db.add(AttemptEvent(registration_id=login.registration_id, kind=kind, at=now))
        db.flush()
        return EventOutcome(kind, None, 0, limit, False)
    _close_if_expired(db, attempt, now)
    counted = kind == "blur" and attempt.status == AttemptStatus.IN_PROGRESS
    if counted:
        attempt.leave_count += 1
    if attempt.status != AttemptStatus.SUBMITTED:
        attempt.last_seen_at = now
    db.add(attempt)
    detail: dict[str, Any] = {"leave_count": attempt.leave_count} if counted else {}
    _event(db, attempt, kind, now, detail=detail)
    submitted_now = False
    if counted and limit is not None and attempt.leave_count >= limit:
        message = f"考生离开考试界面 {attempt.leave_count} 次，达到上限 {limit} 次，系统已自动收卷"
        # The proctor console shows this as an alert (and the attempt's submit reason).
        _event(
            db,
            attempt,
            "leave_limit",
            now,
            detail={
                "by": "system",
                "reason": message,
                "leave_count": attempt.leave_count,
                "leave_limit": limit,
            },
        )
        _close(db, attempt, SubmitReason.LEAVE_LIMIT, actor=None, now=now, reason=message)
        submitted_now = True
    db.flush()
    return EventOutcome(kind, attempt.status, attempt.leave_count, limit, submitted_now)


# --- Submission --------------------------------------------------------------------------


def submit_own_attempt(db: Session, *, login: CandidateLogin) -> Attempt:
    attempt = _attempt_of(db, login.registration_id)
    if attempt is None:
        raise AttemptNotStarted()
    assert attempt.id is not None
    return submit_attempt(db, attempt_id=attempt.id, reason=SubmitReason.CANDIDATE, actor=login)


def submit_attempt(
    db: Session,
    *,
    attempt_id: int,
    reason: SubmitReason,
    actor: Staff | CandidateLogin | None,
    note: str = "",
) -> Attempt:
    """Close the attempt and score it. Idempotent: a closed attempt is returned as it is.
    A candidate cannot submit while paused; one whose time ran out is closed as a time-out."""
    now = utcnow()
    attempt = _lock(db, attempt_id)
    if attempt is None or (
        isinstance(actor, CandidateLogin) and attempt.registration_id != actor.registration_id
    ):
        raise AttemptNotFound()
    if isinstance(actor, Staff) and not _may_proctor(db, actor, attempt):
        raise AttemptNotFound()
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    if _close_if_expired(db, attempt, now):
        return attempt
    if reason == SubmitReason.CANDIDATE and attempt.status == AttemptStatus.PAUSED:
        raise AttemptPaused("考试已暂停，暂时不能交卷")
    _close(db, attempt, reason, actor=actor, now=now, reason=note)
    return attempt


def _close(
    db: Session,
    attempt: Attempt,
    submit_reason: SubmitReason,
    *,
    actor: Staff | CandidateLogin | None,
    now: datetime,
    reason: str = "",
) -> None:
    assert attempt.id is not None
    if attempt.paused_at is not None:
        # Closed while paused: stop the clock where it stood, so a reopening knows the
        # time the candidate had left.
        attempt.deadline_at = timer.deadline_after_resume(
            attempt.deadline_at, attempt.paused_at, now
        )
        attempt.paused_at = None
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = now
    attempt.submit_reason = submit_reason
    db.add(attempt)
    db.flush()
    score = score_attempt(db, attempt_id=attempt.id)
    detail = {
        "by": _actor_kind(actor),
        "reason": submit_reason.value,
        "answered": attempt.answered_count,
        "items": attempt.item_count,
        "score": score,
    }
    _event(db, attempt, "submit", now, actor=actor, detail=detail)
    audit.record(
        db,
        actor=actor,
        action="attempt.submit" if submit_reason != SubmitReason.FORCED else "attempt.force_submit",
        object_type="attempt",
        object_id=attempt.id,
        centre_id=attempt.centre_id,
        reason=reason or SUBMIT_MESSAGES[submit_reason],
        detail=detail,
    )
    db.flush()
    log.info("attempt %s submitted (%s), score %s", attempt.id, submit_reason.value, score)


def score_attempt(db: Session, *, attempt_id: int) -> float | None:
    """Score the attempt's frozen form with its stored answers and the blueprint's
    multiple-choice rule, and set attempt.score (out of 100; None while written answers
    wait for their examiners, app/results/written.py). Closing an attempt calls this in the
    same transaction; scoring again gives the same result."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("考试记录不存在", code="attempt_not_found")
    _, _, blueprint = sessions.session_plan_blueprint(db, attempt.session_id)
    form = db.exec(
        select(AttemptItem, ItemVersion)
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(col(AttemptItem.position))
    ).all()
    attempt.score = scoring_service.score_answers(
        db,
        attempt_id=attempt_id,
        questions=[scoring_service.Question(s.position, s.points, v) for s, v in form],
        answers=stored_answers(db, attempt_id),
        multiple_rule=blueprint.multiple_choice_rule,
    )
    attempt.max_score = float(FULL_MARKS)
    db.add(attempt)
    db.flush()
    return attempt.score


def stored_answers(db: Session, attempt_id: int) -> dict[int, dict[str, Any]]:
    """Position → response. Answers are also written with Core statements (the batching
    writer): read the rows as stored, not as this session may have loaded them earlier."""
    found = db.exec(
        select(Answer)
        .where(Answer.attempt_id == attempt_id)
        .execution_options(populate_existing=True)
    ).all()
    return {a.position: a.response for a in found}


def _close_if_expired(db: Session, attempt: Attempt, now: datetime) -> bool:
    """Close an open attempt whose time (plus grace) is over; True if it did."""
    if attempt.status != AttemptStatus.IN_PROGRESS or not timer.is_past_deadline(
        attempt, now, get_settings().answer_grace_seconds
    ):
        return False
    _close(db, attempt, SubmitReason.TIMEOUT, actor=None, now=now)
    return True


def close_expired_attempts(db: Session, now: datetime) -> int:
    """The deadline sweeper's step: close every attempt whose time ran out, also when the
    candidate's browser is gone. Safe to run on several instances at once: rows another
    sweeper holds are skipped, and a closed attempt is never closed again."""
    cutoff = now - timedelta(seconds=get_settings().answer_grace_seconds)
    ids = db.exec(
        select(Attempt.id)
        .where(Attempt.status == AttemptStatus.IN_PROGRESS, col(Attempt.deadline_at) <= cutoff)
        .order_by(col(Attempt.id))
        .with_for_update(skip_locked=True)
    ).all()
    closed = 0
    for attempt_id in ids:
        assert attempt_id is not None
        attempt = _lock(db, attempt_id)
        if attempt is not None and _close_if_expired(db, attempt, now):
            closed += 1
    return closed


# --- Proctor timer actions ----------------------------------------------------------------


def _may_proctor(db: Session, actor: Staff, attempt: Attempt) -> bool:
    proctors = db.exec(
        select(SessionProctor.staff_user_id).where(SessionProctor.session_id == attempt.session_id)
    )
    facts = Facts.of(attempt.centre_id, proctors=proctors)
    return policy.allows(actor, Action.PROCTOR, Resource.ATTEMPT, facts)


def _for_staff(db: Session, attempt_id: int, actor: Staff) -> Attempt:
    policy.require(actor, Action.PROCTOR, Resource.ATTEMPT)
    attempt = _lock(db, attempt_id)
    if attempt is None or not _may_proctor(db, actor, attempt):
        raise AttemptNotFound()
    return attempt


def _staff_action(
    db: Session,
    attempt: Attempt,
    *,
    actor: Staff,
    kind: str,
    reason: str,
    now: datetime,
    detail: dict[str, Any],
    flush: bool = True,
) -> None:
    assert attempt.id is not None
    db.add(attempt)
    _event(db, attempt, kind, now, actor=actor, detail={**detail, "reason": reason})
    audit.record(
        db,
        actor=actor,
        action=f"attempt.{kind}",
        object_type="attempt",
        object_id=attempt.id,
        centre_id=attempt.centre_id,
        reason=reason,
        detail=detail,
    )
    if flush:
        db.flush()


def _open_or_refuse(db: Session, attempt: Attempt, now: datetime) -> None:
    if _close_if_expired(db, attempt, now):
        raise DeadlinePassed("考试时间已到，答卷已自动提交；如需继续作答请使用“重新开放”")
    if attempt.status == AttemptStatus.SUBMITTED:
        raise AttemptClosed("该考生已交卷")


def pause_attempt(db: Session, *, attempt_id: int, actor: Staff, reason: str) -> Attempt:
    """Stop the candidate's clock (e.g. a computer fault); no answers are taken meanwhile."""
    text = clean_reason(reason)
    now = utcnow()
    attempt = _for_staff(db, attempt_id, actor)
    _open_or_refuse(db, attempt, now)
    if attempt.status == AttemptStatus.PAUSED:
        raise Conflict("该考生的考试已处于暂停状态", code="already_paused")
    _pause(db, attempt, actor=actor, reason=text, now=now)
    return attempt


def _pause(
    db: Session, attempt: Attempt, *, actor: Staff, reason: str, now: datetime, flush: bool = True
) -> None:
    attempt.status = AttemptStatus.PAUSED
    attempt.paused_at = now
    _staff_action(
        db,
        attempt,
        actor=actor,
        kind="pause",
        reason=reason,
        now=now,
        detail={"remaining_seconds": timer.remaining_seconds(attempt, now)},
        flush=flush,
    )


def pause_attempts(db: Session, *, attempt_ids: list[int], actor: Staff, reason: str) -> list[int]:
    """全场暂停's work: pause those of these attempts still in progress, all in one go (one
    query locks them, one flush writes them: a room of 1,000 pauses within a second).
    Returns the ids paused; a clock already past its deadline is closed instead."""
    text = clean_reason(reason)
    now = utcnow()
    paused = []
    for attempt in _lock_all(db, attempt_ids, actor):
        if _close_if_expired(db, attempt, now) or attempt.status != AttemptStatus.IN_PROGRESS:
            continue
        _pause(db, attempt, actor=actor, reason=text, now=now, flush=False)
        assert attempt.id is not None
        paused.append(attempt.id)
    db.flush()
    return paused


def resume_attempt(db: Session, *, attempt_id: int, actor: Staff, reason: str) -> Attempt:
    """Restart the clock; the deadline moves later by the time spent paused."""
    text = clean_reason(reason)
    now = utcnow()
    attempt = _for_staff(db, attempt_id, actor)
    _open_or_refuse(db, attempt, now)
    if attempt.status != AttemptStatus.PAUSED or attempt.paused_at is None:
        raise Conflict("该考生的考试没有暂停", code="not_paused")
    _resume(db, attempt, actor=actor, reason=text, now=now)
    return attempt


def _resume(
    db: Session, attempt: Attempt, *, actor: Staff, reason: str, now: datetime, flush: bool = True
) -> None:
    assert attempt.paused_at is not None
    paused_seconds = int((now - attempt.paused_at).total_seconds())
    attempt.deadline_at = timer.deadline_after_resume(attempt.deadline_at, attempt.paused_at, now)
    attempt.paused_at = None
    attempt.status = AttemptStatus.IN_PROGRESS
    _staff_action(
        db,
        attempt,
        actor=actor,
        kind="resume",
        reason=reason,
        now=now,
        detail={
            "paused_seconds": paused_seconds,
            "remaining_seconds": timer.remaining_seconds(attempt, now),
        },
        flush=flush,
    )


def resume_attempts(db: Session, *, attempt_ids: list[int], actor: Staff, reason: str) -> list[int]:
    """全场继续's work: resume those of these attempts that are paused, in one go."""
    text = clean_reason(reason)
    now = utcnow()
    resumed = []
    for attempt in _lock_all(db, attempt_ids, actor):
        if attempt.status != AttemptStatus.PAUSED or attempt.paused_at is None:
            continue
        _resume(db, attempt, actor=actor, reason=text, now=now, flush=False)
        assert attempt.id is not None
        resumed.append(attempt.id)
    db.flush()
    return resumed


def add_extra_time(
    db: Session, *, attempt_id: int, minutes: int, actor: Staff, reason: str
) -> Attempt:
    """Give one candidate more time (also while paused)."""
    text = clean_reason(reason)
    timer.checked_minutes(minutes)
    now = utcnow()
    attempt = _for_staff(db, attempt_id, actor)
    if attempt.status == AttemptStatus.SUBMITTED:
        raise AttemptClosed("该考生已交卷；如属误收卷，请使用“重新开放”")
    attempt.deadline_at = timer.deadline_with_extra(attempt.deadline_at, minutes)
    attempt.extra_seconds += minutes * 60
    _staff_action(
        db,
        attempt,
        actor=actor,
        kind="extra_time",
        reason=text,
        now=now,
        detail={"minutes": minutes, "remaining_seconds": timer.remaining_seconds(attempt, now)},
    )
    return attempt


def force_submit(db: Session, *, attempt_id: int, actor: Staff, reason: str) -> Attempt:
    """收卷: the proctor ends the candidate's exam now."""
    text = clean_reason(reason)
    now = utcnow()
    attempt = _for_staff(db, attempt_id, actor)
    _open_or_refuse(db, attempt, now)
    _close(db, attempt, SubmitReason.FORCED, actor=actor, now=now, reason=text)
    return attempt


def reopen_attempt(
    db: Session, *, attempt_id: int, actor: Staff, reason: str, extra_minutes: int = 0
) -> Attempt:
    """Undo a closing made by mistake (a wrong 收卷, a leave-limit or time-out caused by a
    fault): the candidate gets back the time they had left when it was closed, plus
    `extra_minutes`. A candidate's own submission is final."""
    text = clean_reason(reason)
    timer.checked_minutes(extra_minutes, field_name="extra_minutes", allow_zero=True)
    now = utcnow()
    attempt = _for_staff(db, attempt_id, actor)
    if attempt.status != AttemptStatus.SUBMITTED or attempt.submitted_at is None:
        raise Conflict("只有已交卷的答卷才能重新开放", code="not_submitted")
    if attempt.submit_reason not in REOPENABLE:
        raise Conflict("考生本人交卷的答卷不能重新开放", code="reopen_not_allowed")
    if scoring_service.has_marks(db, attempt_id):
        # Examiners marked what the candidate wrote: answering on would change it.
        raise Conflict("这份答卷的主观题已开始评阅，不能重新开放", code="marking_started")
    deadline = timer.deadline_after_reopen(
        attempt.deadline_at, attempt.submitted_at, now, extra_minutes
    )
    if deadline <= now:
        raise ValidationFailed(
            "该考生交卷时已没有剩余时间，重新开放时请补给作答时间",
            code="reopen_needs_time",
            details=[{"field": "extra_minutes", "problem": "应大于 0"}],
        )
    detail = {
        "closed_reason": attempt.submit_reason,
        "closed_at": attempt.submitted_at.isoformat(),
        "time_returned_seconds": int(
            timer.time_left_at_close(attempt.deadline_at, attempt.submitted_at).total_seconds()
        ),
        "extra_minutes": extra_minutes,
        "previous_score": attempt.score,
    }
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.deadline_at = deadline
    attempt.extra_seconds += extra_minutes * 60
    attempt.submitted_at = None
    attempt.submit_reason = None
    attempt.score = None  # scored again when closed again
    scoring_service.discard_scores(db, attempt_id=attempt_id)
    if detail["closed_reason"] == SubmitReason.LEAVE_LIMIT:
        # The count that closed it is the mistake being undone; it stays in the record.
        detail["previous_leave_count"] = attempt.leave_count
        attempt.leave_count = 0
    detail["remaining_seconds"] = timer.remaining_seconds(attempt, now)
    _staff_action(db, attempt, actor=actor, kind="reopen", reason=text, now=now, detail=detail)
    return attempt


# --- Helpers -----------------------------------------------------------------------------


def _actor_kind(actor: Staff | CandidateLogin | None) -> str:
    return "system" if actor is None else actor.kind


def _lock(db: Session, attempt_id: int) -> Attempt | None:
    """The attempt, locked for this transaction (the row on PostgreSQL; SQLite's write lock,
    taken before the read: see core.db)."""
    return db.exec(
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _lock_all(db: Session, attempt_ids: list[int], actor: Staff) -> list[Attempt]:
    """These attempts, of the sessions the actor may proctor, locked for this
    transaction, in id order (the others are left out, as if they did not exist)."""
    policy.require(actor, Action.PROCTOR, Resource.ATTEMPT)
    found = db.exec(
        select(Attempt)
        .where(col(Attempt.id).in_(attempt_ids), Attempt.centre_id == actor.centre_id)
        .order_by(col(Attempt.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return [a for a in found if _may_proctor(db, actor, a)]


def _event(
    db: Session,
    attempt: Attempt,
    kind: str,
    now: datetime,
    *,
    actor: Staff | CandidateLogin | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    db.add(
        AttemptEvent(
            attempt_id=attempt.id,
            registration_id=attempt.registration_id,
            kind=kind,
            at=now,
            actor_staff_id=actor.id if isinstance(actor, Staff) else None,
            detail=detail or {},
        )
    )
    announce_attempt(db, attempt, kind, now)


def announce_attempt(db: Session, attempt: Attempt, kind: str, now: datetime, **extra: Any) -> None:
    """Tell the candidate's page (for the kinds it acts on) and the proctor consoles,
    once the transaction commits. The candidate's message carries the new state, so the
    page stops or restarts its clock without asking."""
    if kind in PUSHED_TO_CANDIDATE:
        live.announce(
            db,
            live.registration_topic(attempt.registration_id),
            {
                "kind": kind,
                "status": attempt.status,
                "remaining_seconds": timer.remaining_seconds(attempt, now),
                **extra,
            },
        )
    live.announce(db, live.session_topic(attempt.session_id), {"kind": "roster"})


# Pages heard from (a status poll, a page load) since the presence writer last ran. A
# page's read marks its attempt seen here rather than in its own transaction: writing
# would make every poll of every candidate wait for SQLite's write lock (and hold it
# while the exam page renders), queueing the answer saves behind them.
_heard: set[int] = set()
_heard_lock = threading.Lock()


def note_seen(registration_id: int) -> None:
    """This registration's page is open: mark_present writes it with the next batch."""
    with _heard_lock:
        _heard.add(registration_id)


def heard_from() -> bool:
    return bool(_heard)


def mark_present(db: Session, *, registration_ids: Iterable[int], now: datetime) -> None:
    """These registrations have an exam page open (a stream on this instance), and so do
    those heard from since the last call (note_seen): one statement for all of them,
    every PRESENCE_INTERVAL_SECONDS per instance."""
    global _heard
    with _heard_lock:
        heard, _heard = _heard, set()
    registration_ids = sorted(heard.union(registration_ids))
    if not registration_ids:
        return
    db.execute(
        update(Attempt)
        .where(
            col(Attempt.registration_id).in_(registration_ids),
            col(Attempt.status) != AttemptStatus.SUBMITTED,
        )
        .values(last_seen_at=now)
    )
