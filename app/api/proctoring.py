"""API: the proctor console (监考) — sessions, roster, check-in, timer actions, incidents,
the session log. The same service functions and rules as the pages."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.shapes import Shape
from app.auth.deps import Proctor
from app.core.clock import utcnow
from app.core.db import SessionDep
from app.delivery import timer
from app.delivery.models import Attempt, AttemptStatus
from app.exams.models import Registration
from app.proctoring import service as proctoring
from app.proctoring.models import Incident

router = APIRouter(prefix="/proctor", tags=["proctoring"])


class ProctoredSessionOut(BaseModel):
    """proctoring.ProctoredSession with the session's own columns flattened into it."""

    id: int
    name: str
    room: str
    plan_id: int
    plan_name: str
    status: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    is_today: bool
    registered: int
    checked_in: int
    in_progress: int
    paused: int
    submitted: int

    @classmethod
    def of(cls, s: proctoring.ProctoredSession) -> "ProctoredSessionOut":
        assert s.session.id is not None
        return cls(
            id=s.session.id,
            name=s.session.name,
            room=s.session.room,
            plan_id=s.session.plan_id,
            plan_name=s.plan_name,
            status=s.session.status,
            starts_at=s.session.starts_at,
            ends_at=s.ends_at,
            duration_minutes=s.session.duration_minutes,
            is_today=s.is_today,
            registered=s.registered,
            checked_in=s.checked_in,
            in_progress=s.in_progress,
            paused=s.paused,
            submitted=s.submitted,
        )


class RosterRowOut(Shape):
    """proctoring.RosterRow with its names and reopenability (properties) spelled out."""

    registration_id: int
    seat_number: int
    name: str
    ticket_number: str
    id_number_masked: str
    state: str
    state_name: str
    checked_in_at: datetime | None
    attempt_id: int | None
    answered_count: int
    item_count: int
    remaining_seconds: int | None
    leave_count: int
    submit_reason: str | None
    submit_reason_name: str
    reopenable: bool
    submitted_at: datetime | None
    last_seen_at: datetime | None
    incident_count: int
    disconnected: bool = Field(description="in the exam, but its page silent for 10 s or more")
    login_failures: int


class RosterOut(BaseModel):
    """proctoring.Roster with the session's columns flattened in, without the plan and the
    roster's version."""

    session_id: int
    session_name: str
    room: str
    status: str
    starts_at: datetime
    ends_at: datetime
    now: datetime
    counts: dict[str, int]
    rows: list[RosterRowOut]
    alerts: list[proctoring.Alert]


class AttemptOut(BaseModel):
    """An Attempt row after a proctor's action, with the time left now (computed by
    delivery.timer), without its counters."""

    id: int
    registration_id: int
    status: str
    remaining_seconds: int | None
    deadline_at: datetime
    paused_at: datetime | None
    extra_seconds: int
    submitted_at: datetime | None
    submit_reason: str | None

    @classmethod
    def of(cls, a: Attempt) -> "AttemptOut":
        assert a.id is not None
        running = a.status != AttemptStatus.SUBMITTED
        return cls(
            id=a.id,
            registration_id=a.registration_id,
            status=a.status,
            remaining_seconds=int(timer.remaining_seconds(a, utcnow())) if running else None,
            deadline_at=a.deadline_at,
            paused_at=a.paused_at,
            extra_seconds=a.extra_seconds,
            submitted_at=a.submitted_at,
            submit_reason=a.submit_reason,
        )


class CheckinIn(BaseModel):
    note: str = ""


class CheckinOut(BaseModel):
    """What a check-in recorded on the Registration row."""

    registration_id: int
    checked_in_at: datetime | None
    checked_in_by: int | None

    @classmethod
    def of(cls, r: Registration) -> "CheckinOut":
        assert r.id is not None
        return cls(
            registration_id=r.id, checked_in_at=r.checked_in_at, checked_in_by=r.checked_in_by
        )


# Reasons and minutes default to empty so that the service's rule (and its Chinese
# message, with the field) answers a missing one, the same as on the page.
class ReasonIn(BaseModel):
    reason: str = ""


class ExtraTimeIn(ReasonIn):
    minutes: int | None = None


class ReopenIn(ReasonIn):
    extra_minutes: int = 0


class RoomActionOut(BaseModel):
    """proctoring.RoomAction with how many attempts it moved."""

    session_id: int
    count: int
    attempt_ids: list[int]


class MessageIn(BaseModel):
    text: str = ""
    registration_ids: list[int] | None = Field(
        default=None, description="these candidates of the session; all of them when absent"
    )


