"""exams.service: blueprints, plans, forms, sessions, candidates, registrations, tickets."""

import re
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.exams import service as exams
from app.exams.assembly import BlueprintShortfall
from app.exams.models import Candidate, ExamSession, FormMode, Registration, SessionStatus
from app.exams.schemas import (
    BlueprintCreate,
    BlueprintUpdate,
    CandidateIn,
    PlanCreate,
    RegistrationCreate,
    SessionCreate,
)
from tests.factories import (
    DEFAULT_SECTIONS,
    ExamFixture,
    make_bank,
    make_blueprint,
    make_centre,
    make_exam,
    make_plan,
    make_registration,
    make_session,
    make_staff,
    staff_actor,
    valid_resident_id,
)


@pytest.fixture
def fx(db: Session) -> ExamFixture:
    return make_exam(db)


def problems_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return {d.get("field", ""): d["problem"] for d in exc.value.details}


def blueprint_in(bank_id: int, **kw: Any) -> BlueprintCreate:
    data: dict[str, Any] = {
        "bank_id": bank_id,
        "name": "电工四级理论",
        "level_code": "intermediate",
        "sections": DEFAULT_SECTIONS,
    }
    data.update(kw)
    return BlueprintCreate.model_validate(data)


# --- blueprints ---------------------------------------------------------------------------


def test_blueprint_takes_occupation_and_default_weights_from_the_bank(
    db: Session, fx: ExamFixture
) -> None:
    bp = exams.create_blueprint(db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0))
    assert bp.area_weights == {"A": 50, "B": 50}
    assert bp.occupation_id == fx.bank.occupation_id
    assert bp.time_limit_minutes == 90 and bp.pass_mark == 60
    assert bp.multiple_choice_rule == "partial"


def test_blueprint_the_bank_cannot_fill_is_refused_with_what_is_short(
    db: Session, fx: ExamFixture
) -> None:
    # 20 single choice × 5 over A 50 / B 50: 10 per area; the bank has 8 of each.
    data = blueprint_in(
        fx.bank.id or 0, sections=[{"item_type": "single_choice", "count": 20, "points": 5}]
    )
    with pytest.raises(BlueprintShortfall) as caught:
        exams.create_blueprint(db, actor=staff_actor(fx.admin), data=data)
    assert [d["problem"] for d in caught.value.details] == [
        "A 区（测试范围A）需要 10 道单项选择题，题库只有 8 道可用",
        "B 区（测试范围B）需要 10 道单项选择题，题库只有 8 道可用",
    ]
    assert len(exams.list_blueprints(db, actor=staff_actor(fx.admin))) == 1  # only fx's own


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
        exams.create_blueprint(db, actor=staff_actor(fx.admin), data=data)
    got = problems_of(caught)
    assert got["name"] == "组卷方案名称不能为空"
    assert "不适用于 三级/高级工" in got["level_code"]
    assert "没有 Z 区" in got["area_weights.Z"]
    assert "不少于 90 分钟" in got["time_limit_minutes"]
    assert "合格分数线" in got["pass_mark"]
    assert "合计为 50 分" in got["sections"]


