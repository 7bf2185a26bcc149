"""API: the candidate's exam (机考) — state, start, answer saves, window events, submit.

For candidates: `Authorization: Bearer <token>` from /api/v1/auth/candidate-login, or the
exam page's session cookie with the X-CSRF-Token header. Answer saves go through the
per-process batching writer (app/delivery/writer.py): the response is sent once the
answer is committed."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from app.auth.deps import CurrentCandidate, candidate_in_handler, candidate_token_digest
from app.core.db import SessionDep, end_in_handler
from app.core.errors import ValidationFailed
from app.delivery import service, writer
from app.delivery.saves import SaveRequest
from app.delivery.service import ExamState
from app.live import service as live
from app.live.stream import event_stream

router = APIRouter(prefix="/exam", tags=["exam"])
# The routes every candidate calls every few seconds: answer saves, the status poll and
# window events. main.py includes this router before every other one, because FastAPI
# tries routes in order and matching alone cost a save more than a whole trivial request
# when it was 48th of 130 (scripts/bench_rush.py, bench_saves.py). They stay here, with
# the rest of the exam API.
hot_router = APIRouter(prefix="/exam", tags=["exam"])


class OptionOut(BaseModel):
    """An option as the candidate sees it: the bank label it is saved under and its text,
    in the candidate's order (delivery.questions.question_view)."""

    value: str  # the bank's label: what a response names
    text: str


class QuestionOut(BaseModel):
    """delivery.questions.question_view for the API: never the key."""

    position: int
    section: int
    type: str
    type_name: str
    stem: str
    points: float
    options: list[OptionOut]
    unit: str
    response: dict[str, Any]
    flagged: bool
    seq: int


class ExamStateOut(BaseModel):
    """delivery.ExamState for the candidate's own client, leaving out the ID number (the
    API never sends it back: with the ticket it is the login) and the tools' flags; the
    saved answers go with their questions, the answered/flagged positions as lists."""

    phase: str = Field(
        description="waiting_start | waiting_checkin | waiting_staff | ready | late | ended | "
        "in_progress | paused | submitted"
    )
    candidate_name: str
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
    attempt_id: int | None
    remaining_seconds: int | None
    leave_count: int
    answered_count: int
    item_count: int
    submitted_at: datetime | None
    submit_reason: str | None
    submit_message: str
    score: float | None = Field(description="theory score out of 100, when the plan shows it")
    last_seq: int = Field(description="the highest save number stored; continue above it")
    answered: list[int]
    unanswered: list[int]
    flagged: list[int]
    questions: list[QuestionOut] = Field(description="only from GET /exam and POST /exam/start")
    messages: list[service.ProctorMessage] = Field(
        description="the proctor's latest messages, oldest first"
    )

    @classmethod
    def of(cls, state: ExamState) -> "ExamStateOut":
        questions = []
        for q in state.questions:
            saved = state.answers.get(q.position)
            questions.append(
                QuestionOut(
                    position=q.position,
                    section=q.section,
                    type=q.question["type"],
                    type_name=q.question["type_name"],
                    stem=q.question["stem"],
                    points=q.question["points"],
                    options=[OptionOut(**o) for o in q.question["options"]],
                    unit=q.question["unit"],
                    response=saved.response if saved else {},
                    flagged=saved.flagged if saved else False,
                    seq=saved.seq if saved else 0,
                )
            )
        return cls(
            phase=state.phase,
            candidate_name=state.candidate_name,
            ticket_number=state.ticket_number,
            seat_number=state.seat_number,
            plan_name=state.plan_name,
            occupation=state.occupation,
            level=state.level,
            session_name=state.session_name,
            room=state.room,
            starts_at=state.starts_at,
            ends_at=state.ends_at,
            duration_minutes=state.duration_minutes,
            late_entry_minutes=state.late_entry_minutes,
            require_checkin=state.require_checkin,
            checked_in=state.checked_in,
            leave_limit=state.leave_limit,
            seconds_to_start=state.seconds_to_start,
            attempt_id=state.attempt_id,
            remaining_seconds=state.remaining_seconds,
            leave_count=state.leave_count,
            answered_count=state.answered_count,
            item_count=state.item_count,
            submitted_at=state.submitted_at,
            submit_reason=state.submit_reason,
            submit_message=state.submit_message,
            score=state.score,
            last_seq=state.last_seq,
            answered=state.answered,
            unanswered=state.unanswered,
            flagged=state.flagged,
            questions=questions,
            messages=state.messages,
        )


class AnswerIn(BaseModel):
    response: dict[str, Any] = Field(
        default_factory=dict,
        description='{"choice": "B"} | {"choices": ["A","C"]} | {"value": true} | '
        '{"text": "..."} | {} (blank), in the bank\'s option labels',
    )
    flagged: bool = False
    seq: int = Field(
        ge=1, le=2**31 - 1, description="the page's save counter; an older seq never wins"
    )


