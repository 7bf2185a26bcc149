"""How a question is shown to a candidate: the view never carries the key."""

import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from sqlmodel import Session, col, select

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


def in_order(view: dict[str, Any], option_order: list[str] | None) -> dict[str, Any]:
    """A view (in the bank's option order) with the options in the candidate's order."""
    if not option_order:
        return view
    by_label = {o["value"]: o for o in view["options"]}
    return {**view, "options": [by_label[label] for label in option_order]}


# An item version never changes (an edit makes a new version), so its view, in the bank's
# option order, is kept per process: an exam page then reads its paper's slots, not 100-200
# item versions with their keys (scripts/bench_rush.py). Bounded: a few banks' worth.
VIEW_CACHE_SIZE = 20_000
_views: "OrderedDict[int, dict[str, Any]]" = OrderedDict()
_views_lock = threading.Lock()


def forget_views() -> None:
    """Empty the cache (tests: each test's database numbers its versions from 1 again)."""
    with _views_lock:
        _views.clear()


def views_of(db: Session, version_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The view of each of these item versions, in the bank's option order."""
    found: dict[int, dict[str, Any]] = {}
    with _views_lock:
        for vid in version_ids:
            view = _views.get(vid)
            if view is not None:
                found[vid] = view
    missing = [vid for vid in version_ids if vid not in found]
    if missing:
        loaded = db.exec(select(ItemVersion).where(col(ItemVersion.id).in_(missing))).all()
        with _views_lock:
            for version in loaded:
                assert version.id is not None
                found[version.id] = _views[version.id] = question_view(version)
            while len(_views) > VIEW_CACHE_SIZE:
                _views.popitem(last=False)
    return found
