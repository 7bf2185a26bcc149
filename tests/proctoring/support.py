"""Helpers for proctoring tests: a room with candidates in every state, and reading back
what was recorded. Everything here commits: on SQLite every transaction holds the write
lock, so nothing may stay open while a request runs."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.principals import Staff
from app.audit.models import AuditEntry
from app.delivery import service as delivery
from app.delivery.models import Attempt, AttemptEvent
from app.proctoring import service as proctoring
from tests.delivery.support import login_of
from tests.factories import ExamFixture, Seat, make_exam, staff_actor

# Short papers keep the arithmetic readable (theory papers normally run ≥ 90 minutes).
SHORT: dict[str, Any] = {"time_limit_minutes": 30, "allow_short_time": True}


def proctor_of(exam: ExamFixture) -> Staff:
    return staff_actor(exam.proctor)


def room(db: Session, candidates: int = 3, **options: Any) -> ExamFixture:
    """A committed exam whose session starts now, 60 minutes long."""
    options.setdefault("duration_minutes", 60)
    for key, value in SHORT.items():
        options.setdefault(key, value)
    return make_exam(db, candidates=candidates, **options)


def check_in(db: Session, exam: ExamFixture, seat: Seat) -> None:
    """Check in through the proctor console's own service."""
    proctoring.check_in(db, staff=proctor_of(exam), registration_id=seat.registration.id or 0)
    db.commit()


def start(db: Session, exam: ExamFixture, seat: Seat) -> Attempt:
    """Check the seat in (as the proctor) and start its attempt (as the candidate)."""
    check_in(db, exam, seat)
    attempt = delivery.start_attempt(db, login=login_of(seat))
    db.commit()
    return attempt


def attempt_of(db: Session, attempt_id: int | None) -> Attempt:
    db.rollback()
    found = db.get(Attempt, attempt_id, populate_existing=True)
    assert found is not None
    db.commit()
    return found


def row_of(db: Session, exam: ExamFixture, seat: Seat) -> proctoring.RosterRow:
    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    return next(row for row in r.rows if row.registration_id == seat.registration.id)


def audits(db: Session, action: str, object_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    rows = list(db.exec(query.order_by(col(AuditEntry.id))))
    db.commit()
    return rows


def events(db: Session, registration_id: int | None, kind: str) -> list[AttemptEvent]:
    rows = list(
        db.exec(
            select(AttemptEvent)
            .where(AttemptEvent.registration_id == registration_id, AttemptEvent.kind == kind)
            .order_by(col(AttemptEvent.id))
        )
    )
    db.commit()
    return rows


class QueryCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _on_execute(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> "QueryCounter":
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def ran_down_from(value: int | None, expected: int, slack: int = 2) -> bool:
    """A running clock read a moment after `expected` was due: the same, or a second or
    two less (real time passes between the action and the reading)."""
    return value is not None and expected - slack <= value <= expected
