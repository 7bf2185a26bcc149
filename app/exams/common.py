"""What the exams modules share: staff and objects scoped to the actor's centre, the
validation error they raise, and the longest time anything in an exam may last.

Everything in exams is scoped to the acting staff member's centre: another centre's
object is NotFound. Only centre admins create or change; proctors and examiners may read
plans and sessions of their centre. Services flush; the request commits."""

from typing import Any, TypeVar

from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import Staff, centre_of, require_role
from app.core.errors import NotFound, ValidationFailed
from app.exams.models import Blueprint, Candidate, ExamPlan, ExamSession, Registration

MAX_MINUTES = 600


def admin_centre(actor: Staff) -> int:
    require_role(actor, Role.CENTRE_ADMIN)
    return centre_of(actor)


def staff_centre(actor: Staff) -> int:
    require_role(actor, Role.CENTRE_ADMIN, Role.PROCTOR, Role.EXAMINER)
    return centre_of(actor)


T = TypeVar("T", Blueprint, ExamPlan, ExamSession, Candidate, Registration)


def of_centre(db: Session, model: type[T], obj_id: int, centre_id: int, what: str, code: str) -> T:
    """The object if it belongs to the centre; another centre's object does not exist."""
    found = db.get(model, obj_id)
    if found is None or found.centre_id != centre_id:
        raise NotFound(f"{what}不存在", code=f"{code}_not_found")
    return found


def invalid(message: str, code: str, problems: list[dict[str, Any]]) -> ValidationFailed:
    return ValidationFailed(message, code=code, details=problems)
