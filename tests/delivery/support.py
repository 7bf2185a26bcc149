"""Helpers for delivery tests: logins as a candidate, check-in, started attempts."""

from sqlmodel import Session, col, select

from app.accounts.principals import CandidateLogin
from app.banks.models import ItemVersion
from app.core.clock import utcnow
from app.delivery import service as delivery
from app.delivery.models import Attempt, AttemptItem
from tests.factories import ExamFixture, Seat


def login_of(seat: Seat) -> CandidateLogin:
    reg, cand = seat.registration, seat.candidate
    assert reg.id is not None and cand.id is not None
    return CandidateLogin(
        registration_id=reg.id,
        candidate_id=cand.id,
        centre_id=reg.centre_id,
        session_id=reg.session_id,
        name=cand.name,
    )


def check_in(db: Session, exam: ExamFixture, *seats: Seat) -> None:
    """The proctor confirmed identity (人证合一); committed."""
    for seat in seats or tuple(exam.seats):
        seat.registration.checked_in_at = utcnow()
        seat.registration.checked_in_by = exam.proctor.id
        db.add(seat.registration)
    db.commit()


def start(db: Session, exam: ExamFixture, seat: Seat) -> Attempt:
    """Check the seat in and start its attempt; committed."""
    if seat.registration.checked_in_at is None:
        check_in(db, exam, seat)
    attempt = delivery.start_attempt(db, login=login_of(seat))
    db.commit()
    return attempt


def reload(db: Session, attempt: Attempt) -> Attempt:
    """The attempt as committed now (ends the session's read transaction: on SQLite every
    transaction holds the write lock)."""
    db.rollback()
    fresh = db.get(Attempt, attempt.id, populate_existing=True)
    assert fresh is not None
    db.commit()
    return fresh


def paper(db: Session, attempt: Attempt) -> list[tuple[AttemptItem, ItemVersion]]:
    """The attempt's questions in order, with the versions (and keys) they were drawn from."""
    rows = db.exec(
        select(AttemptItem, ItemVersion)
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(col(AttemptItem.position))
    ).all()
    db.commit()
    return list(rows)


def first_of_type(db: Session, attempt: Attempt, item_type: str) -> tuple[AttemptItem, ItemVersion]:
    return next((s, v) for s, v in paper(db, attempt) if v.item_type == item_type)
