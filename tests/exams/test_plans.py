"""exams.plans: components, form mode, room rules."""

from typing import Any

import pytest
from sqlmodel import Session

from app.accounts.models import Role
from app.core.errors import PermissionDenied, ValidationFailed
from app.exams import plans
from app.exams.models import FormMode
from tests.exams.support import plan_in, problems_of
from tests.factories import (
    ExamFixture,
    make_bank,
    make_blueprint,
    make_centre,
    make_plan,
    make_staff,
    staff_actor,
)


def test_plan_records_components_and_a_random_seed(db: Session, fx: ExamFixture) -> None:
    a = plans.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx))
    b = plans.create_plan(
        db, actor=staff_actor(fx.admin), data=plan_in(fx, level_code="四级/中级工")
    )
    assert a.components == ["theory", "practical"] and b.level_code == "intermediate"
    assert a.form_seed != b.form_seed
    assert a.form_mode == FormMode.SHUFFLED and a.require_checkin and a.leave_limit is None


def test_technician_plan_records_the_review_component(db: Session) -> None:
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    bank = make_bank(db, centre, levels=("technician",))
    bp = make_blueprint(db, bank, admin=admin, level_code="technician")
    plan = make_plan(db, bp, admin=admin)
    assert plan.components == ["theory", "practical", "review"]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"level_code": "apprentice"}, "level_code", "不能通过考试认定"),
        ({"level_code": "principal_technician"}, "level_code", "不能通过考试认定"),
        ({"scheme": "one_plus_x"}, "level_code", "不能通过考试认定"),
        ({"level_code": "senior"}, "blueprint_id", "与考试计划的职业和等级不一致"),
        ({"leave_limit": 0}, "leave_limit", "至少为 1"),
        ({"name": ""}, "name", "不能为空"),
        ({"scheme": "gold"}, "scheme", "未知认定体系"),
    ],
)
def test_plan_rules(
    db: Session, fx: ExamFixture, changes: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        plans.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx, **changes))
    assert says in problems_of(caught)[field]


def test_plan_blueprint_must_match_the_occupation(db: Session, fx: ExamFixture) -> None:
    from app.reference import service as reference

    other = next(o for o in reference.list_occupations(db) if o.id != fx.blueprint.occupation_id)
    with pytest.raises(ValidationFailed) as caught:
        plans.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx, occupation_id=other.id))
    assert "不一致" in problems_of(caught)["blueprint_id"]


def test_proctor_cannot_create_a_plan(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(PermissionDenied):
        plans.create_plan(db, actor=staff_actor(fx.proctor), data=plan_in(fx))
