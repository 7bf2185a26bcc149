"""The candidate's exam API, as the candidate (bearer token or the page's cookie)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core import clock
from app.core.config import get_settings
from app.delivery import service as delivery
from app.delivery.models import Answer, AttemptEvent
from tests.delivery.support import check_in, first_of_type, login_of, paper, reload, start
from tests.factories import (
    MIXED_SECTIONS,
    ExamFixture,
    Seat,
    make_bank,
    make_blueprint,
    make_candidate,
    make_centre,
    make_exam,
    make_plan,
    make_registration,
    make_session,
    staff_actor,
)
from tests.helpers import candidate_token, csrf_of, login_csrf, staff_token

SHORT: dict[str, Any] = {"time_limit_minutes": 30, "allow_short_time": True}


def token(client: TestClient, seat: Seat) -> dict[str, str]:
    return candidate_token(client, seat.ticket_number, seat.id_number)


def put(client: TestClient, headers: dict[str, str], position: int, body: dict):
    return client.put(f"/api/v1/exam/answers/{position}", headers=headers, json=body)


def code_of(response) -> str:
    return response.json()["error"]["code"]


def answers_of(db: Session, attempt_id: int) -> dict[int, Answer]:
    rows = {a.position: a for a in db.exec(select(Answer).where(Answer.attempt_id == attempt_id))}
    db.commit()
    return rows


def test_a_candidate_takes_the_exam_over_the_api(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1, sections=MIXED_SECTIONS)
    h = token(client, exam.seats[0])
    r = client.get("/api/v1/exam", headers=h)
    assert r.status_code == 200 and r.json()["phase"] == "waiting_checkin"
    r = client.post("/api/v1/exam/start", headers=h)
    assert r.status_code == 409 and code_of(r) == "checkin_required"
    check_in(db, exam)
    r = client.post("/api/v1/exam/start", headers=h)
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["phase"] == "in_progress" and len(state["questions"]) == 20
    assert 5390 <= state["remaining_seconds"] <= 5400
    assert "key" not in r.text and "accepted" not in r.text and "答案A-F" not in r.text
    q = next(q for q in state["questions"] if q["type"] == "single_choice")
    label = q["options"][-1]["value"]

    r = put(client, h, q["position"], {"response": {"choice": label}, "flagged": True, "seq": 1})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["seq"] == 1 and saved["answered_count"] == 1 and saved["position"] == q["position"]
    assert saved["remaining_seconds"] > 5300 and saved["saved_at"]

    again = client.get("/api/v1/exam", headers=h).json()
    mine = next(x for x in again["questions"] if x["position"] == q["position"])
    assert mine["response"] == {"choice": label} and mine["flagged"] and mine["seq"] == 1
    assert again["answered"] == [q["position"]] and again["flagged"] == [q["position"]]
    assert again["last_seq"] == 1

    r = client.post("/api/v1/exam/submit", headers=h)
    assert r.status_code == 200
    done = r.json()
    assert done["phase"] == "submitted" and done["submit_reason"] == "candidate"
    assert done["score"] is not None
    r = put(client, h, q["position"], {"response": {}, "seq": 2})
    assert r.status_code == 409 and code_of(r) == "attempt_closed"


def test_save_refusals_carry_stable_codes(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    h = token(client, seat)
    r = put(client, h, 1, {"response": {}, "seq": 1})
    assert r.status_code == 409 and code_of(r) == "attempt_not_started"
    attempt = start(db, exam, seat)
    tf, _ = first_of_type(db, attempt, "true_false")

    assert code_of(put(client, h, 21, {"response": {}, "seq": 1})) == "no_such_question"
    r = put(client, h, tf.position, {"response": {"value": "maybe"}, "seq": 1})
    assert r.status_code == 422 and code_of(r) == "invalid_response"
    r = put(client, h, tf.position, {"response": {"value": True}, "seq": 0})
    assert r.status_code == 422 and code_of(r) == "invalid_request"
    # Numbers too large for the columns are refused alone, not by failing the batch.
    assert code_of(put(client, h, 2**40, {"response": {}, "seq": 1})) == "no_such_question"
    r = put(client, h, tf.position, {"response": {}, "seq": 2**40})
    assert r.status_code == 422 and code_of(r) == "invalid_request"
    r = put(client, {}, tf.position, {"response": {"value": True}, "seq": 1})
    assert r.status_code == 401 and code_of(r) == "candidate_auth_required"
    bogus = {"Authorization": "Bearer not-a-real-token"}
    assert put(client, bogus, tf.position, {"response": {}, "seq": 1}).status_code == 401
    staff = staff_token(client, exam.proctor.username)
    assert put(client, staff, tf.position, {"response": {}, "seq": 1}).status_code == 401

    delivery.pause_attempt(
        db, attempt_id=attempt.id or 0, actor=staff_actor(exam.proctor), reason="断电"
    )
    db.commit()
    r = put(client, h, tf.position, {"response": {"value": True}, "seq": 2})
    assert r.status_code == 409 and code_of(r) == "attempt_paused"
    assert r.json()["error"]["message"].startswith("考试已暂停")
    assert answers_of(db, attempt.id or 0) == {}


def test_no_save_is_taken_after_the_deadline(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=30, **SHORT)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    h = token(client, seat)
    assert put(client, h, 1, {"response": {}, "flagged": True, "seq": 1}).status_code == 200
    clock.travel(timedelta(minutes=30, seconds=get_settings().answer_grace_seconds))
    r = put(client, h, 1, {"response": {}, "seq": 2})
    assert r.status_code == 409 and code_of(r) == "deadline_passed"
    # The writer closed the attempt itself.
    closed = reload(db, attempt)
    assert closed.status == "submitted" and closed.submit_reason == "timeout"
    status = client.get("/api/v1/exam/status", headers=h).json()
    assert status["phase"] == "submitted"
    assert status["submit_message"] == "考试时间到，已自动交卷"


def test_a_candidate_reaches_only_their_own_attempt(db: Session, client: TestClient) -> None:
    long_exam = make_exam(db, candidates=1)  # 20 questions
    # Another centre's exam with a 10-question paper (10 points each).
    centre = make_centre(db)
    bank = make_bank(db, centre, points=10)
    blueprint = make_blueprint(
        db,
        bank,
        sections=[
            {"item_type": "single_choice", "count": 6, "points": 10},
            {"item_type": "true_false", "count": 4, "points": 10},
        ],
    )
    session = make_session(db, make_plan(db, blueprint, require_checkin=False))
    b, idle = (
        Seat(make_registration(db, session, candidate=cand), cand)
        for cand in (make_candidate(db, centre), make_candidate(db, centre))
    )
    db.commit()
    a = long_exam.seats[0]
    attempt_a = start(db, long_exam, a)
    attempt_b = delivery.start_attempt(db, login=login_of(b))
    db.commit()
    ha, hb, hidle = token(client, a), token(client, b), token(client, idle)
    assert put(client, ha, 15, {"response": {}, "flagged": True, "seq": 1}).status_code == 200

    # Position 15 exists on A's paper only: for B it is no question at all.
    r = put(client, hb, 15, {"response": {}, "flagged": True, "seq": 5})
    assert r.status_code == 404 and code_of(r) == "no_such_question"
    # B's position 1 is B's own question; A's answers are untouched.
    b_first = paper(db, attempt_b)[0][0]
    r = put(client, hb, 1, {"response": {"choice": b_first.option_order[0]}, "seq": 9})
    assert r.status_code == 200
    # A candidate without an attempt writes nowhere.
    assert put(client, hidle, 1, {"response": {}, "seq": 1}).status_code == 409
    assert set(answers_of(db, attempt_a.id or 0)) == {15}
    assert answers_of(db, attempt_a.id or 0)[15].client_seq == 1
    assert set(answers_of(db, attempt_b.id or 0)) == {1}
    # The state API shows each candidate only their own paper.
    state_b = client.get("/api/v1/exam", headers=hb).json()
    assert state_b["item_count"] == 10 and state_b["answered"] == [1]
    assert state_b["candidate_name"] == b.candidate.name
    assert a.candidate.name not in client.get("/api/v1/exam", headers=hb).text


def test_out_of_order_saves_keep_the_newest(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    slot, _ = first_of_type(db, attempt, "true_false")
    h = token(client, seat)
    assert (
        put(client, h, slot.position, {"response": {"value": False}, "seq": 3}).json()["seq"] == 3
    )
    late = put(client, h, slot.position, {"response": {"value": True}, "seq": 2})
    assert late.status_code == 200 and late.json()["seq"] == 3
    assert answers_of(db, attempt.id or 0)[slot.position].response == {"value": False}


def test_concurrent_saves_all_commit_through_the_writer(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=2)
    attempts = [start(db, exam, seat) for seat in exam.seats]
    headers = [token(client, seat) for seat in exam.seats]
    jobs = []
    for who in range(2):
        for _, (slot, version) in enumerate(paper(db, attempts[who])):
            response = (
                {"choice": slot.option_order[0]}
                if version.item_type == "single_choice"
                else {"value": True}
            )
            jobs.append((who, slot.position, {"response": response, "seq": slot.position}))

    def send(job: tuple[int, int, dict]) -> int:
        who, position, body = job
        return put(client, headers[who], position, body).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(send, jobs))
    assert codes == [200] * 40
    for attempt in attempts:
        assert reload(db, attempt).answered_count == 20
        assert len(answers_of(db, attempt.id or 0)) == 20
    events = db.exec(select(AttemptEvent).where(AttemptEvent.kind == "answer")).all()
    db.commit()
    assert len(events) == 40


def test_window_events_count_leaving_and_enforce_the_limit(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1, leave_limit=2)
    start(db, exam, exam.seats[0])
    h = token(client, exam.seats[0])
    first = client.post("/api/v1/exam/events", headers=h, json={"kind": "blur"}).json()
    assert first == {
        "kind": "blur",
        "status": "in_progress",
        "leave_count": 1,
        "leave_limit": 2,
        "submitted": False,
    }
    assert client.post("/api/v1/exam/events", headers=h, json={"kind": "focus"}).status_code == 200
    second = client.post("/api/v1/exam/events", headers=h, json={"kind": "blur"}).json()
    assert second["submitted"] and second["status"] == "submitted"
    r = client.post("/api/v1/exam/events", headers=h, json={"kind": "teleport"})
    assert r.status_code == 422
    status = client.get("/api/v1/exam/status", headers=h).json()
    assert status["submit_reason"] == "leave_limit"


def test_the_score_is_shown_only_when_the_plan_says_so(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1, show_score_to_candidate=False)
    start(db, exam, exam.seats[0])
    h = token(client, exam.seats[0])
    done = client.post("/api/v1/exam/submit", headers=h).json()
    assert done["phase"] == "submitted" and done["score"] is None


def page_login(client: TestClient, seat: Seat) -> str:
    r = client.post(
        "/exam/login",
        data={
            "ticket_number": seat.ticket_number,
            "id_number": seat.id_number,
            "csrf_token": login_csrf(client, "/exam/login"),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/exam"
    return csrf_of(client, "/exam")


def test_the_page_saves_with_its_cookie_and_csrf_header(db: Session, client: TestClient) -> None:
    exam: ExamFixture = make_exam(db, candidates=1)
    start(db, exam, exam.seats[0])
    csrf = page_login(client, exam.seats[0])
    r = client.put("/api/v1/exam/answers/1", json={"response": {}, "flagged": True, "seq": 1})
    assert r.status_code == 403 and code_of(r) == "csrf_failed"
    r = client.put(
        "/api/v1/exam/answers/1",
        json={"response": {}, "flagged": True, "seq": 1},
        headers={"X-CSRF-Token": "forged-é".encode("latin-1")},
    )
    assert r.status_code == 403 and code_of(r) == "csrf_failed"
    r = client.put(
        "/api/v1/exam/answers/1",
        json={"response": {}, "flagged": True, "seq": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert login_of(exam.seats[0]).name in client.get("/exam").text
