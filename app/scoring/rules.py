"""Objective scoring of theory items (客观题评分): pure functions, no database.

A response is in the bank's option labels (never display letters), as saved by delivery:
single_choice {"choice": "B"}, multiple_choice {"choices": ["A", "C"]}, true_false
{"value": true}, fill_in {"text": "..."}; {} or a missing answer is blank. The key has the
shapes of app/banks/models.ItemVersion.key.

Whatever a candidate's client sent, scoring never raises on a response: an empty one is
`blank`, one that cannot be read is `wrong`. A key that breaks its shape is a bank bug
(banks validate keys on import) and raises ValueError.

Arithmetic is in Decimal so that a sum of 0.5-point items, a proportional partial score or
a numeric answer exactly at the tolerance boundary is never lost to float error."""

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from app.itemtypes import ItemType, MultipleChoiceRule

FULL_MARKS = Decimal(100)  # every component is scored out of 100 (DOMAIN.md §2)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
MAX_ANSWER_CHARS = 200  # the fill-in input's maxlength; longer text is not an answer


class Outcome(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    WRONG = "wrong"
    BLANK = "blank"


OUTCOME_NAMES = {
    Outcome.CORRECT: "正确",
    Outcome.PARTIAL: "部分得分",
    Outcome.WRONG: "错误",
    Outcome.BLANK: "未作答",
}


@dataclass(frozen=True)
class ItemOutcome:
    awarded: float
    max_points: float
    outcome: Outcome


def _dec(value: Any) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary error into the comparison.
    return Decimal(str(value))


def _outcome(outcome: Outcome, awarded: Decimal, points: Decimal) -> ItemOutcome:
    return ItemOutcome(awarded=float(awarded), max_points=float(points), outcome=outcome)


def score_response(
    *,
    item_type: str,
    key: Mapping[str, Any],
    points: float,
    response: Mapping[str, Any] | None,
    multiple_rule: str = MultipleChoiceRule.PARTIAL,
) -> ItemOutcome:
    """Score one response against one key. `points` is what the item is worth on this
    paper (the blueprint section's points, frozen in AttemptItem.points)."""
    full = _dec(points)
    resp: Mapping[str, Any] = response if isinstance(response, Mapping) else {}
    if item_type == ItemType.SINGLE_CHOICE:
        return _single_choice(key, full, resp)
    if item_type == ItemType.MULTIPLE_CHOICE:
        return _multiple_choice(key, full, resp, MultipleChoiceRule(multiple_rule))
    if item_type == ItemType.TRUE_FALSE:
        return _true_false(key, full, resp)
    if item_type == ItemType.FILL_IN:
        return _fill_in(key, full, resp)
    raise ValueError(f"unknown item type {item_type!r}")


def _right_or_wrong(right: bool, full: Decimal) -> ItemOutcome:
    return (
        _outcome(Outcome.CORRECT, full, full)
        if right
        else _outcome(Outcome.WRONG, Decimal(0), full)
    )


def _blank(full: Decimal) -> ItemOutcome:
    return _outcome(Outcome.BLANK, Decimal(0), full)


# -- choice items ---------------------------------------------------------------------------


def _single_choice(key: Mapping[str, Any], full: Decimal, resp: Mapping[str, Any]) -> ItemOutcome:
    answer = key.get("answer")
    if not isinstance(answer, str) or not answer:
        raise ValueError("single_choice key needs {'answer': label}")
    choice = resp.get("choice")
    if choice is None or choice == "":
        return _blank(full)
    return _right_or_wrong(isinstance(choice, str) and choice == answer, full)


def _multiple_choice(
    key: Mapping[str, Any], full: Decimal, resp: Mapping[str, Any], rule: MultipleChoiceRule
) -> ItemOutcome:
    """多项选择题. PARTIAL follows the common rule "少选按比例得分、错选不得分" (several
    national and provincial theory exams): any option outside the key scores 0; a correct
    proper subset scores points × chosen / required, rounded half-up to 0.01 (a 2-point
    item with 2 of 3 correct options gives 1.33). ALL_OR_NOTHING (全对得分) is what many
    national 职业技能鉴定 banks use: only the exact set scores. The blueprint chooses."""
    answer = key.get("answer")
    if not isinstance(answer, list) or not answer or not all(isinstance(a, str) for a in answer):
        raise ValueError("multiple_choice key needs {'answer': [label, ...]}")
    required = set(answer)
    raw = resp.get("choices")
    if raw is None or raw == []:
        return _blank(full)
    if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
        return _right_or_wrong(False, full)
    chosen = set(raw)  # a label sent twice is one choice
    if chosen == required:
        return _right_or_wrong(True, full)
    if rule == MultipleChoiceRule.ALL_OR_NOTHING or not chosen <= required:
        return _right_or_wrong(False, full)
    awarded = (full * len(chosen) / len(required)).quantize(CENT, rounding=ROUND_HALF_UP)
    return _outcome(Outcome.PARTIAL, awarded, full)


# -- true / false ---------------------------------------------------------------------------


def as_bool(value: Any) -> bool | None:
    """True/False from JSON, or the strings a form posts ("true"/"false"); else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def _true_false(key: Mapping[str, Any], full: Decimal, resp: Mapping[str, Any]) -> ItemOutcome:
    answer = as_bool(key.get("answer"))
    if answer is None:
        raise ValueError("true_false key needs {'answer': true|false}")
    value = resp.get("value")
    if value is None or value == "":
        return _blank(full)
    given = as_bool(value)
    return _right_or_wrong(given is not None and given == answer, full)


# -- fill-in --------------------------------------------------------------------------------

_TRAILING_STOPS = "。.．｡"


def normalise_text(text: str) -> str:
    """Fold what a typist cannot see or does not mean: full-width forms → half-width
    (NFKC), letter case, every space (the ideographic U+3000 included) and a trailing
    full stop. "ＡＢＣ　１２。" and "abc12" compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(ch for ch in folded if not ch.isspace())
    return folded.rstrip(_TRAILING_STOPS)


# Digits with optional sign, comma thousands groups (only well-formed groups: "1,5" is not
# 15), a decimal part, and an optional exponent of at most 3 digits.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:e[+-]?\d{1,3})?")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


def parse_number(text: str, unit: str = "") -> Decimal | None:
    """A numeric fill-in answer as a Decimal, or None when it is not a number.
    Accepts full-width digits, "+"/"-" (and the typographic minus), "1,000", "5.",
    ".5", "2.2e2", and the key's unit after the number ("5A", "5 A" when unit is "A").
    The unit is compared case-sensitively: "mA" is not "MA"."""
    s = unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS)
    s = "".join(ch for ch in s if not ch.isspace())
    unit_n = "".join(ch for ch in unicodedata.normalize("NFKC", unit) if not ch.isspace())
    if unit_n and s.endswith(unit_n):
        s = s[: -len(unit_n)]
    s = s.lower()
    if not s or not any(ch.isdigit() for ch in s) or _NUMBER.fullmatch(s) is None:
        return None
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _fill_in(key: Mapping[str, Any], full: Decimal, resp: Mapping[str, Any]) -> ItemOutcome:
    text = resp.get("text")
    if text is None:
        return _blank(full)
    if not isinstance(text, str):
        return _right_or_wrong(False, full)
    if len(text) > MAX_ANSWER_CHARS:
        return _right_or_wrong(False, full)
    if normalise_text(text) == "":
        return _blank(full)
    numeric = key.get("numeric")
    if numeric is not None:
        if not isinstance(numeric, Mapping) or "value" not in numeric:
            raise ValueError("numeric fill_in key needs {'numeric': {'value': v, 'tolerance': t}}")
        given = parse_number(text, str(key.get("unit") or ""))
        if given is None:
            return _right_or_wrong(False, full)
        target, tolerance = _dec(numeric["value"]), abs(_dec(numeric.get("tolerance") or 0))
        return _right_or_wrong(abs(given - target) <= tolerance, full)
    accepted = key.get("accepted")
    if not isinstance(accepted, list) or not accepted:
        raise ValueError("fill_in key needs {'accepted': [...]} or {'numeric': {...}}")
    answer = normalise_text(text)
    return _right_or_wrong(any(answer == normalise_text(str(a)) for a in accepted), full)


