"""The demo data that `bash scripts/demo.sh` loads."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

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
    assert len(db.exec(select(Registration)).all()) == len(demo.DEMO_CANDIDATES)
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
