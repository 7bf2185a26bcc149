"""Scoring a submitted attempt (评分): every question against the item version it was
built with, one ItemScore per question, the theory score out of 100. The rules are in
app.scoring.rules; reading results is app.results.

Scoring is given the paper and the answers as plain data by delivery, which closes the
attempt and scores it in the same transaction: scoring reads no delivery table, so the two
depend on each other one way only (delivery → scoring)."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from app.banks.models import ItemVersion
from app.itemtypes import ItemOutcome
from app.scoring import rules
from app.scoring.models import ItemScore

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
) -> float:
    """Score every question against its own item version (never the bank's current one),
    write one ItemScore per question and return the theory score (out of 100).
    Idempotent: scoring again rewrites the same rows."""
    existing = item_scores(db, attempt_id)
    outcomes: list[ItemOutcome] = []
    for q in questions:
        outcome = rules.score_response(
            item_type=q.version.item_type,
            key=q.version.key,
            points=q.points,
            response=answers.get(q.position),
            multiple_rule=multiple_rule,
        )
        outcomes.append(outcome)
        row = existing.pop(q.position, None) or ItemScore(
            attempt_id=attempt_id, position=q.position, awarded=0, max_points=0, outcome=""
        )
        row.awarded = outcome.awarded
        row.max_points = outcome.max_points
        row.outcome = outcome.outcome.value
        db.add(row)
    for stale in existing.values():  # positions no longer on the form
        db.delete(stale)
    db.flush()
    total = rules.theory_total(outcomes)
    log.info("attempt %s scored %s (%d items)", attempt_id, total, len(outcomes))
    return total


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
