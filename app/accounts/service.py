"""Logging in and out, sessions, throttling, and staff accounts."""

import logging
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.accounts import throttle
from app.accounts.models import AuthSession, Role, StaffUser
from app.accounts.throttle import LoginClient
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import session_scope
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
from app.exams.models import Candidate, Registration
from app.reference.identifiers import normalise_resident_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Staff:
    """The staff member behind a request."""

    id: int
    username: str
    display_name: str
    role: Role
    centre_id: int | None
    region_code: str | None

    @property
    def kind(self) -> str:
        return "staff"


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
    )


@dataclass(frozen=True)
class CandidateLogin:
    """The candidate behind a request: one registration (one admission ticket)."""

    registration_id: int
    candidate_id: int
    centre_id: int
    session_id: int
    name: str

    @property
    def kind(self) -> str:
        return "candidate"


@dataclass(frozen=True)
class AuthContext:
    session_id: int
    csrf_token: str
    principal: Staff | CandidateLogin
    via_cookie: bool


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at_iso: str


# Longest accepted: beyond these a login is refused before anything is hashed or stored.
USERNAME_MAX = 64
PASSWORD_MAX = 256
TICKET_MAX = 32
ID_NUMBER_MAX = 32


def _check_length(value: str, limit: int, field: str, label: str) -> None:
    if len(value) > limit:
        raise ValidationFailed(
            f"{label}过长（最多 {limit} 个字符）",
            code="field_too_long",
            details=[{"field": field, "problem": f"最多 {limit} 个字符"}],
        )


def _gate(db: Session, subject: str, client: LoginClient, *, candidate: bool) -> int:
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
    return left


def _refuse(subject: str, client: LoginClient, left: int, message: str) -> NoReturn:
    """Record the failure (in its own transaction: the refused login itself rolls back)
    and say how many tries this client has left."""
    with session_scope(write=True) as own:
        own.add(throttle.failure(subject=subject, client=client, now=utcnow()))
    left -= 1
    tail = f"，本机还可尝试 {left} 次" if left else "，本机已被暂时锁定"
    raise AuthRequired(
        message + tail,
        code="bad_credentials",
        details=[{"field": "tries_left", "problem": str(left)}],
    )


def _issue(
    db: Session,
    *,
    kind: str,
    hours: int,
    client_ip: str,
    staff_user_id: int | None = None,
    registration_id: int | None = None,
) -> IssuedSession:
    token, csrf = new_token(), new_token()
    expires = utcnow() + timedelta(hours=hours)
    db.add(
        AuthSession(
            token_digest=token_digest(token),
            kind=kind,
            staff_user_id=staff_user_id,
            registration_id=registration_id,
            csrf_token=csrf,
            expires_at=expires,
            client_ip=client_ip,
        )
    )
    db.flush()
    return IssuedSession(token=token, csrf_token=csrf, expires_at_iso=expires.isoformat())


def login_staff(
    db: Session, *, username: str, password: str, client: LoginClient | None = None
) -> IssuedSession:
    client = client or LoginClient(ip="")
    _check_length(username, USERNAME_MAX, "username", "用户名")
    _check_length(password, PASSWORD_MAX, "password", "密码")
    key = throttle.normalise_username(username)
    subject = throttle.staff_subject(username)
    left = _gate(db, subject, client, candidate=False)
    user = db.exec(select(StaffUser).where(StaffUser.username_key == key)).first()
    # Hashed (outside any write: see core.db) even for unknown names, so timing says nothing.
    if not verify_password(user.password_hash if user else None, password) or not (
        user and user.is_active
    ):
        _refuse(subject, client, left, "用户名或密码错误")
    throttle.forget(db, subject=subject, client=client)
    assert user.id is not None
    return _issue(
        db,
        kind="staff",
        hours=get_settings().staff_session_hours,
        client_ip=client.ip,
        staff_user_id=user.id,
    )