# -- totals ---------------------------------------------------------------------------------


def theory_total(outcomes: Iterable[ItemOutcome]) -> float:
    """The theory score out of 100. A blueprint's points add up to 100 (assembly checks),
    so the score is the sum of awarded points, kept to 0.01 (partial multiple-choice
    credit is in hundredths). Should a paper's points not total 100, the sum is scaled to
    100 and rounded half-up to 0.1, the precision results are announced in."""
    listed = list(outcomes)
    awarded = sum((_dec(o.awarded) for o in listed), Decimal(0))
    maximum = sum((_dec(o.max_points) for o in listed), Decimal(0))
    if maximum == FULL_MARKS:
        return rounded(awarded, CENT)
    if maximum <= 0:
        return 0.0
    return rounded(awarded * FULL_MARKS / maximum, TENTH)


def rounded(value: float | Decimal, step: Decimal = TENTH) -> float:
    """Half-up rounding (四舍五入) to `step`, free of float error: 2.675 → 2.68."""
    return float(_dec(value).quantize(step, rounding=ROUND_HALF_UP))


def add_points(values: Iterable[float]) -> float:
    """A sum of scores kept to 0.01, as theory_total keeps it."""
    return rounded(sum((_dec(v) for v in values), Decimal(0)), CENT)


def passed(score: float | None, pass_mark: float) -> bool | None:
    """合格 at score ≥ pass mark (DOMAIN.md §2: each component ≥ 60); None when unscored."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return _dec(score) >= _dec(pass_mark)
