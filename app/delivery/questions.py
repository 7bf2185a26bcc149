"""How a question is shown to a candidate: the view never carries the key."""

from typing import Any

from app.banks.models import ItemVersion
from app.itemtypes import strategy_for


def question_view(version: ItemVersion, option_order: list[str] | None = None) -> dict[str, Any]:
    """Data for templates/items/_question.html. `option_order` lists the bank's labels in
    the candidate's display order (None: the bank's order)."""
    texts = {o["label"]: o["text"] for o in version.options}
    order = option_order or [o["label"] for o in version.options]
    return {
        "type": version.item_type,
        "type_name": strategy_for(version.item_type).name,
        "stem": version.stem,
        "points": version.points,
        "options": [{"value": label, "text": texts[label]} for label in order],
        "unit": "",
        **strategy_for(version.item_type).view(version.key),
    }
