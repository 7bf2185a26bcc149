"""Logging in and out, sessions, throttling, and staff accounts."""

import logging
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.accounts import passwords, policy, throttle
from app.accounts.models import AuthSession, Role, StaffUser
from app.accounts.policy import Action, Resource, Scope
from app.accounts.principals import Staff
from app.accounts.throttle import LoginClient
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import keep_if_refused
from app.core.errors import (
    AuthRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from app.core.security import hash_password, new_token, token_digest, verify_password
from app.core.text import clean_name, name_problem
from app.reference import regions
from app.reference import service as reference
from app.reference.models import EvaluationCentre

log = logging.getLogger(__name__)


def as_staff(user: StaffUser) -> Staff:
    """The principal for a staff row: how services see the person acting."""
    assert user.id is not None
    return Staff(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        centre_id=user.centre_id,
        region_code=user.region_code,
        must_change_password=user.must_change_password,
    )


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at_iso: str
    registration_id: int | None = None  # a candidate's login
    ended_logins: int = 0  # the candidate's earlier logins this one ended


# Longest accepted: beyond these a login is refused before anything is hashed or stored.
USERNAME_MAX = 64
PASSWORD_MAX = 256
TICKET_MAX = 32
ID_NUMBER_MAX = 32


def check_length(value: str, limit: int, field: str, label: str) -> None:
    if len(value) > limit:
        raise ValidationFailed(
            f"{label}过长（最多 {limit} 个字符）",
            code="field_too_long",
            details=[{"field": field, "problem": f"最多 {limit} 个字符"}],
        )


@dataclass(frozen=True)
class LoginGate:
    left: int  # failures this client may still make on this account
    own_failures: int  # this client's recent failures on this account (cleared on success)


def gate_login(db: Session, subject: str, client: LoginClient, *, candidate: bool) -> LoginGate:
    """Refuse a client that has used up its tries on this account; else how many remain."""
    limits = throttle.Limits.from_settings()
    counts = throttle.count(db, subject=subject, client=client, now=utcnow())
    left = throttle.tries_left(counts, limits, established=client.established(limits.window))
    if left <= 0:
        minutes = int(limits.window.total_seconds() // 60)
        helper = "，或请监考员解除锁定" if candidate else "，或请管理员协助"
        raise TooManyAttempts(
            f"本机登录失败次数过多，请 {minutes} 分钟后再试{helper}",
            code="login_throttled",
            details=[{"field": "tries_left", "problem": "0"}],
        )
    return LoginGate(left=left, own_failures=counts.account)


def succeed_login(db: Session, subject: str, client: LoginClient, gate: LoginGate) -> None:
    """A correct login clears this client's failures on the account. Only when it has
    some: a DELETE is a write, and on SQLite a login that has nothing to clear should not
    wait for the write lock twice (the exam-start rush, scripts/bench_rush.py)."""
    if gate.own_failures:
        throttle.forget(db, subject=subject, client=client)


def refuse_login(
    db: Session, subject: str, client: LoginClient, left: int, message: str
) -> NoReturn:
    """Record the failure and say how many tries this client has left. A refused login
    rolls back like any refused request, but throttling must count it: the failure is
    written in its own short transaction after that rollback."""
    keep_if_refused(db, throttle.failure(subject=subject, client=client, now=utcnow()))
    left -= 1
    tail = f"，本机还可尝试 {left} 次" if left else "，本机已被暂时锁定"
    raise AuthRequired(
        message + tail,
        code="bad_credentials",
        details=[{"field": "tries_left", "problem": str(left)}],
    )


_INSERT_SESSION = AuthSession.__table__.insert()  # type: ignore[attr-defined]


def issue_session(
    db: Session,
    *,
    kind: str,
    hours: int,
    client_ip: str,
    staff_user_id: int | None = None,
    registration_id: int | None = None,
) -> IssuedSession:
    token, csrf = new_token(), new_token()
    now = utcnow()
    expires = now + timedelta(hours=hours)
    # A Core insert: every candidate of a room logs in within seconds of the start.
    db.connection().execute(
        _INSERT_SESSION,
        {
            "token_digest": token_digest(token),
            "kind": kind,
            "staff_user_id": staff_user_id,
            "registration_id": registration_id,
            "csrf_token": csrf,
            "created_at": now,
            "expires_at": expires,
            "revoked_at": None,
            "client_ip": client_ip,
        },
    )
    return IssuedSession(token=token, csrf_token=csrf, expires_at_iso=expires.isoformat())


def login_staff(
    db: Session, *, username: str, password: str, client: LoginClient | None = None
) -> IssuedSession:
    client = client or LoginClient(ip="")
    check_length(username, USERNAME_MAX, "username", "用户名")
    check_length(password, PASSWORD_MAX, "password", "密码")
    key = throttle.normalise_username(username)
    subject = throttle.staff_subject(username)
    gate = gate_login(db, subject, client, candidate=False)
    user = db.exec(select(StaffUser).where(StaffUser.username_key == key)).first()
    # Hashed (outside any write: see core.db) even for unknown names, so timing says nothing.
    if not verify_password(user.password_hash if user else None, password) or not (
        user and user.is_active
    ):
        refuse_login(db, subject, client, gate.left, "用户名或密码错误")
    succeed_login(db, subject, client, gate)
    assert user.id is not None
    return issue_session(
        db,
        kind="staff",
        hours=get_settings().staff_session_hours,
        client_ip=client.ip,
        staff_user_id=user.id,
    )


def unlock_login(db: Session, *, ticket_number: str) -> int:
    """Clear every client's failures on this ticket (the proctor lifting a lock: the
    caller checks the proctor's access and records it). Returns how many were cleared."""
    return throttle.forget(db, subject=throttle.ticket_subject(ticket_number))


@dataclass(frozen=True)
class CandidateToken:
    registration_id: int
    csrf_token: str


def resolve_candidate_tokens(
    conn: Connection, digests: Collection[str], *, now: datetime
) -> dict[str, CandidateToken]:
    """Lean variant of `auth.service.resolve_token` for the answer writer: the live candidate logins of
    many token digests in one indexed lookup (Core, no ORM objects), keyed by digest."""
    if not digests:
        return {}
    rows = conn.execute(
        select(
            col(AuthSession.token_digest),
            col(AuthSession.registration_id),
            col(AuthSession.csrf_token),
        ).where(
            col(AuthSession.token_digest).in_(set(digests)),
            col(AuthSession.kind) == "candidate",
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
        )
    )
    return {
        digest: CandidateToken(registration_id=reg_id, csrf_token=csrf)
        for digest, reg_id, csrf in rows
        if reg_id is not None
    }


def logout(db: Session, *, session_id: int) -> None:
    found = db.get(AuthSession, session_id)
    if found is not None and found.revoked_at is None:
        found.revoked_at = utcnow()
        db.add(found)


def create_staff_user(
    db: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    centre_id: int | None = None,
    region_code: str | None = None,
) -> StaffUser:
    if role == Role.REGULATOR and not region_code:
        raise Conflict("监管人员必须属于一个行政区域", code="regulator_needs_region")
    if region_code is not None and not regions.is_division_code(region_code):
        raise Conflict("行政区划代码应为 6 位数字，如 340400", code="invalid_region_code")
    if role not in (Role.REGULATOR, Role.PLATFORM_ADMIN) and centre_id is None:
        raise Conflict("评价机构人员必须属于一个评价机构", code="staff_needs_centre")
    if len(password) < 8:
        raise Conflict("密码至少 8 位", code="weak_password")
    username = unicodedata.normalize("NFKC", username).strip()
    key = throttle.normalise_username(username)
    if db.exec(select(StaffUser).where(StaffUser.username_key == key)).first():
        raise Conflict(f"用户名 {username} 已存在", code="username_taken")
    user = StaffUser(
        username=username,
        username_key=key,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        centre_id=centre_id,
        region_code=region_code,
    )
    db.add(user)
    db.flush()
    return user


def username_problem(username: str) -> str | None:
    """Usernames are typed at a login prompt: visible characters, no spaces."""
    name = unicodedata.normalize("NFKC", username).strip()
    if not name:
        return "用户名不能为空"
    if len(name) > USERNAME_MAX:
        return f"用户名不能超过 {USERNAME_MAX} 个字符"
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        return "用户名不能包含空格、控制字符或不可见字符"
    return None


# Who may create which accounts: a platform admin sets up centres' admins and regulators;
# a centre admin staffs their own centre.
_CREATABLE_BY = {
    Role.PLATFORM_ADMIN: set(Role),
    Role.CENTRE_ADMIN: {Role.CENTRE_ADMIN, Role.PROCTOR, Role.EXAMINER},
}


def creatable_roles(actor: Staff) -> list[Role]:
    """The roles this administrator may create accounts for, in the roles' order."""
    allowed = _CREATABLE_BY.get(actor.role, set())
    return [r for r in Role if r in allowed]


def visible_centres(db: Session, *, actor: Staff) -> list[EvaluationCentre]:
    """The centres this staff member may see: all, their region's, or their own."""
    reach = policy.require(actor, Action.READ, Resource.CENTRE)
    if reach is Scope.ANY:
        return reference.list_centres(db)
    if reach is Scope.REGION:
        assert actor.region_code is not None  # every regulator has one (create_staff_user)
        return reference.list_centres(db, region_prefix=actor.region_code)
    centre = db.get(EvaluationCentre, actor.centre_id) if actor.centre_id is not None else None
    return [centre] if centre is not None else []


def list_staff(db: Session, *, actor: Staff) -> list[StaffUser]:
    reach = policy.require(actor, Action.READ, Resource.STAFF)
    query = select(StaffUser).order_by(col(StaffUser.centre_id), StaffUser.role, StaffUser.username)
    if reach is not Scope.ANY:
        query = query.where(
            StaffUser.centre_id == policy.centre_scope(actor, Action.READ, Resource.STAFF)
        )
    return list(db.exec(query))


def add_staff(
    db: Session,
    *,
    actor: Staff,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    centre_id: int | None = None,
    region_code: str | None = None,
) -> StaffUser:
    """An account created by an administrator, within what their role may create."""
    if role not in creatable_roles(actor):
        raise PermissionDenied("您的角色无权创建此类账号", code="role_forbidden")
    if policy.scope(actor, Action.MANAGE, Resource.STAFF) is Scope.CENTRE:
        centre_id = policy.centre_scope(actor, Action.MANAGE, Resource.STAFF)  # never another
    problems = [
        {"field": field, "problem": problem}
        for field, problem in (
            ("username", username_problem(username)),
            ("display_name", name_problem(display_name, max_length=100)),
        )
        if problem
    ]
    if problems:
        raise ValidationFailed("账号信息有误", code="invalid_staff", details=problems)
    # The stated policy for every password set through the product (the command line and
    # the demo's documented accounts keep the 8-character minimum).
    problem = passwords.password_problem(password, username=username)
    if problem:
        raise Conflict(problem, code="weak_password")
    return create_staff_user(
        db,
        username=username.strip(),
        display_name=clean_name(display_name),
        password=password,
        role=role,
        centre_id=None if role in (Role.REGULATOR, Role.PLATFORM_ADMIN) else centre_id,
        region_code=region_code if role == Role.REGULATOR else None,
    )


def get_staff_user(db: Session, *, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise NotFound("账号不存在", code="staff_not_found")
    return user


def set_staff_active(db: Session, *, actor: Staff, user_id: int, active: bool) -> StaffUser:
    user = db.get(StaffUser, user_id)
    facts = policy.Facts.of(user.centre_id) if user is not None else None
    missing = NotFound("账号不存在", code="staff_not_found")
    policy.check(actor, Action.MANAGE, Resource.STAFF, facts, missing=missing)
    assert user is not None
    if user.id == actor.id:
        raise Conflict("不能停用自己的账号", code="cannot_disable_self")
    user.is_active = active
    db.add(user)
    if not active:  # a disabled account is logged out everywhere
        for s in db.exec(
            select(AuthSession).where(
                AuthSession.staff_user_id == user_id, col(AuthSession.revoked_at).is_(None)
            )
        ):
            s.revoked_at = utcnow()
            db.add(s)
    db.flush()
    return user
