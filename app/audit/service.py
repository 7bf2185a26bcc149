"""Recording who did what, when and why."""

from typing import Any

from sqlmodel import Session

from app.accounts.principals import CandidateLogin, Staff
from app.audit.models import AuditEntry


def record(
    db: Session,
    *,
    actor: Staff | CandidateLogin | None,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    centre_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    if isinstance(actor, Staff):
        kind, actor_id, name = "staff", actor.id, actor.display_name
        centre_id = centre_id if centre_id is not None else actor.centre_id
    elif isinstance(actor, CandidateLogin):
        kind, actor_id, name = "candidate", actor.registration_id, actor.name
        centre_id = centre_id if centre_id is not None else actor.centre_id
    else:
        kind, actor_id, name = "system", None, "系统"
    entry = AuditEntry(
        actor_kind=kind,
        actor_id=actor_id,
        actor_name=name,
        centre_id=centre_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        detail=detail or {},
    )
    db.add(entry)
    return entry
