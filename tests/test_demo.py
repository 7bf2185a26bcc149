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
    ) + len(demo.ISSUED_CANDIDATES) + len(demo.WRITTEN_CANDIDATES)
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


def test_demo_written_answers_are_being_marked(db: Session) -> None:
    from app.accounts.models import StaffUser
    from app.delivery.models import Attempt
    from app.exams.models import ExamPlan, ExamSession
    from app.results import written
    from tests.factories import staff_actor

    demo.seed(db)
    db.commit()
    plan = db.exec(select(ExamPlan).where(ExamPlan.name == demo.WRITTEN_PLAN)).one()
    session = db.exec(select(ExamSession).where(ExamSession.plan_id == plan.id)).one()
    chief = staff_actor(db.exec(select(StaffUser).where(StaffUser.username == "examiner")).one())
    [job] = written.marker_jobs(db, actor=chief)
    assert job.exam_session_id == session.id and job.is_chief
    # 4 candidates × 4 short answers; candidates 1 and 2 settled, candidate 3 has its
    # answers at the chief, candidate 4's wait for examiner's second mark.
    assert (job.responses, job.final, job.arbitration) == (16, 8, 4)
    assert sum(i.to_mark_by_me for i in job.items) == 4
    scores = sorted(
        (a.score is not None)
        for a in db.exec(select(Attempt).where(Attempt.session_id == session.id))
    )
    assert scores == [False, False, True, True]
