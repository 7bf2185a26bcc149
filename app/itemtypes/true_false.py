"""判断题: the key is true or false."""

import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.itemtypes.base import (
    ItemOutcome,
    ItemType,
    ItemTypeStrategy,
    KeyForm,
    MultipleChoiceRule,
    Report,
    ResponseRejected,
    blank,
    only_keys,
    right_or_wrong,
    shown,
)

# How a spreadsheet cell (or a form's column) says true and false.
TRUE_WORDS = {"对", "正确", "√", "✓", "是", "t", "true", "y", "yes"}
FALSE_WORDS = {"错", "错误", "×", "✗", "x", "否", "f", "false", "n", "no"}


def word_truth(text: str) -> bool | None:
    """对/错, √/×, true/false, ... as a truth value; None for any other text."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def as_bool(value: Any) -> bool | None:
    """True/False from JSON, or the strings a form posts ("true"/"false"); else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def _truth_text(value: Any) -> str:
    truth = as_bool(value)
    if truth is None:
        return str(value)
    return "正确（√）" if truth else "错误（×）"


class TrueFalse(ItemTypeStrategy):
    item_type = ItemType.TRUE_FALSE
    name = "判断题"

    def key_from_form(self, form: KeyForm) -> Any:
        typed = form.text("key")
        return {"true": True, "false": False}.get(typed, typed)

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if not isinstance(value, bool):
            report("key", f"判断题的答案应为 true 或 false，实际为{shown(value)}")
            return None
        return {"answer": bool(value)}

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        return key.get("answer")

    def key_from_cell(self, text: str) -> Any:
        truth = word_truth(text)
        return text if truth is None else truth

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        return "对" if key["answer"] else "错"

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        only_keys(response, "value")
        value = response["value"]
        if value is None:
            return {}
        if not isinstance(value, bool):
            raise ResponseRejected("判断题的作答应为“正确”或“错误”")
        return {"value": value}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        answer = as_bool(key.get("answer"))
        if answer is None:
            raise ValueError("true_false key needs {'answer': true|false}")
        value = response.get("value")
        if value is None or value == "":
            return blank(full)
        given = as_bool(value)
        return right_or_wrong(given is not None and given == answer, full)

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        return _truth_text(key.get("answer"))

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        value = response.get("value")
        return "" if value in (None, "") else _truth_text(value)
