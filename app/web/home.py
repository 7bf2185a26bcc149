"""Pages: the landing page sends each person to their own workspace."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts.models import Role
from app.accounts.principals import Staff
from app.auth.deps import AuthDep

router = APIRouter()

HOME_BY_ROLE = {
    Role.CENTRE_ADMIN: "/plans",
    Role.PROCTOR: "/proctor",
    Role.EXAMINER: "/results",
    Role.PLATFORM_ADMIN: "/admin/centres",
    Role.REGULATOR: "/regulator",
}


@router.get("/")
def home(request: Request, auth: AuthDep) -> Response:
    if auth is None:
        return RedirectResponse("/login", status_code=303)
    if isinstance(auth.principal, Staff):
        return RedirectResponse(HOME_BY_ROLE.get(auth.principal.role, "/login"), status_code=303)
    return RedirectResponse("/exam", status_code=303)
