"""The practical component end to end through the services, the API and the pages: the
paper drawn per candidate, the panel rule, blind and independent marking, immutable
submitted sheets, the mean, the veto, the chief examiner's arbitration, audit, access."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from app.results import practical
from app.results.models import Arbitration, MarkSheet, PaperTask, PracticalSession
from app.results.schemas import PracticalSessionCreate, SheetIn
from tests.factories import (
    PracticalFixture,
    make_centre,
    make_exam,
    make_practical,
    make_staff,
    staff_actor,
)
from tests.helpers import page_login, staff_token

FULL = {"A1": 20, "A2": 40}  # task P-01 (60 points): every criterion full


def sheet(marks: dict[str, Any], vetoes: list[str] | None = None, comment: str = "") -> SheetIn:
    return SheetIn(marks=marks, vetoes=vetoes or [], comment=comment)


def submit_all(db: Session, fx: PracticalFixture, task: PaperTask, totals: list[dict[str, Any]]):
    for examiner, marks in zip(fx.examiners, totals, strict=True):
        practical.submit_sheet(
            db, actor=staff_actor(examiner), paper_task_id=task.id or 0, data=sheet(marks)
        )
    db.flush()


@pytest.fixture
def fx(db: Session) -> PracticalFixture:
    return make_practical(db)


def test_every_candidate_gets_a_paper_of_the_plans_sections(db: Session, fx: PracticalFixture):
    for seat in range(2):
        paper = fx.paper(db, seat)
        assert [(t.position, t.weight) for t in paper] == [(1, 60), (2, 40)]
    view = practical.practical_session(
        db, actor=staff_actor(fx.exam.admin), practical_session_id=fx.session.id or 0
    )
    assert [m.is_chief for m in view.panel] == [True, False, False]
    assert [[t.title for t in r.tasks] for r in view.rows] == [
        ["三相异步电动机正反转控制线路安装与调试", "照明线路安装"]
    ] * 2
    assert all(r.score is None for r in view.rows)


def test_the_paper_cannot_change_once_drawn(db: Session, fx: PracticalFixture):
    from app.results.schemas import PracticalPaperIn, PracticalSectionIn

    with pytest.raises(Conflict) as exc:
        practical.set_practical_paper(
            db,
            actor=staff_actor(fx.exam.admin),
            plan_id=fx.exam.plan.id or 0,
            data=PracticalPaperIn(sections=[PracticalSectionIn(task_ids=[1], weight=100)]),
        )
    assert exc.value.code == "practical_paper_drawn"


@pytest.mark.parametrize(
    ("size", "chief_in_panel", "problem"),
    [
        (2, True, "技能考核考评组须为 3 人及以上的奇数（现为 2 人）"),
        (4, True, "技能考核考评组须为 3 人及以上的奇数（现为 4 人）"),
        (3, False, "考评组长须是本考评组的考评员之一"),
    ],
)
def test_a_panel_that_is_not_odd_and_three_or_more_is_refused(
    db: Session, size: int, chief_in_panel: bool, problem: str
):
    exam = make_exam(db, tasks=True)
    actor = staff_actor(exam.admin)
    choices = practical.task_choices(db, actor=actor, plan_id=exam.plan.id or 0)
    from app.results.schemas import PracticalPaperIn, PracticalSectionIn

    practical.set_practical_paper(
        db,
        actor=actor,
        plan_id=exam.plan.id or 0,
        data=PracticalPaperIn(
            sections=[PracticalSectionIn(task_ids=[c.task_id], weight=c.points) for c in choices]
        ),
    )
    panel = [make_staff(db, Role.EXAMINER, exam.centre) for _ in range(size)]
    outsider = make_staff(db, Role.EXAMINER, exam.centre)
    with pytest.raises(ValidationFailed) as exc:
        practical.create_practical_session(
            db,
            actor=actor,
            plan_id=exam.plan.id or 0,
            data=PracticalSessionCreate(
                exam_session_id=exam.session.id or 0,
                name="技能考核",
                site="实训室",
                starts_at=exam.session.starts_at,
                examiner_ids=[u.id or 0 for u in panel],
                chief_examiner_id=(panel[0] if chief_in_panel else outsider).id or 0,
            ),
        )
    assert exc.value.code == "panel_invalid"
    assert problem in [d["problem"] for d in exc.value.details]
    assert db.exec(select(PracticalSession)).first() is None
    assert db.exec(select(PaperTask)).first() is None


def test_a_proctor_cannot_sit_on_a_panel(db: Session):
    exam = make_exam(db, tasks=True)
    with pytest.raises(ValidationFailed) as exc:
        practical.checked_panel(
            db,
            exam.centre.id or 0,
            [exam.examiner.id or 0, exam.proctor.id or 0, exam.proctors[1].id or 0],
            exam.examiner.id or 0,
        )
    assert f"账号 #{exam.proctor.id} 不是本机构在职的考评员" in [
        d["problem"] for d in exc.value.details
    ]


def test_an_examiner_saves_as_they_go_and_a_bad_mark_changes_nothing(
    db: Session, fx: PracticalFixture
):
    task = fx.paper(db)[0]
    me = staff_actor(fx.examiners[1])
    practical.save_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 15}))
    for marks, code in (({"A1": 21}, "mark_out_of_range"), ({"A2": 10.5}, "mark_off_step")):
        with pytest.raises(ValidationFailed) as exc:
            practical.save_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet(marks))
        assert exc.value.code == code
    stored = db.exec(select(MarkSheet).where(MarkSheet.paper_task_id == task.id)).one()
    assert (stored.marks, stored.status, stored.total) == ({"A1": 15.0}, "draft", None)
    with pytest.raises(ValidationFailed) as exc:
        practical.submit_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 15}))
    assert exc.value.code == "mark_missing"


def test_a_submitted_sheet_is_final(db: Session, fx: PracticalFixture):
    task = fx.paper(db)[0]
    me = staff_actor(fx.examiners[1])
    out = practical.submit_sheet(
        db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 18.5, "A2": 35})
    )
    assert (out.status, out.total) == ("submitted", 53.5)
    for write in (practical.save_sheet, practical.submit_sheet):
        with pytest.raises(Conflict) as exc:
            write(db, actor=me, paper_task_id=task.id or 0, data=sheet(FULL))
        assert exc.value.code == "sheet_submitted"
    stored = db.exec(select(MarkSheet).where(MarkSheet.paper_task_id == task.id)).one()
    assert (stored.marks, stored.total) == ({"A1": 18.5, "A2": 35.0}, 53.5)


def test_a_ticked_veto_zeros_the_task(db: Session, fx: PracticalFixture):
    task = fx.paper(db)[0]
    out = practical.submit_sheet(
        db,
        actor=staff_actor(fx.chief),
        paper_task_id=task.id or 0,
        data=sheet(FULL, vetoes=["V1"], comment="未经允许通电"),
    )
    assert out.total == 0


def test_the_component_is_the_weighted_mean_of_the_panels_totals(db: Session, fx: PracticalFixture):
    p01, p02 = fx.paper(db)
    # P-01 totals 50, 51, 52.5 → mean 51.17 → 51.0; P-02 totals 36, 36, 37 → 36.33 → 36.5
    submit_all(db, fx, p01, [{"A1": 15, "A2": 35}, {"A1": 16, "A2": 35}, {"A1": 17.5, "A2": 35}])
    submit_all(db, fx, p02, [{"A1": 18, "A2": 18}, {"A1": 18, "A2": 18}, {"A1": 18, "A2": 19}])
    view = practical.practical_session(
        db, actor=staff_actor(fx.exam.admin), practical_session_id=fx.session.id or 0
    )
    row = view.rows[0]
    assert [t.score for t in row.tasks] == [51.0, 36.5]
    assert [t.totals for t in row.tasks] == [[50, 51, 52.5], [36, 36, 37]]
    assert row.score == 87.5  # 51/60·60 + 36.5/40·40
    assert view.rows[1].score is None  # the other candidate is not marked yet


def test_a_spread_beyond_the_tolerance_waits_for_the_chief_examiner(
    db: Session, fx: PracticalFixture
):
    p01, p02 = fx.paper(db)
    submit_all(db, fx, p01, [{"A1": 10, "A2": 20}, {"A1": 15, "A2": 30}, {"A1": 20, "A2": 30}])
    submit_all(db, fx, p02, [{"A1": 20, "A2": 20}] * 3)
    admin = staff_actor(fx.exam.admin)
    view = practical.practical_session(db, actor=admin, practical_session_id=fx.session.id or 0)
    assert (view.rows[0].tasks[0].status, view.rows[0].score) == ("arbitration", None)

    member = staff_actor(fx.examiners[1])
    with pytest.raises(PermissionDenied) as exc:
        practical.arbitrate(db, actor=member, paper_task_id=p01.id or 0, score=46, reason="复评")
    assert exc.value.code == "not_chief_examiner"
    chief = staff_actor(fx.chief)
    for score, reason, code in ((46, " ", "reason_required"), (61, "复评", "mark_out_of_range")):
        with pytest.raises(ValidationFailed) as exc:
            practical.arbitrate(
                db, actor=chief, paper_task_id=p01.id or 0, score=score, reason=reason
            )
        assert exc.value.code == code
    assert db.exec(select(Arbitration)).first() is None
    with pytest.raises(Conflict) as exc:
        practical.arbitrate(db, actor=chief, paper_task_id=p02.id or 0, score=40, reason="无")
    assert exc.value.code == "arbitration_not_needed"

    practical.arbitrate(
        db, actor=chief, paper_task_id=p01.id or 0, score=46, reason="复看录像，试车一次成功"
    )
    with pytest.raises(Conflict) as exc:
        practical.arbitrate(db, actor=chief, paper_task_id=p01.id or 0, score=40, reason="再议")
    assert exc.value.code == "already_arbitrated"
    view = practical.practical_session(db, actor=admin, practical_session_id=fx.session.id or 0)
    task = view.rows[0].tasks[0]
    assert (task.status, task.score, task.arbitrated, view.rows[0].score) == (
        "final",
        46,
        True,
        86,
    )
    page = practical.arbitration_page(db, actor=chief, paper_task_id=p01.id or 0)
    assert (page.decided_score, page.decided_reason, [s.total for s in page.sheets]) == (
        46,
        "复看录像，试车一次成功",
        [30, 45, 50],
    )


def test_every_mark_submission_and_arbitration_is_audited(db: Session, fx: PracticalFixture):
    task = fx.paper(db)[0]
    me = staff_actor(fx.examiners[1])
    practical.save_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 15}))
    practical.save_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 15}))
    practical.save_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet({"A1": 16}))
    practical.submit_sheet(db, actor=me, paper_task_id=task.id or 0, data=sheet(FULL))
    db.flush()
    entries = db.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action).like("practical.%"))
        .order_by(col(AuditEntry.id))
    ).all()
    # the repeated save changed nothing and is not an entry of its own
    assert [(e.action, e.detail["changed"]) for e in entries] == [
        ("practical.sheet.save", {"A1": [None, 15.0]}),
        ("practical.sheet.save", {"A1": [15.0, 16.0]}),
        ("practical.sheet.submit", {"A1": [16.0, 20.0], "A2": [None, 40.0]}),
    ]
    assert {e.actor_id for e in entries} == {fx.examiners[1].id}


def test_examiners_off_the_panel_and_other_centres_are_refused(db: Session, fx: PracticalFixture):
    task = fx.paper(db)[0]
    other = staff_actor(make_staff(db, Role.EXAMINER, fx.exam.centre))
    with pytest.raises(PermissionDenied) as exc:
        practical.save_sheet(db, actor=other, paper_task_id=task.id or 0, data=sheet({"A1": 1}))
    assert exc.value.code == "not_session_marker"
    stranger = staff_actor(make_staff(db, Role.EXAMINER, make_centre(db)))
    with pytest.raises(DomainError) as exc2:
        practical.marking_roster(db, actor=stranger, practical_session_id=fx.session.id or 0)
    assert exc2.value.status_code == 404
    assert db.exec(select(MarkSheet)).first() is None


def test_a_candidate_not_in_the_session_has_no_sheet(db: Session, fx: PracticalFixture):
    other = make_exam(db, centre=fx.exam.centre)
    with pytest.raises(DomainError) as exc:
        practical.marking_page(
            db,
            actor=staff_actor(fx.chief),
            practical_session_id=fx.session.id or 0,
            registration_id=other.seats[0].registration.id or 0,
        )
    assert exc.value.code == "candidate_not_in_session"


# -- the API -------------------------------------------------------------------------------------


def test_api_marking_is_blind_and_independent(client: TestClient, db: Session):
    fx = make_practical(db)
    seat = fx.exam.seats[0]
    reg_id = seat.registration.id
    ps_id = fx.session.id
    a = staff_token(client, fx.examiners[1].username)
    b = staff_token(client, fx.examiners[2].username)

    mine = client.get("/api/v1/marking/practical-sessions", headers=a).json()
    assert [(s["practical_session_id"], s["is_chief"], s["candidates"]) for s in mine] == [
        (ps_id, False, 2)
    ]
    page = client.get(f"/api/v1/marking/practical-sessions/{ps_id}/candidates/{reg_id}", headers=a)
    assert page.status_code == 200
    assert seat.candidate.name not in page.text and seat.candidate.id_number not in page.text
    assert (page.json()["ticket_number"], page.json()["seat_number"]) == (
        seat.ticket_number,
        seat.registration.seat_number,
    )
    roster = client.get(f"/api/v1/marking/practical-sessions/{ps_id}", headers=a)
    assert seat.candidate.name not in roster.text and seat.candidate.id_number not in roster.text

    task_id = page.json()["tasks"][0]["paper_task_id"]
    r = client.put(f"/api/v1/marking/sheets/{task_id}", json={"marks": {"A1": 17}}, headers=a)
    assert (r.status_code, r.json()["status"], r.json()["marks"]) == (200, "draft", {"A1": 17.0})
    bad = client.put(f"/api/v1/marking/sheets/{task_id}", json={"marks": {"A1": 25}}, headers=a)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "mark_out_of_range")
    # B never sees A's marks: B's sheet of the same task is empty
    b_page = client.get(
        f"/api/v1/marking/practical-sessions/{ps_id}/candidates/{reg_id}", headers=b
    ).json()
    assert b_page["tasks"][0]["sheet"] == {
        "paper_task_id": task_id,
        "status": "",
        "marks": {},
        "vetoes": [],
        "comment": "",
        "total": None,
        "updated_at": None,
        "submitted_at": None,
    }
    done = client.post(
        f"/api/v1/marking/sheets/{task_id}/submit", json={"marks": {"A1": 17, "A2": 30}}, headers=a
    )
    assert (done.status_code, done.json()["total"]) == (200, 47)
    again = client.put(f"/api/v1/marking/sheets/{task_id}", json={"marks": {"A1": 1}}, headers=a)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "sheet_submitted")
    b_task = client.get(
        f"/api/v1/marking/practical-sessions/{ps_id}/candidates/{reg_id}", headers=b
    ).json()["tasks"][0]
    assert (b_task["submitted_count"], b_task["sheet"]["marks"]) == (1, {})
    # only the chief examiner arbitrates
    r = client.get(f"/api/v1/marking/tasks/{task_id}/arbitration", headers=a)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_chief_examiner")


def test_api_admin_sets_up_the_practical_and_roles_are_kept_apart(client: TestClient, db: Session):
    exam = make_exam(db, tasks=True)
    panel = [exam.examiner] + [make_staff(db, Role.EXAMINER, exam.centre) for _ in range(2)]
    db.commit()
    admin = staff_token(client, exam.admin.username)
    plan_id = exam.plan.id
    choices = client.get(f"/api/v1/plans/{plan_id}/practical-tasks", headers=admin).json()
    assert [(c["external_id"], c["points"]) for c in choices] == [("P-01", 60), ("P-02", 40)]
    bad = client.put(
        f"/api/v1/plans/{plan_id}/practical-paper",
        json={"sections": [{"task_ids": [choices[0]["task_id"]], "weight": 60}]},
        headers=admin,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "practical_paper_invalid")
    ok = client.put(
        f"/api/v1/plans/{plan_id}/practical-paper",
        json={"sections": [{"task_ids": [c["task_id"]], "weight": c["points"]} for c in choices]},
        headers=admin,
    )
    assert ok.status_code == 200
    body = {
        "exam_session_id": exam.session.id,
        "name": "技能考核第1场",
        "site": "实训室 A",
        "starts_at": "2026-12-03T09:00:00",
        "examiner_ids": [u.id for u in panel[:2]],
        "chief_examiner_id": panel[0].id,
    }
    two = client.post(f"/api/v1/plans/{plan_id}/practical-sessions", json=body, headers=admin)
    assert (two.status_code, two.json()["error"]["code"]) == (422, "panel_invalid")
    body["examiner_ids"] = [u.id for u in panel]
    examiner = staff_token(client, panel[1].username)
    refused = client.post(
        f"/api/v1/plans/{plan_id}/practical-sessions", json=body, headers=examiner
    )
    assert refused.status_code == 403
    made = client.post(f"/api/v1/plans/{plan_id}/practical-sessions", json=body, headers=admin)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["duration_minutes"], len(out["rows"]), out["rows"][0]["candidate_name"]) == (
        60,
        3,
        exam.seats[0].candidate.name,
    )
    # the admin's view names candidates; it is not an examiner's
    r = client.get(f"/api/v1/practical-sessions/{out['id']}", headers=examiner)
    assert r.status_code == 403


# -- the pages ---------------------------------------------------------------------------------


def test_pages_admin_sets_the_paper_and_creates_a_session(client: TestClient, db: Session):
    exam = make_exam(db, tasks=True)
    panel = [exam.examiner] + [make_staff(db, Role.EXAMINER, exam.centre) for _ in range(2)]
    db.commit()
    csrf = page_login(client, exam.admin.username)
    plan_id = exam.plan.id
    page = client.get(f"/plans/{plan_id}/practical")
    assert page.status_code == 200 and "技能考核试卷" in page.text and "P-01" in page.text
    choices = practical.task_choices(db, actor=staff_actor(exam.admin), plan_id=plan_id or 0)
    r = client.post(
        f"/plans/{plan_id}/practical/paper",
        data={"csrf_token": csrf, "tasks_0": str(choices[0].task_id), "weight_0": "50"},
    )
    assert r.status_code == 422 and "各组配分之和为 50，应为 100" in r.text
    r = client.post(
        f"/plans/{plan_id}/practical/paper",
        data={
            "csrf_token": csrf,
            "tasks_0": str(choices[0].task_id),
            "weight_0": "60",
            "tasks_1": str(choices[1].task_id),
            "weight_1": "40",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    form = {
        "csrf_token": csrf,
        "exam_session_id": str(exam.session.id),
        "name": "技能考核第1场",
        "site": "实训室 A",
        "starts_at": "2026-12-03T09:00",
        "examiner_ids": [str(u.id) for u in panel[:2]],
        "chief_examiner_id": str(panel[0].id),
    }
    r = client.post(f"/plans/{plan_id}/practical/sessions", data=form)
    assert r.status_code == 422 and "技能考核考评组须为 3 人及以上的奇数（现为 2 人）" in r.text
    form["examiner_ids"] = [str(u.id) for u in panel]
    r = client.post(f"/plans/{plan_id}/practical/sessions", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert exam.seats[0].candidate.name in page.text and "评分中" in page.text


def test_pages_the_marking_page_is_blind_and_autosaves(client: TestClient, db: Session):
    fx = make_practical(db)
    seat = fx.exam.seats[0]
    page_login(client, fx.examiners[1].username)
    roster = client.get(f"/marking/{fx.session.id}")
    assert roster.status_code == 200 and seat.ticket_number in roster.text
    assert seat.candidate.name not in roster.text
    url = f"/marking/{fx.session.id}/candidates/{seat.registration.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert seat.candidate.name not in page.text and seat.candidate.id_number not in page.text
    assert 'name="mark_A1"' in page.text and 'name="veto" value="V1"' in page.text
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    task = fx.paper(db)[0]
    saved = client.post(
        f"/marking/sheets/{task.id}/save",
        data={"mark_A1": "12", "mark_A2": "", "comment": "接点一处松动"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert saved.status_code == 200 and "已自动保存" in saved.text
    bad = client.post(
        f"/marking/sheets/{task.id}/save",
        data={"mark_A1": "99"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422 and "A1：分数须在 0–20 之间（99）" in bad.text
    db.rollback()  # a fresh read: the requests committed in their own transactions
    stored = db.exec(select(MarkSheet).where(MarkSheet.paper_task_id == task.id)).one()
    assert (stored.marks, stored.comment) == ({"A1": 12.0}, "接点一处松动")
    done = client.post(
        f"/marking/sheets/{task.id}/submit",
        data={"mark_A1": "12", "mark_A2": "30", "back": url},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert (done.status_code, done.headers["HX-Redirect"]) == (204, url)
    page = client.get(url)
    assert "已提交" in page.text and "42" in page.text
