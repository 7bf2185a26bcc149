"""The access policy as a pure rule: role × resource × action, over plain facts."""

import pytest

from app.accounts import policy
from app.accounts.models import Role
from app.accounts.policy import RULES, Action, Facts, Resource, Scope
from app.accounts.principals import CandidateLogin, Staff
from app.core.errors import NotFound, PermissionDenied


def staff(
    role: Role, *, id: int = 7, centre_id: int | None = 1, region: str | None = None
) -> Staff:
    return Staff(
        id=id,
        username=f"u{id}",
        display_name="张老师",
        role=role,
        centre_id=None if role in (Role.PLATFORM_ADMIN, Role.REGULATOR) else centre_id,
        region_code=region if role == Role.REGULATOR else None,
    )


CANDIDATE = CandidateLogin(registration_id=5, candidate_id=9, centre_id=1, session_id=3, name="李")
OWN_CENTRE = Facts.of(1)
OTHER_CENTRE = Facts.of(2)
MY_SESSION = Facts.of(1, proctors=[7])
OTHER_SESSION = Facts.of(1, proctors=[8])


@pytest.mark.parametrize(
    ("who", "action", "resource", "facts", "allowed"),
    [
        # Centre admins: their own centre, everything in it, nothing of another centre.
        (staff(Role.CENTRE_ADMIN), Action.MANAGE, Resource.PLAN, OWN_CENTRE, True),
        (staff(Role.CENTRE_ADMIN), Action.MANAGE, Resource.PLAN, OTHER_CENTRE, False),
        (staff(Role.CENTRE_ADMIN), Action.READ, Resource.IDENTITY, OTHER_SESSION, True),
        (staff(Role.CENTRE_ADMIN), Action.PROCTOR, Resource.ATTEMPT, OTHER_SESSION, True),
        # Proctors: only the sessions they are assigned to, never identities or plans.
        (staff(Role.PROCTOR), Action.READ, Resource.SESSION, MY_SESSION, True),
        (staff(Role.PROCTOR), Action.READ, Resource.SESSION, OTHER_SESSION, False),
        (staff(Role.PROCTOR), Action.READ, Resource.ROSTER, MY_SESSION, True),
        (staff(Role.PROCTOR), Action.READ, Resource.ROSTER, OTHER_SESSION, False),
        (staff(Role.PROCTOR), Action.PROCTOR, Resource.ATTEMPT, MY_SESSION, True),
        (staff(Role.PROCTOR), Action.PROCTOR, Resource.ATTEMPT, OTHER_SESSION, False),
        (staff(Role.PROCTOR), Action.READ, Resource.IDENTITY, MY_SESSION, False),
        (staff(Role.PROCTOR), Action.READ, Resource.PLAN, MY_SESSION, False),
        (staff(Role.PROCTOR), Action.READ, Resource.BLUEPRINT, MY_SESSION, False),
        # Assigned in another centre's session (stale data): still not theirs.
        (staff(Role.PROCTOR), Action.READ, Resource.SESSION, Facts.of(2, proctors=[7]), False),
        # Examiners: results and sessions of their centre; no roster, no identities.
        (staff(Role.EXAMINER), Action.READ, Resource.RESULT, OWN_CENTRE, True),
        (staff(Role.EXAMINER), Action.READ, Resource.RESULT, OTHER_CENTRE, False),
        (staff(Role.EXAMINER), Action.READ, Resource.ROSTER, OWN_CENTRE, False),
        (staff(Role.EXAMINER), Action.READ, Resource.IDENTITY, OWN_CENTRE, False),
        (staff(Role.EXAMINER), Action.PROCTOR, Resource.ATTEMPT, OWN_CENTRE, False),
        # Platform admins: centres and accounts, no exam content.
        (staff(Role.PLATFORM_ADMIN), Action.MANAGE, Resource.CENTRE, OTHER_CENTRE, True),
        (staff(Role.PLATFORM_ADMIN), Action.READ, Resource.IDENTITY, OWN_CENTRE, False),
        (staff(Role.PLATFORM_ADMIN), Action.READ, Resource.RESULT, OWN_CENTRE, False),
        # Regulators: centres of their region, by levels.
        (
            staff(Role.REGULATOR, region="341000"),
            Action.READ,
            Resource.CENTRE,
            Facts.of(3, region_code="341002"),
            True,
        ),
        (
            staff(Role.REGULATOR, region="341000"),
            Action.READ,
            Resource.CENTRE,
            Facts.of(3, region_code="341100"),
            False,
        ),
        (staff(Role.REGULATOR, region="340000"), Action.READ, Resource.RESULT, OWN_CENTRE, False),
        # Candidates: their own exam and result only.
        (CANDIDATE, Action.TAKE, Resource.ATTEMPT, Facts.of(1, registration_id=5), True),
        (CANDIDATE, Action.TAKE, Resource.ATTEMPT, Facts.of(1, registration_id=6), False),
        (CANDIDATE, Action.READ, Resource.RESULT, Facts.of(1, registration_id=6), False),
        (CANDIDATE, Action.READ, Resource.ROSTER, Facts.of(1, registration_id=5), False),
    ],
)
def test_the_table(
    who: Staff | CandidateLogin, action: Action, resource: Resource, facts: Facts, allowed: bool
) -> None:
    assert policy.allows(who, action, resource, facts) is allowed


