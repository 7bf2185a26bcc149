"""The demo data that `bash scripts/demo.sh` loads."""

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app import demo
from app.banks.models import QuestionBank
from app.exams.models import Registration
from tests.helpers import candidate_token, staff_token


def test_demo_seed_is_usable_and_idempotent(client: TestClient, db: Session) -> None:
    first = demo.seed(db)
    db.commit()
    again = demo.seed(db)
    db.commit()
    assert [t.ticket_number for t in again.tickets] == [t.ticket_number for t in first.tickets]
    assert len(first.tickets) == len(demo.DEMO_CANDIDATES)
    assert len(db.exec(select(Registration)).all()) == len(demo.DEMO_CANDIDATES) + len(
        demo.FINISHED_CANDIDATES
    ) + len(demo.ISSUED_CANDIDATES)
    assert {b.code for b in db.exec(select(QuestionBank))} == {
        "DG-6-31-01-03-L4",
        "DG-6-31-01-03-L3",
        "GYHLW-L4",
        "GYHLW-L3",
    }
    db.rollback()  # end the read: SQLite transactions hold the write lock
    # Every printed account and ticket logs in.
    for login in first.staff:
        staff_token(client, login.username, login.password)
    ticket = first.tickets[0]
    headers = candidate_token(client, ticket.ticket_number, ticket.id_number)
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["kind"] == "candidate" and me["name"] == ticket.name


def test_demo_has_a_finished_assessment_with_published_results(
    client: TestClient, db: Session
) -> None:
    from app.exams.models import ExamPlan
    from app.results.models import Arbitration, Result

    data = demo.seed(db)
    db.commit()
    finished = db.exec(select(ExamPlan).where(ExamPlan.name == demo.FINISHED_PLAN)).one()
    results = db.exec(select(Result).where(Result.plan_id == finished.id)).all()
    assert len(results) == len(demo.FINISHED_CANDIDATES)
    assert {r.state for r in results} == {"published"}
    assert {r.outcome for r in results} == {"passed", "failed"}
    assert len(db.exec(select(Arbitration)).all()) >= 1
    db.rollback()
    ticket = data.finished_tickets[0]
    headers = candidate_token(client, ticket.ticket_number, ticket.id_number)
    mine = client.get("/api/v1/exam/assessment-result", headers=headers)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [c["component"] for c in body["components"]] == ["theory", "practical"]
    assert all(c["score"] is not None for c in body["components"])


def test_demo_certificates_trigger_the_policies_in_force(db: Session) -> None:
    """The regulator's queue has content on first start: the issued 三级 assessment's
    certificates triggered the graduate, rent and employment-training subsidies (the
    first by the centre's recorded override of 孙丽's eligibility), the appointed 特级技师's
    the 技师研修提升 subsidy."""
    from app.subsidies.models import SubsidyRecord

    demo.seed(db)
    db.commit()
    got = {(r.holder_name, r.policy_id, r.tranche) for r in db.exec(select(SubsidyRecord))}
    assert got == {
        ("郑红", "huainan-technician-training", "full"),
        ("孙丽", "huainan-graduate-assessment", "full"),
        ("周强", "huainan-skilled-rent", "month"),
        ("吴刚", "huainan-employment-training", "initial"),
        ("吴刚", "huainan-employment-training", "deferred"),
    }
    override = db.exec(
        select(Registration).where(col(Registration.eligibility_override_reason) != "")
    ).all()
    assert len(override) == 1
