"""The access policy: who may do what to which resource, written down once.

Pure: it decides over the principal (who acts) and plain facts about the resource (which
centre owns it, who is assigned to it, which region it lies in). Services load those
facts and ask; they never decide access themselves. The same table is in README
("Who may do what").

Scopes, from widest to narrowest:
- ANY: every resource of its kind (the platform admin's centres and accounts);
- REGION: resources of centres whose 行政区划 lies within the staff member's region
  (regulators; `reference.regions`);
- CENTRE: resources of the staff member's own centre;
- PROCTORING: resources of a session the staff member is assigned to proctor;
- MARKING: resources the staff member is assigned to mark (the marking issue fills
  `Facts.examiner_ids`; until then no examiner is assigned to anything);
- OWN: the candidate's own registration and attempt.

A refusal says as little as it must: a resource outside the actor's scope does not
exist for them (404), a role that may never do the action is refused (403)."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.accounts.models import Role
from app.accounts.principals import CandidateLogin, Staff
from app.core.errors import NotFound, PermissionDenied
from app.reference.regions import region_covers


class Resource(StrEnum):
    CENTRE = "centre"  # 评价机构
    STAFF = "staff"  # staff accounts
    BANK = "bank"  # 题库 and its items
    BLUEPRINT = "blueprint"  # 组卷方案, its check and preview
    PLAN = "plan"  # 考试计划
    SESSION = "session"  # 考场/场次: time, room, proctors, counts
    ROSTER = "roster"  # a session's registrations, ID numbers masked
    IDENTITY = "identity"  # full ID numbers: candidates, registrations, 准考证
    ATTEMPT = "attempt"  # a candidate's exam: timer actions, check-in, incidents, log
    RESULT = "result"  # scores and per-item breakdowns; result records (manage: sum up,
    # 缺考/违纪, confirm, publish, 复核 decisions)
    SHEET = "sheet"  # 评分表: practical mark sheets of a practical session, arbitration
    CERTIFICATE = "certificate"  # 证书: issue (manage), full records (read), revoke
    SUBSIDY = "subsidy"  # 补贴记录: review (manage: approve, reject, evidence, payment)
    AUDIT = "audit"  # 审计日志 as a chain: its signed head digest (no entry's content)


class Action(StrEnum):
    READ = "read"
    MANAGE = "manage"  # create, change, import, register
    PROCTOR = "proctor"  # check in, pause, resume, extra time, force-submit, reopen, incidents
    TAKE = "take"  # a candidate sitting their own exam
    REVOKE = "revoke"  # 撤销 a certificate


class Scope(StrEnum):
    ANY = "any"
    REGION = "region"
    CENTRE = "centre"
    PROCTORING = "proctoring"
    MARKING = "marking"
    OWN = "own"


CANDIDATE = "candidate"  # the candidate's row in the table: not a staff role

R, A = Resource, Action
RULES: dict[tuple[Role | str, Resource, Action], Scope] = {
    # 平台管理员: sets up centres and their first accounts; no exam content.
    (Role.PLATFORM_ADMIN, R.CENTRE, A.READ): Scope.ANY,
    (Role.PLATFORM_ADMIN, R.CENTRE, A.MANAGE): Scope.ANY,
    (Role.PLATFORM_ADMIN, R.STAFF, A.READ): Scope.ANY,
    (Role.PLATFORM_ADMIN, R.STAFF, A.MANAGE): Scope.ANY,
    # 评价机构管理员: everything of their own centre.
    (Role.CENTRE_ADMIN, R.CENTRE, A.READ): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.STAFF, A.READ): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.STAFF, A.MANAGE): Scope.CENTRE,
    **{
        (Role.CENTRE_ADMIN, resource, action): Scope.CENTRE
        for resource in (R.BANK, R.BLUEPRINT, R.PLAN, R.SESSION, R.ROSTER, R.IDENTITY)
        for action in (A.READ, A.MANAGE)
    },
    (Role.CENTRE_ADMIN, R.ATTEMPT, A.READ): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.ATTEMPT, A.PROCTOR): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.RESULT, A.READ): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.RESULT, A.MANAGE): Scope.CENTRE,
    # Admins see every sheet's total (with names); they never mark.
    (Role.CENTRE_ADMIN, R.SHEET, A.READ): Scope.CENTRE,
    # 监考员: the sessions they are assigned to, the roster with ID numbers masked (the
    # ID card in the candidate's hand is checked against name, photo and the masked
    # number); never banks, blueprints, plans, tickets or full ID numbers: ticket + ID
    # number is a candidate's login.
    (Role.PROCTOR, R.CENTRE, A.READ): Scope.CENTRE,
    (Role.PROCTOR, R.SESSION, A.READ): Scope.PROCTORING,
    (Role.PROCTOR, R.ROSTER, A.READ): Scope.PROCTORING,
    (Role.PROCTOR, R.ATTEMPT, A.READ): Scope.PROCTORING,
    (Role.PROCTOR, R.ATTEMPT, A.PROCTOR): Scope.PROCTORING,
    # 考评员: results (names and tickets, no ID numbers) of their centre's sessions. The
    # marking issue narrows this to Scope.MARKING once examiners are assigned to marking.
    (Role.EXAMINER, R.CENTRE, A.READ): Scope.CENTRE,
    (Role.EXAMINER, R.SESSION, A.READ): Scope.CENTRE,
    (Role.EXAMINER, R.RESULT, A.READ): Scope.CENTRE,
    # Their own sheets of the practical sessions whose panel they sit on (blind: ticket and
    # seat only); the chief examiner's arbitration is decided within the panel.
    (Role.EXAMINER, R.SHEET, A.READ): Scope.MARKING,
    (Role.EXAMINER, R.SHEET, A.MANAGE): Scope.MARKING,
    # Certificates: the centre issues and may revoke its own; full records (with the ID
    # number) are the centre's and its regulators'.
    (Role.CENTRE_ADMIN, R.CERTIFICATE, A.READ): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.CERTIFICATE, A.MANAGE): Scope.CENTRE,
    (Role.CENTRE_ADMIN, R.CERTIFICATE, A.REVOKE): Scope.CENTRE,
    # 监管人员: the centres of their region (verification and subsidies build on this),
    # the certificate registry of their region, revocation; never issuance.
    (Role.REGULATOR, R.CENTRE, A.READ): Scope.REGION,
    (Role.REGULATOR, R.CERTIFICATE, A.READ): Scope.REGION,
    (Role.REGULATOR, R.CERTIFICATE, A.REVOKE): Scope.REGION,
    # Subsidies: reviewed and paid by the regulators of the record's region; a centre
    # reads its candidates' records and never approves them.
    (Role.REGULATOR, R.SUBSIDY, A.READ): Scope.REGION,
    (Role.REGULATOR, R.SUBSIDY, A.MANAGE): Scope.REGION,
    (Role.CENTRE_ADMIN, R.SUBSIDY, A.READ): Scope.CENTRE,
    # The audit chain's head is one for the whole platform (a place, a hash, a count):
    # the platform admin and every regulator may hold a signed copy.
    (Role.REGULATOR, R.AUDIT, A.READ): Scope.ANY,
    (Role.PLATFORM_ADMIN, R.AUDIT, A.READ): Scope.ANY,
    # 考生: their own exam.
    (CANDIDATE, R.ATTEMPT, A.TAKE): Scope.OWN,
    (CANDIDATE, R.RESULT, A.READ): Scope.OWN,
}
del R, A


@dataclass(frozen=True)
class Facts:
    """What the policy needs to know about one resource; services supply it."""

    centre_id: int | None = None  # the owning centre
    region_code: str | None = None  # the owning centre's 行政区划 (regulators)
    proctor_ids: frozenset[int] = frozenset()  # staff assigned to proctor its session
    examiner_ids: frozenset[int] = frozenset()  # staff assigned to mark it
    registration_id: int | None = None  # the candidate it belongs to

    @classmethod
    def of(
        cls,
        centre_id: int | None,
        *,
        proctors: Iterable[int] = (),
        examiners: Iterable[int] = (),
        region_code: str | None = None,
        registration_id: int | None = None,
    ) -> "Facts":
        return cls(
            centre_id=centre_id,
            region_code=region_code,
            proctor_ids=frozenset(proctors),
            examiner_ids=frozenset(examiners),
            registration_id=registration_id,
        )


Principal = Staff | CandidateLogin


def _role(who: Principal) -> Role | str:
    return CANDIDATE if isinstance(who, CandidateLogin) else who.role


def scope(who: Principal, action: Action, resource: Resource) -> Scope | None:
    """How far this principal's permission for the action reaches (None: not at all)."""
    return RULES.get((_role(who), resource, action))