def test_marking_assignments_are_a_scope_of_their_own() -> None:
    """The marking issue narrows examiners to Scope.MARKING: the rule is ready for it."""
    examiner = staff(Role.EXAMINER)
    assert policy._within(examiner, Scope.MARKING, Facts.of(1, examiners=[7]))
    assert not policy._within(examiner, Scope.MARKING, Facts.of(1, examiners=[8]))
    assert not policy._within(examiner, Scope.MARKING, Facts.of(2, examiners=[7]))


def test_a_role_without_the_action_is_refused_and_a_foreign_resource_is_missing() -> None:
    missing = NotFound("场次不存在", code="session_not_found")
    with pytest.raises(PermissionDenied):
        policy.check(
            staff(Role.EXAMINER), Action.READ, Resource.ROSTER, OWN_CENTRE, missing=missing
        )
    with pytest.raises(PermissionDenied) as refused:
        policy.check(
            staff(Role.PROCTOR), Action.READ, Resource.ROSTER, OTHER_SESSION, missing=missing
        )
    assert refused.value.code == "not_session_proctor"
    foreign_session = Facts.of(2, proctors=[7])
    with pytest.raises(NotFound) as found:
        policy.check(
            staff(Role.PROCTOR), Action.READ, Resource.ROSTER, foreign_session, missing=missing
        )
    assert found.value is missing
    with pytest.raises(NotFound):
        policy.check(staff(Role.CENTRE_ADMIN), Action.READ, Resource.PLAN, None, missing=missing)
    policy.check(staff(Role.PROCTOR), Action.READ, Resource.ROSTER, MY_SESSION, missing=missing)


def test_lists_are_scoped_to_the_staff_members_centre() -> None:
    assert policy.centre_scope(staff(Role.PROCTOR, centre_id=4), Action.READ, Resource.SESSION) == 4
    with pytest.raises(PermissionDenied):
        policy.centre_scope(staff(Role.PLATFORM_ADMIN), Action.READ, Resource.CENTRE)
    with pytest.raises(PermissionDenied):
        policy.centre_scope(staff(Role.PROCTOR), Action.MANAGE, Resource.PLAN)


def test_route_guards_come_from_the_table() -> None:
    assert policy.roles_allowed(Action.READ, Resource.IDENTITY) == (Role.CENTRE_ADMIN,)
    assert policy.roles_allowed(Action.PROCTOR, Resource.ATTEMPT) == (
        Role.CENTRE_ADMIN,
        Role.PROCTOR,
    )
    assert set(policy.roles_allowed(Action.READ, Resource.RESULT)) == {
        Role.CENTRE_ADMIN,
        Role.EXAMINER,
    }


def test_full_id_numbers_go_to_centre_admins_only() -> None:
    readers = {role for (role, resource, _), _ in RULES.items() if resource is Resource.IDENTITY}
    assert readers == {Role.CENTRE_ADMIN}


