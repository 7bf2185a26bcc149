"""scoring.service: scoring an attempt in the database."""

import pytest
from sqlmodel import Session, col, select, update

from app.banks.models import Item
from app.core.errors import NotFound
from app.delivery import service as delivery_service
from app.delivery.models import Answer
from app.scoring.models import ItemScore
from tests.scoring.builders import (
    ALL_RIGHT,
    DEFAULT_ITEMS,
    MIXED,
    ItemSpec,
    make_attempt,
    make_item_version,
    make_paper,
)


def scores_of(db: Session, attempt_id: int) -> list[tuple[int, float, float, str]]:
    rows = db.exec(
        select(ItemScore)
        .where(ItemScore.attempt_id == attempt_id)
        .order_by(col(ItemScore.position))
    ).all()
    return [(r.position, r.awarded, r.max_points, r.outcome) for r in rows]


# -- score_attempt --------------------------------------------------------------------------


def test_all_right_scores_100(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=ALL_RIGHT)
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 100
    assert attempt.score == 100 and attempt.max_score == 100
    assert [r[3] for r in scores_of(db, attempt.id or 0)] == ["correct"] * 6


def test_mixed_attempt_writes_one_row_per_question(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=MIXED)
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 60
    assert scores_of(db, attempt.id or 0) == [
        (1, 20, 20, "correct"),
        (2, 0, 20, "wrong"),
        (3, 20, 30, "partial"),
        (4, 0, 10, "blank"),
        (5, 10, 10, "correct"),
        (6, 10, 10, "correct"),
    ]


def test_all_or_nothing_blueprint_gives_no_partial_credit(db: Session) -> None:
    paper = make_paper(db, rule="all_or_nothing")
    attempt = make_attempt(db, paper, answers=MIXED)
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 40
    assert scores_of(db, attempt.id or 0)[2] == (3, 0, 30, "wrong")


def test_an_empty_attempt_scores_zero_with_every_question_blank(db: Session) -> None:
    attempt = make_attempt(db, make_paper(db))
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 0
    assert {r[3] for r in scores_of(db, attempt.id or 0)} == {"blank"}


def test_rescoring_gives_the_same_rows(db: Session) -> None:
    attempt = make_attempt(db, make_paper(db), answers=MIXED)
    delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    first = db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()
    ids = sorted(r.id or 0 for r in first)
    rows = scores_of(db, attempt.id or 0)
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 60
    assert scores_of(db, attempt.id or 0) == rows
    again = db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()
    assert sorted(r.id or 0 for r in again) == ids
    db.commit()


def test_points_come_from_the_form_not_the_bank(db: Session) -> None:
    paper = make_paper(db)
    paper.versions[0].points = 1.5  # the bank says 1.5; this paper's section says 20
    db.add(paper.versions[0])
    attempt = make_attempt(db, paper, answers={1: {"choice": "B"}})
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 20


def test_scores_against_the_frozen_version_after_the_bank_item_changed(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers={1: {"choice": "B"}})
    # The bank's key for item 1 is corrected to C after the exam: a new version.
    item = db.get(Item, paper.versions[0].item_id)
    new = make_item_version(
        db, paper.bank, ItemSpec(0, "single_choice", {"answer": "C"}, 20, "A", "001"), item=item
    )
    assert item is not None and item.current_version == new.version == 2
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 20
    assert scores_of(db, attempt.id or 0)[0] == (1, 20, 20, "correct")


def test_a_paper_not_worth_100_is_scaled(db: Session) -> None:
    specs = (
        ItemSpec(0, "true_false", {"answer": True}, 1, "A", "001"),
        ItemSpec(0, "true_false", {"answer": True}, 1, "A", "001"),
        ItemSpec(0, "true_false", {"answer": False}, 1, "A", "001"),
    )
    paper = make_paper(db, specs=specs)
    attempt = make_attempt(db, paper, answers={1: {"value": True}})
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 33.3


def test_unknown_attempt_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        delivery_service.score_attempt(db, attempt_id=999)


def test_default_items_total_100() -> None:
    assert sum(s.points for s in DEFAULT_ITEMS) == 100


def test_scoring_reads_answers_as_stored_not_as_loaded(db: Session) -> None:
    # Delivery's writer saves with Core statements; an Answer this session loaded
    # before must not hide the saved response.
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers={1: {"choice": "A"}})
    loaded = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    assert loaded.response == {"choice": "A"}
    db.connection().execute(
        update(Answer).where(col(Answer.id) == loaded.id).values(response={"choice": "B"})
    )
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 20
