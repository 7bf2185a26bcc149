"""The proctor console (监考台): who is in the room, what state each candidate is in, and
the proctor's actions on them, each recorded with who, when and why.

Access: a proctor (监考员) acts only on the sessions they are assigned to (SessionProctor);
a centre admin on every session of their centre; a session of another centre is NotFound.
Timer actions are the delivery domain's (pause, resume, extra time, force-submit, reopen):
this module checks access and the reason, then calls them; they record the AttemptEvent
and the AuditEntry, so nothing is recorded twice here.

Flush-only: the request owns the transaction."""

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    literal,
    literal_column,
    or_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.accounts import policy, throttle
from app.accounts import service as accounts
from app.accounts.models import StaffUser
from app.accounts.policy import Action, Resource, Scope
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.audit.reasons import REASON_MAX, clean_reason
from app.core.clock import to_china, utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.delivery import service as delivery
from app.delivery import timer
from app.delivery.models import (
    RELOGIN_EVENT,
    SUBMIT_REASON_SHORT_NAMES,
    Attempt,
    AttemptEvent,
    AttemptStatus,
    SubmitReason,
)
from app.exams import rules, seating, sessions
from app.exams.models import (
    Candidate,
    ExamPlan,
    ExamSession,
    Registration,
    SessionProctor,
    SessionStatus,
    registered,
)
from app.live import service as live
from app.proctoring import logbook
from app.proctoring.models import INCIDENT_REASON_NAMES, Incident, IncidentReason
from app.reference.identifiers import mask_resident_id

log = logging.getLogger(__name__)

# A candidate whose exam page has not been heard from for this long is flagged as
# disconnected: an open page's stream marks it seen every 3 s (delivery's presence
# writer), a page without a stream polls every 5 s, and a dead laptop or a closed lid
# stops both. 10 s + the console's refresh stays within the 15 s the room needs.
NOT_SEEN_SECONDS = 10
# Leaving the exam window is shown as an alert for this long after it happened.
RECENT_LEAVE_MINUTES = 5
# The session list shows today, what is ahead, and what ended this recently.
RECENT_DAYS = 14
NOTE_MAX = 1000  # Incident.note
LOG_PER_PAGE = 50

# AttemptEvent kinds written by the delivery domain: leaving the exam window, and one per
# answer saved (the bulk of an attempt's record, left out of the session log unless asked).
LEAVE_EVENT_KINDS = ("blur",)
ANSWER_EVENT_KINDS = ("answer",)
# Candidate events the session log takes from the audit trail instead (delivery records
# every submission there too, with its reason): shown once.
AUDITED_EVENT_KINDS = ("submit", "leave_limit")


class RosterState(StrEnum):
    NOT_CHECKED_IN = "not_checked_in"
    CHECKED_IN = "checked_in"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    ABSENT = "absent"  # 缺考: entry closed without a start (exams.rules.is_absent)


ROSTER_STATE_NAMES = {
    RosterState.NOT_CHECKED_IN: "未签到",
    RosterState.CHECKED_IN: "已签到",
    RosterState.IN_PROGRESS: "考试中",
    RosterState.PAUSED: "已暂停",
    RosterState.SUBMITTED: "已交卷",
    RosterState.ABSENT: "缺考",
}


# ---------------------------------------------------------------------------
# Access


def _session(db: Session, staff: Staff, session_id: int, action: Action) -> ExamSession:
    return sessions.get_session(
        db, actor=staff, session_id=session_id, action=action, resource=Resource.ATTEMPT
    )


def proctored_session(db: Session, *, staff: Staff, session_id: int) -> ExamSession:
    """The session, if this staff member may proctor it (policy: assigned, or the
    centre's admin)."""
    return _session(db, staff, session_id, Action.READ)


def get_registration(db: Session, *, staff: Staff, registration_id: int) -> Registration:
    """A registration of a session this staff member may proctor (else NotFound)."""
    return _registration(db, staff, registration_id)


def _registration(db: Session, staff: Staff, registration_id: int) -> Registration:
    policy.require(staff, Action.PROCTOR, Resource.ATTEMPT)
    reg = db.get(Registration, registration_id)
    if reg is None or reg.centre_id != staff.centre_id:
        raise NotFound("报名记录不存在", code="registration_not_found")
    _session(db, staff, reg.session_id, Action.PROCTOR)
    return reg


def _attempt_session(db: Session, staff: Staff, attempt_id: int) -> ExamSession:
    policy.require(staff, Action.PROCTOR, Resource.ATTEMPT)
    session_id = db.exec(
        select(Attempt.session_id).where(
            Attempt.id == attempt_id, Attempt.centre_id == staff.centre_id
        )
    ).first()
    if session_id is None:
        raise NotFound("考试记录不存在", code="attempt_not_found")
    return _session(db, staff, session_id, Action.PROCTOR)


def _require_open(session: ExamSession) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise Conflict("该场次已取消", code="session_cancelled")
    if session.status == SessionStatus.CLOSED:
        raise Conflict("该场次已关闭，不能再进行此操作", code="session_closed")


# ---------------------------------------------------------------------------
# The session list


@dataclass(frozen=True)
class ProctoredSession:
    session: ExamSession
    plan_name: str
    registered: int = 0
    checked_in: int = 0
    in_progress: int = 0
    paused: int = 0
    submitted: int = 0
    is_today: bool = False  # China date

    @property
    def ends_at(self) -> datetime:
        return self.session.ends_at


