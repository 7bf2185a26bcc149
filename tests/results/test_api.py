"""JSON API for results: staff reads of sessions and attempts, Excel export, and a
candidate's own result; scoped to the reader's centre and role."""

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.accounts.models import Role, StaffUser
from app.audit.models import AuditEntry
from app.delivery import service as delivery_service
from app.delivery.models import Attempt, AttemptStatus
from app.exams.models import Candidate, Registration
from tests.factories import make_centre, make_staff
from tests.helpers import candidate_token, staff_token
from tests.scoring.builders import ALL_RIGHT, Paper, make_attempt, make_paper, make_registration


@dataclass
class Exam:
    paper: Paper
    regs: list[tuple[Registration, Candidate]]
    attempts: tuple[Attempt, Attempt, Attempt]
    users: dict[Role, StaffUser]


@pytest.fixture
def exam(db: Session) -> Exam:
    """A session with three candidates: 赵一 all right (100), 赵二 one right (20),
    赵三 still writing; an admin, an examiner and a proctor of the centre."""
    paper = make_paper(db)
    regs = [make_registration(db, paper, name=f"赵{n}", seat=i) for i, n in enumerate("一二三", 1)]
    a1 = make_attempt(db, paper, regs[0][0], answers=ALL_RIGHT)
    a2 = make_attempt(db, paper, regs[1][0], answers={1: {"choice": "B"}}, reason="forced")
    a3 = make_attempt(db, paper, regs[2][0], status=AttemptStatus.IN_PROGRESS)
    for a in (a1, a2):
        delivery_service.score_attempt(db, attempt_id=a.id or 0)
    users = {
        r: make_staff(db, r, paper.centre) for r in (Role.CENTRE_ADMIN, Role.EXAMINER, Role.PROCTOR)
    }
    db.commit()
    return Exam(paper, regs, (a1, a2, a3), users)


def as_role(client: TestClient, exam: Exam, role: Role) -> dict[str, str]:
    return staff_token(client, exam.users[role].username)


def other_centre_admin(db: Session, client: TestClient) -> dict[str, str]:
    user = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    return staff_token(client, user.username)


def test_session_results(client: TestClient, exam: Exam) -> None:
    paper: Paper = exam.paper
    r = client.get(
        f"/api/v1/results/sessions/{paper.session.id}",
        headers=as_role(client, exam, Role.CENTRE_ADMIN),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["candidate_name"], x["status"], x["score"], x["passed"]) for x in body["rows"]] == [
        ("赵一", "submitted", 100, True),
        ("赵二", "submitted", 20, False),
        ("赵三", "in_progress", None, None),
    ]
    assert body["rows"][1]["submit_reason_name"] == "监考员强制收卷"
    assert body["session"]["pass_mark"] == 60
    assert (body["session"]["submitted"], body["session"]["average"]) == (2, 60)


def test_session_results_filter(client: TestClient, exam: Exam) -> None:
    sid = exam.paper.session.id
    headers = as_role(client, exam, Role.EXAMINER)
    r = client.get(f"/api/v1/results/sessions/{sid}?only=failed", headers=headers)
    assert [x["candidate_name"] for x in r.json()["rows"]] == ["赵二"]
    assert (
        client.get(f"/api/v1/results/sessions/{sid}?only=bogus", headers=headers).status_code == 422
    )


def test_session_list(client: TestClient, exam: Exam) -> None:
    r = client.get("/api/v1/results/sessions", headers=as_role(client, exam, Role.EXAMINER))
    assert r.status_code == 200
    [s] = r.json()
    assert (s["session_id"], s["registered"], s["submitted"], s["scored"], s["passed"]) == (
        exam.paper.session.id,
        3,
        2,
        2,
        1,
    )


