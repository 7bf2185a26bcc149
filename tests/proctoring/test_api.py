"""The proctor console's JSON API: the same rules as the pages, who may call it, and what
each action records."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.core import clock
from app.delivery import service as delivery
from app.delivery.models import AttemptStatus
from tests.factories import ExamFixture, make_centre, make_staff
from tests.helpers import candidate_token, staff_token
from tests.proctoring.support import attempt_of, audits, events, ran_down_from, room, start


def as_proctor(client: TestClient, exam: ExamFixture) -> dict[str, str]:
    return staff_token(client, exam.proctor.username)


def endpoints(exam: ExamFixture, attempt_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    sid, reg = exam.session.id, exam.seats[0].registration.id
    base = "/api/v1/proctor"
    reason = {"reason": "测试"}
    return [
        ("GET", f"{base}/sessions", None),
        ("GET", f"{base}/sessions/{sid}/roster", None),
        ("POST", f"{base}/registrations/{reg}/checkin", {}),
        ("POST", f"{base}/attempts/{attempt_id}/pause", reason),
        ("POST", f"{base}/attempts/{attempt_id}/resume", reason),
        ("POST", f"{base}/attempts/{attempt_id}/extra-time", {"minutes": 5, **reason}),
        ("POST", f"{base}/attempts/{attempt_id}/force-submit", reason),
        ("POST", f"{base}/attempts/{attempt_id}/reopen", reason),
        ("POST", f"{base}/sessions/{sid}/pause", reason),
        ("POST", f"{base}/sessions/{sid}/resume", reason),
        ("POST", f"{base}/registrations/{reg}/incidents", {"reason_code": "other", "note": "x"}),
        ("GET", f"{base}/sessions/{sid}/incidents", None),
        ("GET", f"{base}/sessions/{sid}/log", None),
    ]


def call(client: TestClient, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, json=body, headers=headers)


def test_roster_json_lists_every_candidate_with_state_and_time(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=2)
    running = exam.seats[1]
    start(db, exam, running)
    r = client.get(
        f"/api/v1/proctor/sessions/{exam.session.id}/roster", headers=as_proctor(client, exam)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["not_checked_in"] == 1 and body["counts"]["in_progress"] == 1
    rows = {row["registration_id"]: row for row in body["rows"]}
    row = rows[running.registration.id]
    assert row["state"] == "in_progress" and row["state_name"] == "考试中"
    assert 59 * 60 < row["remaining_seconds"] <= 60 * 60
    assert row["item_count"] == 20 and row["name"] == running.candidate.name
    assert running.id_number not in r.text  # masked everywhere
    assert row["id_number_masked"].endswith(running.id_number[-4:])


def test_check_in_through_the_api_records_who_and_when(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    reg_id = exam.seats[0].registration.id
    headers = as_proctor(client, exam)
    r = client.post(
        f"/api/v1/proctor/registrations/{reg_id}/checkin",
        json={"note": "人证合一"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["checked_in_by"] == exam.proctor.id and r.json()["checked_in_at"]
    again = client.post(f"/api/v1/proctor/registrations/{reg_id}/checkin", headers=headers)
    assert again.json()["checked_in_at"] == r.json()["checked_in_at"]
    assert len(audits(db, "registration.checkin", reg_id)) == 1
    assert events(db, reg_id, "checkin")[0].actor_staff_id == exam.proctor.id


def test_timer_actions_through_the_api_have_their_effect_and_record_why(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    headers = as_proctor(client, exam)
    base = f"/api/v1/proctor/attempts/{attempt.id}"

    paused = client.post(f"{base}/pause", json={"reason": "键盘失灵"}, headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    held = paused.json()["remaining_seconds"]
    clock.travel(timedelta(minutes=6))
    resumed = client.post(f"{base}/resume", json={"reason": "已更换键盘"}, headers=headers)
    assert resumed.json()["status"] == "in_progress"
    assert ran_down_from(resumed.json()["remaining_seconds"], held)

    extra = client.post(
        f"{base}/extra-time", json={"minutes": 15, "reason": "补偿故障时间"}, headers=headers
    )
    assert extra.status_code == 200, extra.text
    assert held + 15 * 60 - 2 <= extra.json()["remaining_seconds"] <= held + 15 * 60

    forced = client.post(f"{base}/force-submit", json={"reason": "替考"}, headers=headers)
    assert forced.json()["status"] == "submitted" and forced.json()["submit_reason"] == "forced"

    reopened = client.post(
        f"{base}/reopen", json={"reason": "核实非替考", "extra_minutes": 2}, headers=headers
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "in_progress" and reopened.json()["submit_reason"] is None

    for action, reason in [
        ("attempt.pause", "键盘失灵"),
        ("attempt.resume", "已更换键盘"),
        ("attempt.extra_time", "补偿故障时间"),
        ("attempt.force_submit", "替考"),
        ("attempt.reopen", "核实非替考"),
    ]:
        [entry] = audits(db, action, attempt.id)
        assert (entry.actor_id, entry.actor_kind, entry.reason) == (
            exam.proctor.id,
            "staff",
            reason,
        ), action
    kinds = ["pause", "resume", "extra_time", "submit", "reopen"]
    for kind in kinds:
        [event] = events(db, exam.seats[0].registration.id, kind)
        assert event.actor_staff_id == exam.proctor.id, kind


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("pause", {}, "reason"),
        ("pause", {"reason": "  "}, "reason"),
        ("extra-time", {"minutes": 5}, "reason"),
        ("extra-time", {"reason": "x"}, "minutes"),
        ("extra-time", {"minutes": 61, "reason": "x"}, "minutes"),
        ("extra-time", {"minutes": 0, "reason": "x"}, "minutes"),
        ("force-submit", {}, "reason"),
        ("reopen", {"extra_minutes": 5}, "reason"),
    ],
)
def test_a_missing_reason_or_bad_minutes_is_422_naming_the_field(
    client: TestClient, db: Session, path: str, body: dict[str, Any], field: str
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    r = client.post(
        f"/api/v1/proctor/attempts/{attempt.id}/{path}", json=body, headers=as_proctor(client, exam)
    )
    assert r.status_code == 422, r.text
    assert [d["field"] for d in r.json()["error"]["details"]] == [field]
    assert r.json()["error"]["message"]
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_room_pause_and_resume_act_on_everyone_in_one_go(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=3)
    attempts = [start(db, exam, s) for s in exam.seats]
    headers = as_proctor(client, exam)
    sid = exam.session.id
    missing = client.post(f"/api/v1/proctor/sessions/{sid}/pause", json={}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "reason"

    r = client.post(
        f"/api/v1/proctor/sessions/{sid}/pause", json={"reason": "火警"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 3
    assert {attempt_of(db, a.id).status for a in attempts} == {AttemptStatus.PAUSED}
    r = client.post(
        f"/api/v1/proctor/sessions/{sid}/resume", json={"reason": "警报解除"}, headers=headers
    )
    assert r.json()["attempt_ids"] == [a.id for a in attempts]
    assert {attempt_of(db, a.id).status for a in attempts} == {AttemptStatus.IN_PROGRESS}
    assert [e.reason for e in audits(db, "session.resume_all", sid)] == ["警报解除"]
    nothing = client.post(
        f"/api/v1/proctor/sessions/{sid}/resume", json={"reason": "x"}, headers=headers
    )
    assert nothing.status_code == 409


def test_room_pause_is_all_or_nothing(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    exam = room(db, candidates=3)
    attempts = [start(db, exam, s) for s in exam.seats]
    real = delivery._pause  # one attempt's pause inside the room-wide one
    calls = []

    def failing_third(db: Session, attempt: Any, **kwargs: Any) -> Any:
        calls.append(attempt.id)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(db, attempt, **kwargs)

    monkeypatch.setattr(delivery, "_pause", failing_third)
    broken = TestClient(client.app, raise_server_exceptions=False)
    r = broken.post(
        f"/api/v1/proctor/sessions/{exam.session.id}/pause",
        json={"reason": "停电"},
        headers=as_proctor(client, exam),
    )
    assert r.status_code == 500
    assert {attempt_of(db, a.id).status for a in attempts} == {AttemptStatus.IN_PROGRESS}
    assert audits(db, "attempt.pause") == [] and audits(db, "session.pause_all") == []


def test_incidents_through_the_api(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    reg_id = exam.seats[0].registration.id
    headers = as_proctor(client, exam)
    bad = client.post(
        f"/api/v1/proctor/registrations/{reg_id}/incidents",
        json={"reason_code": "nonsense"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "reason_code"
    r = client.post(
        f"/api/v1/proctor/registrations/{reg_id}/incidents",
        json={"reason_code": "technical_fault", "note": "鼠标失灵"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["reason_name"] == "设备/技术故障"
    listed = client.get(f"/api/v1/proctor/sessions/{exam.session.id}/incidents", headers=headers)
    [item] = listed.json()
    assert (item["note"], item["recorded_by_name"]) == ("鼠标失灵", exam.proctor.display_name)
    [entry] = audits(db, "incident.record", r.json()["id"])
    assert entry.actor_id == exam.proctor.id


def test_session_log_and_my_sessions_through_the_api(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    headers = as_proctor(client, exam)
    client.post(
        f"/api/v1/proctor/attempts/{attempt.id}/pause", json={"reason": "停电"}, headers=headers
    )
    log = client.get(
        f"/api/v1/proctor/sessions/{exam.session.id}/log?per_page=2", headers=headers
    ).json()
    first = log["entries"][0]
    assert (first["what"], first["who"], first["reason"]) == (
        "暂停考试",
        exam.proctor.display_name,
        "停电",
    )
    assert log["per_page"] == 2 and log["total"] >= 3 and log["pages"] >= 2
    mine = client.get("/api/v1/proctor/sessions", headers=headers).json()
    assert [s["id"] for s in mine] == [exam.session.id]
    assert mine[0]["in_progress"] == 0 and mine[0]["paused"] == 1 and mine[0]["is_today"]


def test_a_candidate_token_opens_no_proctor_endpoint(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    headers = candidate_token(client, seat.ticket_number, seat.id_number)
    for method, url, body in endpoints(exam, attempt.id or 0):
        r = call(client, method, url, body, headers)
        assert r.status_code in (401, 403), (url, r.status_code)
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_no_proctor_endpoint_without_a_login(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    for method, url, body in endpoints(exam, attempt.id or 0):
        assert call(client, method, url, body, {}).status_code == 401, url


def test_another_centres_staff_get_404_on_every_session_endpoint(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    other = make_centre(db)
    outsiders = [make_staff(db, Role.PROCTOR, other), make_staff(db, Role.CENTRE_ADMIN, other)]
    db.commit()
    for outsider in outsiders:
        headers = staff_token(client, outsider.username)
        for method, url, body in endpoints(exam, attempt.id or 0)[1:]:
            r = call(client, method, url, body, headers)
            assert r.status_code == 404, (url, r.status_code)
            assert exam.seats[0].candidate.name not in r.text
        assert call(client, "GET", "/api/v1/proctor/sessions", None, headers).json() == []
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_an_unassigned_proctor_or_an_examiner_is_refused(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    unassigned = make_staff(db, Role.PROCTOR, exam.centre)
    db.commit()
    for user, expected in ((unassigned, 403), (exam.examiner, 403)):
        headers = staff_token(client, user.username)
        for method, url, body in endpoints(exam, attempt.id or 0)[1:]:
            r = call(client, method, url, body, headers)
            assert r.status_code == expected, (user.role, url, r.status_code)
    headers = staff_token(client, unassigned.username)
    assert client.get("/api/v1/proctor/sessions", headers=headers).json() == []
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_an_examiner_is_refused_before_the_request_is_even_read(
    client: TestClient, db: Session
) -> None:
    """The role comes first: an examiner learns nothing of a proctor action, not even
    which fields it takes or whether an id exists."""
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    proctor = staff_token(client, exam.proctor.username)
    examiner = staff_token(client, exam.examiner.username)
    for method, url, _ in endpoints(exam, attempt.id or 0):
        malformed = re.sub(r"/\d+/", "/x/", url) + "?page=x"
        if malformed != url + "?page=x":  # the session list has neither id nor body
            assert call(client, method, malformed, [], proctor).status_code == 422, url
        r = call(client, method, malformed, [], examiner)
        assert r.status_code == 403 and r.json()["error"]["code"] == "role_forbidden", url
        assert exam.session.name not in r.text


def test_a_centre_admin_may_proctor_any_session_of_the_centre(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    headers = staff_token(client, exam.admin.username)
    r = client.post(
        f"/api/v1/proctor/attempts/{attempt.id}/pause", json={"reason": "巡考暂停"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert audits(db, "attempt.pause", attempt.id)[0].actor_id == exam.admin.id
