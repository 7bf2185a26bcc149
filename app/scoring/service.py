"""Scoring a submitted attempt (评分): every question against the item version it was
built with, one ItemScore per question, the theory score out of 100. The rules are in
app.scoring.rules; reading results is app.results.

Scoring is given the paper and the answers as plain data by delivery, which closes the
attempt and scores it in the same transaction: scoring reads no delivery table, so the two
depend on each other one way only (delivery → scoring)."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.banks.models import ItemVersion
from app.itemtypes import ItemOutcome, Outcome, strategy_for
from app.itemtypes.base import credited, dec
from app.scoring import rules
from app.scoring.models import ItemScore, ResponseMark

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Question:
    """One question of a frozen form: its place, what it is worth on this paper (the
    blueprint section's points) and the item version it was built with."""

    position: int
    points: float
    version: ItemVersion


def score_answers(
    db: Session,
    *,
    attempt_id: int,
    questions: Sequence[Question],
    answers: Mapping[int, Any],
    multiple_rule: str,
) -> float | None:
    """Score every question against its own item version (never the bank's current one),
    write one ItemScore per question and return the theory score (out of 100), or None
    while a response to an item marked by people awaits its marks (待评阅).
    Idempotent: scoring again rewrites the same rows and keeps the examiners' settled
    marks (a response cannot change once marked: delivery refuses to reopen it)."""
    existing = item_scores(db, attempt_id)
    outcomes: list[ItemOutcome] = []
    for q in questions:
        row = existing.pop(q.position, None)
        if row is not None and _settled_by_people(q.version.item_type, row):
            outcomes.append(_outcome_of(row))
            continue
        outcome = rules.score_response(
            item_type=q.version.item_type,
            key=q.version.key,
            points=q.points,
            response=answers.get(q.position),
            multiple_rule=multiple_rule,
        )
        outcomes.append(outcome)
        row = row or ItemScore(
            attempt_id=attempt_id, position=q.position, awarded=0, max_points=0, outcome=""
        )
        row.awarded = outcome.awarded
        row.max_points = outcome.max_points
        row.outcome = outcome.outcome.value
        db.add(row)
    for stale in existing.values():  # positions no longer on the form
        db.delete(stale)
    db.flush()
    if any(o.outcome == Outcome.PENDING for o in outcomes):
        log.info("attempt %s scored, written answers await marking", attempt_id)
        return None
    total = rules.theory_total(outcomes)
    log.info("attempt %s scored %s (%d items)", attempt_id, total, len(outcomes))
    return total


def _settled_by_people(item_type: str, row: ItemScore) -> bool:
    return strategy_for(item_type).marked_by_people and row.outcome not in (
        Outcome.PENDING,
        Outcome.BLANK,
        "",
    )


def _outcome_of(row: ItemScore) -> ItemOutcome:
    return ItemOutcome(awarded=row.awarded, max_points=row.max_points, outcome=Outcome(row.outcome))


def record_marked_score(
    db: Session, *, attempt_id: int, position: int, awarded: Decimal
) -> float | None:
    """An item marked by people gets its settled score (the examiners' mean, a third
    mark's or the chief examiner's); returns the attempt's theory score once no item is
    pending any more, else None. The caller (app/results/written.py) stores the total on
    the attempt, as delivery does on submission."""
    rows = item_scores(db, attempt_id)
    row = rows.get(position)
    if row is None or row.outcome != Outcome.PENDING:
        raise ValueError(f"attempt {attempt_id} position {position} is not pending marking")
    outcome = credited(dec(row.max_points), awarded, dec(row.max_points))
    row.awarded = outcome.awarded
    row.outcome = outcome.outcome.value
    db.add(row)
    db.flush()
    if any(r.outcome == Outcome.PENDING for r in rows.values()):
        return None
    return rules.theory_total(_outcome_of(r) for r in rows.values())


def pending_positions(db: Session, attempt_id: int) -> list[int]:
    """Positions of an attempt's responses waiting for examiners' marks."""
    return list(
        db.exec(
            select(ItemScore.position)
            .where(ItemScore.attempt_id == attempt_id, ItemScore.outcome == Outcome.PENDING)
            .order_by(col(ItemScore.position))
        )
    )


def has_marks(db: Session, attempt_id: int) -> bool:
    """Whether examiners have begun marking this attempt's written answers (its responses
    are then final: reopening the attempt would change what they marked)."""
    return (
        db.exec(
            select(ResponseMark.id).where(ResponseMark.attempt_id == attempt_id).limit(1)
        ).first()
        is not None
    )


def discard_scores(db: Session, *, attempt_id: int) -> None:
    """Remove an attempt's per-item scores (a reopened attempt is scored again when it
    closes again; stale scores must not show in results meanwhile)."""
    for row in db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt_id)):
        db.delete(row)
    db.flush()


def item_scores(db: Session, attempt_id: int) -> dict[int, ItemScore]:
    return {
        s.position: s
        for s in db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt_id)).all()
    }
