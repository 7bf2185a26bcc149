"""排序题: options labelled A, B, ... to be put in their right order; the key is every label
once, in that order. Scored all or nothing, as QTI's match_correct scores an order: the
paper's points are for the whole order, and a candidate who places some options and leaves
the rest has not answered it right."""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.itemtypes.base import (
    OPTION_LABELS,
    ItemOutcome,
    ItemType,
    ItemTypeStrategy,
    KeyForm,
    MultipleChoiceRule,
    Report,
    ResponseRejected,
    blank,
    only_keys,
    placed,
    right_or_wrong,
    shown,
)

_LABEL_SPLIT = re.compile(r"[,，、;；\s>→]+")


def _letters(labels: Sequence[str], letters: Mapping[str, str] | None) -> list[str]:
    if letters is None:
        return [str(label) for label in labels]
    return [letters.get(str(label), f"[{label}]") for label in labels]


class Ordering(ItemTypeStrategy):
    item_type = ItemType.ORDERING
    name = "排序题"
    option_counts = (3, 8)

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            report("key", "排序题的答案应为按正确顺序排列的选项标签，如 key: [C, A, B]")
            return None
        bad = [v for v in value if v not in OPTION_LABELS]
        if bad:
            report("key", f"答案中的{shown(bad[0])}不是选项标签（A 至 H）")
            return None
        if labels is not None and sorted(value) != sorted(labels):
            report(
                "key",
                f"排序题的答案应恰好包含每个选项一次（选项：{'、'.join(labels)}；答案：{'、'.join(value)}）",
            )
            return None
        return {"answer": list(value)}

    def key_from_form(self, form: KeyForm) -> Any:
        return self.key_from_cell(form.text("key_order"))  # "CADB", as in the Excel cell

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        return list(key.get("answer") or [])

    def key_from_cell(self, text: str) -> Any:
        folded = unicodedata.normalize("NFKC", text).strip().upper()
        parts = [p for p in _LABEL_SPLIT.split(folded) if p]
        return list(parts[0]) if len(parts) == 1 and len(parts[0]) > 1 else parts

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        return "".join(key["answer"])

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        """{"order": ["C", "", "B"]}: the label the candidate put in each place, "" for a
        place still empty."""
        only_keys(response, "order")
        order = response["order"]
        if order is None:
            return {}
        if not isinstance(order, list) or not all(isinstance(v, str) for v in order):
            raise ResponseRejected("排序题的作答应为各位置上的选项")
        if len(order) > len(labels) or any(v and v not in labels for v in order):
            raise ResponseRejected("所选选项不属于本题")
        placed = [v for v in order if v]
        if len(set(placed)) != len(placed):
            raise ResponseRejected("同一选项不能排在两个位置")
        trimmed = list(order) + [""] * (len(labels) - len(order))
        return {"order": trimmed} if placed else {}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        answer = key.get("answer")
        if not isinstance(answer, list) or not answer:
            raise ValueError("ordering key needs {'answer': [label, ...]}")
        order = placed(response, "order")
        if order is None:
            return right_or_wrong(False, full)
        if not any(order):
            return blank(full)
        return right_or_wrong(order == list(answer), full)

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        return " → ".join(_letters(key.get("answer") or [], letters))

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        order = response.get("order")
        if not isinstance(order, list) or not any(order):
            return ""
        return " → ".join(_letters([v or "?" for v in order], letters)).replace("[?]", "?")
