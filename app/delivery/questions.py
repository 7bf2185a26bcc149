"""How a question is shown to a candidate: the view never carries the key."""

from typing import Any

from app.banks.models import ItemVersion
from app.itemtypes import ITEM_TYPE_NAMES, ItemType


def question_view(version: ItemVersion, option_order: list[str] | None = None) -> dict[str, Any]:
    """Data for templates/items/_question.html. `option_order` lists the bank's labels in
    the candidate's display order (None: the bank's order)."""
    texts = {o["label"]: o["text"] for o in version.options}
    order = option_order or [o["label"] for o in version.options]
    return {
        "type": version.item_type,
        "type_name": ITEM_TYPE_NAMES.get(ItemType(version.item_type), version.item_type),
        "stem": version.stem,
        "points": version.points,
        "options": [{"value": label, "text": texts[label]} for label in order],
        "unit": version.key.get("unit", "") if version.item_type == ItemType.FILL_IN else "",
    }
