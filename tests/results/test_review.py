"""综合评审 for 技师 and 高级技师: a panel (odd, three or more) scores the candidate's work
record, technical summary and oral defence on the review sheet; the score is the mean; a
技师 result needs theory, practical and review, each at least its pass mark."""

import pytest
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.core.errors import Conflict, ValidationFailed
from app.results import practical, records
from app.results.models import PaperTask
from app.results.schemas import PracticalSessionCreate, SheetIn
from tests.factories import make_exam, make_practical, make_staff, staff_actor
from tests.results.test_records import mark_practical, sat_theory


def review_session(db: Session, fx, size: int = 3):
    panel = [make_staff(db, Role.EXAMINER, fx.exam.centre) for _ in range(size)]
    ps = practical.create_practical_session(
        db,
        actor=staff_actor(fx.exam.admin),
        plan_id=fx.exam.plan.id or 0,
        data=PracticalSessionCreate(
            component="review",
            exam_session_id=fx.exam.session.id or 0,
            name="综合评审",
            site="会议室 2",
            starts_at=fx.exam.session.starts_at,
            examiner_ids=[u.id or 0 for u in panel],
            chief_examiner_id=panel[0].id or 0,
        ),
    )
    return ps, panel


def test_a_technician_result_needs_its_review(db: Session):
    exam = make_exam(db, candidates=2, tasks=True, level_code="technician")
    assert exam.plan.components == ["theory", "practical", "review"]
    fx = make_practical(db, exam=exam)
    for seat in exam.seats:
        sat_theory(db, seat.registration, 75)
    mark_practical(db, fx, 0, 20, 30)
    mark_practical(db, fx, 1, 20, 30)
    admin = staff_actor(exam.admin)
    records.refresh_results(db, actor=admin, plan_id=exam.plan.id or 0)
    rows = records.plan_results(db, actor=admin, plan_id=exam.plan.id or 0).rows
    assert [(r.outcome, r.reasons) for r in rows] == [("pending", ["综合评审成绩未出"])] * 2

    ps, panel = review_session(db, fx)
    # the review sheet: 工作业绩 40, 技术总结 30, 答辩 30, marked by each of the panel
    sheets = {
        seat.registration.id: db.exec(
            select(PaperTask).where(
                PaperTask.practical_session_id == ps.id,
                PaperTask.registration_id == seat.registration.id,
            )
        ).one()
        for seat in exam.seats
    }
    page = practical.marking_page(
        db,
        actor=staff_actor(panel[1]),
        practical_session_id=ps.id or 0,
        registration_id=exam.seats[0].registration.id or 0,
    )
    assert [(c.code, c.name, c.points) for c in page.tasks[0].criteria] == [
        ("R1", "工作业绩", 40),
        ("R2", "技术总结（论文）", 30),
        ("R3", "答辩", 30),
    ]
    marks = {  # seat 1: 72, 74, 73 → 73; seat 2: 50, 55, 54 → 53
        exam.seats[0].registration.id: [(30, 22, 20), (30, 24, 20), (31, 22, 20)],
        exam.seats[1].registration.id: [(20, 15, 15), (22, 18, 15), (21, 18, 15)],
    }
    for reg_id, by_examiner in marks.items():
        for examiner, (r1, r2, r3) in zip(panel, by_examiner, strict=True):
            practical.submit_sheet(
                db,
                actor=staff_actor(examiner),
                paper_task_id=sheets[reg_id].id or 0,
                data=SheetIn(marks={"R1": r1, "R2": r2, "R3": r3}),
            )
    records.refresh_results(db, actor=admin, plan_id=exam.plan.id or 0)
    rows = records.plan_results(db, actor=admin, plan_id=exam.plan.id or 0).rows
    assert [([c.score for c in r.components], r.outcome, r.reasons) for r in rows] == [
        ([75, 90, 73], "passed", ["各项成绩均达到合格线"]),
        ([75, 90, 53], "failed", ["综合评审 53 分，低于合格线 60"]),
    ]


def test_a_review_panel_is_odd_and_three_or_more(db: Session):
    exam = make_exam(db, candidates=1, tasks=True, level_code="technician")
    fx = make_practical(db, exam=exam)
    with pytest.raises(ValidationFailed) as exc:
        review_session(db, fx, size=2)
    assert "综合评审专家组须为 3 人及以上的奇数（现为 2 人）" in [
        d["problem"] for d in exc.value.details
    ]


def test_a_plan_below_technician_has_no_review(db: Session):
    fx = make_practical(db, candidates=1)
    with pytest.raises(Conflict) as exc:
        review_session(db, fx)
    assert exc.value.code == "plan_has_no_review"
    assert (
        db.exec(select(PaperTask).where(col(PaperTask.task_version_id).is_(None))).first() is None
    )


def test_api_the_review_sheet_is_the_plans_to_set(client, db: Session):
    from tests.helpers import staff_token

    exam = make_exam(db, candidates=1, tasks=True, level_code="technician")
    admin = staff_token(client, exam.admin.username)
    url = f"/api/v1/plans/{exam.plan.id}/review-sheet"
    assert [c["code"] for c in client.get(url, headers=admin).json()["criteria"]] == [
        "R1",
        "R2",
        "R3",
    ]
    bad = client.put(
        url,
        json={"criteria": [{"code": "R1", "name": "答辩", "points": 50, "step": 3}]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert [d["problem"] for d in bad.json()["error"]["details"]] == [
        "配分应大于 0，且为步长（0.5、1、2 或 5）的整数倍",
        "评审要素配分之和为 50，应为 100",
    ]
    ok = client.put(
        url,
        json={
            "criteria": [
                {"code": "R1", "name": "工作业绩与技术总结", "points": 50},
                {"code": "R2", "name": "答辩", "points": 50},
            ]
        },
        headers=admin,
    )
    assert ok.status_code == 200
    assert [c["name"] for c in client.get(url, headers=admin).json()["criteria"]] == [
        "工作业绩与技术总结",
        "答辩",
    ]


def test_page_the_admin_edits_the_review_sheet(client, db: Session):
    from tests.helpers import page_login

    exam = make_exam(db, candidates=1, tasks=True, level_code="technician")
    db.commit()
    csrf = page_login(client, exam.admin.username)
    page = client.get(f"/plans/{exam.plan.id}/practical").text
    assert "综合评审表" in page and 'value="工作业绩"' in page  # the default sheet, editable
    url = f"/plans/{exam.plan.id}/practical/review-sheet"
    rows = {"code_0": "R1", "name_0": "工作业绩", "points_0": "60", "step_0": "1"}
    bad = client.post(url, data={"csrf_token": csrf, **rows})
    assert bad.status_code == 422 and "评审要素配分之和为 60，应为 100" in bad.text
    assert 'value="60"' in bad.text  # what was typed stays
    rows |= {
        "code_1": "R2",
        "name_1": "答辩",
        "points_1": "40",
        "step_1": "2",
        "earns_1": "回答正确",
    }
    ok = client.post(url, data={"csrf_token": csrf, **rows}, follow_redirects=False)
    assert ok.status_code == 303
    db.expire_all()
    plan = db.get(type(exam.plan), exam.plan.id)
    assert plan is not None
    assert [(c["code"], c["points"], c["step"], c["earns"]) for c in plan.review_sheet] == [
        ("R1", 60, 1, ""),
        ("R2", 40, 2, "回答正确"),
    ]