def _china_date(dt: datetime) -> date:
    local = to_china(dt)
    assert local is not None
    return local.date()


def list_sessions(db: Session, *, staff: Staff) -> list[ProctoredSession]:
    """My sessions: today's first, then what is ahead (soonest first), then the last
    RECENT_DAYS (latest first). A proctor sees those assigned to them; a centre admin all."""
    centre_id = policy.centre_scope(staff, Action.READ, Resource.ATTEMPT)
    now = utcnow()
    query = (
        select(ExamSession, ExamPlan.name)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
        .where(
            ExamSession.centre_id == centre_id,
            ExamSession.starts_at >= now - timedelta(days=RECENT_DAYS),
        )
    )
    if policy.scope(staff, Action.READ, Resource.ATTEMPT) is Scope.PROCTORING:
        query = query.join(SessionProctor, col(SessionProctor.session_id) == ExamSession.id).where(
            SessionProctor.staff_user_id == staff.id
        )
    found = list(db.exec(query))
    ids = [s.id for s, _ in found]
    regs: dict[int, tuple[int, int]] = {}
    attempts: dict[tuple[int, str], int] = {}
    if ids:
        for sid, total, checked in db.exec(
            select(
                Registration.session_id, func.count(), func.count(col(Registration.checked_in_at))
            )
            .where(col(Registration.session_id).in_(ids), registered())
            .group_by(col(Registration.session_id))
        ):
            regs[sid] = (total, checked)
        for sid, status, n in db.exec(
            select(Attempt.session_id, Attempt.status, func.count())
            .where(col(Attempt.session_id).in_(ids))
            .group_by(col(Attempt.session_id), col(Attempt.status))
        ):
            attempts[(sid, status)] = n
    today = _china_date(now)
    summaries = []
    for session, plan_name in found:
        assert session.id is not None
        total, checked = regs.get(session.id, (0, 0))
        summaries.append(
            ProctoredSession(
                session=session,
                plan_name=plan_name,
                registered=total,
                checked_in=checked,
                in_progress=attempts.get((session.id, AttemptStatus.IN_PROGRESS), 0),
                paused=attempts.get((session.id, AttemptStatus.PAUSED), 0),
                submitted=attempts.get((session.id, AttemptStatus.SUBMITTED), 0),
                is_today=_china_date(session.starts_at) == today,
            )
        )

    def order(s: ProctoredSession) -> tuple[int, float]:
        start = s.session.starts_at.timestamp()
        if s.is_today:
            return (0, start)
        if s.session.starts_at > now:
            return (1, start)
        return (2, -start)

    return sorted(summaries, key=order)


# ---------------------------------------------------------------------------
# The roster


@dataclass(frozen=True)
class RosterRow:
    registration_id: int
    seat_number: int
    name: str
    ticket_number: str
    id_number_masked: str
    state: RosterState
    checked_in_at: datetime | None
    attempt_id: int | None = None
    answered_count: int = 0
    item_count: int = 0
    remaining_seconds: int | None = None
    leave_count: int = 0
    submit_reason: str | None = None
    submitted_at: datetime | None = None
    last_seen_at: datetime | None = None
    incident_count: int = 0
    disconnected: bool = False  # an open attempt whose page has gone silent
    login_failures: int = 0  # failed logins on this ticket in the throttling window

    @property
    def state_name(self) -> str:
        return ROSTER_STATE_NAMES[self.state]

    @property
    def reopenable(self) -> bool:
        """Closed by the system or a proctor; a candidate's own submission is final."""
        return self.state == RosterState.SUBMITTED and self.submit_reason in delivery.REOPENABLE

    @property
    def submit_reason_name(self) -> str:
        if self.submit_reason is None:
            return ""
        return SUBMIT_REASON_SHORT_NAMES.get(self.submit_reason, self.submit_reason)


@dataclass(frozen=True)
class Alert:
    kind: str  # leave_limit_submitted | left_window | not_seen | time_up
    level: str  # bad | warn
    registration_id: int
    seat_number: int
    name: str
    message: str
    at: datetime | None = None


@dataclass(frozen=True)
class Roster:
    session: ExamSession
    plan: ExamPlan
    rows: list[RosterRow]
    alerts: list[Alert]
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    # A digest of what the console shows, leaving out what only the clock moves (the
    # countdowns tick in the page between polls): the console's poll is answered "not
    # modified" while it stays the same.
    version: str = ""
    # DOMAIN.md §2 staffing: why no candidate may start yet (None: the room may open).
    opening_refusal: str | None = None

    @property
    def ends_at(self) -> datetime:
        return self.session.ends_at

    @property
    def seat_map(self) -> list[list[tuple[int, RosterRow | None]]]:
        """The room from the front, row by row (座位图, beside the list)."""
        return seating.seat_rows({r.seat_number: r for r in self.rows}, self.session.seats_per_row)


