"""Staff passwords: changing one's own, an administrator's reset (a temporary password,
changed at the next login) and unlocking an account locked by failed logins. Every
change is audited with who, when and why.

Who manages whom: a centre admin the proctors and examiners of their own centre; the
platform admin the centre admins (and other platform-level accounts). Nobody resets or
unlocks their own account here: they change their password themselves.

Flush-only: the request owns the transaction."""

from sqlmodel import Session, col, select

from app.accounts import passwords, policy, throttle
from app.accounts.models import AuthSession, Role, StaffUser
from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core.clock import utcnow
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.core.security import hash_password, verify_password

_MANAGES = {
    Role.CENTRE_ADMIN: {Role.PROCTOR, Role.EXAMINER},
    Role.PLATFORM_ADMIN: {Role.CENTRE_ADMIN, Role.REGULATOR, Role.PLATFORM_ADMIN},
}


def manageable_roles(actor: Staff) -> set[Role]:
    """The roles whose passwords this administrator resets and unlocks."""
    return set(_MANAGES.get(actor.role, set()))


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, code="password_invalid", details=[{"field": field, "problem": message}]
    )


def _managed(db: Session, actor: Staff, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    facts = policy.Facts.of(user.centre_id) if user is not None else None
    missing = NotFound("账号不存在", code="staff_not_found")
    policy.check(actor, Action.MANAGE, Resource.STAFF, facts, missing=missing)
    assert user is not None
    if user.id == actor.id:
        raise PermissionDenied("请在“修改密码”中修改自己的密码", code="cannot_reset_self")
    if Role(user.role) not in _MANAGES.get(actor.role, set()):
        raise PermissionDenied("您的角色无权管理该账号的密码", code="role_forbidden")
    return user


def _revoke_sessions(db: Session, user_id: int, *, keep: int | None = None) -> None:
    query = select(AuthSession).where(
        AuthSession.staff_user_id == user_id, col(AuthSession.revoked_at).is_(None)
    )
    for s in db.exec(query):
        if s.id != keep:
            s.revoked_at = utcnow()
            db.add(s)


def change_own_password(
    db: Session,
    *,
    actor: Staff,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> None:
    """The staff member's own change (also the forced one after a reset). Their other
    logins end; this one stays."""
    user = db.get(StaffUser, actor.id)
    assert user is not None
    if not verify_password(user.password_hash, current_password):
        raise _invalid("current_password", "当前密码不正确")
    problem = passwords.password_problem(new_password, username=user.username)
    if problem:
        raise _invalid("new_password", problem)
    if verify_password(user.password_hash, new_password):
        raise _invalid("new_password", "新密码不能与当前密码相同")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    db.add(user)
    _revoke_sessions(db, actor.id, keep=keep_session_id)
    audit.record(
        db,
        actor=actor,
        action="staff.password_change",
        object_type="staff_user",
        object_id=actor.id,
        centre_id=user.centre_id,
    )
    db.flush()


def reset_password(db: Session, *, actor: Staff, user_id: int, reason: str) -> str:
    """A temporary password for the account (shown once to the administrator, never
    stored in clear); the holder must change it at the next login. Their logins end."""
    text = clean_reason(reason)
    user = _managed(db, actor, user_id)
    temporary = passwords.temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    db.add(user)
    _revoke_sessions(db, user_id)
    throttle.forget(db, subject=throttle.staff_subject(user.username))
    audit.record(
        db,
        actor=actor,
        action="staff.password_reset",
        object_type="staff_user",
        object_id=user_id,
        centre_id=user.centre_id,
        reason=text,
        detail={"username": user.username},
    )
    db.flush()
    return temporary


def unlock(db: Session, *, actor: Staff, user_id: int, reason: str) -> int:
    """Clear the failed logins that lock the account out; returns how many were cleared."""
    text = clean_reason(reason)
    user = _managed(db, actor, user_id)
    cleared = throttle.forget(db, subject=throttle.staff_subject(user.username))
    audit.record(
        db,
        actor=actor,
        action="staff.unlock",
        object_type="staff_user",
        object_id=user_id,
        centre_id=user.centre_id,
        reason=text,
        detail={"username": user.username, "failures_cleared": cleared},
    )
    db.flush()
    return cleared
