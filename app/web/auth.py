"""Pages: staff login and logout. (The candidate login is in web/candidate.py.)"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts import passwords
from app.accounts import service as accounts
from app.accounts.throttle import (
    DEVICE_COOKIE,
    LoginClient,
    login_form_token,
    login_form_token_ok,
    new_device_cookie,
)
from app.auth import credentials
from app.auth.deps import AuthDep, CurrentStaff, LoginClientDep
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import DomainError, PermissionDenied
from app.web.templating import render

router = APIRouter()


def set_session_cookie(response: Response, token: str) -> None:
    s = get_settings()
    response.set_cookie(
        s.session_cookie,
        token,
        httponly=True,
        samesite="lax",
        secure=s.cookie_secure,
        max_age=max(s.staff_session_hours, s.candidate_session_hours) * 3600,
        path="/",
    )


def login_page_context(request: Request, client: LoginClient) -> tuple[dict[str, str], str]:
    """The login form's CSRF token and the device cookie it is bound to (a new one for a
    browser without a valid cookie: `with_device_cookie` then sets it)."""
    cookie = request.cookies.get(DEVICE_COOKIE, "") if client.device else new_device_cookie()
    return {"login_csrf": login_form_token(cookie)}, cookie


def with_device_cookie(response: Response, client: LoginClient, cookie: str) -> Response:
    """Give a browser its device cookie (login throttling tells seats apart by it)."""
    if not client.device:
        s = get_settings()
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            httponly=True,
            samesite="lax",
            secure=s.cookie_secure,
            max_age=400 * 24 * 3600,
            path="/",
        )
    return response


def check_login_form(request: Request, sent: str) -> None:
    if not login_form_token_ok(request.cookies.get(DEVICE_COOKIE), sent):
        raise PermissionDenied("页面已过期，请刷新后重试（CSRF 校验失败）", code="csrf_failed")


def _safe_next(target: str | None, default: str) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


@router.get("/login")
def login_page(
    request: Request, auth: AuthDep, client: LoginClientDep, next: str | None = None
) -> Response:
    ctx, cookie = login_page_context(request, client)
    return with_device_cookie(render(request, "login.html", {"next": next, **ctx}), client, cookie)


@router.post("/login")
def login(
    request: Request,
    db: SessionDep,
    client: LoginClientDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_login_form(request, csrf_token)
        issued = accounts.login_staff(db, username=username, password=password, client=client)
    except DomainError as exc:
        ctx, cookie = login_page_context(request, client)
        page = render(
            request,
            "login.html",
            {"error": exc.message, "username": username[:64], "next": next, **ctx},
            status_code=exc.status_code,
        )
        return with_device_cookie(page, client, cookie)
    response = RedirectResponse(_safe_next(next, "/"), status_code=303)
    set_session_cookie(response, issued.token)
    return response


@router.post("/logout")
def logout(request: Request, db: SessionDep, auth: AuthDep) -> Response:
    target = "/login"
    if auth is not None:
        if auth.principal.kind == "candidate":
            target = "/exam/login"
        accounts.logout(db, session_id=auth.session_id)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(get_settings().session_cookie, path="/")
    return response


@router.get("/account/password")
def password_page(request: Request, staff: CurrentStaff) -> Response:
    return render(request, "account_password.html", {"policy": passwords.POLICY, "staff": staff})


@router.post("/account/password")
def change_password(
    request: Request,
    db: SessionDep,
    staff: CurrentStaff,
    auth: AuthDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    context = {"policy": passwords.POLICY, "staff": staff}
    if new_password != confirm_password:
        context["error"] = "两次输入的新密码不一致"
        return render(request, "account_password.html", context, status_code=422)
    try:
        credentials.change_own_password(
            db,
            actor=staff,
            current_password=current_password,
            new_password=new_password,
            keep_session_id=auth.session_id if auth else None,
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "account_password.html", context, status_code=exc.status_code)
    context["done"] = True
    return render(request, "account_password.html", context)