# The console polls the roster every 3 s per proctor for as long as the exam runs, while
# the room's answer events pile up (scripts/bench_roster.py; README, "Proctor console
# poll"). Hence the way it is read:
# - Core rows over the tables, with the statements built once: the room as ORM objects
#   (a registration, a candidate and an attempt per seat) cost more than the rest of a
#   poll together.
# - Events only through the (attempt, kind, time) index, never by registration: that
#   reads every answer event of the room, and the poll grew with the answers saved.
# - The version of what the console shows is a digest of these rows, taken before the
#   rows and alerts are built: a poll that finds it unchanged costs the queries alone.
_REG = Registration.__table__  # type: ignore[attr-defined]
_CAND = Candidate.__table__  # type: ignore[attr-defined]
_ATTEMPT = Attempt.__table__  # type: ignore[attr-defined]
_EVENT = AttemptEvent.__table__  # type: ignore[attr-defined]
_INCIDENT = Incident.__table__  # type: ignore[attr-defined]
_PROCTOR = SessionProctor.__table__  # type: ignore[attr-defined]

_SEATS = (
    sa_select(
        _REG.c.id.label("registration_id"),
        _REG.c.seat_number,
        _REG.c.ticket_number,
        _REG.c.checked_in_at,
        _CAND.c.name,
        _CAND.c.id_number,
        _ATTEMPT.c.id.label("attempt_id"),
        _ATTEMPT.c.status,
        _ATTEMPT.c.answered_count,
        _ATTEMPT.c.item_count,
        _ATTEMPT.c.deadline_at,
        _ATTEMPT.c.paused_at,
        _ATTEMPT.c.leave_count,
        _ATTEMPT.c.submit_reason,
        _ATTEMPT.c.submitted_at,
        # Last: the version leaves it out (_roster_facts).
        _ATTEMPT.c.last_seen_at,
    )
    .select_from(
        _REG.join(_CAND, _CAND.c.id == _REG.c.candidate_id).outerjoin(
            _ATTEMPT, _ATTEMPT.c.registration_id == _REG.c.id
        )
    )
    .where(_REG.c.session_id == bindparam("session_id"), registered())
    .order_by(_REG.c.seat_number, _REG.c.ticket_number)
)
_INCIDENTS = (
    sa_select(_INCIDENT.c.registration_id, func.count())
    .where(_INCIDENT.c.session_id == bindparam("session_id"))
    .group_by(_INCIDENT.c.registration_id)
)
_PROCTORS = (
    sa_select(func.count())
    .select_from(_PROCTOR)
    .where(_PROCTOR.c.session_id == bindparam("session_id"))
)
# The recent events the alerts name, newest first: leaving the window and logins that
# ended another, of the room's attempts; and logins before a start (no attempt yet:
# attempt_id NULL, the same index).
_RECENT_EVENTS = union_all(
    sa_select(_EVENT.c.registration_id, _EVENT.c.kind, _EVENT.c.at, _EVENT.c.detail)
    .select_from(_EVENT.join(_ATTEMPT, _ATTEMPT.c.id == _EVENT.c.attempt_id))
    .where(
        _ATTEMPT.c.session_id == bindparam("session_id"),
        _EVENT.c.kind.in_([*LEAVE_EVENT_KINDS, RELOGIN_EVENT]),
        _EVENT.c.at >= bindparam("since"),
    ),
    sa_select(_EVENT.c.registration_id, _EVENT.c.kind, _EVENT.c.at, _EVENT.c.detail)
    .select_from(_EVENT.join(_REG, _REG.c.id == _EVENT.c.registration_id))
    .where(
        _EVENT.c.attempt_id.is_(None),
        _EVENT.c.kind == RELOGIN_EVENT,
        _EVENT.c.at >= bindparam("since"),
        _REG.c.session_id == bindparam("session_id"),
    ),
).order_by(literal_column("at").desc())

_ATTEMPT_STATES = {
    AttemptStatus.IN_PROGRESS: RosterState.IN_PROGRESS,
    AttemptStatus.PAUSED: RosterState.PAUSED,
    AttemptStatus.SUBMITTED: RosterState.SUBMITTED,
}


@dataclass
class _Clock:
    """An attempt's timer inputs (delivery.timer.TimedAttempt) from a roster row."""

    deadline_at: datetime
    paused_at: datetime | None


_SeatRow = Row[*tuple[Any, ...]]  # of _SEATS


@dataclass(frozen=True)
class _Seat:
    """A registration as read, and what the clock makes of it now."""

    row: _SeatRow
    state: RosterState
    # Whole minutes since the page was last heard from, once an open attempt's page has
    # been silent for NOT_SEEN_SECONDS (a "not seen" alert, a 断线 badge); else None.
    silent_minutes: int | None = None
    remaining_seconds: int | None = None  # None: not started, or submitted

    @property
    def time_up(self) -> bool:
        """In progress with its clock at zero: the sweeper closes it."""
        return self.state == RosterState.IN_PROGRESS and self.remaining_seconds == 0


@dataclass(frozen=True)
class _RosterFacts:
    """What one read of the room found, with the version of what the console shows."""

    session: ExamSession
    plan: ExamPlan
    now: datetime
    seats: list[_Seat]
    incidents: dict[int, int]
    failures: dict[str, int]
    events: list[Row[*tuple[Any, ...]]]  # of _RECENT_EVENTS
    opening_refusal: str | None
    version: str


