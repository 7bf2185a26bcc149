"""Logging in and resolving a login: the staff and candidate sessions behind requests.

Staff log in with their account (accounts.login_staff); candidates with their admission
ticket and ID number, which makes the login one registration's (exams). Resolving a token
gives the request's principal (accounts.Staff or accounts.CandidateLogin)."""

from dataclasses import replace

from sqlmodel import Session, col, select

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
    left = accounts.gate_login(db, subject, client, candidate=True)
    row = db.exec(
        select(Registration, Candidate)
        .join(Candidate, col(Candidate.id) == Registration.candidate_id)
        .where(Registration.ticket_number == ticket)
    ).first()
    if row is None or row[1].id_number != normalise_resident_id(id_number):
        accounts.refuse_login(db, subject, client, left, "准考证号或身份证号不正确")
    if row[0].withdrawn_at is not None:
        # The right person with a ticket no longer valid: say so, nothing is counted.
        raise AuthRequired(
            "该准考证已作废（报名已撤销或已调到其他场次），请向考点工作人员确认",
            code="registration_withdrawn",
        )
    throttle.forget(db, subject=subject, client=client)
    # One seat per ticket: a second login ends the first (its next save or page is refused
    # and sends it back to the login page). Ticket + ID number may have leaked, and two
    # browsers on one paper are never legitimate: ending the first shows a takeover at
    # once at the real candidate's seat, where an alert alone would let an impostor answer
    # on unseen. The candidate logging in again ends the other login in turn, and the
    # proctor console shows every such re-login (delivery.record_relogin).
    ended = 0
    for live in db.exec(
        select(AuthSession).where(
            AuthSession.registration_id == row[0].id,
            AuthSession.kind == "candidate",
            col(AuthSession.revoked_at).is_(None),
            AuthSession.expires_at > utcnow(),
        )
    ):
        live.revoked_at = utcnow()
        db.add(live)
        ended += 1
    issued = accounts.issue_session(
        db,
        kind="candidate",
        hours=get_settings().candidate_session_hours,
        client_ip=client.ip,
        registration_id=row[0].id,
    )
    if ended:
        assert row[0].id is not None
        delivery.record_relogin(db, registration_id=row[0].id, ended=ended, client_ip=client.ip)
    return replace(issued, registration_id=row[0].id, ended_logins=ended)


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
        principal = accounts.as_staff(user)
    else:
        row = db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .where(Registration.id == found.registration_id)
        ).first()
        if row is None or row[0].withdrawn_at is not None:
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
