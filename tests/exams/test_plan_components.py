"""A plan's components follow its level and scheme, each with its pass mark and duration
rule (a shorter time needs a recorded reason); 1+X plans weigh theory and practical."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.core.errors import ValidationFailed
from app.exams import plans
from app.exams.models import ExamPlan
from tests.exams.support import plan_in, problems_of
from tests.factories import (
    ExamFixture,
    make_bank,
    make_blueprint,
    make_centre,
    make_staff,
    staff_actor,
)
from tests.helpers import page_login, staff_token


def create(db: Session, fx: ExamFixture, **changes: Any) -> ExamPlan:
    return plans.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx, **changes))


def refused(db: Session, fx: ExamFixture, **changes: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        create(db, fx, **changes)
    return problems_of(caught)


def test_an_intermediate_plan_has_theory_and_practical_with_defaults(db: Session, fx: ExamFixture):
    plan = create(db, fx)
    assert plan.components == ["theory", "practical"]
    theory, practical = plan.component_rules
    assert theory == {
        "component": "theory",
        "pass_mark": fx.blueprint.pass_mark,
        "minutes": fx.blueprint.time_limit_minutes,
        "minutes_reason": "",
        "weight": None,
    }
    assert practical == {
        "component": "practical",
        "pass_mark": 60.0,
        "minutes": 60,
        "minutes_reason": "",
        "weight": None,
    }
    assert plan.composite_pass_mark is None
    assert (plan.panel_tolerance, plan.rounding_step, plan.recheck_days) == (10, 0.5, 15)


def test_a_technician_plan_adds_the_comprehensive_review(db: Session):
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    bank = make_bank(db, centre, levels=("technician",))
    bp = make_blueprint(db, bank, admin=admin, level_code="technician")
    plan = plans.create_plan(
        db,
        actor=staff_actor(admin),
        data=plan_in_for(bp, component_rules={"review": {"minutes": 30, "pass_mark": 65}}),
    )
    assert plan.components == ["theory", "practical", "review"]
    review = plan.component_rules[2]
    assert (review["minutes"], review["pass_mark"]) == (30, 65)


def plan_in_for(bp: Any, **kw: Any) -> Any:
    from app.exams.schemas import PlanCreate

    data = {
        "name": "技师认定",
        "occupation_id": bp.occupation_id,
        "level_code": bp.level_code,
        "blueprint_id": bp.id,
        "scheme": "one_plus_x" if bp.level_code.startswith("x_") else "skill_level",
    }
    data.update(kw)
    return PlanCreate.model_validate(data)


def one_plus_x_blueprint(db: Session) -> tuple[Any, Any]:
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    bank = make_bank(db, centre, levels=("x_intermediate",))
    return admin, make_blueprint(db, bank, admin=admin, level_code="x_intermediate")


def test_a_one_plus_x_plan_weighs_forty_sixty_by_default(db: Session):
    admin, bp = one_plus_x_blueprint(db)
    plan = plans.create_plan(db, actor=staff_actor(admin), data=plan_in_for(bp))
    assert [(r["component"], r["weight"]) for r in plan.component_rules] == [
        ("theory", 40.0),
        ("practical", 60.0),
    ]
    assert plan.composite_pass_mark == 60
    rule = plans.plan_rule(plan)
    assert rule.has_composite and rule.get("practical").weight == 60  # type: ignore[union-attr]


def test_one_plus_x_weights_are_configurable_and_checked(db: Session):
    admin, bp = one_plus_x_blueprint(db)
    weights = {"theory": {"weight": 30}, "practical": {"weight": 70}}
    plan = plans.create_plan(
        db, actor=staff_actor(admin), data=plan_in_for(bp, component_rules=weights)
    )
    assert [r["weight"] for r in plan.component_rules] == [30, 70]
    bad = {"theory": {"weight": 30}, "practical": {"weight": 60}}
    with pytest.raises(ValidationFailed) as caught:
        plans.create_plan(db, actor=staff_actor(admin), data=plan_in_for(bp, component_rules=bad))
    assert "之和须为 100" in problems_of(caught)["component_rules"]


def test_weights_are_refused_for_a_skill_level_plan(db: Session, fx: ExamFixture):
    problems = refused(db, fx, component_rules={"practical": {"weight": 60}})
    assert "只有 1+X" in problems["component_rules"]


def test_a_practical_shorter_than_sixty_minutes_needs_a_reason(db: Session, fx: ExamFixture):
    problems = refused(db, fx, component_rules={"practical": {"minutes": 45}})
    assert "不少于 60 分钟" in problems["component_rules.practical.minutes"]
    plan = create(
        db,
        fx,
        component_rules={"practical": {"minutes": 45, "minutes_reason": "职业标准规定 45 分钟"}},
    )
    assert plan.component_rules[1]["minutes"] == 45
    assert plan.component_rules[1]["minutes_reason"] == "职业标准规定 45 分钟"
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == "plan.create", AuditEntry.object_id == plan.id
        )
    ).one()
    assert entry.detail["components"][1]["minutes_reason"] == "职业标准规定 45 分钟"


def test_a_component_the_level_does_not_have_is_refused(db: Session, fx: ExamFixture):
    assert (
        "没有考核项目 review"
        in refused(db, fx, component_rules={"review": {"minutes": 20}})["component_rules.review"]
    )
    theory = refused(db, fx, component_rules={"theory": {"pass_mark": 70}})
    assert "由组卷方案确定" in theory["component_rules.theory"]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"component_rules": {"practical": {"pass_mark": 0}}}, "component_rules", "0–100"),
        ({"panel_tolerance": 0}, "panel_tolerance", "0–100"),
        ({"rounding_step": 0.3}, "rounding_step", "0.5"),
        ({"recheck_days": 91}, "recheck_days", "0–90"),
        (
            {"component_rules": {"practical": {"minutes_reason": "依" * 201}}},
            "component_rules.practical.minutes_reason",
            "不超过 200 个字",
        ),
    ],
)
def test_bad_rules_are_refused_by_field(
    db: Session, fx: ExamFixture, changes: dict[str, Any], field: str, says: str
):
    assert says in refused(db, fx, **changes)[field]


def test_the_api_takes_and_returns_the_component_rules(
    client: TestClient, db: Session, fx: ExamFixture
):
    db.commit()
    headers = staff_token(client, fx.admin.username)
    body = {
        "name": "API 计划",
        "occupation_id": fx.blueprint.occupation_id,
        "level_code": "intermediate",
        "blueprint_id": fx.blueprint.id,
        "component_rules": {"practical": {"minutes": 90, "pass_mark": 70}},
        "panel_tolerance": 8,
    }
    r = client.post("/api/v1/plans", json=body, headers=headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["components"] == ["theory", "practical"]
    assert out["component_rules"][1]["minutes"] == 90
    assert out["component_rules"][1]["pass_mark"] == 70
    assert out["panel_tolerance"] == 8
    body["component_rules"] = {"practical": {"minutes": 30}}
    bad = client.post("/api/v1/plans", json=body, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "plan_invalid"


def test_the_plan_form_shows_a_duration_problem_beside_its_field_and_the_page_the_rules(
    client: TestClient, db: Session, fx: ExamFixture
):
    db.commit()
    csrf = page_login(client, fx.admin.username)
    form = {
        "csrf_token": csrf,
        "name": "页面计划",
        "scheme": "skill_level",
        "occupation_id": str(fx.blueprint.occupation_id),
        "level_code": "intermediate",
        "blueprint_id": str(fx.blueprint.id),
        "form_mode": "shuffled",
        "late_entry_minutes": "30",
        "practical_minutes": "40",
        "composite_pass_mark": "60",
        "panel_tolerance": "10",
        "rounding_step": "0.5",
        "recheck_days": "15",
    }
    r = client.post("/plans", data=form)
    assert r.status_code == 422
    assert "技能考核时长一般不少于 60 分钟" in r.text
    form["practical_minutes_reason"] = "职业标准规定"
    ok = client.post("/plans", data=form, follow_redirects=True)
    assert ok.status_code == 200
    for text in ("考核项目与成绩规则", "技能考核", "40 分钟", "依据：职业标准规定", "复核"):
        assert text in ok.text
