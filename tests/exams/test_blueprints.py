"""exams.blueprints: checked against the bank, changed while unused, previewed."""

import pytest
from sqlmodel import Session

from app.core.errors import Conflict, PermissionDenied, ValidationFailed
from app.exams import blueprints
from app.exams.assembly import BlueprintShortfall
from app.exams.schemas import (
    BlueprintUpdate,
)
from tests.exams.support import blueprint_in, problems_of
from tests.factories import (
    DEFAULT_SECTIONS,
    ExamFixture,
    make_blueprint,
    staff_actor,
)


def test_blueprint_takes_occupation_and_default_weights_from_the_bank(
    db: Session, fx: ExamFixture
) -> None:
    bp = blueprints.create_blueprint(
        db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0)
    )
    assert bp.area_weights == {"A": 50, "B": 50}
    assert bp.occupation_id == fx.bank.occupation_id
    assert bp.time_limit_minutes == 90 and bp.pass_mark == 60
    assert bp.multiple_choice_rule == "all_or_nothing"  # 全对得分, the national practice


def test_blueprint_the_bank_cannot_fill_is_refused_with_what_is_short(
    db: Session, fx: ExamFixture
) -> None:
    # 20 single choice × 5 over A 50 / B 50: 10 per area; the bank has 8 of each.
    data = blueprint_in(
        fx.bank.id or 0, sections=[{"item_type": "single_choice", "count": 20, "points": 5}]
    )
    with pytest.raises(BlueprintShortfall) as caught:
        blueprints.create_blueprint(db, actor=staff_actor(fx.admin), data=data)
    assert [d["problem"] for d in caught.value.details] == [
        "A 区（测试范围A）需要 10 道单项选择题，题库只有 8 道可用",
        "B 区（测试范围B）需要 10 道单项选择题，题库只有 8 道可用",
    ]
    assert len(blueprints.list_blueprints(db, actor=staff_actor(fx.admin))) == 1  # only fx's own


def test_blueprint_lists_every_structural_problem(db: Session, fx: ExamFixture) -> None:
    data = blueprint_in(
        fx.bank.id or 0,
        name=" ",
        level_code="senior",
        sections=[{"item_type": "true_false", "count": 10, "points": 5}],
        area_weights={"A": 50, "Z": 50},
        time_limit_minutes=60,
        pass_mark=0,
    )
    with pytest.raises(ValidationFailed) as caught:
        blueprints.create_blueprint(db, actor=staff_actor(fx.admin), data=data)
    got = problems_of(caught)
    assert got["name"] == "组卷方案名称不能为空，也不能只含不可见字符"
    assert "不适用于 三级/高级工" in got["level_code"]
    assert "没有 Z 区" in got["area_weights.Z"]
    assert "不少于 90 分钟" in got["time_limit_minutes"]
    assert "合格分数线" in got["pass_mark"]
    assert "合计为 50 分" in got["sections"]


def test_short_theory_paper_needs_the_standard_flag(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(ValidationFailed):
        blueprints.create_blueprint(
            db,
            actor=staff_actor(fx.admin),
            data=blueprint_in(fx.bank.id or 0, time_limit_minutes=60),
        )
    bp = blueprints.create_blueprint(
        db,
        actor=staff_actor(fx.admin),
        data=blueprint_in(fx.bank.id or 0, time_limit_minutes=60, allow_short_time=True),
    )
    assert bp.time_limit_minutes == 60


def test_two_sections_of_the_same_type_and_points_are_refused(db: Session, fx: ExamFixture) -> None:
    sections = [
        {"item_type": "true_false", "count": 10, "points": 5},
        {"item_type": "true_false", "count": 10, "points": 5},
    ]
    with pytest.raises(ValidationFailed) as caught:
        blueprints.create_blueprint(
            db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0, sections=sections)
        )
    assert (
        problems_of(caught)["sections[1]"]
        == "第 2 部分与第 1 部分的题型和每题分值相同，请合并为一个部分"
    )


def test_preview_shows_the_sample_meets_the_blueprint(db: Session, fx: ExamFixture) -> None:
    preview = blueprints.preview_blueprint(
        db, actor=staff_actor(fx.admin), blueprint_id=fx.blueprint.id or 0, seed=3
    )
    assert preview.meets_blueprint
    assert preview.item_count == 20 and preview.total_points == 100
    assert [(s.type_name, s.count, s.total_points, s.by_area) for s in preview.sections] == [
        ("单项选择题", 10, 50, {"A": 5, "B": 5}),
        ("判断题", 10, 50, {"A": 5, "B": 5}),
    ]
    assert [(a.area, a.name, a.target_points, a.drawn_points) for a in preview.areas] == [
        ("A", "测试范围A", 50, 50),
        ("B", "测试范围B", 50, 50),
    ]
    assert sum(preview.bands.values()) == 20


def test_check_validates_without_saving(db: Session, fx: ExamFixture) -> None:
    preview = blueprints.check_blueprint(
        db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0), seed=1
    )
    assert preview.meets_blueprint
    assert len(blueprints.list_blueprints(db, actor=staff_actor(fx.admin))) == 1


def test_update_blueprint_and_refuse_once_a_plan_uses_it(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    bp = make_blueprint(db, fx.bank, admin=fx.admin)
    changed = blueprints.update_blueprint(
        db, actor=admin, blueprint_id=bp.id or 0, data=BlueprintUpdate(pass_mark=70, name="新名称")
    )
    assert (changed.pass_mark, changed.name, changed.sections) == (70, "新名称", DEFAULT_SECTIONS)
    with pytest.raises(Conflict) as caught:
        blueprints.update_blueprint(
            db, actor=admin, blueprint_id=fx.blueprint.id or 0, data=BlueprintUpdate(pass_mark=70)
        )
    assert caught.value.code == "blueprint_in_use"


def test_proctor_cannot_create_a_blueprint(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(PermissionDenied):
        blueprints.create_blueprint(
            db, actor=staff_actor(fx.proctor), data=blueprint_in(fx.bank.id or 0)
        )


def test_difficulty_mix_is_kept_and_met(db: Session, fx: ExamFixture) -> None:
    mix = {"easy": 40, "medium": 40, "hard": 20}
    bp = make_blueprint(db, fx.bank, admin=fx.admin, difficulty_mix=mix)
    assert bp.difficulty_mix == mix
    preview = blueprints.preview_blueprint(db, actor=staff_actor(fx.admin), blueprint_id=bp.id or 0)
    # Each of 2 sections × 2 areas draws 5 items: 2 easy, 2 medium, 1 hard.
    assert preview.bands == {"easy": 8, "medium": 8, "hard": 4}