def _seat(row: _SeatRow, *, absent: bool, now: datetime) -> _Seat:
    if row.attempt_id is None:
        if absent:
            return _Seat(row, RosterState.ABSENT)
        checked = RosterState.CHECKED_IN if row.checked_in_at else RosterState.NOT_CHECKED_IN
        return _Seat(row, checked)
    state = _ATTEMPT_STATES[AttemptStatus(row.status)]
    if state == RosterState.SUBMITTED:
        return _Seat(row, state)
    silent = None
    if row.last_seen_at is not None and (quiet := now - row.last_seen_at) > timedelta(
        seconds=NOT_SEEN_SECONDS
    ):
        silent = int(quiet.total_seconds()) // 60
    remaining = timer.remaining_seconds(_Clock(row.deadline_at, row.paused_at), now)
    return _Seat(row, state, silent, remaining)


def _roster_facts(db: Session, staff: Staff, session_id: int) -> _RosterFacts:
    session = proctored_session(db, staff=staff, session_id=session_id)
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    now = utcnow()
    conn = db.connection()
    key = {"session_id": session_id}
    absent = sessions.is_absent(session, plan, started=False, now=now)
    seats = [_seat(row, absent=absent, now=now) for row in conn.execute(_SEATS, key)]
    incidents: dict[int, int] = {reg_id: n for reg_id, n in conn.execute(_INCIDENTS, key)}
    failures = throttle.failures_by_ticket(
        db, tickets=[s.row.ticket_number for s in seats], now=now
    )
    since = now - timedelta(minutes=RECENT_LEAVE_MINUTES)
    events = list(conn.execute(_RECENT_EVENTS, key | {"since": since}))
    proctors = conn.execute(_PROCTORS, key).scalar_one()
    opening = rules.opening_refusal(
        rules.staffing_problems(proctors=proctors, candidates=len(seats)),
        overridden=session.staffing_override_at is not None,
    )
    # Everything the fragment shows comes from these, except the countdowns (they tick
    # in the page between polls: the deadline and pause moment are in the rows) and the
    # time each page last polled (shown only as whole minutes of silence).
    shown = (
        session.status,
        session.starts_at,
        session.duration_minutes,
        session.seats_per_row,
        [(tuple(s.row)[:-1], s.state, s.silent_minutes, s.time_up) for s in seats],
        sorted(incidents.items()),
        sorted(failures.items()),
        [tuple(e) for e in events],
        opening,
    )
    version = hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()
    return _RosterFacts(session, plan, now, seats, incidents, failures, events, opening, version)


@dataclass(frozen=True)
class RosterUnchanged:
    """The console shows this version of the roster already (its poll's If-None-Match)."""

    version: str


def roster(db: Session, *, staff: Staff, session_id: int) -> Roster:
    """One row per registration, plus what needs the proctor's eye. A fixed handful of
    queries whatever the room size and however many answers were saved."""
    return _roster(_roster_facts(db, staff, session_id))


def roster_if_changed(
    db: Session, *, staff: Staff, session_id: int, shown_version: str | None
) -> Roster | RosterUnchanged:
    """The console's poll: the roster, or RosterUnchanged (nothing built) while what it
    shows is still `shown_version`."""
    facts = _roster_facts(db, staff, session_id)
    if facts.version == shown_version:
        return RosterUnchanged(facts.version)
    return _roster(facts)


def _roster(facts: _RosterFacts) -> Roster:
    now = facts.now
    rows: list[RosterRow] = []
    counts = {state.value: 0 for state in RosterState}
    for seat in facts.seats:
        r, state = seat.row, seat.state
        counts[state.value] += 1
        timed: dict[str, Any] = {}
        if r.attempt_id is not None:
            timed = {
                "attempt_id": r.attempt_id,
                "answered_count": r.answered_count,
                "item_count": r.item_count,
                "remaining_seconds": seat.remaining_seconds,
                "leave_count": r.leave_count,
                "submit_reason": r.submit_reason,
                "submitted_at": r.submitted_at,
                "last_seen_at": r.last_seen_at,
                "disconnected": seat.silent_minutes is not None,
            }
        rows.append(
            RosterRow(
                registration_id=r.registration_id,
                seat_number=r.seat_number,
                name=r.name,
                ticket_number=r.ticket_number,
                # Masked (the product's one rule: last four shown). The proctor compares
                # the person with the physical ID card, so the full number adds nothing,
                # and it is half of the candidate's login (ticket + ID number) on a screen
                # the room sees.
                id_number_masked=mask_resident_id(r.id_number),
                state=state,
                checked_in_at=r.checked_in_at,
                incident_count=facts.incidents.get(r.registration_id, 0),
                login_failures=facts.failures.get(r.ticket_number, 0),
                **timed,
            )
        )
    return Roster(
        session=facts.session,
        plan=facts.plan,
        rows=rows,
        alerts=_alerts(facts, rows),
        now=now,
        counts=counts,
        version=facts.version,
        opening_refusal=facts.opening_refusal,
    )


# Gravest first: a paper closed for leaving the window, a page gone silent, a recent
# leave, a clock at zero the sweeper has not closed yet.
_ALERT_ORDER = ("leave_limit_submitted", "relogin", "not_seen", "left_window", "time_up")


