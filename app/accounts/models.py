"""Staff accounts, login sessions (staff and candidates) and login throttling."""

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"  # 平台管理员
    CENTRE_ADMIN = "centre_admin"  # 评价机构管理员
    PROCTOR = "proctor"  # 监考员
    EXAMINER = "examiner"  # 考评员
    REGULATOR = "regulator"  # 监管人员 (人社部门)


ROLE_NAMES = {
    Role.PLATFORM_ADMIN: "平台管理员",
    Role.CENTRE_ADMIN: "评价机构管理员",
    Role.PROCTOR: "监考员",
    Role.EXAMINER: "考评员",
    Role.REGULATOR: "监管人员",
}


class StaffUser(SQLModel, table=True):
    """A staff member. Belongs to one centre, or (regulators) to one region."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    # The username as it is compared: NFKC, case-folded (accounts.throttle.normalise_username).
    username_key: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=32)  # Role
    centre_id: int | None = Field(default=None, foreign_key="evaluationcentre.id", index=True)
    region_code: str | None = Field(default=None, max_length=6)
    is_active: bool = True
    must_change_password: bool = False  # set by an administrator's reset
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A login: a staff member's or a candidate's (by admission ticket). The cookie or
    bearer token is stored only as its digest."""

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # staff | candidate
    staff_user_id: int | None = Field(default=None, foreign_key="staffuser.id", index=True)
    registration_id: int | None = Field(default=None, foreign_key="registration.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None
    client_ip: str = Field(default="", max_length=64)


class LoginFailure(SQLModel, table=True):
    """One failed login, for throttling (accounts.throttle). `subject` is the normalised
    username or the ticket number; the client is the address plus the device cookie."""

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=100, index=True)
    client_ip: str = Field(default="", max_length=64, index=True)
    device: str = Field(default="", max_length=32)
    # The browser had its device cookie before the throttling window began.
    established: bool = False
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