def may(who: Principal, action: Action, resource: Resource) -> bool:
    """Whether this principal's role may do the action to some resource of the kind."""
    return scope(who, action, resource) is not None


def _within(who: Principal, reach: Scope, facts: Facts) -> bool:
    if reach is Scope.ANY:
        return True
    if isinstance(who, CandidateLogin):
        return reach is Scope.OWN and facts.registration_id == who.registration_id
    in_centre = who.centre_id is not None and facts.centre_id == who.centre_id
    if reach is Scope.CENTRE:
        return in_centre
    if reach is Scope.PROCTORING:
        return in_centre and who.id in facts.proctor_ids
    if reach is Scope.MARKING:
        return in_centre and who.id in facts.examiner_ids
    if reach is Scope.REGION:
        return (
            who.region_code is not None
            and facts.region_code is not None
            and region_covers(who.region_code, facts.region_code)
        )
    return False


def allows(who: Principal, action: Action, resource: Resource, facts: Facts) -> bool:
    """Whether this principal may do the action to this one resource."""
    reach = scope(who, action, resource)
    return reach is not None and _within(who, reach, facts)


def require(who: Principal, action: Action, resource: Resource) -> Scope:
    """The principal's scope for the action; 403 when their role may never do it."""
    reach = scope(who, action, resource)
    if reach is None:
        raise PermissionDenied("您的角色无权进行此操作", code="role_forbidden")
    return reach


