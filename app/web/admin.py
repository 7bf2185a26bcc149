"""Pages: evaluation centres (platform admin), staff accounts (platform and centre admins),
and the regulator's landing page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts import passwords, policy
from app.accounts import service as accounts
from app.accounts.models import ROLE_NAMES, Role
from app.accounts.policy import Action, Resource, Scope
from app.accounts.principals import Staff
from app.auth import credentials
from app.auth.deps import PlatformAdmin, StaffManager, staff_with
from app.core.db import SessionDep
from app.core.errors import DomainError
from app.core.text import typed_int
from app.reference import service as reference
from app.web.templating import render

router = APIRouter()

# The regulator's landing page; what it shows is the policy's (visible_centres).
Regulator = Annotated[Staff, Depends(staff_with(Role.REGULATOR))]


@router.get("/admin/centres")
def centres(request: Request, db: SessionDep, staff: PlatformAdmin) -> Response:
    return render(request, "admin/centres.html", {"centres": reference.list_centres(db)})


@router.post("/admin/centres")
def create_centre(
    request: Request,
    db: SessionDep,
    staff: PlatformAdmin,
    name: Annotated[str, Form()],
    credit_code: Annotated[str, Form()],
    evaluator_type: Annotated[str, Form()] = "S",
    national_code: Annotated[str, Form()] = "0000",
    province_code: Annotated[str, Form()] = "34",
    region_code: Annotated[str, Form()] = "340400",
    address: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "credit_code": credit_code,
        "evaluator_type": evaluator_type,
        "national_code": national_code,
        "province_code": province_code,
        "region_code": region_code,
        "address": address,
    }
    try:
        reference.create_centre(db, **form)
    except DomainError as exc:
        return render(
            request,
            "admin/centres.html",
            {"centres": reference.list_centres(db), "error": exc, "form": form},
            status_code=exc.status_code,
        )
    return RedirectResponse("/admin/centres", status_code=303)


@router.get("/staff")
def staff_list(request: Request, db: SessionDep, staff: StaffManager) -> Response:
    return _staff_page(request, db, staff)


def _staff_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    *,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    temporary: tuple[str, str] | None = None,
) -> Response:
    users = accounts.list_staff(db, actor=staff)
    # Only an administrator of every centre chooses the new account's centre.
    centres = (
        reference.list_centres(db)
        if policy.scope(staff, Action.MANAGE, Resource.STAFF) is Scope.ANY
        else []
    )
    return render(
        request,
        "admin/staff.html",
        {
            "users": users,
            "roles": [(r.value, ROLE_NAMES[r]) for r in accounts.creatable_roles(staff)],
            "centres": centres,
            "centre_names": {c.id: c.name for c in reference.list_centres(db)},
            "error": error,
            "form": form or {},
            "done": done,
            "temporary": temporary,  # (username, password), shown this once
            "policy": passwords.POLICY,
            "manages": credentials.manageable_roles(staff),
        },
        status_code=error.status_code if error else 200,
    )


@router.post("/staff")
def staff_create(
    request: Request,
    db: SessionDep,
    staff: StaffManager,
    username: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    centre_id: Annotated[str, Form()] = "",
    region_code: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "centre_id": centre_id,
        "region_code": region_code,
    }
    try:
        accounts.add_staff(
            db,
            actor=staff,
            username=username,
            display_name=display_name,
            password=password,
            role=Role(role) if role in {r.value for r in Role} else Role.PROCTOR,
            centre_id=typed_int(centre_id),
            region_code=region_code or None,
        )
    except DomainError as exc:
        return _staff_page(request, db, staff, error=exc, form=form)
    return RedirectResponse("/staff", status_code=303)


@router.post("/staff/{user_id}/active")
def staff_set_active(
    request: Request,
    db: SessionDep,
    staff: StaffManager,
    user_id: int,
    active: Annotated[str, Form()],
) -> Response:
    accounts.set_staff_active(db, actor=staff, user_id=user_id, active=active == "1")
    return RedirectResponse("/staff", status_code=303)


@router.post("/staff/{user_id}/reset-password")
def staff_reset_password(
    request: Request,
    db: SessionDep,
    staff: StaffManager,
    user_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        temporary = credentials.reset_password(db, actor=staff, user_id=user_id, reason=reason)
    except DomainError as exc:
        return _staff_page(request, db, staff, error=exc)
    user = accounts.get_staff_user(db, user_id=user_id)
    return _staff_page(request, db, staff, temporary=(user.username, temporary))


@router.post("/staff/{user_id}/unlock")
def staff_unlock(
    request: Request,
    db: SessionDep,
    staff: StaffManager,
    user_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        cleared = credentials.unlock(db, actor=staff, user_id=user_id, reason=reason)
    except DomainError as exc:
        return _staff_page(request, db, staff, error=exc)
    user = accounts.get_staff_user(db, user_id=user_id)
    message = f"已解锁 {user.username}（清除 {cleared} 次失败登录）"
    return _staff_page(request, db, staff, done=message)


@router.get("/regulator")
def regulator_home(request: Request, db: SessionDep, staff: Regulator) -> Response:
    from app.subsidies import service as subsidies

    return render(
        request,
        "admin/regulator.html",
        {
            "centres": accounts.visible_centres(db, actor=staff),
            "totals": subsidies.overview(db, actor=staff),
            "recovery": subsidies.recovery_records(db, actor=staff),
        },
    )
