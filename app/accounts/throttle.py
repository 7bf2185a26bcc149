"""Login throttling that slows the one guessing, not the one guessed at.

A failed login is counted against the pair (account, client): five wrong ID numbers on
ticket T from seat X lock T for seat X only, and T's candidate still logs in from their
own seat. A client is the address plus the browser's device cookie (signed, so it cannot
be forged; API clients without one are their address). Two more brakes stop spraying:
a client that fails on many accounts is refused on all of them, and an address is
refused for new or cookie-less browsers when they fail too often there (the cookie is
free to get again, so a fresh one must not reset the count). A browser whose cookie is
older than the window never meets that address brake: a seat prepared before the exam is
not refused because another browser behind the same address sprayed. A proctor can lift
a ticket's failures (recorded in the audit)."""

import hashlib
import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, delete, func, select

from app.accounts.models import LoginFailure
from app.core.config import get_settings

DEVICE_COOKIE = "jiping_device"
_DEVICE_MAX_AGE = 400 * 24 * 3600


def normalise_username(username: str) -> str:
    """The one form a username is compared in: NFKC (full-width letters and digits become
    ASCII), case-folded, trimmed. "Centre", "centre" and "ｃｅｎｔｒｅ" are one account."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def staff_subject(username: str) -> str:
    return f"staff:{normalise_username(username)}"


def ticket_subject(ticket_number: str) -> str:
    return f"ticket:{ticket_number}"


# --- The device cookie ---------------------------------------------------------------------


def _sign(payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def new_device_cookie(now: float | None = None) -> str:
    payload = f"{secrets.token_hex(8)}.{int(now if now is not None else time.time())}"
    return f"{payload}.{_sign(payload)}"


def login_form_token(device_cookie: str) -> str:
    """The CSRF token of the login forms: bound to the browser's device cookie (there is
    no login session yet to bind it to), so another site cannot post a login for it."""
    return _sign(f"login-form:{device_cookie}")


def login_form_token_ok(device_cookie: str | None, sent: str | None) -> bool:
    return bool(device_cookie and sent) and hmac.compare_digest(
        str(sent), login_form_token(str(device_cookie))
    )


@dataclass(frozen=True)
class LoginClient:
    """Who is trying: the address and, for a browser, its device cookie."""

    ip: str
    device: str = ""  # the cookie's id; "" without a valid cookie
    device_since: float | None = None  # when the cookie was issued (Unix time)

    @classmethod
    def of(cls, ip: str, cookie: str | None) -> "LoginClient":
        ip = ip[:64]
        parts = (cookie or "").split(".")
        if len(parts) == 3 and len(cookie or "") < 100:
            device, issued, sig = parts
            if (
                issued.isascii()
                and issued.isdigit()
                and hmac.compare_digest(sig, _sign(f"{device}.{issued}"))
            ):
                return cls(ip=ip, device=device, device_since=float(issued))
        return cls(ip=ip)

    def established(self, window: timedelta) -> bool:
        """A browser that had its cookie before the window began."""
        return self.device_since is not None and (
            time.time() - self.device_since >= window.total_seconds()
        )


# --- The rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    per_account: int  # failures of one client on one account
    per_client: int  # failures of one client on any account
    per_address: int  # failures from one address by new or cookie-less browsers
    window: timedelta

    @classmethod
    def from_settings(cls) -> "Limits":
        s = get_settings()
        return cls(
            per_account=s.login_max_failures,
            per_client=s.login_max_failures_per_client,
            per_address=s.login_max_failures_per_address,
            window=timedelta(minutes=s.login_window_minutes),
        )


@dataclass(frozen=True)
class Counts:
    account: int  # this client on this account
    client: int  # this client on all accounts
    address: int  # new or cookie-less browsers at this address


def tries_left(counts: Counts, limits: Limits, *, established: bool) -> int:
    """How many more failures this client may make on this account (0: refused now)."""
    left = min(limits.per_account - counts.account, limits.per_client - counts.client)
    if not established:
        left = min(left, limits.per_address - counts.address)
    return max(0, left)


# --- Counting ------------------------------------------------------------------------------


def _same_client(client: LoginClient) -> ColumnElement[bool]:
    return and_(col(LoginFailure.client_ip) == client.ip, col(LoginFailure.device) == client.device)


@lru_cache(maxsize=1)
def _counts() -> Any:
    # Asked at every login (300 candidates at the exam start): one statement, built once.
    # All three counts are of this address's recent failures.
    t = LoginFailure.__table__  # type: ignore[attr-defined]
    same_device = t.c.device == bindparam("device")
    return core_select(
        func.count().filter(and_(t.c.subject == bindparam("subject"), same_device)),
        func.count().filter(same_device),
        func.count().filter(t.c.established.is_(False)),
    ).where(t.c.at >= bindparam("since"), t.c.client_ip == bindparam("ip"))


def count(db: Session, *, subject: str, client: LoginClient, now: datetime) -> Counts:
    since = now - Limits.from_settings().window
    params = {"subject": subject, "device": client.device, "ip": client.ip, "since": since}
    account, total, address = db.connection().execute(_counts(), params).one()
    return Counts(account=account, client=total, address=address)


def failure(*, subject: str, client: LoginClient, now: datetime) -> LoginFailure:
    window = Limits.from_settings().window
    return LoginFailure(
        subject=subject[:100],
        client_ip=client.ip,
        device=client.device,
        established=client.established(window),
        at=now,
    )


def forget(db: Session, *, subject: str, client: LoginClient | None = None) -> int:
    """Clear failures on an account: a client's own after it logged in, or everyone's
    (the proctor lifting a lock). Returns how many were cleared."""
    query = delete(LoginFailure).where(col(LoginFailure.subject) == subject)
    if client is not None:
        query = query.where(_same_client(client))
    result = db.exec(query)
    return int(result.rowcount or 0)


def failures_by_ticket(db: Session, *, tickets: list[str], now: datetime) -> dict[str, int]:
    """Recent failed logins per ticket number, from any client (the proctor's roster)."""
    if not tickets:
        return {}
    since = now - Limits.from_settings().window
    subjects = {ticket_subject(t): t for t in tickets}
    rows = db.exec(
        select(col(LoginFailure.subject), func.count())
        .where(col(LoginFailure.subject).in_(list(subjects)), col(LoginFailure.at) >= since)
        .group_by(col(LoginFailure.subject))
    ).all()
    return {subjects[subject]: n for subject, n in rows}
