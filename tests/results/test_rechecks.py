"""复核: a candidate asks within the window, the centre re-marks (another examiner) or
re-adds, the decision is recorded with old and new score, and a changed result is
confirmed and published again."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.results import rechecks, records
from app.results.models import RecheckRequest
from app.results.schemas import RecheckDecisionIn, RecheckIn
from tests.factories import PracticalFixture, make_practical, make_staff, staff_actor
from tests.helpers import candidate_token, page_login, staff_token
from tests.results.test_records import login_of, mark_practical, sat_theory


@pytest.fixture
def published(db: Session) -> PracticalFixture:
    """One candidate: theory 55 (fails), practical 90; confirmed and published."""
    fx = make_practical(db, candidates=1)
    sat_theory(db, fx.exam.seats[0].registration, 55)
    mark_practical(db, fx, 0, 20, 30)
    admin = staff_actor(fx.exam.admin)
    records.refresh_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    records.confirm_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    records.publish_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    db.commit()
    return fx


def test_a_request_needs_a_scored_component_a_reason_and_the_window(
    db: Session, published: PracticalFixture
):
    login = login_of(published, 0)
    for data, code in (
        (RecheckIn(component="review", reason="分数有误"), "recheck_component_invalid"),
        (RecheckIn(component="theory", reason="  "), "reason_required"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            rechecks.request_recheck(db, login=login, data=data)
        assert exc.value.code == code
    out = rechecks.request_recheck(
        db, login=login, data=RecheckIn(component="theory", reason="判断题第 3 题应为正确")
    )
    assert (out.component_name, out.old_score, out.decided) == ("理论知识考试", 55, False)
    with pytest.raises(Conflict) as exc2:
        rechecks.request_recheck(db, login=login, data=RecheckIn(component="theory", reason="再问"))
    assert exc2.value.code == "recheck_pending"
    clock.travel(timedelta(days=17))
    with pytest.raises(Conflict) as exc2:
        rechecks.request_recheck(
            db, login=login, data=RecheckIn(component="practical", reason="过期")
        )
    assert exc2.value.code == "recheck_window_closed"
    assert len(db.exec(select(RecheckRequest)).all()) == 1


def test_a_changed_score_is_re_confirmed_and_published_again(
    db: Session, published: PracticalFixture
):
    fx = published
    admin = staff_actor(fx.exam.admin)
    plan_id = fx.exam.plan.id or 0
    login = login_of(fx, 0)
    first = records.my_result(db, login=login)
    req = rechecks.request_recheck(
        db, login=login, data=RecheckIn(component="theory", reason="判断题第 3 题应为正确")
    )
    decision = RecheckDecisionIn(
        method="remark", new_score=60, decision="第 3 题答案正确，加 5 分", examiner_id=fx.chief.id
    )
    with pytest.raises(ValidationFailed) as exc:
        rechecks.decide_recheck(db, actor=admin, request_id=req.id, data=decision)
    assert exc.value.code == "remarker_on_panel"
    outsider = make_staff(db, Role.EXAMINER, fx.exam.centre)
    decision.examiner_id = outsider.id
    out = rechecks.decide_recheck(db, actor=admin, request_id=req.id, data=decision)
    assert (out.old_score, out.new_score, out.remarked_by) == (55, 60, outsider.display_name)
    with pytest.raises(Conflict) as exc2:
        rechecks.decide_recheck(db, actor=admin, request_id=req.id, data=decision)
    assert exc2.value.code == "recheck_decided"
    # back to be confirmed: recomputed with the new score, hidden until published again
    row = records.plan_results(db, actor=admin, plan_id=plan_id).rows[0]
    assert (row.state, row.outcome, [c.score for c in row.components]) == (
        "draft",
        "passed",
        [60, 90],
    )
    with pytest.raises(NotFound) as exc3:
        records.my_result(db, login=login)
    assert exc3.value.code == "result_under_recheck"
    records.confirm_results(db, actor=admin, plan_id=plan_id)
    records.publish_results(db, actor=admin, plan_id=plan_id)
    again = rechecks.candidate_view(db, login=login)
    assert (again.outcome_name, again.published_at) == ("合格", first.published_at)
    assert [(q.old_score, q.new_score, q.decision) for q in again.rechecks] == [
        (55, 60, "第 3 题答案正确，加 5 分")
    ]


def test_an_unchanged_score_leaves_the_published_result(db: Session, published: PracticalFixture):
    fx = published
    admin = staff_actor(fx.exam.admin)
    req = rechecks.request_recheck(
        db, login=login_of(fx, 0), data=RecheckIn(component="practical", reason="复核合分")
    )
    rechecks.decide_recheck(
        db,
        actor=admin,
        request_id=req.id,
        data=RecheckDecisionIn(method="readd", new_score=90, decision="合分无误，维持原成绩"),
    )
    row = records.plan_results(db, actor=admin, plan_id=fx.exam.plan.id or 0).rows[0]
    assert (row.state, [c.score for c in row.components]) == ("published", [55, 90])


def test_api_and_pages_of_a_recheck(client: TestClient, db: Session, published: PracticalFixture):
    fx = published
    seat = fx.exam.seats[0]
    cand = candidate_token(client, seat.ticket_number, seat.id_number)
    r = client.post(
        "/api/v1/exam/rechecks", json={"component": "theory", "reason": "请复核"}, headers=cand
    )
    assert r.status_code == 201, r.text
    admin = staff_token(client, fx.exam.admin.username)
    listed = client.get(f"/api/v1/plans/{fx.exam.plan.id}/rechecks", headers=admin).json()
    assert [(q["ticket_number"], q["decided"]) for q in listed] == [(seat.ticket_number, False)]
    bad = client.post(
        f"/api/v1/rechecks/{listed[0]['id']}/decision",
        json={"method": "readd", "new_score": 101, "decision": "x"},
        headers=admin,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "mark_out_of_range")
    page_login(client, fx.exam.admin.username)
    page = client.get(f"/plans/{fx.exam.plan.id}/results")
    assert "复核申请" in page.text and "请复核" in page.text
    mine = client.get("/exam/assessment", headers=cand)
    assert "处理中" in mine.text
