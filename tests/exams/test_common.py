"""What every exams service shares: centre scoping and the audit trail."""

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.core.errors import NotFound, ValidationFailed
from app.exams import blueprints, candidates, plans, registrations, sessions
from tests.exams.support import plan_in, problems_of, session_in
from tests.factories import (
    ExamFixture,
    make_centre,
    make_registration,
    make_staff,
    staff_actor,
)


def test_other_centre_sees_nothing_of_this_centre(db: Session, fx: ExamFixture) -> None:
    outsider = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    calls = [
        lambda: blueprints.get_blueprint(db, actor=outsider, blueprint_id=fx.blueprint.id or 0),
        lambda: plans.get_plan(db, actor=outsider, plan_id=fx.plan.id or 0),
        lambda: sessions.get_session(db, actor=outsider, session_id=fx.session.id or 0),
        lambda: candidates.get_candidate(
            db, actor=outsider, candidate_id=fx.seats[0].candidate.id or 0
        ),
        lambda: registrations.admission_ticket(
            db, actor=outsider, registration_id=fx.registrations[0].id or 0
        ),
        lambda: make_registration(
            db, fx.session, admin=make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
        ),
        lambda: sessions.create_session(db, actor=outsider, data=session_in(fx)),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert plans.list_plans(db, actor=outsider) == []
    assert sessions.list_sessions(db, actor=outsider) == []
    assert candidates.list_candidates(db, actor=outsider) == []
    # A plan may not use another centre's blueprint.
    own = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    with pytest.raises(ValidationFailed) as caught:
        plans.create_plan(db, actor=own, data=plan_in(fx))
    assert problems_of(caught)["blueprint_id"] == "组卷方案不存在"


def test_staff_actions_are_audited(db: Session, fx: ExamFixture) -> None:
    from app.audit.models import AuditEntry

    entries = db.exec(select(AuditEntry).where(AuditEntry.centre_id == fx.centre.id)).all()
    actions = {e.action for e in entries}
    assert {"blueprint.create", "plan.create", "session.create", "registration.create"} <= actions
    plan_entry = next(e for e in entries if e.action == "plan.create")
    assert (plan_entry.actor_name, plan_entry.object_id) == (fx.admin.display_name, fx.plan.id)
