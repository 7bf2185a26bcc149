"""Who acts in a request: a staff member or a candidate (by admission ticket), and the
login they act through. Plain values, used by every domain and by the access policy."""

from dataclasses import dataclass

from app.accounts.models import Role


@dataclass(frozen=True)
class Staff:
    """The staff member behind a request."""

    id: int
    username: str
    display_name: str
    role: Role
    centre_id: int | None
    region_code: str | None
    must_change_password: bool = False  # after an administrator's reset

    @property
    def kind(self) -> str:
        return "staff"


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