class AnswerSavedOut(BaseModel):
    """delivery.saves.SaveResult without the attempt id and the applied flag: a save that a
    newer one had overtaken shows in `seq`."""

    position: int
    seq: int = Field(description="the stored seq (higher than sent when a newer save won)")
    saved_at: datetime
    answered_count: int
    remaining_seconds: int


class EventIn(BaseModel):
    kind: Literal["blur", "focus", "reconnect", "offline"]


class EventOut(BaseModel):
    """delivery.EventOutcome for the client (`submitted`: the attempt is now closed)."""

    kind: str
    status: str | None
    leave_count: int
    leave_limit: int | None
    submitted: bool


@router.get("", response_model=ExamStateOut)
def get_exam(db: SessionDep, login: CurrentCandidate) -> ExamStateOut:
    return ExamStateOut.of(service.exam_state(db, login=login))


@hot_router.get("/status", response_model=ExamStateOut)
def get_status(request: Request, db: SessionDep) -> Response:
    """The same state without the questions: the exam page polls it for the clock and
    the status, and the proctor console sees the page is alive."""
    # Polled by every page every few seconds: the login and the state in one query, in
    # the handler's thread, serialised once (returning the model would validate it again).
    digest, via_cookie = candidate_token_digest(request)
    _, state = service.exam_state_for_token(
        db, token_digest=digest, via_cookie=via_cookie, with_questions=False, seen=True
    )
    body = ExamStateOut.of(state).model_dump_json()
    end_in_handler(db)  # and the commit in this thread too
    return Response(body, media_type="application/json")


@router.get("/stream", response_class=EventSourceResponse)
def stream(login: CurrentCandidate) -> EventSourceResponse:
    """Server-Sent Events for the candidate's page: each message is one JSON object with
    `kind` (hello, pause, resume, extra_time, submit, reopen, message, resync), and for the
    proctor's timer actions the attempt's new `status` and `remaining_seconds`. A page
    that loses the stream keeps polling GET /status."""
    return event_stream(
        [live.registration_topic(login.registration_id)],
        hello={"registration_id": login.registration_id},
        registration_id=login.registration_id,
    )


@router.post("/start", response_model=ExamStateOut)
def start(db: SessionDep, login: CurrentCandidate) -> ExamStateOut:
    service.start_attempt(db, login=login)
    return ExamStateOut.of(service.exam_state(db, login=login))


async def _save(position: int, body: AnswerIn, request: Request) -> AnswerSavedOut:
    digest, via_cookie = candidate_token_digest(request)
    result = await writer.current().save(
        SaveRequest(
            position=position,
            response=body.response,
            flagged=body.flagged,
            seq=body.seq,
            token_digest=digest,
            via_cookie=via_cookie,
            csrf_token=request.headers.get("x-csrf-token"),
        )
    )
    return AnswerSavedOut(
        position=result.position,
        seq=result.seq,
        saved_at=result.saved_at,
        answered_count=result.answered_count,
        remaining_seconds=result.remaining_seconds,
    )


async def _save_route(request: Request) -> Response:
    try:
        position = int(request.path_params["position"])
        body = AnswerIn.model_validate_json(await request.body())
    except (ValueError, ValidationError) as exc:
        problems = (
            [
                {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                for e in exc.errors()
            ]
            if isinstance(exc, ValidationError)
            else [{"field": "position", "problem": "应为整数"}]
        )
        raise ValidationFailed(
            "提交的内容不完整或格式不正确", code="invalid_request", details=problems
        ) from None
    saved = await _save(position, body, request)
    return Response(saved.model_dump_json(), media_type="application/json")


# Answer saves are the hot path (every click of every candidate, 600+/s on a small
# server): they are served by this plain Starlette route, which costs about a third of
# what FastAPI's request machinery (dependencies, validation, serialisation) adds per
# request. The FastAPI route below documents the endpoint and runs the same code.
# (A Starlette route does not get the router's prefix: its path is written out.)
hot_router.add_route(
    "/exam/answers/{position}", _save_route, methods=["PUT"], include_in_schema=False
)


@hot_router.put("/answers/{position}", response_model=AnswerSavedOut)
async def save_answer(position: int, body: AnswerIn, request: Request) -> AnswerSavedOut:
    """Save one answer; answered once it is committed (the batching writer)."""
    return await _save(position, body, request)


@hot_router.post("/events", response_model=EventOut)
def post_event(body: EventIn, request: Request, db: SessionDep) -> EventOut:
    login = candidate_in_handler(request, db)
    outcome = service.record_event(db, login=login, kind=body.kind)
    return EventOut(
        kind=outcome.kind,
        status=outcome.status,
        leave_count=outcome.leave_count,
        leave_limit=outcome.leave_limit,
        submitted=outcome.submitted_now,
    )


@router.post("/submit", response_model=ExamStateOut)
def submit(db: SessionDep, login: CurrentCandidate) -> ExamStateOut:
    service.submit_own_attempt(db, login=login)
    return ExamStateOut.of(service.exam_state(db, login=login, with_questions=False))
