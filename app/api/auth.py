"""API: log in (staff or candidate) for a bearer token, see who you are, log out."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.accounts import passwords
from app.accounts import service as accounts
from app.accounts.principals import Staff
from app.auth import credentials
from app.auth import service as auth_service
from app.auth.deps import AuthDep, LoginClientDep
from app.core.db import SessionDep, end_in_handler
from app.core.errors import AuthRequired

router = APIRouter(prefix="/auth", tags=["auth"])


class StaffLoginIn(BaseModel):
    username: str = Field(max_length=accounts.USERNAME_MAX)
    password: str = Field(max_length=accounts.PASSWORD_MAX)


class CandidateLoginIn(BaseModel):
    ticket_number: str = Field(max_length=accounts.TICKET_MAX)
    id_number: str = Field(max_length=accounts.ID_NUMBER_MAX)


class TokenOut(BaseModel):
    """accounts.IssuedSession as an API client needs it: the bearer token and its expiry
    (the page login's CSRF token and the ended-login count stay server-side)."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str


class MeOut(BaseModel):
    """The request's principal (accounts.principals.Staff or CandidateLogin) in one shape
    for both kinds."""

    kind: str
    id: int
    name: str
    role: str | None = None
    centre_id: int | None = None
    region_code: str | None = None
    session_id: int | None = None


@router.post("/login", response_model=TokenOut)
def staff_login(body: StaffLoginIn, client: LoginClientDep, db: SessionDep) -> TokenOut:
    """Refused: 401 `bad_credentials` (`error.details` has `tries_left` for this client),
    429 `login_throttled` once this client has used its tries on this account."""
    issued = accounts.login_staff(db, username=body.username, password=body.password, client=client)
    return TokenOut(token=issued.token, expires_at=issued.expires_at_iso)


@router.post("/candidate-login", response_model=TokenOut)
def candidate_login(body: CandidateLoginIn, client: LoginClientDep, db: SessionDep) -> TokenOut:
    """Refused as the staff login is; a proctor can lift a ticket's lock."""
    issued = auth_service.login_candidate(
        db, ticket_number=body.ticket_number, id_number=body.id_number, client=client
    )
    end_in_handler(db)  # a room logs in at once: the commit in this thread, not a hop of its own
    return TokenOut(token=issued.token, expires_at=issued.expires_at_iso)


@router.get("/me", response_model=MeOut)
def me(auth: AuthDep) -> MeOut:
    if auth is None:
        raise AuthRequired("请先登录")
    p = auth.principal
    if isinstance(p, Staff):
        return MeOut(
            kind="staff",
            id=p.id,
            name=p.display_name,
            role=p.role,
            centre_id=p.centre_id,
            region_code=p.region_code,
        )
    return MeOut(
        kind="candidate",
        id=p.registration_id,
        name=p.name,
        centre_id=p.centre_id,
        session_id=p.session_id,
    )


@router.post("/logout", status_code=204)
def api_logout(db: SessionDep, auth: AuthDep) -> None:
    if auth is not None:
        accounts.logout(db, session_id=auth.session_id)


class PasswordChangeIn(BaseModel):
    current_password: str
    new_password: str = Field(description=passwords.POLICY)


@router.post("/password", status_code=204)
def change_password(body: PasswordChangeIn, db: SessionDep, auth: AuthDep) -> None:
    """Change one's own password (also the forced change after an administrator's
    reset). Other logins of the account end; this one stays."""
    if auth is None or not isinstance(auth.principal, Staff):
        raise AuthRequired("请先登录", code="auth_required")
    credentials.change_own_password(
        db,
        actor=auth.principal,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=auth.session_id,
    )