def _alerts(facts: _RosterFacts, rows: Sequence[RosterRow]) -> list[Alert]:
    alerts: list[Alert] = []
    for seat, r in zip(facts.seats, rows, strict=True):
        if r.state == RosterState.SUBMITTED and r.submit_reason == SubmitReason.LEAVE_LIMIT:
            message = f"切屏 {r.leave_count} 次达到上限，已自动交卷"
            alerts.append(Alert("leave_limit_submitted", "bad", *_who(r), message, r.submitted_at))
        elif r.state != RosterState.IN_PROGRESS:
            continue
        elif seat.time_up:
            alerts.append(Alert("time_up", "warn", *_who(r), "考试时间已到，等待系统收卷"))
        elif seat.silent_minutes is not None:
            # Whole minutes: a message that changed every second would make every poll a
            # change (see Roster.version).
            minutes = seat.silent_minutes
            gone = f"{minutes} 分钟" if minutes else "不到 1 分钟"
            message = f"考试页面已断开 {gone}（断网或设备故障？）"
            alerts.append(Alert("not_seen", "bad", *_who(r), message, r.last_seen_at))
    by_reg = {r.registration_id: r for r in rows}
    latest: dict[tuple[int, str], tuple[datetime, Mapping[str, Any]]] = {}
    for event in facts.events:
        latest.setdefault((event.registration_id, event.kind), (event.at, event.detail))
    for (reg_id, kind), (at, detail) in latest.items():
        if (found := by_reg.get(reg_id)) is None:
            continue
        if kind == RELOGIN_EVENT:
            ip = (detail or {}).get("client_ip")
            where = f"（{ip}）" if ip else ""
            message = f"该准考证在另一处登录{where}，前一登录已结束：请核对考生身份"
            alerts.append(Alert("relogin", "bad", *_who(found), message, at))
        elif found.state != RosterState.SUBMITTED:
            message = f"离开考试窗口（累计 {found.leave_count} 次）"
            alerts.append(Alert("left_window", "warn", *_who(found), message, at))
    now = facts.now
    return sorted(alerts, key=lambda a: (_ALERT_ORDER.index(a.kind), -(a.at or now).timestamp()))


def _who(row: RosterRow) -> tuple[int, int, str]:
    return row.registration_id, row.seat_number, row.name


def _candidate_event(
    db: Session,
    reg: Registration,
    kind: str,
    staff: Staff,
    at: datetime,
    detail: dict[str, Any],
    shown: dict[str, Any] | None = None,
) -> None:
    """A proctor action in the candidate's own record (DOMAIN.md §7: every event, proctor
    actions included), attached to the attempt when there is one. The session log shows
    the matching audit entry instead."""
    assert reg.id is not None
    attempt_id = db.exec(select(Attempt.id).where(Attempt.registration_id == reg.id)).first()
    db.add(
        AttemptEvent(
            attempt_id=attempt_id,
            registration_id=reg.id,
            kind=kind,
            at=at,
            actor_staff_id=staff.id,
            detail=detail,
        )
    )
    # The candidate's page hears of it (with `shown`, what it may display; never the note).
    live.announce(db, live.registration_topic(reg.id), {"kind": kind, **(shown or {})})
    live.announce(db, live.session_topic(reg.session_id), {"kind": "roster"})


# ---------------------------------------------------------------------------
# Check-in (人证合一)


@dataclass(frozen=True)
class CheckinCard:
    registration_id: int
    seat_number: int
    ticket_number: str
    name: str
    gender: str
    # Compared with the ID card in hand, beside the photo: masked (first 3 and last 4
    # digits, as on the console) for proctors, since ticket + full ID number is the
    # candidate's login; in full for those the policy shows identities (centre admins).
    id_number: str
    has_photo: bool
    checked_in: bool


def _card(reg: Registration, cand: Candidate, *, full: bool) -> CheckinCard:
    assert reg.id is not None
    return CheckinCard(
        registration_id=reg.id,
        seat_number=reg.seat_number,
        ticket_number=reg.ticket_number,
        name=cand.name,
        gender=cand.gender,
        id_number=cand.id_number if full else mask_resident_id(cand.id_number),
        has_photo=cand.photo_digest is not None,
        checked_in=reg.checked_in_at is not None,
    )


def _shows_identity(db: Session, staff: Staff, session: ExamSession) -> bool:
    return policy.allows(staff, Action.READ, Resource.IDENTITY, sessions.session_facts(db, session))


def checkin_card(db: Session, *, staff: Staff, registration_id: int) -> CheckinCard:
    reg = _registration(db, staff, registration_id)
    cand = db.get(Candidate, reg.candidate_id)
    session = db.get(ExamSession, reg.session_id)
    assert cand is not None and session is not None
    return _card(reg, cand, full=_shows_identity(db, staff, session))


def checkin_cards(
    db: Session, *, staff: Staff, session_id: int, registration_ids: Sequence[int]
) -> list[CheckinCard]:
    """The identity cards of the candidates selected for a batch check-in, by seat: each
    photo beside its name and ID number, to compare with the people in front of the
    proctor before confirming them together."""
    session = _session(db, staff, session_id, Action.PROCTOR)
    regs = _session_registrations(db, session_id, registration_ids)
    people = {
        c.id: c
        for c in db.exec(
            select(Candidate).where(col(Candidate.id).in_([r.candidate_id for r in regs]))
        )
    }
    full = _shows_identity(db, staff, session)
    return [_card(reg, people[reg.candidate_id], full=full) for reg in regs]


def _checkin_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationFailed(
            f"备注不能超过 {REASON_MAX} 字",
            code="note_too_long",
            details=[{"field": "note", "problem": f"不能超过 {REASON_MAX} 字"}],
        )
    return note


