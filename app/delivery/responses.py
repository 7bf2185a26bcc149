"""Shapes of a candidate's response, per item type (pure).

Responses are in the bank's option labels, never display letters:
single_choice {"choice": "B"}; multiple_choice {"choices": ["A", "C"]};
true_false {"value": true}; fill_in {"text": "..."}; {} = blank (cleared)."""

from collections.abc import Sequence
from typing import Any

from app.itemtypes import ItemType

FILL_IN_MAX_CHARS = 200  # the page's input allows as much


class ResponseRejected(ValueError):
    """The response does not fit the item; the message is shown to the candidate."""


def normalise_response(item_type: str, labels: Sequence[str], response: Any) -> dict[str, Any]:
    """The response in its stored form, or ResponseRejected. `labels` are the item's option
    labels. Blank answers become {} so that "answered" means exactly "not {}"."""
    if not isinstance(response, dict):
        raise ResponseRejected("作答内容格式不正确")
    if not response:
        return {}
    if item_type == ItemType.SINGLE_CHOICE:
        _only_keys(response, "choice")
        choice = response["choice"]
        if choice is None or choice == "":
            return {}
        if not isinstance(choice, str) or choice not in labels:
            raise ResponseRejected("所选选项不属于本题")
        return {"choice": choice}
    if item_type == ItemType.MULTIPLE_CHOICE:
        _only_keys(response, "choices")
        choices = response["choices"]
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ResponseRejected("多选题的作答应为选项列表")
        if any(c not in labels for c in choices):
            raise ResponseRejected("所选选项不属于本题")
        chosen = set(choices)
        # One stored form per choice set: the bank's order, no repeats.
        return {"choices": [label for label in labels if label in chosen]} if chosen else {}
    if item_type == ItemType.TRUE_FALSE:
        _only_keys(response, "value")
        value = response["value"]
        if value is None:
            return {}
        if not isinstance(value, bool):
            raise ResponseRejected("判断题的作答应为“正确”或“错误”")
        return {"value": value}
    if item_type == ItemType.FILL_IN:
        _only_keys(response, "text")
        text = response["text"]
        if text is None:
            return {}
        if not isinstance(text, str):
            raise ResponseRejected("填空题的作答应为文字")
        if len(text) > FILL_IN_MAX_CHARS:
            raise ResponseRejected(f"填空题答案不能超过 {FILL_IN_MAX_CHARS} 个字符")
        return {"text": text} if text.strip() else {}
    raise ResponseRejected("未知题型")


def is_answered(response: dict[str, Any] | None) -> bool:
    return bool(response)


def _only_keys(response: dict[str, Any], key: str) -> None:
    if set(response) != {key}:
        raise ResponseRejected(f"作答内容应只包含字段 {key}")