class MessageSentOut(BaseModel):
    """Whom a proctor's message reached."""

    session_id: int
    registration_ids: list[int]


class IncidentIn(BaseModel):
    reason_code: str = ""
    note: str = ""


class IncidentOut(BaseModel):
    """An Incident row with its reason's name and, when listed, who recorded it and whom it
    concerns (proctoring.IncidentView)."""

    id: int
    session_id: int
    registration_id: int
    reason_code: str
    reason_name: str
    note: str
    recorded_by: int
    recorded_by_name: str | None = None
    seat_number: int | None = None
    candidate_name: str | None = None
    at: datetime

    @classmethod
    def of(cls, i: Incident, view: proctoring.IncidentView | None = None) -> "IncidentOut":
        assert i.id is not None
        return cls(
            id=i.id,
            session_id=i.session_id,
            registration_id=i.registration_id,
            reason_code=i.reason_code,
            reason_name=proctoring.incident_reason_name(i.reason_code),
            note=i.note,
            recorded_by=i.recorded_by,
            recorded_by_name=view.recorded_by_name if view else None,
            seat_number=view.seat_number if view else None,
            candidate_name=view.candidate_name if view else None,
            at=i.at,
        )


class LogEntryOut(Shape):
    """logbook.LogEntry with the action's name (`what`) spelled out."""

    at: datetime
    who: str
    who_kind: str
    action: str
    what: str
    subject: str
    reason: str
    detail: dict[str, Any]


class LogOut(Shape):
    """logbook.LogPage with its page count."""

    entries: list[LogEntryOut]
    page: int
    per_page: int
    total: int
    pages: int


@router.get("/sessions", response_model=list[ProctoredSessionOut])
def my_sessions(db: SessionDep, staff: Proctor) -> list[ProctoredSessionOut]:
    return [ProctoredSessionOut.of(s) for s in proctoring.list_sessions(db, staff=staff)]


@router.get("/sessions/{session_id}/roster", response_model=RosterOut)
def roster(session_id: int, db: SessionDep, staff: Proctor) -> RosterOut:
    r = proctoring.roster(db, staff=staff, session_id=session_id)
    return RosterOut(
        session_id=session_id,
        session_name=r.session.name,
        room=r.session.room,
        status=r.session.status,
        starts_at=r.session.starts_at,
        ends_at=r.ends_at,
        now=r.now,
        counts=r.counts,
        rows=[RosterRowOut.model_validate(row) for row in r.rows],
        alerts=r.alerts,
    )


@router.post("/registrations/{registration_id}/checkin", response_model=CheckinOut)
def check_in(
    registration_id: int, db: SessionDep, staff: Proctor, body: CheckinIn | None = None
) -> CheckinOut:
    reg = proctoring.check_in(
        db, staff=staff, registration_id=registration_id, note=body.note if body else ""
    )
    return CheckinOut.of(reg)


class BatchCheckinIn(BaseModel):
    registration_ids: list[int] = Field(default_factory=list)
    note: str = ""


class BatchCheckinOut(BaseModel):
    session_id: int
    checked_in: list[CheckinOut]
    already_checked_in: list[CheckinOut]


@router.post("/sessions/{session_id}/checkin", response_model=BatchCheckinOut)
def check_in_many(
    session_id: int, body: BatchCheckinIn, db: SessionDep, staff: Proctor
) -> BatchCheckinOut:
    """Batch check-in: each selected candidate recorded as checked in; all or none."""
    done = proctoring.check_in_many(
        db,
        staff=staff,
        session_id=session_id,
        registration_ids=body.registration_ids,
        note=body.note,
    )
    return BatchCheckinOut(
        session_id=session_id,
        checked_in=[CheckinOut.of(r) for r in done.checked_in],
        already_checked_in=[CheckinOut.of(r) for r in done.already],
    )


@router.post("/attempts/{attempt_id}/pause", response_model=AttemptOut)
def pause(attempt_id: int, body: ReasonIn, db: SessionDep, staff: Proctor) -> AttemptOut:
    return AttemptOut.of(
        proctoring.pause(db, staff=staff, attempt_id=attempt_id, reason=body.reason)
    )


@router.post("/attempts/{attempt_id}/resume", response_model=AttemptOut)
def resume(attempt_id: int, body: ReasonIn, db: SessionDep, staff: Proctor) -> AttemptOut:
    return AttemptOut.of(
        proctoring.resume(db, staff=staff, attempt_id=attempt_id, reason=body.reason)
    )


