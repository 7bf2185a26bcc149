"""The correction pages and API: a centre admin corrects a session, moves and withdraws a
candidate, edits a plan, lets an understaffed room open; what was refused says why."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import clock
from app.exams.models import ExamSession, Registration
from tests.factories import make_blueprint, make_session
from tests.helpers import page_login, staff_token
from tests.proctoring.support import audits, room, start


def fresh(db: Session, model: type, obj_id: int | None):  # type: ignore[no-untyped-def]
    db.rollback()
    found = db.get(model, obj_id, populate_existing=True)
    db.commit()
    return found


def test_a_centre_admin_moves_then_withdraws_a_candidate_from_the_pages(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=2)
    later = make_session(
        db,
        exam.plan,
        admin=exam.admin,
        proctors=exam.proctors,
        name="补考场",
        starts_at=clock.utcnow() + timedelta(days=1),
    )
    db.commit()
    csrf = page_login(client, exam.admin.username)
    seat = exam.seats[1]
    page = client.get(f"/sessions/{exam.session.id}")
    assert f'href="/registrations/{seat.registration.id}">更正</a>' in page.text
    form = client.get(f"/registrations/{seat.registration.id}")
    assert form.status_code == 200 and "补考场" in form.text and "撤销报名" in form.text

    refused = client.post(
        f"/registrations/{seat.registration.id}/move",
        data={"csrf_token": csrf, "session_id": str(later.id), "reason": ""},
    )
    assert refused.status_code == 422 and "请填写操作原因" in refused.text
    moved = client.post(
        f"/registrations/{seat.registration.id}/move",
        data={"csrf_token": csrf, "session_id": str(later.id), "reason": "单位培训冲突"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"].startswith(
        f"/sessions/{later.id}?changed=moved"
    )
    there = client.get(moved.headers["location"])
    assert f"{seat.candidate.name} 已调入本场次：准考证号" in there.text
    assert "原准考证作废" in there.text
    assert seat.candidate.name not in client.get(f"/sessions/{exam.session.id}").text

    first = exam.seats[0]
    gone = client.post(
        f"/registrations/{first.registration.id}/withdraw",
        data={"csrf_token": csrf, "reason": "本人申请退考"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "已撤销该考生的报名" in client.get(gone.headers["location"]).text
    assert fresh(db, Registration, first.registration.id).withdrawn_at is not None


def test_the_session_is_corrected_from_its_page_and_a_started_one_refuses(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1, starts_at=clock.utcnow() + timedelta(hours=2))
    csrf = page_login(client, exam.admin.username)
    sid = exam.session.id
    form = client.get(f"/sessions/{sid}/edit")
    assert form.status_code == 200 and 'name="confirm_past_start"' in form.text
    base = {
        "csrf_token": csrf,
        "name": "第1场",
        "room": "实训楼 305",
        "duration_minutes": "60",
        "seats_per_row": "8",
        "reason": "机房调整",
    }
    past = clock.to_china(clock.utcnow() - timedelta(hours=1))
    assert past is not None
    r = client.post(
        f"/sessions/{sid}/edit", data={**base, "starts_at": past.strftime("%Y-%m-%dT%H:%M")}
    )
    assert r.status_code == 422 and "开考时间早于当前时间" in r.text
    assert fresh(db, ExamSession, sid).room == "第1考场"
    soon = clock.to_china(clock.utcnow() + timedelta(hours=3))
    assert soon is not None
    r = client.post(
        f"/sessions/{sid}/edit",
        data={**base, "starts_at": soon.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    s = fresh(db, ExamSession, sid)
    assert (s.room, s.seats_per_row) == ("实训楼 305", 8)
    assert "场次信息已修改" in client.get(r.headers["location"]).text


def test_an_understaffed_session_page_offers_the_override_and_records_it(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    thin = make_session(db, exam.plan, admin=exam.admin, proctors=[exam.proctor])
    db.commit()
    csrf = page_login(client, exam.admin.username)
    page = client.get(f"/sessions/{thin.id}")
    assert "补齐前考生不能开始考试" in page.text and "人员不足仍开考" in page.text
    r = client.post(
        f"/sessions/{thin.id}/staffing-override",
        data={"csrf_token": csrf, "reason": "监考员临时病假，已报备"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/sessions/{thin.id}")
    assert "已确认仍开考" in page.text and "监考员临时病假，已报备" in page.text
    assert len(audits(db, "session.staffing_override", thin.id)) == 1


def test_the_plan_is_edited_from_its_page(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1, starts_at=clock.utcnow() + timedelta(hours=2))
    csrf = page_login(client, exam.admin.username)
    pid = exam.plan.id
    assert client.get(f"/plans/{pid}/edit").status_code == 200
    r = client.post(
        f"/plans/{pid}/edit",
        data={
            "csrf_token": csrf,
            "name": "改名后的计划",
            "blueprint_id": str(exam.blueprint.id),
            "form_mode": "fixed",
            "late_entry_minutes": "20",
            "require_checkin": "1",
            "reason": "按通知调整",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "考试计划已修改" in page.text and "改名后的计划" in page.text
    [entry] = audits(db, "plan.update", pid)
    assert entry.detail["changes"]["form_mode"] == ["shuffled", "fixed"]


def test_corrections_through_the_api(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=2)
    headers = staff_token(client, exam.admin.username)
    start(db, exam, exam.seats[0])
    started = client.post(
        f"/api/v1/registrations/{exam.seats[0].registration.id}/withdraw",
        json={"reason": "退考"},
        headers=headers,
    )
    assert started.status_code == 409 and started.json()["error"]["code"] == "attempt_started"
    r = client.patch(
        f"/api/v1/candidates/{exam.seats[1].candidate.id}",
        json={
            "name": "更正后",
            "id_number": exam.seats[1].id_number,
            "phone": "13900000009",
            "reason": "录入错误",
        },
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["name"] == "更正后"
    r = client.post(
        f"/api/v1/registrations/{exam.seats[1].registration.id}/withdraw",
        json={"reason": "退考"},
        headers=headers,
    )
    assert r.status_code == 200
    r = client.patch(
        f"/api/v1/sessions/{exam.session.id}", json={"room": "x", "reason": "r"}, headers=headers
    )
    assert r.status_code == 409


def test_the_session_page_reads_absent_after_entry_closes(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=2, late_entry_minutes=10)
    start(db, exam, exam.seats[0])
    page_login(client, exam.admin.username)
    assert "缺考" not in client.get(f"/sessions/{exam.session.id}").text
    clock.travel(timedelta(minutes=11))
    page = client.get(f"/sessions/{exam.session.id}").text
    assert page.count('<span class="badge badge-bad">缺考</span>') == 1
    console = client.get(f"/proctor/sessions/{exam.session.id}").text
    assert 'pc-badge pc-state-absent">缺考</span>' in console


def test_the_plan_page_offers_its_own_level_s_blueprints_and_says_when_it_has_started(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    other = make_blueprint(db, exam.bank, admin=exam.admin, name="另一等级的组卷方案")
    other.level_code = "senior"  # another level: never a replacement for this plan's
    db.add(other)
    db.commit()
    page_login(client, exam.admin.username)
    form = client.get(f"/plans/{exam.plan.id}/edit").text
    assert exam.blueprint.name in form and "另一等级的组卷方案" not in form
    start(db, exam, exam.seats[0])
    started = client.get(f"/plans/{exam.plan.id}/edit").text
    assert "本考试计划已有考生开始作答，不能再修改或取消" in started
    assert f'action="/plans/{exam.plan.id}/edit"' not in started
    assert f'action="/plans/{exam.plan.id}/cancel"' not in started
