"""Logging in and resolving a login: the staff and candidate sessions behind requests.

Staff log in with their account (accounts.login_staff); candidates with their admission
ticket and ID number, which makes the login one registration's (exams). Resolving a token
gives the request's principal (accounts.Staff or accounts.CandidateLogin)."""

from dataclasses import replace

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts import throttle
from app.accounts.models import AuthSession, StaffUser
from app.accounts.principals import AuthContext, CandidateLogin, Staff
from app.accounts.service import IssuedSession
from app.accounts.throttle import LoginClient
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.errors import AuthRequired
from app.core.security import token_digest
from app.delivery import service as delivery
from app.exams.models import Candidate, Registration
from app.reference.identifiers import normalise_resident_id


def login_candidate(
    db: Session, *, ticket_number: str, id_number: str, client: LoginClient | None = None
) -> IssuedSession:
    client = client or LoginClient(ip="")
    accounts.check_length(ticket_number, accounts.TICKET_MAX, "ticket_number", "准考证号")
    accounts.check_length(id_number, accounts.ID_NUMBER_MAX, "id_number", "身份证号")
    ticket = normalise_resident_id(ticket_number)  # the same full-width folding
    subject = throttle.ticket_subject(ticket)
    gate = accounts.gate_login(db, subject, client, candidate=True)
    found = db.connection().execute(_TICKET, {"ticket": ticket}).first()
    if found is None or found.id_number != normalise_resident_id(id_number):
        accounts.refuse_login(db, subject, client, gate.left, "准考证号或身份证号不正确")
    if found.withdrawn_at is not None:
        # The right person with a ticket no longer valid: say so, nothing is counted.
        raise AuthRequired(
            "该准考证已作废（报名已撤销或已调到其他场次），请向考点工作人员确认",
            code="registration_withdrawn",
        )
    accounts.succeed_login(db, subject, client, gate)
    # One seat per ticket: a second login ends the first (its next save or page is refused
    # and sends it back to the login page). Ticket + ID number may have leaked, and two
    # browsers on one paper are never legitimate: ending the first shows a takeover at
    # once at the real candidate's seat, where an alert alone would let an impostor answer
    # on unseen. The candidate logging in again ends the other login in turn, and the
    # proctor console shows every such re-login (delivery.record_relogin).
    now = utcnow()
    ended = db.connection().execute(_END_LOGINS, {"of_registration": found.id, "at": now}).rowcount
    issued = accounts.issue_session(
        db,
        kind="candidate",
        hours=get_settings().candidate_session_hours,
        client_ip=client.ip,
        registration_id=found.id,
    )
    if ended:
        delivery.record_relogin(db, registration_id=found.id, ended=ended, client_ip=client.ip)
    return replace(issued, registration_id=found.id, ended_logins=ended)


# Every candidate of a room logs in within seconds of the start: Core statements, built
# once (building one cost about what running it does; scripts/bench_rush.py).
_REG, _CAND, _SESS = (
    Registration.__table__,  # type: ignore[attr-defined]
    Candidate.__table__,  # type: ignore[attr-defined]
    AuthSession.__table__,  # type: ignore[attr-defined]
)
_TICKET = (
    core_select(_REG.c.id, _REG.c.withdrawn_at, _CAND.c.id_number)
    .join_from(_REG, _CAND, _CAND.c.id == _REG.c.candidate_id)
    .where(_REG.c.ticket_number == bindparam("ticket"))
)
_LOGIN = (
    core_select(
        _SESS.c.id,
        _SESS.c.kind,
        _SESS.c.staff_user_id,
        _SESS.c.csrf_token,
        _SESS.c.revoked_at,
        _SESS.c.expires_at,
        _REG.c.id.label("reg_id"),
        _REG.c.centre_id,
        _REG.c.session_id,
        _REG.c.withdrawn_at,
        _CAND.c.id.label("candidate_id"),
        _CAND.c.name,
    )
    .select_from(
        _SESS.outerjoin(_REG, _REG.c.id == _SESS.c.registration_id).outerjoin(
            _CAND, _CAND.c.id == _REG.c.candidate_id
        )
    )
    .where(_SESS.c.token_digest == bindparam("digest"))
)
_END_LOGINS = (
    update(_SESS)
    .where(
        _SESS.c.registration_id == bindparam("of_registration"),
        _SESS.c.kind == "candidate",
        _SESS.c.revoked_at.is_(None),
        _SESS.c.expires_at > bindparam("at"),
    )
    .values(revoked_at=bindparam("at"))
)


def resolve_token(db: Session, token: str, *, via_cookie: bool) -> AuthContext | None:
    """The live login a token belongs to, or None (unknown, expired, revoked, disabled)."""
    # Every request of every page: the login and, for a candidate, their registration
    # in one prebuilt Core statement (scripts/bench_rush.py).
    found = db.connection().execute(_LOGIN, {"digest": token_digest(token)}).first()
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    principal: Staff | CandidateLogin
    if found.kind == "staff":
        user = db.get(StaffUser, found.staff_user_id)
        if user is None or not user.is_active:
            return None
        principal = accounts.as_staff(user)
    else:
        if found.reg_id is None or found.withdrawn_at is not None:
            return None
        principal = CandidateLogin(
            registration_id=found.reg_id,
            candidate_id=found.candidate_id,
            centre_id=found.centre_id,
            session_id=found.session_id,
            name=found.name,
        )
    return AuthContext(
        session_id=found.id, csrf_token=found.csrf_token, principal=principal, via_cookie=via_cookie
    )
