"""What every item-type strategy shares: the type and rule enums, the outcome of scoring
one response, the refusal of a response that does not fit, and the strategy interface.
Pure: no models, no database."""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any


class ItemType(StrEnum):
    SINGLE_CHOICE = "single_choice"  # 单项选择题
    MULTIPLE_CHOICE = "multiple_choice"  # 多项选择题
    TRUE_FALSE = "true_false"  # 判断题
    FILL_IN = "fill_in"  # 填空题 (text alternatives or numeric with tolerance)
    ORDERING = "ordering"  # 排序题 (the options in their right order)
    MATCHING = "matching"  # 匹配题 (each prompt matched to one of the options)
    SHORT_ANSWER = "short_answer"  # 简答题 (marked by people)
    EXTENDED = "extended"  # 论述/计算题 (an essay or a calculation with working; by people)


class MultipleChoiceRule(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"  # 全对得分
    PARTIAL = "partial"  # 少选按比例得分，错选不得分


# The one wording of each rule: the blueprint form, the blueprint page and the results
# breakdown all show these.
MULTIPLE_CHOICE_RULE_NAMES = {
    MultipleChoiceRule.ALL_OR_NOTHING: "多选题全对得分",
    MultipleChoiceRule.PARTIAL: "多选题少选按比例得分、错选不得分",
}


class Outcome(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    WRONG = "wrong"
    BLANK = "blank"
    PENDING = "pending"  # an item marked by people, not yet marked (待评阅)


OUTCOME_NAMES = {
    Outcome.CORRECT: "正确",
    Outcome.PARTIAL: "部分得分",
    Outcome.WRONG: "错误",
    Outcome.BLANK: "未作答",
    Outcome.PENDING: "待评阅",
}

CENT = Decimal("0.01")
OPTION_LABELS = "ABCDEFGH"

# (field or None for the item, message): how a strategy reports a problem of a bank item.
Report = Callable[[str | None, str], None]


@dataclass(frozen=True)
class KeyForm:
    """The key fields of a submitted edit form, as plain functions (no web types here):
    `text(name)` a field's stripped text ("" when absent), `values(name)` every value of a
    repeated field (checkboxes)."""

    text: Callable[[str], str]
    values: Callable[[str], list[str]]


def typed_number(text: str) -> Any:
    """A typed number as a number; anything else as typed, for `check_key` to name."""
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


@dataclass(frozen=True)
class ItemOutcome:
    awarded: float
    max_points: float
    outcome: Outcome


class ResponseRejected(ValueError):
    """The response does not fit the item; the message is shown to the candidate."""


def dec(value: Any) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary error into the comparison.
    return Decimal(str(value))


def scored(outcome: Outcome, awarded: Decimal, points: Decimal) -> ItemOutcome:
    return ItemOutcome(awarded=float(awarded), max_points=float(points), outcome=outcome)


def right_or_wrong(right: bool, full: Decimal) -> ItemOutcome:
    return scored(Outcome.CORRECT, full, full) if right else scored(Outcome.WRONG, Decimal(0), full)


def blank(full: Decimal) -> ItemOutcome:
    return scored(Outcome.BLANK, Decimal(0), full)


def partial(full: Decimal, got: int | Decimal, of: int | Decimal) -> ItemOutcome:
    """`got` of `of` parts right: full × got / of, rounded half-up to 0.01."""
    return scored(Outcome.PARTIAL, (full * got / of).quantize(CENT, rounding=ROUND_HALF_UP), full)


def credited(full: Decimal, got: Decimal, of: Decimal) -> ItemOutcome:
    """A response earning `got` of `of` credit (a file's own partial credit: QTI
    map_response, Moodle fractions), kept within 0..of: correct, partial or wrong."""
    got = min(max(got, Decimal(0)), of)
    if got == of:
        return scored(Outcome.CORRECT, full, full)
    if got == 0:
        return scored(Outcome.WRONG, Decimal(0), full)
    return partial(full, got, of)


def shown(value: Any) -> str:
    """A value from a bank file as a problem message quotes it."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "“true”" if value else "“false”"
    if isinstance(value, Mapping):
        return "映射"
    if isinstance(value, list):
        return "列表"
    return f"“{value}”"


def text_of(value: Any) -> str | None:
    """A non-empty string, stripped; None otherwise."""
    if isinstance(value, str) and value.strip():
        return str(value).strip()
    return None


def number_of(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def shown_labels(labels: Sequence[Any], letters: Mapping[str, str] | None) -> str:
    """Option labels in the letters a candidate saw (`letters`: bank label → letter; None:
    the bank's labels). A label the candidate was never shown (a tampered request) stays
    visible as "[X]"."""
    if letters is None:
        return "".join(sorted(str(label) for label in labels))
    return "".join(sorted({letters.get(str(label), f"[{label}]") for label in labels}))


class ItemTypeStrategy(ABC):
    """Everything Jiping does that depends on an item's type, in one class per type:
    checking a bank item (options, stem, key), showing it to a candidate, checking and
    storing a response, scoring it, and writing the key and a response as staff read them.

    Keys are stored as the strategy's `check_key` returns them (ItemVersion.key);
    responses as its `normalise_response` returns them (Answer.response), in the bank's
    option labels, never display letters; {} is blank."""

    item_type: ItemType
    name: str  # 单项选择题, as pages and papers title the type
    # Choice items: the (fewest, most) options, labelled A, B, ...; the options are shuffled
    # per candidate on shuffled papers. None: the type has no options.
    option_counts: tuple[int, int] | None = None
    # Items marked by people (简答, 论述/计算): `score` leaves a non-blank response PENDING,
    # examiners mark it after submission (app/results/written.py).
    marked_by_people: bool = False

    def check_stem(self, stem: str, report: Report) -> None:
        """Problems of the stem that only this type has (e.g. a fill-in's blank); most
        types have none."""
        return None

    @abstractmethod
    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        """The key as written in a bank file → its stored form, or None after reporting
        every problem. `labels`: the item's option labels (None when they are wrong)."""

    def check_key_against_stem(self, stem: str, key: dict[str, Any], report: Report) -> bool:
        """Problems between a checked stem and key (a fill-in stem's "保留 1 位小数" and
        its key); may complete the key from the stem. False after reporting."""
        return True

    def check_key_against_points(
        self, key: Mapping[str, Any], points: float, report: Report
    ) -> bool:
        """Problems between a checked key and the item's own points (a written item's
        marking points add up to them). False after reporting."""
        return True

    @abstractmethod
    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        """A stored key as a bank file (and the edit form / API) writes it."""

    @abstractmethod
    def key_from_cell(self, text: str) -> Any:
        """The key as one spreadsheet cell writes it (the Excel template's 答案 column: "B",
        "ACD", "对", "传输层|传输", "数值 220±0.5 V") in the shape a bank file writes it;
        `check_key` then checks it. `text` is the cell's text, stripped."""

    @abstractmethod
    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        """A stored key as the 答案 cell writes it (what `key_from_cell` reads back)."""

    @abstractmethod
    def key_from_form(self, form: "KeyForm") -> Any:
        """The key as the bank's edit form sends it (its fields for this type: see
        web/templates/banks/item_edit.html), in the shape a bank file writes it;
        `check_key` then checks it."""

    # Fields of the key (as a bank file writes it) that the edit form does not show, with
    # their names: an edit keeps them from the current version (key_from_edit), so that
    # correcting a typo in an imported item never drops the file's own scoring.
    unshown_key_fields: Mapping[str, str] = {}

    def unshown(self, source_key: Any) -> dict[str, Any]:
        """What of a key (as a bank file writes it) the edit form does not show."""
        if not isinstance(source_key, Mapping):
            return {}
        return {k: source_key[k] for k in self.unshown_key_fields if k in source_key}

    def key_from_edit(self, form: KeyForm, current: Any) -> Any:
        """The edit form's key with what the form does not show kept from `current` (the
        current version's key as a bank file writes it), unless the form's `drop_unshown`
        box is ticked; `check_key` then checks the whole."""
        key = self.key_from_form(form)
        kept = self.unshown(current)
        if not kept or form.text("drop_unshown"):
            return key
        return {**kept, **(key if isinstance(key, Mapping) else {"answer": key})}

    def view(self, key: Mapping[str, Any]) -> dict[str, Any]:
        """What the candidate's page needs beyond stem and options; never the key itself."""
        return {}

    @abstractmethod
    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        """A non-empty response in its stored form ({} when blank), or ResponseRejected."""

    @abstractmethod
    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        """Score a response (whatever the client sent: never raises on it) out of `full`
        points. A key that breaks its shape is a bank bug and raises ValueError."""

    @abstractmethod
    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        """The key as staff read it, in the candidate's letters when `letters` is given."""

    @abstractmethod
    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        """A stored response as staff read it ("" when blank)."""


def placed(response: Mapping[str, Any], field: str) -> list[Any] | None:
    """A response that gives a label per place (an ordering's places, a matching item's
    prompts): the list ([] when absent), or None when it is no list (it scores nothing).
    A list without any label is blank."""
    value = response.get(field)
    if value is None:
        return []
    return value if isinstance(value, list) else None


def only_keys(response: dict[str, Any], key: str) -> None:
    if set(response) != {key}:
        raise ResponseRejected(f"作答内容应只包含字段 {key}")
