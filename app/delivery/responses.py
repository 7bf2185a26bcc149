"""Shapes of a candidate's response (pure): each item type's strategy (app/itemtypes)
checks and stores its own. Responses are in the bank's option labels, never display
letters; {} = blank (cleared)."""

from collections.abc import Sequence
from typing import Any

from app.itemtypes import ResponseRejected, strategy_for


def normalise_response(item_type: str, labels: Sequence[str], response: Any) -> dict[str, Any]:
    """The response in its stored form, or ResponseRejected. `labels` are the item's option
    labels. Blank answers become {} so that "answered" means exactly "not {}"."""
    if not isinstance(response, dict):
        raise ResponseRejected("作答内容格式不正确")
    if not response:
        return {}
    try:
        strategy = strategy_for(item_type)
    except ValueError:
        raise ResponseRejected("未知题型") from None
    return strategy.normalise_response(labels, response)


def is_answered(response: dict[str, Any] | None) -> bool:
    return bool(response)