def _record_checkin(db: Session, staff: Staff, reg: Registration, note: str) -> None:
    assert reg.id is not None
    reg.checked_in_at = utcnow()
    reg.checked_in_by = staff.id
    db.add(reg)
    _candidate_event(db, reg, "checkin", staff, reg.checked_in_at, {"note": note} if note else {})
    audit.record(
        db,
        actor=staff,
        action="registration.checkin",
        object_type="registration",
        object_id=reg.id,
        reason=note,
        detail={"session_id": reg.session_id, "ticket_number": reg.ticket_number},
    )


def check_in(db: Session, *, staff: Staff, registration_id: int, note: str = "") -> Registration:
    """The proctor has compared the person with the ID card and the ticket. Checking in
    twice changes nothing and records nothing new."""
    reg = _registration(db, staff, registration_id)
    if reg.checked_in_at is not None:
        return reg
    session = db.get(ExamSession, reg.session_id)
    assert session is not None
    _require_open(session)
    _record_checkin(db, staff, reg, _checkin_note(note))
    db.flush()
    return reg


@dataclass(frozen=True)
class BatchCheckin:
    checked_in: list[Registration]  # checked in now, by seat
    already: list[Registration]  # checked in before: left as they were


def _session_registrations(
    db: Session, session_id: int, registration_ids: Sequence[int]
) -> list[Registration]:
    """These registrations of the session, by seat; any other id is NotFound."""
    wanted = set(registration_ids)
    regs = list(
        db.exec(
            select(Registration)
            .where(
                Registration.session_id == session_id,
                col(Registration.id).in_(wanted),
                registered(),
            )
            .order_by(col(Registration.seat_number))
        )
    )
    if len(regs) != len(wanted):
        raise NotFound("所选考生不在本场次", code="registration_not_found")
    return regs


def check_in_many(
    db: Session, *, staff: Staff, session_id: int, registration_ids: Sequence[int], note: str = ""
) -> BatchCheckin:
    """Batch check-in (批量签到): the proctor has compared each selected person with their
    photo and ID card and confirms them at once. Each is recorded as its own check-in
    (event and audit entry), exactly as one by one; all or none: an id outside the
    session refuses the whole batch."""
    session = _session(db, staff, session_id, Action.PROCTOR)
    _require_open(session)
    if not registration_ids:
        raise ValidationFailed(
            "请先勾选要签到的考生",
            code="nothing_selected",
            details=[{"field": "registration_ids", "problem": "至少选择 1 名考生"}],
        )
    text = _checkin_note(note)
    regs = _session_registrations(db, session_id, registration_ids)
    done: list[Registration] = []
    already: list[Registration] = []
    for reg in regs:
        if reg.checked_in_at is not None:
            already.append(reg)
            continue
        _record_checkin(db, staff, reg, text)
        done.append(reg)
    db.flush()
    return BatchCheckin(checked_in=done, already=already)


def unlock_login(
    db: Session, *, staff: Staff, registration_id: int, reason: str
) -> tuple[Registration, int]:
    """Lift a login lock on this candidate's ticket: every client's failures on it are
    cleared (recorded with the reason). Returns the registration and how many failures
    were cleared."""
    reg = _registration(db, staff, registration_id)
    reason = clean_reason(reason)
    cleared = accounts.unlock_login(db, ticket_number=reg.ticket_number)
    audit.record(
        db,
        actor=staff,
        action="registration.login_unlocked",
        object_type="registration",
        object_id=reg.id,
        reason=reason,
        detail={
            "session_id": reg.session_id,
            "ticket_number": reg.ticket_number,
            "failures_cleared": cleared,
        },
    )
    db.flush()
    return reg, cleared


# ---------------------------------------------------------------------------
# Messages to candidates


MESSAGE_MAX = 200


def send_message(
    db: Session,
    *,
    staff: Staff,
    session_id: int,
    text: str,
    registration_ids: list[int] | None = None,
) -> list[int]:
    """A message from the proctor on the candidates' screens at once (e.g. "还剩 30
    分钟，请注意时间"): to these registrations of the session, or all of them. Recorded in
    each candidate's record and once in the session log. Returns who it went to."""
    session = proctored_session(db, staff=staff, session_id=session_id)
    _require_open(session)
    message = (text or "").strip()
    if not message or len(message) > MESSAGE_MAX:
        raise ValidationFailed(
            f"请填写消息内容（不超过 {MESSAGE_MAX} 字）",
            code="message_invalid",
            details=[{"field": "text", "problem": f"必填，不超过 {MESSAGE_MAX} 字"}],
        )
    query = select(Registration).where(Registration.session_id == session_id, registered())
    if registration_ids is not None:
        query = query.where(col(Registration.id).in_(registration_ids))
    regs = list(db.exec(query.order_by(col(Registration.seat_number))))
    if registration_ids is not None and len(regs) != len(set(registration_ids)):
        raise NotFound("该考生不在本场次", code="registration_not_found")
    if not regs:
        raise Conflict("本场次还没有考生", code="no_candidates")
    now = utcnow()
    for reg in regs:
        _candidate_event(db, reg, "message", staff, now, {"text": message}, {"text": message})
    ids = [reg.id for reg in regs if reg.id is not None]
    audit.record(
        db,
        actor=staff,
        action="session.message",
        object_type="exam_session",
        object_id=session_id,
        reason=message,
        detail={"registration_ids": ids},
    )
    db.flush()
    return ids