def test_proctor_may_not_read_scores(client: TestClient, exam: Exam) -> None:
    headers = as_role(client, exam, Role.PROCTOR)
    sid, aid = exam.paper.session.id, exam.attempts[0].id
    for path in (
        "/api/v1/results/sessions",
        f"/api/v1/results/sessions/{sid}",
        f"/api/v1/results/sessions/{sid}/export.xlsx",
        f"/api/v1/results/attempts/{aid}",
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 403, path
        assert "赵一" not in r.text


def test_another_centre_gets_404_and_no_data(
    db: Session,
    client: TestClient,
    exam: Exam,
) -> None:
    headers = other_centre_admin(db, client)
    sid, aid = exam.paper.session.id, exam.attempts[0].id
    for path in (
        f"/api/v1/results/sessions/{sid}",
        f"/api/v1/results/sessions/{sid}/export.xlsx",
        f"/api/v1/results/attempts/{aid}",
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 404, path
        assert "赵一" not in r.text
    assert client.get("/api/v1/results/sessions", headers=headers).json() == []


def test_anonymous_is_401(client: TestClient, exam: Exam) -> None:
    assert client.get(f"/api/v1/results/sessions/{exam.paper.session.id}").status_code == 401


def test_attempt_breakdown(client: TestClient, exam: Exam) -> None:
    a2 = exam.attempts[1]
    r = client.get(
        f"/api/v1/results/attempts/{a2.id}", headers=as_role(client, exam, Role.EXAMINER)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["candidate_name"] == "赵二" and body["score"] == 20 and body["passed"] is False
    first = body["sections"][0]["items"][0]
    assert (first["response"], first["key"], first["outcome"], first["awarded"]) == (
        "B",
        "B",
        "correct",
        20,
    )
    assert [(a["code"], a["awarded"], a["max_points"]) for a in body["areas"]] == [
        ("A", 20, 30),
        ("B", 0, 50),
        ("C", 0, 20),
    ]


def test_breakdown_of_unsubmitted_attempt_is_409(client: TestClient, exam: Exam) -> None:
    a3 = exam.attempts[2]
    r = client.get(
        f"/api/v1/results/attempts/{a3.id}", headers=as_role(client, exam, Role.CENTRE_ADMIN)
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "attempt_not_submitted"


def test_export_xlsx(db: Session, client: TestClient, exam: Exam) -> None:
    sid = exam.paper.session.id
    r = client.get(
        f"/api/v1/results/sessions/{sid}/export.xlsx",
        headers=as_role(client, exam, Role.CENTRE_ADMIN),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E6%88%90%E7%BB%A9%E5%8D%95" in r.headers["content-disposition"]
    ws = load_workbook(BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:6] == ("座位号", "姓名", "准考证号", "状态", "理论成绩", "是否合格")
    assert [row[1:6] for row in rows[1:]] == [
        ("赵一", exam.regs[0][0].ticket_number, "已交卷", 100, "合格"),
        ("赵二", exam.regs[1][0].ticket_number, "已交卷", 20, "不合格"),
        ("赵三", exam.regs[2][0].ticket_number, "作答中", None, None),
    ]
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "results.export")).one()
    assert (entry.object_id, entry.actor_name) == (
        sid,
        exam.users[Role.CENTRE_ADMIN].display_name,
    )


# -- the candidate's own result ------------------------------------------------------------


def candidate_headers(client: TestClient, seat: tuple[Registration, Candidate]) -> dict[str, str]:
    reg, cand = seat
    return candidate_token(client, reg.ticket_number, cand.id_number)


def test_candidate_sees_own_score(db: Session, client: TestClient, exam: Exam) -> None:
    headers = candidate_headers(client, exam.regs[1])
    r = client.get("/api/v1/exam/result", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["candidate_name"], body["score"], body["passed"], body["pass_mark"]) == (
        "赵二",
        20,
        False,
        60,
    )
    assert "sections" not in body and "key" not in r.text


def test_candidate_score_hidden_when_plan_says_so(db: Session, client: TestClient) -> None:
    paper = make_paper(db, show_score=False)
    reg_cand = make_registration(db, paper)
    attempt = make_attempt(db, paper, reg_cand[0], answers=ALL_RIGHT)
    delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    db.commit()
    body = client.get("/api/v1/exam/result", headers=candidate_headers(client, reg_cand)).json()
    assert (body["score_visible"], body["score"], body["passed"]) == (False, None, None)
    assert body["status"] == "submitted"


def test_candidate_before_starting(db: Session, client: TestClient) -> None:
    paper = make_paper(db, starts_at_offset=timedelta(minutes=-5))  # entry still open
    reg_cand = make_registration(db, paper)
    db.commit()
    body = client.get("/api/v1/exam/result", headers=candidate_headers(client, reg_cand)).json()
    assert (body["status"], body["score"]) == ("not_started", None)


def test_staff_token_is_not_a_candidate(client: TestClient, exam: Exam) -> None:
    r = client.get("/api/v1/exam/result", headers=as_role(client, exam, Role.CENTRE_ADMIN))
    assert r.status_code == 401


def test_candidate_cannot_read_staff_results(db: Session, client: TestClient, exam: Exam) -> None:
    headers = candidate_headers(client, exam.regs[0])
    r = client.get(f"/api/v1/results/attempts/{exam.attempts[0].id}", headers=headers)
    assert r.status_code == 401
