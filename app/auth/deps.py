"""Who is behind a request: the auth dependencies shared by the HTML pages and the JSON API.

Browsers authenticate with the session cookie and must send the CSRF token on every
unsafe request (form field `csrf_token` or header `X-CSRF-Token`); API clients send
`Authorization: Bearer <token>` and need no CSRF token."""

import hmac
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.accounts import policy
from app.accounts.models import Role
from app.accounts.policy import Action, Resource
from app.accounts.principals import AuthContext, CandidateLogin, Staff
from app.accounts.throttle import DEVICE_COOKIE, LoginClient
from app.auth.service import resolve_token
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AuthRequired, PasswordChangeRequired, PermissionDenied
from app.core.security import token_digest

_SAFE = {"GET", "HEAD", "OPTIONS"}


async def _csrf_sent(request: Request) -> str | None:
    """The CSRF token an unsafe request carries: header, or form field of a form post."""
    sent = request.headers.get("x-csrf-token")
    if (
        sent is None
        and request.method not in _SAFE
        and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        )
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent


def get_auth(
    request: Request,
    db: SessionDep,
    sent: Annotated[str | None, Depends(_csrf_sent)],
) -> AuthContext | None:
    # A plain `def`: FastAPI runs it on a worker thread. Database calls must never run on
    # the event loop: a statement may wait for SQLite's write lock (busy_timeout), and a
    # loop waiting for it stalls the very requests that would release it.
    if hasattr(request.state, "auth"):
        return request.state.auth  # type: ignore[no-any-return,unused-ignore]
    auth: AuthContext | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        auth = resolve_token(db, header[7:].strip(), via_cookie=False)
    else:
        cookie = request.cookies.get(get_settings().session_cookie)
        if cookie:
            auth = resolve_token(db, cookie, via_cookie=True)
    if (
        auth is not None
        and auth.via_cookie
        and request.method not in _SAFE
        and not (sent and hmac.compare_digest(sent.encode(), auth.csrf_token.encode()))
    ):
        raise PermissionDenied("页面已过期，请刷新后重试（CSRF 校验失败）", code="csrf_failed")
    request.state.auth = auth
    return auth


AuthDep = Annotated[AuthContext | None, Depends(get_auth)]


# The role checks below read nothing: `async def`, so that FastAPI runs them on the event
# loop instead of handing each one to a worker thread and back.

# What a staff member whose password was reset may still reach: the change itself.
PASSWORD_CHANGE_PATHS = ("/account/password", "/logout", "/api/v1/auth/")


async def require_staff(request: Request, auth: AuthDep) -> Staff:
    if auth is None or not isinstance(auth.principal, Staff):
        raise AuthRequired("请先登录", code="auth_required")
    if auth.principal.must_change_password and not request.url.path.startswith(
        PASSWORD_CHANGE_PATHS
    ):
        raise PasswordChangeRequired(
            "管理员已重置您的密码，请先设置新密码", code="password_change_required"
        )
    return auth.principal


def _candidate_of(auth: AuthContext | None) -> CandidateLogin:
    if auth is None or not isinstance(auth.principal, CandidateLogin):
        raise AuthRequired("请先使用准考证号登录", code="candidate_auth_required")
    return auth.principal


async def require_candidate(auth: AuthDep) -> CandidateLogin:
    return _candidate_of(auth)


def candidate_in_handler(
    request: Request, db: Session, *, form_csrf: str | None = None
) -> CandidateLogin:
    """CurrentCandidate for the routes every candidate calls every few seconds (or all
    at once, at the start), called from inside their (sync) handler: authentication then
    runs in the handler's worker thread instead of a thread hop of its own per
    dependency. The same checks, CSRF included: the header, or the form's `csrf_token`
    field, which a form route reads with its other fields and passes as `form_csrf`."""
    sent = request.headers.get("x-csrf-token") or form_csrf
    return _candidate_of(get_auth(request, db, sent))


def candidate_token_digest(request: Request) -> tuple[str, bool]:
    """The digest of the token a candidate's request carries, and whether it came by
    cookie, for the routes that check the token in their own query (the answer writer's
    batch, the exam page and its status poll) instead of through get_auth."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return token_digest(header[7:].strip()), False
    cookie = request.cookies.get(get_settings().session_cookie)
    if cookie:
        return token_digest(cookie), True
    raise AuthRequired("请先使用准考证号登录", code="candidate_auth_required")


CurrentStaff = Annotated[Staff, Depends(require_staff)]
CurrentCandidate = Annotated[CandidateLogin, Depends(require_candidate)]


def staff_with(*roles: Role):  # type: ignore[no-untyped-def,unused-ignore]
    """A dependency admitting only these staff roles: `Depends(staff_with(Role.PROCTOR))`."""

    async def _dep(staff: CurrentStaff) -> Staff:
        if staff.role not in roles:
            raise PermissionDenied("您的角色无权进行此操作", code="role_forbidden")
        return staff

    return _dep


def staff_may(action: Action, resource: Resource):  # type: ignore[no-untyped-def,unused-ignore]
    """A route guard from the access policy: the roles whose row in the table has this
    action on this resource. The service then checks the one resource (centre,
    assignment); the guard only turns the other roles away early."""
    return staff_with(*policy.roles_allowed(action, resource))


CentreAdmin = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.PLAN))]
CentreStaff = Annotated[Staff, Depends(staff_may(Action.READ, Resource.SESSION))]
Proctor = Annotated[Staff, Depends(staff_may(Action.PROCTOR, Resource.ATTEMPT))]
RosterReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.ROSTER))]
IdentityReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.IDENTITY))]
ResultReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.RESULT))]
ResultManager = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.RESULT))]
Marker = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.SHEET))]
PlatformAdmin = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.CENTRE))]
StaffManager = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.STAFF))]
CertificateIssuer = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.CERTIFICATE))]
CertificateReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.CERTIFICATE))]
CertificateRevoker = Annotated[Staff, Depends(staff_may(Action.REVOKE, Resource.CERTIFICATE))]
SubsidyReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.SUBSIDY))]
SubsidyManager = Annotated[Staff, Depends(staff_may(Action.MANAGE, Resource.SUBSIDY))]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def login_client(request: Request) -> LoginClient:
    """Who is trying to log in: the address and the browser's device cookie. (Reads
    nothing: `async def`, no thread hop, see the role checks above.)"""
    return LoginClient.of(client_ip(request), request.cookies.get(DEVICE_COOKIE))


LoginClientDep = Annotated[LoginClient, Depends(login_client)]