def test_short_theory_paper_needs_the_standard_flag(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(ValidationFailed):
        exams.create_blueprint(
            db,
            actor=staff_actor(fx.admin),
            data=blueprint_in(fx.bank.id or 0, time_limit_minutes=60),
        )
    bp = exams.create_blueprint(
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
        exams.create_blueprint(
            db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0, sections=sections)
        )
    assert (
        problems_of(caught)["sections[1]"]
        == "第 2 部分与第 1 部分的题型和每题分值相同，请合并为一个部分"
    )


def test_preview_shows_the_sample_meets_the_blueprint(db: Session, fx: ExamFixture) -> None:
    preview = exams.preview_blueprint(
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
    preview = exams.check_blueprint(
        db, actor=staff_actor(fx.admin), data=blueprint_in(fx.bank.id or 0), seed=1
    )
    assert preview.meets_blueprint
    assert len(exams.list_blueprints(db, actor=staff_actor(fx.admin))) == 1


def test_update_blueprint_and_refuse_once_a_plan_uses_it(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    bp = make_blueprint(db, fx.bank, admin=fx.admin)
    changed = exams.update_blueprint(
        db, actor=admin, blueprint_id=bp.id or 0, data=BlueprintUpdate(pass_mark=70, name="新名称")
    )
    assert (changed.pass_mark, changed.name, changed.sections) == (70, "新名称", DEFAULT_SECTIONS)
    with pytest.raises(Conflict) as caught:
        exams.update_blueprint(
            db, actor=admin, blueprint_id=fx.blueprint.id or 0, data=BlueprintUpdate(pass_mark=70)
        )
    assert caught.value.code == "blueprint_in_use"


def test_proctor_cannot_create_a_blueprint(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(PermissionDenied):
        exams.create_blueprint(
            db, actor=staff_actor(fx.proctor), data=blueprint_in(fx.bank.id or 0)
        )


# --- plans ----------------------------------------------------------------------------------


def plan_in(fx: ExamFixture, **kw: Any) -> PlanCreate:
    data: dict[str, Any] = {
        "name": "2026 年电工四级认定",
        "occupation_id": fx.blueprint.occupation_id,
        "level_code": "intermediate",
        "blueprint_id": fx.blueprint.id,
    }
    data.update(kw)
    return PlanCreate.model_validate(data)


def test_plan_records_components_and_a_random_seed(db: Session, fx: ExamFixture) -> None:
    a = exams.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx))
    b = exams.create_plan(
        db, actor=staff_actor(fx.admin), data=plan_in(fx, level_code="四级/中级工")
    )
    assert a.components == ["theory"] and b.level_code == "intermediate"
    assert a.form_seed != b.form_seed
    assert a.form_mode == FormMode.SHUFFLED and a.require_checkin and a.leave_limit is None


def test_technician_plan_records_the_review_component(db: Session) -> None:
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    bank = make_bank(db, centre, levels=("technician",))
    bp = make_blueprint(db, bank, admin=admin, level_code="technician")
    plan = make_plan(db, bp, admin=admin)
    assert plan.components == ["theory", "review"]


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
        exams.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx, **changes))
    assert says in problems_of(caught)[field]


def test_plan_blueprint_must_match_the_occupation(db: Session, fx: ExamFixture) -> None:
    from app.reference import service as reference

    other = next(o for o in reference.list_occupations(db) if o.id != fx.blueprint.occupation_id)
    with pytest.raises(ValidationFailed) as caught:
        exams.create_plan(db, actor=staff_actor(fx.admin), data=plan_in(fx, occupation_id=other.id))
    assert "不一致" in problems_of(caught)["blueprint_id"]


