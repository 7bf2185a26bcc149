"""From a real exam (exams.make_exam, a shuffled paper drawn by assembly) through delivery's
start and submit to the results a staff member and the candidate read."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.principals import CandidateLogin
from app.banks.models import ItemVersion
from app.delivery import service as delivery
from app.delivery.models import Answer, AttemptItem, SubmitReason
from app.scoring.models import ItemScore
from tests.factories import MIXED_SECTIONS, Seat, make_exam
from tests.helpers import candidate_token, staff_token


def login_of(seat: Seat) -> CandidateLogin:
    reg, cand = seat.registration, seat.candidate
    return CandidateLogin(
        registration_id=reg.id or 0,
        candidate_id=cand.id or 0,
        centre_id=reg.centre_id,
        session_id=reg.session_id,
        name=cand.name,
    )


def right_answer(version: ItemVersion) -> dict[str, Any]:
    key = version.key
    return {
        "single_choice": lambda: {"choice": key["answer"]},
        "multiple_choice": lambda: {"choices": list(key["answer"])},
        "true_false": lambda: {"value": key["answer"]},
        "fill_in": lambda: {"text": f"　{key['accepted'][0].lower()}。"},
    }[version.item_type]()


def test_a_shuffled_exam_scores_and_reports(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS, require_checkin=False)
    good, idle = exam.seats
    attempt = delivery.start_attempt(db, login=login_of(good))
    delivery.start_attempt(db, login=login_of(idle))
    form = db.exec(
        select(AttemptItem, ItemVersion)
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
    ).all()
    assert len(form) == 20
    shuffled = [
        s for s, v in form if v.options and s.option_order != [o["label"] for o in v.options]
    ]
    assert shuffled, "the paper should show some options out of bank order"
    for slot, version in form:
        db.add(
            Answer(
                attempt_id=attempt.id or 0, position=slot.position, response=right_answer(version)
            )
        )
    db.flush()
    delivery.submit_attempt(
        db, attempt_id=attempt.id or 0, reason=SubmitReason.CANDIDATE, actor=login_of(good)
    )
    assert attempt.score == 100
    assert len(db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()) == 20
    db.commit()

    headers = staff_token(client, exam.examiner.username)
    body = client.get(f"/api/v1/results/sessions/{exam.session.id}", headers=headers).json()
    assert [(r["candidate_name"], r["status"], r["score"]) for r in body["rows"]] == [
        (good.candidate.name, "submitted", 100),
        (idle.candidate.name, "in_progress", None),
    ]
    detail = client.get(f"/api/v1/results/attempts/{attempt.id}", headers=headers).json()
    items = [i for s in detail["sections"] for i in s["items"]]
    # Shuffled options: what the candidate chose and the key read the same letters.
    assert all(i["response"] == i["key"] for i in items if i["item_type"] != "fill_in")
    assert {i["outcome"] for i in items} == {"correct"}
    assert [a["awarded"] for a in detail["areas"]] == [50, 50]

    mine = client.get(
        "/api/v1/exam/result", headers=candidate_token(client, good.ticket_number, good.id_number)
    ).json()
    assert (mine["score"], mine["passed"]) == (100, True)
