"""Scoring a submitted attempt (评分): every question against the item version it was
built with, one ItemScore per question, the attempt's theory score out of 100. The rules
are in app.scoring.rules; reading results is app.results."""

import logging
from typing import Any

from sqlmodel import Session, col, select

from app.banks.models import ItemVersion
from app.core.errors import NotFound
from app.delivery.models import (
    Answer,
    Attempt,
    AttemptItem,
)
from app.exams import sessions
from app.scoring import rules
from app.scoring.models import ItemScore

log = logging.getLogger(__name__)


def discard_scores(db: Session, *, attempt: Attempt) -> None:
    """A reopened attempt has no score until it is closed and scored again: stale per-item
    scores must not show in results meanwhile."""
    for row in db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)):
        db.delete(row)
    attempt.score = None
    db.add(attempt)
    db.flush()


def score_attempt(db: Session, *, attempt_id: int) -> float:
    """Score every question of the attempt's frozen form against the item versions it was
    built with (never the bank's current version), write one ItemScore per question and
    set attempt.score (out of 100). Idempotent: scoring again rewrites the same rows.

    An item is worth the points frozen on the form (the blueprint section's points), and
    the multiple-choice rule is the blueprint's."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("考试记录不存在", code="attempt_not_found")
    _, _, blueprint = sessions.session_plan_blueprint(db, attempt.session_id)
    form = db.exec(
        select(AttemptItem, ItemVersion)
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(col(AttemptItem.position))
    ).all()
    answers = stored_answers(db, attempt_id)
    existing = item_scores(db, attempt_id)
    outcomes: list[rules.ItemOutcome] = []
    for slot, version in form:
        outcome = rules.score_response(
            item_type=version.item_type,
            key=version.key,
            points=slot.points,
            response=answers.get(slot.position),
            multiple_rule=blueprint.multiple_choice_rule,
        )
        outcomes.append(outcome)
        row = existing.pop(slot.position, None) or ItemScore(
            attempt_id=attempt_id, position=slot.position, awarded=0, max_points=0, outcome=""
        )
        row.awarded = outcome.awarded
        row.max_points = outcome.max_points
        row.outcome = outcome.outcome.value
        db.add(row)
    for stale in existing.values():  # positions no longer on the form
        db.delete(stale)
    attempt.score = rules.theory_total(outcomes)
    attempt.max_score = float(rules.FULL_MARKS)
    db.add(attempt)
    db.flush()
    log.info("attempt %s scored %s (%d items)", attempt_id, attempt.score, len(outcomes))
    return attempt.score


def stored_answers(db: Session, attempt_id: int) -> dict[int, dict[str, Any]]:
    # Answers are also written with Core statements (delivery's batching writer): read the
    # rows as stored, not as this session may have loaded them earlier.
    found = db.exec(
        select(Answer)
        .where(Answer.attempt_id == attempt_id)
        .execution_options(populate_existing=True)
    ).all()
    return {a.position: a.response for a in found}


def item_scores(db: Session, attempt_id: int) -> dict[int, ItemScore]:
    return {
        s.position: s
        for s in db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt_id)).all()
    }