def test_facts_keep_what_they_are_given() -> None:
    facts = Facts.of(3, proctors=[7, 8], examiners=[9], region_code="341002", registration_id=5)
    assert facts == Facts(
        centre_id=3,
        region_code="341002",
        proctor_ids=frozenset({7, 8}),
        examiner_ids=frozenset({9}),
        registration_id=5,
    )


def test_may_asks_the_table_for_the_role_alone() -> None:
    assert policy.may(staff(Role.PROCTOR), Action.PROCTOR, Resource.ATTEMPT)
    assert not policy.may(staff(Role.PROCTOR), Action.READ, Resource.IDENTITY)
    assert policy.may(CANDIDATE, Action.TAKE, Resource.ATTEMPT)
    assert not policy.may(CANDIDATE, Action.READ, Resource.ROSTER)


def test_a_role_refused_by_the_table_is_told_so_in_words() -> None:
    with pytest.raises(PermissionDenied) as refused:
        policy.require(staff(Role.EXAMINER), Action.PROCTOR, Resource.ATTEMPT)
    assert (refused.value.message, refused.value.code) == (
        "您的角色无权进行此操作",
        "role_forbidden",
    )


def test_an_unassigned_proctor_and_an_unassigned_examiner_are_told_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = NotFound("考场不存在", code="session_not_found")
    with pytest.raises(PermissionDenied) as proctor:
        policy.check(
            staff(Role.PROCTOR), Action.PROCTOR, Resource.ATTEMPT, OTHER_SESSION, missing=missing
        )
    assert (proctor.value.message, proctor.value.code) == (
        "您未被安排监考此场次",
        "not_session_proctor",
    )
    # Marking assignments (the marking issue's table rows): the same answer for markers.
    monkeypatch.setitem(RULES, (Role.EXAMINER, Resource.RESULT, Action.MANAGE), Scope.MARKING)
    with pytest.raises(PermissionDenied) as marker:
        policy.check(
            staff(Role.EXAMINER),
            Action.MANAGE,
            Resource.RESULT,
            Facts.of(1, examiners=[8]),
            missing=missing,
        )
    assert (marker.value.message, marker.value.code) == (
        "您未被安排评阅此场次",
        "not_session_marker",
    )


def test_a_regulator_outside_the_region_finds_nothing_even_without_a_centre() -> None:
    # Neither the regulator nor the resource has a centre (None == None): still missing,
    # never "not assigned".
    regulator = staff(Role.REGULATOR, region="340000")
    missing = NotFound("评价机构不存在", code="centre_not_found")
    with pytest.raises(NotFound):
        policy.check(
            regulator,
            Action.READ,
            Resource.CENTRE,
            Facts.of(None, region_code="110000"),
            missing=missing,
        )


def test_a_scope_the_table_gives_no_meaning_for_staff_admits_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # OWN is the candidate's scope; a staff row given it by mistake must not open anything.
    monkeypatch.setitem(RULES, (Role.PROCTOR, Resource.RESULT, Action.READ), Scope.OWN)
    assert not policy.allows(
        staff(Role.PROCTOR), Action.READ, Resource.RESULT, Facts.of(1, registration_id=5)
    )


@pytest.mark.parametrize(
    "who",
    [
        staff(Role.PLATFORM_ADMIN),  # ANY
        Staff(7, "pa", "平台", Role.PLATFORM_ADMIN, centre_id=1, region_code=None),  # ANY
        staff(Role.REGULATOR, region="340000"),  # REGION
        Staff(7, "rg", "监管", Role.REGULATOR, centre_id=1, region_code="340000"),  # REGION
    ],
)
def test_only_centre_scoped_staff_have_one_centre_to_list(who: Staff) -> None:
    with pytest.raises(PermissionDenied) as refused:
        policy.centre_scope(who, Action.READ, Resource.CENTRE)
    assert (refused.value.message, refused.value.code) == (
        "此操作仅限评价机构人员",
        "centre_staff_only",
    )