def login_candidate(
    db: Session, *, ticket_number: str, id_number: str, client: LoginClient | None = None
) -> IssuedSession:
    client = client or LoginClient(ip="")
    _check_length(ticket_number, TICKET_MAX, "ticket_number", "准考证号")
    _check_length(id_number, ID_NUMBER_MAX, "id_number", "身份证号")
    ticket = normalise_resident_id(ticket_number)  # the same full-width folding
    subject = throttle.ticket_subject(ticket)
    left = _gate(db, subject, client, candidate=True)
    row = db.exec(
        select(Registration, Candidate)
        .join(Candidate, col(Candidate.id) == Registration.candidate_id)
        .where(Registration.ticket_number == ticket)
    ).first()
    if row is None or row[1].id_number != normalise_resident_id(id_number):
        _refuse(subject, client, left, "准考证号或身份证号不正确")
    throttle.forget(db, subject=subject, client=client)
    return _issue(
        db,
        kind="candidate",
        hours=get_settings().candidate_session_hours,
        client_ip=client.ip,
        registration_id=row[0].id,
    )


def unlock_login(db: Session, *, ticket_number: str) -> int:
    """Clear every client's failures on this ticket (the proctor lifting a lock: the
    caller checks the proctor's access and records it). Returns how many were cleared."""
    return throttle.forget(db, subject=throttle.ticket_subject(ticket_number))


def resolve_token(db: Session, token: str, *, via_cookie: bool) -> AuthContext | None:
    """The live login a token belongs to, or None (unknown, expired, revoked, disabled)."""
    found = db.exec(
        select(AuthSession).where(AuthSession.token_digest == token_digest(token))
    ).first()
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    assert found.id is not None
    principal: Staff | CandidateLogin
    if found.kind == "staff":
        user = db.get(StaffUser, found.staff_user_id)
        if user is None or not user.is_active:
            return None
        principal = as_staff(user)
    else:
        row = db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.id == found.registration_id)
        ).first()
        if row is None:
            return None
        reg, cand = row
        assert reg.id is not None and cand.id is not None
        principal = CandidateLogin(
            registration_id=reg.id,
            candidate_id=cand.id,
            centre_id=reg.centre_id,
            session_id=reg.session_id,
            name=cand.name,
        )
    return AuthContext(
        session_id=found.id, csrf_token=found.csrf_token, principal=principal, via_cookie=via_cookie
    )


@dataclass(frozen=True)
class CandidateToken:
    registration_id: int
    csrf_token: str


def resolve_candidate_tokens(
    conn: Connection, digests: Collection[str], *, now: datetime
) -> dict[str, CandidateToken]:
    """Lean variant of `resolve_token` for the answer writer: the live candidate logins of
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


def require_role(staff: Staff, *roles: Role) -> None:
    if staff.role not in roles:
        raise PermissionDenied("您的角色无权进行此操作", code="role_forbidden")


def centre_of(staff: Staff) -> int:
    """The centre a centre-scoped staff member works for."""
    if staff.centre_id is None:
        raise PermissionDenied("此操作仅限评价机构人员", code="centre_staff_only")
    return staff.centre_id


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


def list_staff(db: Session, *, actor: Staff) -> list[StaffUser]:
    query = select(StaffUser).order_by(col(StaffUser.centre_id), StaffUser.role, StaffUser.username)
    if actor.role == Role.CENTRE_ADMIN:
        query = query.where(StaffUser.centre_id == centre_of(actor))
    elif actor.role != Role.PLATFORM_ADMIN:
        raise PermissionDenied("您的角色无权管理账号", code="role_forbidden")
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
    if actor.role == Role.CENTRE_ADMIN:
        centre_id = centre_of(actor)  # never another centre's
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
    return create_staff_user(
        db,
        username=username.strip(),
        display_name=clean_name(display_name),
        password=password,
        role=role,
        centre_id=None if role in (Role.REGULATOR, Role.PLATFORM_ADMIN) else centre_id,
        region_code=region_code if role == Role.REGULATOR else None,
    )


def set_staff_active(db: Session, *, actor: Staff, user_id: int, active: bool) -> StaffUser:
    user = db.get(StaffUser, user_id)
    visible = user is not None and (
        actor.role == Role.PLATFORM_ADMIN
        or (actor.role == Role.CENTRE_ADMIN and user.centre_id == actor.centre_id)
    )
    if user is None or not visible:
        raise NotFound("账号不存在", code="staff_not_found")
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
