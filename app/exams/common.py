"""What the exams modules share: objects scoped by the access policy, the validation
error they raise, and the longest time anything in an exam may last.

Who may read or change what is the access policy's (`accounts.policy`): another
centre's object, or a session the proctor is not assigned to, is NotFound. Services
flush; the request commits."""

from typing import Any, TypeVar

from sqlmodel import Session

from app.accounts import policy
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.core.errors import NotFound, ValidationFailed
from app.exams.models import Blueprint, Candidate, ExamPlan, ExamSession, Registration

MAX_MINUTES = 600


def centre_for(actor: Staff, action: Action, resource: Resource) -> int:
    """The centre whose objects the actor lists or creates for this action."""
    return policy.centre_scope(actor, action, resource)


T = TypeVar("T", Blueprint, ExamPlan, ExamSession, Candidate, Registration)


def of_centre(
    db: Session,
    model: type[T],
    obj_id: int,
    actor: Staff,
    action: Action,
    resource: Resource,
    what: str,
    code: str,
) -> T:
    """The object if the policy lets the actor do the action to it (facts: its centre);
    otherwise it does not exist for them."""
    found = db.get(model, obj_id)
    facts = Facts.of(found.centre_id) if found is not None else None
    policy.check(
        actor, action, resource, facts, missing=NotFound(f"{what}不存在", code=f"{code}_not_found")
    )
    assert found is not None
    return found


def invalid(message: str, code: str, problems: list[dict[str, Any]]) -> ValidationFailed:
    return ValidationFailed(message, code=code, details=problems)
