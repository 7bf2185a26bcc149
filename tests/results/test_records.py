"""Result records: one row per candidate per plan from the components' sources, the scheme's
rule with its reasons, 缺考/违纪 with the incident, review filters, confirmation that locks,
publication, and the candidate seeing only their own published result."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.principals import CandidateLogin
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.delivery.models import Attempt, AttemptStatus
from app.exams.models import Registration
from app.proctoring.models import Incident
from app.results import practical, records
from app.results.models import Result
from app.results.schemas import PlanResultFilter, SheetIn, StandingIn
from tests.factories import PracticalFixture, make_exam, make_practical, staff_actor
from tests.helpers import candidate_token, staff_token


def sat_theory(db: Session, reg: Registration, score: float) -> Attempt:
    """A submitted, scored theory attempt (the delivery and scoring tests cover how)."""
    now = clock.utcnow()
    attempt = Attempt(
        centre_id=reg.centre_id,
        registration_id=reg.id or 0,
        session_id=reg.session_id,
        status=AttemptStatus.SUBMITTED,
        seed=1,
        started_at=now - timedelta(minutes=90),
        deadline_at=now,
        submitted_at=now,
        submit_reason="candidate",
        score=score,
    )
    db.add(attempt)
    db.flush()
    return attempt


def mark_practical(db: Session, fx: PracticalFixture, seat: int, a1: float, a2: float) -> None:
    """Every examiner gives the same marks on both tasks (P-01: A1/20 + A2/40 of 60; P-02:
    20 + 20 of 40 scaled by a1/20 and a2/40)."""
    p01, p02 = fx.paper(db, seat)
    for ex in fx.examiners:
        who = staff_actor(ex)
        practical.submit_sheet(
            db, actor=who, paper_task_id=p01.id or 0, data=SheetIn(marks={"A1": a1, "A2": a2})
        )
        practical.submit_sheet(
            db, actor=who, paper_task_id=p02.id or 0, data=SheetIn(marks={"A1": 20, "A2": 20})
        )
    db.flush()


def login_of(fx: PracticalFixture, seat: int) -> CandidateLogin:
    s = fx.exam.seats[seat]
    return CandidateLogin(
        registration_id=s.registration.id or 0,
        candidate_id=s.candidate.id or 0,
        centre_id=fx.exam.centre.id or 0,
        session_id=fx.exam.session.id or 0,
        name=s.candidate.name,
    )


@pytest.fixture
def fx(db: Session) -> PracticalFixture:
    fx = make_practical(db, candidates=3)
    seats = fx.exam.seats
    sat_theory(db, seats[0].registration, 80)  # practical 20+30 → 50/60 → 90 of 100
    mark_practical(db, fx, 0, 20, 30)
    sat_theory(db, seats[1].registration, 50)  # practical 100
    mark_practical(db, fx, 1, 20, 40)
    sat_theory(db, seats[2].registration, 70)  # practical not marked yet
    db.commit()
    return fx


def test_results_follow_the_components_with_their_reasons(db: Session, fx: PracticalFixture):
    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    assert records.refresh_results(db, actor=admin, plan_id=plan_id).created == 3
    res = records.plan_results(db, actor=admin, plan_id=plan_id)
    got = [([c.score for c in r.components], r.outcome, r.reasons, r.state) for r in res.rows]
    assert got == [
        ([80, 90], "passed", ["各项成绩均达到合格线"], "draft"),
        ([50, 100], "failed", ["理论知识考试 50 分，低于合格线 60"], "draft"),
        ([70, None], "pending", ["技能考核成绩未出"], "draft"),
    ]
    assert res.counts == {
        "all": 3,
        "pending": 1,
        "arbitration": 0,
        "passed": 1,
        "failed": 1,
        "absent": 0,
        "disqualified": 0,
    }
    only = records.plan_results(db, actor=admin, plan_id=plan_id, only=PlanResultFilter.FAILED)
    assert [r.ticket_number for r in only.rows] == [fx.exam.seats[1].ticket_number]


def test_confirmation_locks_decided_results_and_refuses_a_stale_review(
    db: Session, fx: PracticalFixture
):
    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    mark_practical(db, fx, 2, 10, 20)  # a source changed after the review
    with pytest.raises(Conflict) as exc:
        records.confirm_results(db, actor=admin, plan_id=plan_id)
    assert exc.value.code == "results_stale"
    assert {r.state for r in db.exec(select(Result))} == {"draft"}
    out = records.refresh_results(db, actor=admin, plan_id=plan_id)
    assert (out.created, out.updated) == (0, 1)
    assert records.confirm_results(db, actor=admin, plan_id=plan_id) == 3
    with pytest.raises(Conflict) as exc:
        records.confirm_results(db, actor=admin, plan_id=plan_id)
    assert exc.value.code == "nothing_to_confirm"
    # locked: a 缺考 recorded now is refused, and recomputing leaves them as they are
    with pytest.raises(Conflict) as exc:
        records.record_standing(
            db,
            actor=admin,
            registration_id=fx.exam.seats[0].registration.id or 0,
            data=StandingIn(component="theory", status="absent", reason="补登"),
        )
    assert exc.value.code == "result_locked"
    assert records.refresh_results(db, actor=admin, plan_id=plan_id).locked == 3


def test_pending_results_are_not_confirmed(db: Session, fx: PracticalFixture):
    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    assert records.confirm_results(db, actor=admin, plan_id=plan_id) == 2
    states = {
        r.outcome: r.state for r in records.plan_results(db, actor=admin, plan_id=plan_id).rows
    }
    assert states == {"passed": "confirmed", "failed": "confirmed", "pending": "draft"}


def test_a_disqualification_needs_the_candidates_incident(db: Session, fx: PracticalFixture):
    admin = staff_actor(fx.exam.admin)
    seat = fx.exam.seats[0]
    other = fx.exam.seats[1]
    incident = Incident(
        centre_id=fx.exam.centre.id or 0,
        session_id=fx.exam.session.id or 0,
        registration_id=seat.registration.id or 0,
        reason_code="suspected_cheating",
        note="夹带资料",
        recorded_by=fx.exam.proctor.id or 0,
    )
    db.add(incident)
    db.flush()
    for reg, incident_id in ((seat.registration, None), (other.registration, incident.id)):
        with pytest.raises(ValidationFailed) as exc:
            records.record_standing(
                db,
                actor=admin,
                registration_id=reg.id or 0,
                data=StandingIn(
                    component="theory",
                    status="disqualified",
                    incident_id=incident_id,
                    reason="作弊",
                ),
            )
        assert exc.value.details == [
            {"field": "incident_id", "problem": "违纪须对应该考生的一条考场事件记录"}
        ]
    records.record_standing(
        db,
        actor=admin,
        registration_id=seat.registration.id or 0,
        data=StandingIn(
            component="theory", status="disqualified", incident_id=incident.id, reason="夹带资料"
        ),
    )
    records.record_standing(
        db,
        actor=admin,
        registration_id=other.registration.id or 0,
        data=StandingIn(component="practical", status="absent", reason="未到场"),
    )
    records.refresh_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    rows = records.plan_results(db, actor=admin, plan_id=fx.exam.plan.id or 0).rows
    assert (rows[0].outcome, rows[0].reasons) == (
        "disqualified",
        [f"理论知识考试违纪（事件 #{incident.id}：夹带资料）"],
    )
    assert (rows[1].outcome, rows[1].reasons) == (
        "failed",
        ["技能考核缺考", "理论知识考试 50 分，低于合格线 60"],
    )


def test_a_candidate_sees_their_result_only_once_published(db: Session, fx: PracticalFixture):
    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    records.confirm_results(db, actor=admin, plan_id=plan_id)
    with pytest.raises(NotFound) as exc:
        records.my_result(db, login=login_of(fx, 0))
    assert exc.value.code == "result_not_published"
    assert records.publish_results(db, actor=admin, plan_id=plan_id) == 2
    mine = records.my_result(db, login=login_of(fx, 0))
    assert ([c.score for c in mine.components], mine.outcome_name) == ([80, 90], "合格")
    assert mine.recheck_until > mine.published_at + timedelta(days=15)
    with pytest.raises(NotFound):  # the pending one stays unpublished
        records.my_result(db, login=login_of(fx, 2))


def test_a_one_plus_x_plan_decides_on_its_weighted_composite(db: Session):
    exam = make_exam(db, candidates=2, tasks=True, level_code="x_intermediate")
    fx = make_practical(db, exam=exam)
    sat_theory(db, exam.seats[0].registration, 50)  # 0.4·50 + 0.6·90 = 74 → 合格
    mark_practical(db, fx, 0, 20, 30)
    sat_theory(db, exam.seats[1].registration, 90)  # 0.4·90 + 0.6·40 = 60 → 合格 at the mark
    p01, p02 = fx.paper(db, 1)
    for ex in fx.examiners:
        who = staff_actor(ex)
        practical.submit_sheet(
            db, actor=who, paper_task_id=p01.id or 0, data=SheetIn(marks={"A1": 10, "A2": 14})
        )
        practical.submit_sheet(
            db, actor=who, paper_task_id=p02.id or 0, data=SheetIn(marks={"A1": 8, "A2": 8})
        )
    admin = staff_actor(exam.admin)
    records.refresh_results(db, actor=admin, plan_id=exam.plan.id or 0)
    rows = records.plan_results(db, actor=admin, plan_id=exam.plan.id or 0).rows
    assert [(r.composite, r.outcome, r.reasons) for r in rows] == [
        (74, "passed", ["综合成绩 74 达到合格线"]),
        (60, "passed", ["综合成绩 60 达到合格线"]),
    ]
    assert [c.weight for c in rows[0].components] == [40, 60]


def test_api_review_confirm_publish_and_the_candidates_view(client: TestClient, db: Session):
    fx = make_practical(db, candidates=1)
    sat_theory(db, fx.exam.seats[0].registration, 75)
    mark_practical(db, fx, 0, 20, 30)
    db.commit()
    admin = staff_token(client, fx.exam.admin.username)
    examiner = staff_token(client, fx.examiners[1].username)
    seat = fx.exam.seats[0]
    cand = candidate_token(client, seat.ticket_number, seat.id_number)
    plan_id = fx.exam.plan.id

    r = client.get(f"/api/v1/plans/{plan_id}/results", headers=examiner)
    assert r.status_code == 403
    # nothing summed up yet: what the admin would confirm is not what the sources say
    early = client.post(f"/api/v1/plans/{plan_id}/results/confirm", headers=admin)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "results_stale")
    assert client.post(f"/api/v1/plans/{plan_id}/results/refresh", headers=admin).json() == {
        "created": 1,
        "updated": 0,
        "locked": 0,
    }
    before = client.get("/api/v1/exam/assessment-result", headers=cand)
    assert (before.status_code, before.json()["error"]["code"]) == (404, "result_not_published")
    assert client.post(f"/api/v1/plans/{plan_id}/results/confirm", headers=admin).json() == {
        "count": 1
    }
    before = client.get("/api/v1/exam/assessment-result", headers=cand)
    assert before.status_code == 404
    assert client.post(f"/api/v1/plans/{plan_id}/results/publish", headers=admin).json() == {
        "count": 1
    }
    mine = client.get("/api/v1/exam/assessment-result", headers=cand)
    assert mine.status_code == 200
    body = mine.json()
    assert (body["outcome"], [c["score"] for c in body["components"]]) == ("passed", [75, 90])
    page = client.get("/exam/assessment", headers=cand)
    assert "合格" in page.text and "90 分" in page.text


def test_pages_the_review_filters_and_confirms(client: TestClient, db: Session, fx):
    from tests.helpers import page_login

    csrf = page_login(client, fx.exam.admin.username)
    plan_id = fx.exam.plan.id
    page = client.post(f"/plans/{plan_id}/results/refresh", data={"csrf_token": csrf})
    assert page.status_code == 200 and "已汇总：新增 3 人" in page.text
    pending = client.get(f"/plans/{plan_id}/results?only=pending")
    assert fx.exam.seats[2].candidate.name in pending.text
    assert fx.exam.seats[0].candidate.name not in pending.text
    page = client.post(f"/plans/{plan_id}/results/confirm", data={"csrf_token": csrf})
    assert "已确认 2 人的成绩" in page.text


def test_the_results_workbook_and_the_result_slip(client: TestClient, db: Session, fx):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.helpers import page_login

    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    db.commit()
    headers = staff_token(client, fx.exam.admin.username)
    r = client.get(
        f"/api/v1/plans/{plan_id}/results/export.xlsx",
        params={"session_id": fx.exam.session.id},
        headers=headers,
    )
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    rows = [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert rows[0] == ["准考证号", "姓名", "理论知识考试", "技能考核", "评定结果", "原因", "状态"]
    seat = fx.exam.seats[1]
    assert rows[2] == [
        seat.ticket_number,
        seat.candidate.name,
        50,
        100,
        "不合格",
        "理论知识考试 50 分，低于合格线 60",
        "待确认",
    ]
    assert rows[3][3] == "未出"
    assert seat.id_number not in str(rows)
    result_id = records.plan_results(db, actor=admin, plan_id=plan_id).rows[1].id
    page_login(client, fx.exam.admin.username)
    slip = client.get(f"/plans/{plan_id}/results/{result_id}/slip")
    assert slip.status_code == 200
    assert "成绩通知单" in slip.text and seat.candidate.name in slip.text and "不合格" in slip.text