def test_proctor_cannot_create_a_plan(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(PermissionDenied):
        exams.create_plan(db, actor=staff_actor(fx.proctor), data=plan_in(fx))


# --- forms ----------------------------------------------------------------------------------


def test_shuffled_forms_are_per_candidate_and_reproducible(db: Session, fx: ExamFixture) -> None:
    first, second = (exams.form_for_registration(db, registration=r) for r in fx.registrations[:2])
    assert exams.form_for_registration(db, registration=fx.registrations[0]) == first
    assert [d.item_version_id for d in first] != [d.item_version_id for d in second]
    assert len(first) == 20 and sum(d.points for d in first) == 100


def test_fixed_form_is_the_same_for_everyone(db: Session) -> None:
    fixed = make_exam(db, form_mode=FormMode.FIXED)
    forms = [exams.form_for_registration(db, registration=r) for r in fixed.registrations]
    assert forms[0] == forms[1] == forms[2]
    assert {tuple(d.option_order) for d in forms[0] if d.section == 0} == {("A", "B", "C", "D")}


def test_fixed_form_is_kept_when_the_bank_changes_during_the_exam_window(db: Session) -> None:
    from app.banks import service as banks_service
    from app.banks.models import Item, ItemStatus, ItemVersion

    fixed = make_exam(db, form_mode=FormMode.FIXED)
    first = exams.form_for_registration(db, registration=fixed.registrations[0])
    # Retire every item on the paper: a fresh draw could no longer pick any of them.
    for drawn in first:
        version = db.get(ItemVersion, drawn.item_version_id)
        assert version is not None
        item = db.get(Item, version.item_id)
        assert item is not None and item.id is not None
        banks_service.set_item_status(
            db,
            actor=staff_actor(fixed.admin),
            bank_id=fixed.bank.id,
            item_id=item.id,
            status=ItemStatus.RETIRED,
        )
    later = exams.form_for_registration(db, registration=fixed.registrations[1])
    assert later == first


def test_a_change_to_the_bank_reaches_the_next_draw_although_pools_are_cached(
    db: Session,
) -> None:
    """Pools are cached per bank version (exams.service): an edit, a retirement or a
    re-import made after the first candidate started must reach the next one's paper."""
    from app.banks import service as banks_service
    from app.banks.models import Item, ItemStatus, ItemVersion
    from tests.factories import bank_yaml

    exam = make_exam(db, candidates=4)
    admin = staff_actor(exam.admin)
    bank_id = exam.bank.id or 0
    first = exams.form_for_registration(db, registration=exam.registrations[0])
    on_paper = [db.get_one(ItemVersion, d.item_version_id) for d in first]

    # Retire three single-choice items of area A: 5 of 8 are left, exactly the 5 needed.
    retired = [v for v in on_paper if v.item_type == "single_choice" and v.area_code == "A"][:3]
    for version in retired:
        banks_service.set_item_status(
            db, actor=admin, bank_id=bank_id, item_id=version.item_id, status=ItemStatus.RETIRED
        )
    second = exams.form_for_registration(db, registration=exam.registrations[1])
    assert not {v.id for v in retired} & {d.item_version_id for d in second}

    # Edit a true/false item: the next paper has its new version, never the old one.
    edited = next(v for v in on_paper if v.item_type == "true_false")
    item = db.get_one(Item, edited.item_id)
    source = banks_service.item_source(edited, external_id=item.external_id)
    banks_service.edit_item(
        db,
        actor=admin,
        bank_id=bank_id,
        item_id=item.id or 0,
        data={**source, "stem": "改过的题干"},
    )
    third = exams.form_for_registration(db, registration=exam.registrations[2])
    assert edited.id not in {d.item_version_id for d in third}

    # Re-import the file without area B's true/false items: none of them is drawn again,
    # so the blueprint is now short of them.
    text = bank_yaml(code=exam.bank.code)
    kept = "\n  - id: ".join(
        block for block in text.split("\n  - id: ") if not block.startswith("B-T-")
    )
    banks_service.import_bank_file(
        db, centre_id=exam.centre.id or 0, filename="edited.yaml", content=kept.encode(), actor=None
    )
    with pytest.raises(BlueprintShortfall):
        exams.form_for_registration(db, registration=exam.registrations[3])


# --- sessions -------------------------------------------------------------------------------


def session_in(fx: ExamFixture, **kw: Any) -> SessionCreate:
    data: dict[str, Any] = {
        "plan_id": fx.plan.id,
        "name": "第2场",
        "room": "302 机房",
        "starts_at": datetime(2026, 6, 1, 9, 0),
        "proctor_ids": [p.id for p in fx.proctors],
    }
    data.update(kw)
    return SessionCreate.model_validate(data)


def test_session_start_is_typed_in_china_time_and_duration_defaults(
    db: Session, fx: ExamFixture
) -> None:
    s = exams.create_session(db, actor=staff_actor(fx.admin), data=session_in(fx))
    assert s.starts_at == datetime(2026, 6, 1, 1, 0)  # 09:00 Beijing = 01:00 UTC
    assert s.duration_minutes == fx.blueprint.time_limit_minutes == 90


def test_session_rules(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(ValidationFailed) as caught:
        exams.create_session(
            db,
            actor=staff_actor(fx.admin),
            data=session_in(fx, name="", room=" ", duration_minutes=60),
        )
    got = problems_of(caught)
    assert set(got) == {"name", "room", "duration_minutes"}
    assert "组卷方案规定 90 分钟" in got["duration_minutes"]


def test_session_proctors_must_be_proctors_of_the_centre(db: Session, fx: ExamFixture) -> None:
    outsider = make_staff(db, Role.PROCTOR, make_centre(db))
    for wrong in (outsider, fx.examiner):
        with pytest.raises(ValidationFailed) as caught:
            exams.create_session(
                db, actor=staff_actor(fx.admin), data=session_in(fx, proctor_ids=[wrong.id])
            )
        assert "不是本机构在职的监考员或管理员" in problems_of(caught)["proctor_ids"]
    # A centre admin may proctor.
    s = exams.create_session(
        db, actor=staff_actor(fx.admin), data=session_in(fx, proctor_ids=[fx.admin.id])
    )
    assert s.id


@pytest.mark.parametrize(
    ("proctors", "candidates", "expected"),
    [
        (2, 30, []),
        (1, 10, ["每个考场至少需要 2 名监考员，目前只有 1 名"]),
        (0, 0, ["每个考场至少需要 2 名监考员，目前只有 0 名"]),
        (2, 31, ["按每 15 名考生至少 1 名监考员，31 名考生需要 3 名监考员，目前只有 2 名"]),
        (3, 45, []),
        (
            1,
            40,
            [
                "每个考场至少需要 2 名监考员，目前只有 1 名",
                "按每 15 名考生至少 1 名监考员，40 名考生需要 3 名监考员，目前只有 1 名",
            ],
        ),
    ],
)
def test_staffing_rule(proctors: int, candidates: int, expected: list[str]) -> None:
    assert exams.staffing_problems(proctors=proctors, candidates=candidates) == expected


def test_session_with_one_proctor_warns_but_registers(db: Session, fx: ExamFixture) -> None:
    thin = make_session(db, fx.plan, admin=fx.admin, proctors=[fx.proctor])
    make_registration(db, thin, admin=fx.admin)
    detail = exams.session_detail(db, actor=staff_actor(fx.admin), session_id=thin.id or 0)
    assert detail.summary.staffing_problems == ["每个考场至少需要 2 名监考员，目前只有 1 名"]
    assert len(detail.registrations) == 1
    exams.assign_proctors(
        db,
        actor=staff_actor(fx.admin),
        session_id=thin.id or 0,
        proctor_ids=[p.id or 0 for p in fx.proctors],
    )
    detail = exams.session_detail(db, actor=staff_actor(fx.admin), session_id=thin.id or 0)
    assert detail.summary.staffing_problems == []


def test_proctors_list_only_their_sessions_admins_all(db: Session, fx: ExamFixture) -> None:
    other = make_staff(db, Role.PROCTOR, fx.centre)
    second = make_session(db, fx.plan, admin=fx.admin, proctors=[other])
    mine = exams.list_sessions(db, actor=staff_actor(fx.proctor))
    assert [s.session.id for s in mine] == [fx.session.id]
    everyone = exams.list_sessions(db, actor=staff_actor(fx.admin))
    assert {s.session.id for s in everyone} == {fx.session.id, second.id}
    # Any proctor or examiner of the centre may read a session.
    assert exams.get_session(db, actor=staff_actor(fx.proctor), session_id=second.id or 0)
    assert exams.get_session(db, actor=staff_actor(fx.examiner), session_id=second.id or 0)


# --- candidates -----------------------------------------------------------------------------


def test_candidate_id_number_is_checked_with_the_exact_failed_check(
    db: Session, fx: ExamFixture
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        exams.create_candidate(
            db,
            actor=staff_actor(fx.admin),
            data=CandidateIn(name="张三", id_number="110105194912310021"),
        )
    assert problems_of(caught) == {"id_number": "身份证号校验码错误：第 18 位应为 X，实际为 1"}


def test_candidate_gender_and_birth_date_come_from_the_id(db: Session, fx: ExamFixture) -> None:
    cand = exams.create_candidate(
        db,
        actor=staff_actor(fx.admin),
        data=CandidateIn(name="张三", id_number="11010519491231002x"),
    )
    assert (cand.id_number, cand.gender, str(cand.birth_date)) == (
        "11010519491231002X",
        "女",
        "1949-12-31",
    )


def test_same_person_again_reuses_the_candidate(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    number = valid_resident_id(501)
    first = exams.create_candidate(db, actor=admin, data=CandidateIn(name="王五", id_number=number))
    again = exams.create_candidate(
        db, actor=admin, data=CandidateIn(name="王五", id_number=number, phone="13900000000")
    )
    assert again.id == first.id and again.phone == "13900000000"
    with pytest.raises(ValidationFailed) as caught:
        exams.create_candidate(db, actor=admin, data=CandidateIn(name="王六", id_number=number))
    assert "已登记为考生「王五」" in problems_of(caught)["name"]
    # Another centre keeps its own record of the same person.
    other_admin = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    theirs = exams.create_candidate(
        db, actor=staff_actor(other_admin), data=CandidateIn(name="王五", id_number=number)
    )
    assert theirs.id != first.id


def test_candidate_search(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    exams.create_candidate(
        db,
        actor=admin,
        data=CandidateIn(name="欧阳修", id_number=valid_resident_id(502), employer="淮南矿业"),
    )
    assert [c.name for c in exams.list_candidates(db, actor=admin, q="欧阳")] == ["欧阳修"]
    assert [c.name for c in exams.list_candidates(db, actor=admin, q="矿业")] == ["欧阳修"]
    assert len(exams.list_candidates(db, actor=admin)) == 4


# --- registrations and tickets ----------------------------------------------------------------

TICKET = re.compile(r"^(\d{2})(\d{4})(\d{4})(\d{3})$")


def test_ticket_numbers_are_well_formed_and_unique(db: Session, fx: ExamFixture) -> None:
    second = make_session(db, fx.plan, admin=fx.admin, proctors=fx.proctors)
    more = [make_registration(db, second, admin=fx.admin) for _ in range(2)]
    numbers = [r.ticket_number for r in fx.registrations + more]
    assert len(set(numbers)) == 5
    starts = clock.to_china(fx.session.starts_at)
    assert starts is not None
    year = starts.year % 100
    for reg in fx.registrations + more:
        m = TICKET.match(reg.ticket_number)
        assert m, reg.ticket_number
        assert [int(g) for g in m.groups()] == [year, fx.centre.id, reg.session_id, reg.seat_number]
    assert [r.seat_number for r in fx.registrations] == [1, 2, 3]
    assert exams.ticket_number(year=2026, centre_id=1, session_id=3, seat=12) == "2600010003012"


def test_registering_twice_in_a_session_is_refused(db: Session, fx: ExamFixture) -> None:
    seat = fx.seats[0]
    with pytest.raises(Conflict) as caught:
        exams.register_candidate(
            db,
            actor=staff_actor(fx.admin),
            session_id=fx.session.id or 0,
            data=RegistrationCreate(name=seat.candidate.name, id_number=seat.id_number),
        )
    assert seat.ticket_number in caught.value.message


def test_register_by_name_and_id_creates_the_candidate(db: Session, fx: ExamFixture) -> None:
    reg = exams.register_candidate(
        db,
        actor=staff_actor(fx.admin),
        session_id=fx.session.id or 0,
        data=RegistrationCreate(name="孙丽", id_number=valid_resident_id(503), employer="淮南供电"),
    )
    cand = db.get(Candidate, reg.candidate_id)
    assert cand is not None and cand.employer == "淮南供电"
    assert reg.seat_number == 4


def test_closed_session_takes_no_registrations(db: Session, fx: ExamFixture) -> None:
    fx.session.status = SessionStatus.CLOSED
    db.add(fx.session)
    db.flush()
    with pytest.raises(Conflict):
        make_registration(db, fx.session, admin=fx.admin)


def roster(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "联系电话", "工作单位"])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def registrations_in(db: Session, session_id: int | None) -> int:
    return db.exec(
        select(func.count()).select_from(Registration).where(Registration.session_id == session_id)
    ).one()


def test_excel_import_registers_everyone_and_reuses_known_candidates(
    db: Session, fx: ExamFixture
) -> None:
    other = make_session(db, fx.plan, admin=fx.admin, proctors=fx.proctors)
    known = fx.seats[0].candidate
    content = roster(
        [
            ["周一", valid_resident_id(601), "13900000001", "淮南供电"],
            [known.name, known.id_number, None, None],
            ["吴二", valid_resident_id(602), None, None],
        ]
    )
    result = exams.import_roster(
        db, actor=staff_actor(fx.admin), session_id=other.id or 0, content=content
    )
    assert (len(result.registrations), result.new_candidates) == (3, 2)
    assert [r.seat_number for r in result.registrations] == [1, 2, 3]
    assert result.registrations[1].candidate_id == known.id
    assert result.summary == "已导入 3 名考生（新建考生 2 名，沿用已有考生 1 名）"


def test_excel_with_three_bad_rows_reports_all_and_registers_nobody(
    db: Session, fx: ExamFixture
) -> None:
    good = valid_resident_id(701)
    content = roster(
        [
            ["郑三", good, None, None],  # row 2: fine
            ["", valid_resident_id(702), None, None],  # row 3: no name
            [
                "冯四",
                good[:17] + ("1" if good[17] != "1" else "2"),
                None,
                None,
            ],  # row 4: check digit
            [fx.seats[1].candidate.name, fx.seats[1].id_number, None, None],  # row 5: registered
        ]
    )
    candidates_before = db.exec(select(func.count()).select_from(Candidate)).one()
    with pytest.raises(ValidationFailed) as caught:
        exams.import_roster(
            db, actor=staff_actor(fx.admin), session_id=fx.session.id or 0, content=content
        )
    assert [(d["row"], d["column"]) for d in caught.value.details] == [
        (3, "姓名"),
        (4, "身份证号"),
        (5, "身份证号"),
    ]
    assert "3 处问题" in caught.value.message
    assert registrations_in(db, fx.session.id) == 3
    assert db.exec(select(func.count()).select_from(Candidate)).one() == candidates_before


def test_tickets_show_what_the_candidate_needs(db: Session, fx: ExamFixture) -> None:
    tickets = exams.admission_tickets(
        db, actor=staff_actor(fx.proctor), session_id=fx.session.id or 0
    )
    assert [t.ticket_number for t in tickets] == [s.ticket_number for s in fx.seats]
    t = tickets[0]
    assert (t.name, t.id_number, t.level_display, t.occupation) == (
        fx.seats[0].candidate.name,
        fx.seats[0].id_number,
        "四级/中级工",
        "电工",
    )
    assert (t.room, t.seat_number, t.duration_minutes) == (fx.session.room, 1, 90)
    one = exams.admission_ticket(
        db, actor=staff_actor(fx.admin), registration_id=fx.registrations[2].id or 0
    )
    assert one.seat_number == 3
    with pytest.raises(PermissionDenied):
        exams.admission_tickets(db, actor=staff_actor(fx.examiner), session_id=fx.session.id or 0)


# --- scoping --------------------------------------------------------------------------------


def test_other_centre_sees_nothing_of_this_centre(db: Session, fx: ExamFixture) -> None:
    outsider = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    calls = [
        lambda: exams.get_blueprint(db, actor=outsider, blueprint_id=fx.blueprint.id or 0),
        lambda: exams.get_plan(db, actor=outsider, plan_id=fx.plan.id or 0),
        lambda: exams.get_session(db, actor=outsider, session_id=fx.session.id or 0),
        lambda: exams.get_candidate(db, actor=outsider, candidate_id=fx.seats[0].candidate.id or 0),
        lambda: exams.admission_ticket(
            db, actor=outsider, registration_id=fx.registrations[0].id or 0
        ),
        lambda: make_registration(
            db, fx.session, admin=make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
        ),
        lambda: exams.create_session(db, actor=outsider, data=session_in(fx)),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert exams.list_plans(db, actor=outsider) == []
    assert exams.list_sessions(db, actor=outsider) == []
    assert exams.list_candidates(db, actor=outsider) == []
    # A plan may not use another centre's blueprint.
    own = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    with pytest.raises(ValidationFailed) as caught:
        exams.create_plan(db, actor=own, data=plan_in(fx))
    assert problems_of(caught)["blueprint_id"] == "组卷方案不存在"


def test_session_starting_later_keeps_its_time(db: Session, fx: ExamFixture) -> None:
    later = clock.utcnow() + timedelta(days=3)
    s = make_session(db, fx.plan, admin=fx.admin, starts_at=later)
    stored = db.get(ExamSession, s.id)
    assert stored is not None and abs(stored.starts_at - later) < timedelta(seconds=1)


def test_staff_actions_are_audited(db: Session, fx: ExamFixture) -> None:
    from app.audit.models import AuditEntry

    entries = db.exec(select(AuditEntry).where(AuditEntry.centre_id == fx.centre.id)).all()
    actions = {e.action for e in entries}
    assert {"blueprint.create", "plan.create", "session.create", "registration.create"} <= actions
    plan_entry = next(e for e in entries if e.action == "plan.create")
    assert (plan_entry.actor_name, plan_entry.object_id) == (fx.admin.display_name, fx.plan.id)


def test_difficulty_mix_is_kept_and_met(db: Session, fx: ExamFixture) -> None:
    mix = {"easy": 40, "medium": 40, "hard": 20}
    bp = make_blueprint(db, fx.bank, admin=fx.admin, difficulty_mix=mix)
    assert bp.difficulty_mix == mix
    preview = exams.preview_blueprint(db, actor=staff_actor(fx.admin), blueprint_id=bp.id or 0)
    # Each of 2 sections × 2 areas draws 5 items: 2 easy, 2 medium, 1 hard.
    assert preview.bands == {"easy": 8, "medium": 8, "hard": 4}
