"""A candidate's attempt at a theory exam: its frozen form, answers, timer and events."""

from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"


class SubmitReason(StrEnum):
    CANDIDATE = "candidate"  # 考生交卷
    TIMEOUT = "timeout"  # 时间到自动交卷
    FORCED = "forced"  # 监考员强制收卷
    LEAVE_LIMIT = "leave_limit"  # 切屏次数超限


# How results and records name why a paper was closed.
SUBMIT_REASON_NAMES: dict[str, str] = {
    SubmitReason.CANDIDATE: "考生交卷",
    SubmitReason.TIMEOUT: "时间到自动交卷",
    SubmitReason.FORCED: "监考员强制收卷",
    SubmitReason.LEAVE_LIMIT: "切屏次数超限",
}
# The same, short enough for a roster column on a proctor's laptop.
SUBMIT_REASON_SHORT_NAMES: dict[str, str] = {
    SubmitReason.CANDIDATE: "考生交卷",
    SubmitReason.TIMEOUT: "超时",
    SubmitReason.FORCED: "强制收卷",
    SubmitReason.LEAVE_LIMIT: "切屏超限",
}


class Attempt(SQLModel, table=True):
    """The timer's truth is `deadline_at` on the server: while paused, the remaining time
    is `deadline_at - paused_at`; resuming moves the deadline by the paused span."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", unique=True)
    session_id: int = Field(foreign_key="examsession.id", index=True)
    status: str = Field(default=AttemptStatus.IN_PROGRESS, max_length=16, index=True)
    seed: int  # the draw is reproducible from this
    started_at: NaiveDatetime = Field(default_factory=utcnow)
    deadline_at: NaiveDatetime = Field(index=True)
    paused_at: NaiveDatetime | None = None
    extra_seconds: int = 0
    submitted_at: NaiveDatetime | None = None
    submit_reason: str | None = Field(default=None, max_length=16)
    leave_count: int = 0
    answered_count: int = 0
    item_count: int = 0
    score: float | None = None  # theory score out of 100, set on submission
    max_score: float = 100
    last_seen_at: NaiveDatetime | None = None


class AttemptItem(SQLModel, table=True):
    """One question of the frozen form: which item version, in which place, with the
    candidate's option order (labels as the bank wrote them, in display order)."""

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int  # 1-based order on the candidate's paper
    section: int  # index into the blueprint's sections
    item_version_id: int = Field(foreign_key="itemversion.id")
    option_order: list[str] = Field(default_factory=list, sa_type=JSON)
    points: float


class Answer(SQLModel, table=True):
    """The candidate's latest response to one question. `response` is in the bank's
    option labels (never display letters): {"choice": "B"}, {"choices": ["A","C"]},
    {"value": true}, {"text": "..."}; {} when cleared."""

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    flagged: bool = False
    client_seq: int = 0  # the page's counter: an older save never overwrites a newer one
    saved_at: NaiveDatetime = Field(default_factory=utcnow)


RELOGIN_EVENT = "relogin"  # an event kind: a login of the ticket that ended an earlier one


class AttemptEvent(SQLModel, table=True):
    """Every candidate event (log-in, answer, leaving the window, reconnect, proctor
    action), kept as the exam's record (DOMAIN.md §7)."""

    # The proctor console asks, every few seconds, for each attempt's recent events of a
    # few kinds (leaving the window): this index answers that without reading the
    # attempt's answer events, which are most of its rows.
    # Every exam page's status poll asks for its candidate's latest proctor messages: the
    # second index finds them without reading the candidate's answer events either.
    __table_args__ = (
        Index("ix_attemptevent_attempt_id_kind_at", "attempt_id", "kind", "at"),
        Index("ix_attemptevent_registration_id_kind_id", "registration_id", "kind", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int | None = Field(default=None, foreign_key="attempt.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    kind: str = Field(max_length=32)
    at: NaiveDatetime = Field(default_factory=utcnow)
    actor_staff_id: int | None = Field(default=None, foreign_key="staffuser.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