@router.post("/attempts/{attempt_id}/extra-time", response_model=AttemptOut)
def extra_time(attempt_id: int, body: ExtraTimeIn, db: SessionDep, staff: Proctor) -> AttemptOut:
    attempt = proctoring.add_extra_time(
        db, staff=staff, attempt_id=attempt_id, minutes=body.minutes, reason=body.reason
    )
    return AttemptOut.of(attempt)


@router.post("/attempts/{attempt_id}/force-submit", response_model=AttemptOut)
def force_submit(attempt_id: int, body: ReasonIn, db: SessionDep, staff: Proctor) -> AttemptOut:
    return AttemptOut.of(
        proctoring.force_submit(db, staff=staff, attempt_id=attempt_id, reason=body.reason)
    )


@router.post("/attempts/{attempt_id}/reopen", response_model=AttemptOut)
def reopen(attempt_id: int, body: ReopenIn, db: SessionDep, staff: Proctor) -> AttemptOut:
    attempt = proctoring.reopen(
        db,
        staff=staff,
        attempt_id=attempt_id,
        reason=body.reason,
        extra_minutes=body.extra_minutes,
    )
    return AttemptOut.of(attempt)


@router.post("/sessions/{session_id}/pause", response_model=RoomActionOut)
def pause_room(session_id: int, body: ReasonIn, db: SessionDep, staff: Proctor) -> RoomActionOut:
    done = proctoring.pause_room(db, staff=staff, session_id=session_id, reason=body.reason)
    return RoomActionOut(session_id=session_id, count=done.count, attempt_ids=done.attempt_ids)


@router.post("/sessions/{session_id}/resume", response_model=RoomActionOut)
def resume_room(session_id: int, body: ReasonIn, db: SessionDep, staff: Proctor) -> RoomActionOut:
    done = proctoring.resume_room(db, staff=staff, session_id=session_id, reason=body.reason)
    return RoomActionOut(session_id=session_id, count=done.count, attempt_ids=done.attempt_ids)


@router.post(
    "/registrations/{registration_id}/incidents", response_model=IncidentOut, status_code=201
)
def record_incident(
    registration_id: int, body: IncidentIn, db: SessionDep, staff: Proctor
) -> IncidentOut:
    incident = proctoring.record_incident(
        db,
        staff=staff,
        registration_id=registration_id,
        reason_code=body.reason_code,
        note=body.note,
    )
    return IncidentOut.of(incident)


@router.post("/sessions/{session_id}/message", response_model=MessageSentOut)
def send_message(
    session_id: int, body: MessageIn, db: SessionDep, staff: Proctor
) -> MessageSentOut:
    """A message on the candidates' screens at once (the push channel), recorded."""
    sent = proctoring.send_message(
        db,
        staff=staff,
        session_id=session_id,
        text=body.text,
        registration_ids=body.registration_ids,
    )
    return MessageSentOut(session_id=session_id, registration_ids=sent)


class LoginUnlockedOut(BaseModel):
    """What lifting a ticket's login lock cleared."""

    registration_id: int
    ticket_number: str
    failures_cleared: int


@router.post("/registrations/{registration_id}/unlock-login", response_model=LoginUnlockedOut)
def unlock_login(
    registration_id: int, body: ReasonIn, db: SessionDep, staff: Proctor
) -> LoginUnlockedOut:
    """Lift the login lock on a candidate's ticket (every client's failures on it are
    cleared; the reason goes to the audit)."""
    reg, cleared = proctoring.unlock_login(
        db, staff=staff, registration_id=registration_id, reason=body.reason
    )
    assert reg.id is not None
    return LoginUnlockedOut(
        registration_id=reg.id, ticket_number=reg.ticket_number, failures_cleared=cleared
    )


@router.get("/sessions/{session_id}/incidents", response_model=list[IncidentOut])
def incidents(session_id: int, db: SessionDep, staff: Proctor) -> list[IncidentOut]:
    return [
        IncidentOut.of(v.incident, v)
        for v in proctoring.list_incidents(db, staff=staff, session_id=session_id)
    ]


@router.get("/sessions/{session_id}/log", response_model=LogOut)
def session_log(
    session_id: int,
    db: SessionDep,
    staff: Proctor,
    page: int = 1,
    per_page: int = proctoring.LOG_PER_PAGE,
    include_answers: bool = False,
) -> LogOut:
    found = proctoring.session_log(
        db,
        staff=staff,
        session_id=session_id,
        page=page,
        per_page=per_page,
        include_answers=include_answers,
    )
    return LogOut.model_validate(found)
