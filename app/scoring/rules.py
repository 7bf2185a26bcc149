"""Objective scoring of theory papers (客观题评分): pure functions, no database.

One response is scored by its item type's strategy (app/itemtypes: single_choice
{"choice": "B"}, multiple_choice {"choices": ["A", "C"]}, true_false {"value": true},
fill_in {"text": "..."}; {} or a missing answer is blank); this module adds up a paper,
rounds, and holds the pass rule.

Whatever a candidate's client sent, scoring never raises on a response: an empty one is
`blank`, one that cannot be read is `wrong`. A key that breaks its shape is a bank bug
(banks validate keys on import) and raises ValueError.

Arithmetic is in Decimal so that a sum of 0.5-point items, a proportional partial score or
a numeric answer exactly at the tolerance boundary is never lost to float error."""

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.itemtypes import ItemOutcome, MultipleChoiceRule, strategy_for
from app.itemtypes.base import CENT, dec

FULL_MARKS = Decimal(100)  # every component is scored out of 100 (DOMAIN.md §2)
TENTH = Decimal("0.1")


def score_response(
    *,
    item_type: str,
    key: Mapping[str, Any],
    points: float,
    response: Mapping[str, Any] | None,
    multiple_rule: str = MultipleChoiceRule.PARTIAL,
) -> ItemOutcome:
    """Score one response against one key with the item type's strategy
    (app/itemtypes). `points` is what the item is worth on this paper (the blueprint
    section's points, frozen in AttemptItem.points)."""
    resp: Mapping[str, Any] = response if isinstance(response, Mapping) else {}
    return strategy_for(item_type).score(key, dec(points), resp, MultipleChoiceRule(multiple_rule))


# -- totals ---------------------------------------------------------------------------------


def theory_total(outcomes: Iterable[ItemOutcome]) -> float:
    """The theory score out of 100. A blueprint's points add up to 100 (assembly checks),
    so the score is the sum of awarded points, kept to 0.01 (partial multiple-choice
    credit is in hundredths). Should a paper's points not total 100, the sum is scaled to
    100 and rounded half-up to 0.1, the precision results are announced in."""
    listed = list(outcomes)
    awarded = sum((dec(o.awarded) for o in listed), Decimal(0))
    maximum = sum((dec(o.max_points) for o in listed), Decimal(0))
    if maximum == FULL_MARKS:
        return rounded(awarded, CENT)
    if maximum <= 0:
        return 0.0
    return rounded(awarded * FULL_MARKS / maximum, TENTH)


def rounded(value: float | Decimal, step: Decimal = TENTH) -> float:
    """Half-up rounding (四舍五入) to `step`, free of float error: 2.675 → 2.68."""
    return float(dec(value).quantize(step, rounding=ROUND_HALF_UP))


def add_points(values: Iterable[float]) -> float:
    """A sum of scores kept to 0.01, as theory_total keeps it."""
    return rounded(sum((dec(v) for v in values), Decimal(0)), CENT)


def passed(score: float | None, pass_mark: float) -> bool | None:
    """合格 at score ≥ pass mark (DOMAIN.md §2: each component ≥ 60); None when unscored."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return dec(score) >= dec(pass_mark)