def check(
    who: Principal,
    action: Action,
    resource: Resource,
    facts: Facts | None,
    *,
    missing: NotFound,
) -> None:
    """Refuse unless the principal may do the action to this resource. A resource that
    does not exist (facts None) or lies outside the principal's scope is `missing`: the
    same answer, so that nobody learns what other centres or sessions hold."""
    reach = require(who, action, resource)
    if facts is None or allows(who, action, resource, facts):
        if facts is None:
            raise missing
        return
    # Their own centre's session, not assigned to them: they know it exists (it is on the
    # centre's timetable), so say why rather than pretend it does not.
    if isinstance(who, Staff) and facts.centre_id == who.centre_id:
        if reach is Scope.PROCTORING:
            raise PermissionDenied("您未被安排监考此场次", code="not_session_proctor")
        if reach is Scope.MARKING:
            raise PermissionDenied("您未被安排评阅此场次", code="not_session_marker")
    raise missing


def centre_scope(who: Staff, action: Action, resource: Resource) -> int:
    """The one centre whose resources a centre-scoped principal lists: for queries, which
    then narrow further (assignment) where the scope says so."""
    reach = require(who, action, resource)
    if reach is Scope.ANY or reach is Scope.REGION or who.centre_id is None:
        raise PermissionDenied("此操作仅限评价机构人员", code="centre_staff_only")
    return who.centre_id


def roles_allowed(action: Action, resource: Resource) -> tuple[Role, ...]:
    """The staff roles the table gives this action on this resource (route guards)."""
    return tuple(r for r in Role if (r, resource, action) in RULES)