# ---------------------------------------------------------------------------
# Timer actions on one candidate (the delivery domain does the work and the recording)


def _timer_action(db: Session, staff: Staff, attempt_id: int, reason: str) -> str:
    """What every timer action checks first: access, an open session, a reason (the
    reason, cleaned, is returned)."""
    _require_open(_attempt_session(db, staff, attempt_id))
    return clean_reason(reason)


def pause(db: Session, *, staff: Staff, attempt_id: int, reason: str) -> Attempt:
    text = _timer_action(db, staff, attempt_id, reason)
    return delivery.pause_attempt(db, attempt_id=attempt_id, actor=staff, reason=text)


def resume(db: Session, *, staff: Staff, attempt_id: int, reason: str) -> Attempt:
    text = _timer_action(db, staff, attempt_id, reason)
    return delivery.resume_attempt(db, attempt_id=attempt_id, actor=staff, reason=text)


def add_extra_time(
    db: Session, *, staff: Staff, attempt_id: int, minutes: int | None, reason: str
) -> Attempt:
    text = _timer_action(db, staff, attempt_id, reason)
    n = timer.checked_minutes(minutes, field_name="minutes")
    return delivery.add_extra_time(db, attempt_id=attempt_id, minutes=n, actor=staff, reason=text)


def force_submit(db: Session, *, staff: Staff, attempt_id: int, reason: str) -> Attempt:
    text = _timer_action(db, staff, attempt_id, reason)
    return delivery.force_submit(db, attempt_id=attempt_id, actor=staff, reason=text)


def reopen(
    db: Session, *, staff: Staff, attempt_id: int, reason: str, extra_minutes: int | None = 0
) -> Attempt:
    """Reopen a paper closed by mistake; `extra_minutes` on top of the time given back."""
    text = _timer_action(db, staff, attempt_id, reason)
    n = timer.checked_minutes(extra_minutes, field_name="extra_minutes", allow_zero=True)
    return delivery.reopen_attempt(
        db, attempt_id=attempt_id, actor=staff, reason=text, extra_minutes=n
    )


# ---------------------------------------------------------------------------
# The whole room


@dataclass(frozen=True)
class RoomAction:
    session_id: int
    attempt_ids: list[int]

    @property
    def count(self) -> int:
        return len(self.attempt_ids)


def _room(db: Session, *, staff: Staff, session_id: int, reason: str, pausing: bool) -> RoomAction:
    session = _session(db, staff, session_id, Action.PROCTOR)
    _require_open(session)
    text = clean_reason(reason)
    query = select(Attempt.id).where(Attempt.session_id == session_id)
    if pausing:
        # A clock already at zero is the sweeper's to close, not one to pause.
        query = query.where(
            Attempt.status == AttemptStatus.IN_PROGRESS, col(Attempt.deadline_at) > utcnow()
        )
    else:
        query = query.where(Attempt.status == AttemptStatus.PAUSED)
    ids = [i for i in db.exec(query.order_by(col(Attempt.id))) if i is not None]
    if not ids:
        message = "没有正在作答的考生" if pausing else "没有已暂停的考生"
        raise Conflict(message, code="nothing_to_pause" if pausing else "nothing_to_resume")
    act = delivery.pause_attempts if pausing else delivery.resume_attempts
    ids = act(db, attempt_ids=ids, actor=staff, reason=text)
    # The room-wide decision is one entry of its own; each attempt's pause is recorded by
    # delivery as usual.
    audit.record(
        db,
        actor=staff,
        action="session.pause_all" if pausing else "session.resume_all",
        object_type="exam_session",
        object_id=session_id,
        reason=text,
        detail={"attempt_ids": ids},
    )
    db.flush()
    log.info(
        "session %s: %s %d attempts by staff %s",
        session_id,
        "paused" if pausing else "resumed",
        len(ids),
        staff.id,
    )
    return RoomAction(session_id=session_id, attempt_ids=ids)


def pause_room(db: Session, *, staff: Staff, session_id: int, reason: str) -> RoomAction:
    """全场暂停: every attempt in progress, in one transaction (all or none)."""
    return _room(db, staff=staff, session_id=session_id, reason=reason, pausing=True)


def resume_room(db: Session, *, staff: Staff, session_id: int, reason: str) -> RoomAction:
    """全场继续: every paused attempt of the session."""
    return _room(db, staff=staff, session_id=session_id, reason=reason, pausing=False)


# ---------------------------------------------------------------------------
# Incidents (考场记录)


def record_incident(
    db: Session, *, staff: Staff, registration_id: int, reason_code: str, note: str = ""
) -> Incident:
    reg = _registration(db, staff, registration_id)
    assert reg.id is not None
    problems = []
    if reason_code not in {r.value for r in IncidentReason}:
        problems.append({"field": "reason_code", "problem": "请选择事件类型"})
    note = (note or "").strip()
    if reason_code == IncidentReason.OTHER and not note:
        problems.append({"field": "note", "problem": "类型为“其他”时请写明情况"})
    if len(note) > NOTE_MAX:
        problems.append({"field": "note", "problem": f"不能超过 {NOTE_MAX} 字"})
    if problems:
        raise ValidationFailed("考场事件信息不完整", code="invalid_incident", details=problems)
    incident = Incident(
        centre_id=reg.centre_id,
        session_id=reg.session_id,
        registration_id=reg.id,
        reason_code=reason_code,
        note=note,
        recorded_by=staff.id,
        at=utcnow(),
    )
    db.add(incident)
    db.flush()
    _candidate_event(
        db,
        reg,
        "incident",
        staff,
        incident.at,
        {"incident_id": incident.id, "reason_code": reason_code},
    )
    audit.record(
        db,
        actor=staff,
        action="incident.record",
        object_type="incident",
        object_id=incident.id,
        reason=note,
        detail={
            "registration_id": reg.id,
            "session_id": reg.session_id,
            "reason_code": reason_code,
        },
    )
    db.flush()
    return incident


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    seat_number: int
    candidate_name: str
    ticket_number: str
    recorded_by_name: str

    @property
    def reason_name(self) -> str:
        return incident_reason_name(self.incident.reason_code)


