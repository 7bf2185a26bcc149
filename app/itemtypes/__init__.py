"""Item types (题型): one strategy per type (app/itemtypes/<type>.py) holds everything
that depends on the type: checking a bank item's options, stem and key; the key as a bank
file writes it; what the candidate's page shows; checking and storing a response; scoring
it; the key and a response as staff read them. Pure: no models, no database. Banks,
delivery, scoring and results ask `strategy_for(item_type)` instead of switching on it.

Adding a type (e.g. ordering, 排序题):
1. add its member to `ItemType` in base.py;
2. write app/itemtypes/ordering.py with `class Ordering(ItemTypeStrategy)`: set
   `item_type`, `name` and `option_counts` (None without options), implement
   `check_key`, `key_to_source`, `key_from_cell` / `key_to_cell` (the Excel template's
   答案 column), `key_from_form` (the bank's edit form), `normalise_response`, `score`,
   `key_text` and `response_text` (and `check_stem` / `view` where the type needs them);
3. register an instance in `STRATEGIES` below;
4. give the pages their markup, the only place a type is named outside its strategy: the
   candidate's input (a branch of the one macro in web/templates/items/_question.html,
   kept one macro because the exam page renders it for every question) with its reader
   in the exam page script (static/exam.js), and the edit form's key fields (a block of
   web/templates/banks/item_edit.html, read back by `key_from_form`);
5. test it in tests/itemtypes/ like the others.
The bank format, the blueprint form, papers, saving, scoring and the results breakdown
then take the new type without further change."""

from app.itemtypes.base import (
    MULTIPLE_CHOICE_RULE_NAMES,
    OUTCOME_NAMES,
    ItemOutcome,
    ItemType,
    ItemTypeStrategy,
    MultipleChoiceRule,
    Outcome,
    ResponseRejected,
)
from app.itemtypes.choice import MultipleChoice, SingleChoice
from app.itemtypes.fill_in import FillIn
from app.itemtypes.matching import Matching
from app.itemtypes.ordering import Ordering
from app.itemtypes.true_false import TrueFalse
from app.itemtypes.written import Extended, ShortAnswer

STRATEGIES: dict[str, ItemTypeStrategy] = {
    s.item_type: s
    for s in (
        SingleChoice(),
        MultipleChoice(),
        TrueFalse(),
        FillIn(),
        Ordering(),
        Matching(),
        ShortAnswer(),
        Extended(),
    )
}
ITEM_TYPE_NAMES = {ItemType(t): s.name for t, s in STRATEGIES.items()}


def strategy_for(item_type: str) -> ItemTypeStrategy:
    """The type's strategy; ValueError for a type Jiping does not know."""
    found = STRATEGIES.get(item_type)
    if found is None:
        raise ValueError(f"unknown item type {item_type!r}")
    return found


__all__ = [
    "ITEM_TYPE_NAMES",
    "MULTIPLE_CHOICE_RULE_NAMES",
    "OUTCOME_NAMES",
    "STRATEGIES",
    "ItemOutcome",
    "ItemType",
    "ItemTypeStrategy",
    "MultipleChoiceRule",
    "Outcome",
    "ResponseRejected",
    "strategy_for",
]