def incident_reason_name(code: str) -> str:
    return INCIDENT_REASON_NAMES.get(IncidentReason(code), code)


def list_incidents(db: Session, *, staff: Staff, session_id: int) -> list[IncidentView]:
    """The session's incidents, newest first."""
    proctored_session(db, staff=staff, session_id=session_id)
    found = db.exec(
        select(Incident, Registration, Candidate, StaffUser.display_name)
        .join(Registration, col(Registration.id) == Incident.registration_id)
        .join(Candidate, col(Candidate.id) == Registration.candidate_id)
        .join(StaffUser, col(StaffUser.id) == Incident.recorded_by)
        .where(Incident.session_id == session_id)
        .order_by(col(Incident.at).desc(), col(Incident.id).desc())
    ).all()
    return [
        IncidentView(
            incident=inc,
            seat_number=reg.seat_number,
            candidate_name=cand.name,
            ticket_number=reg.ticket_number,
            recorded_by_name=staff_name,
        )
        for inc, reg, cand, staff_name in found
    ]


# ---------------------------------------------------------------------------
# The session log


def session_log(
    db: Session,
    *,
    staff: Staff,
    session_id: int,
    page: int = 1,
    per_page: int = LOG_PER_PAGE,
    include_answers: bool = False,
) -> logbook.LogPage:
    """The session's record, newest first: staff actions from the audit trail (who, when,
    why) and the candidates' own events (log-in, start, leaving the window, submission).
    A staff action is both an AuditEntry and an AttemptEvent; the log shows it once, from
    the audit trail, which carries the reason."""
    session = proctored_session(db, staff=staff, session_id=session_id)
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    reg_ids = select(Registration.id).where(Registration.session_id == session_id)
    attempt_ids = select(Attempt.id).where(Attempt.session_id == session_id)
    incident_ids = select(Incident.id).where(Incident.session_id == session_id)
    belongs: ColumnElement[bool] = or_(
        and_(col(AuditEntry.object_type) == "attempt", col(AuditEntry.object_id).in_(attempt_ids)),
        and_(col(AuditEntry.object_type) == "registration", col(AuditEntry.object_id).in_(reg_ids)),
        and_(
            col(AuditEntry.object_type) == "incident", col(AuditEntry.object_id).in_(incident_ids)
        ),
        and_(
            col(AuditEntry.object_type) == "exam_session",
            col(AuditEntry.object_id) == session_id,
        ),
    )
    audits: Select[str, Any, Any] = sa_select(
        literal("a").label("src"), col(AuditEntry.id).label("id"), col(AuditEntry.at).label("at")
    ).where(col(AuditEntry.centre_id) == session.centre_id, belongs)
    hidden = AUDITED_EVENT_KINDS if include_answers else AUDITED_EVENT_KINDS + ANSWER_EVENT_KINDS
    event_filter = [
        col(AttemptEvent.registration_id).in_(reg_ids),
        col(AttemptEvent.actor_staff_id).is_(None),
        col(AttemptEvent.kind).not_in(hidden),
    ]
    events: Select[str, Any, Any] = sa_select(
        literal("e").label("src"),
        col(AttemptEvent.id).label("id"),
        col(AttemptEvent.at).label("at"),
    ).where(*event_filter)
    both = union_all(audits, events).subquery()
    total = db.exec(select(func.count()).select_from(both)).one()
    keys = db.exec(
        select(both.c.src, both.c.id)
        .order_by(both.c.at.desc(), both.c.src, both.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    audit_rows = {
        a.id: a
        for a in db.exec(
            select(AuditEntry).where(col(AuditEntry.id).in_([i for s, i in keys if s == "a"]))
        )
    }
    event_rows = {
        e.id: e
        for e in db.exec(
            select(AttemptEvent).where(col(AttemptEvent.id).in_([i for s, i in keys if s == "e"]))
        )
    }
    people: dict[int | None, tuple[int, str]] = {
        reg_id: (seat, name)
        for reg_id, seat, name in db.exec(
            select(Registration.id, Registration.seat_number, Candidate.name)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.session_id == session_id)
        )
    }
    attempt_regs = dict(
        db.exec(
            select(Attempt.id, Attempt.registration_id).where(Attempt.session_id == session_id)
        ).all()
    )
    entries = [
        logbook.from_audit(audit_rows[row_id], attempt_regs, people)
        if src == "a"
        else logbook.from_event(event_rows[row_id], people)
        for src, row_id in keys
    ]
    return logbook.LogPage(entries=entries, page=page, per_page=per_page, total=total)
