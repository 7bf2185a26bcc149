"""A matching item (匹配题) in real Chromium: the candidate chooses an option for each prompt
(one option may serve two prompts), every change is saved, a reload shows what was saved,
and the paper scores it."""

from typing import Any

import pytest
from sqlmodel import Session

from app.scoring.rules import score_response
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.browser.test_ordering_browser import open_question, saved
from tests.delivery.support import first_of_type
from tests.proctoring.support import room, start

pytestmark = pytest.mark.browser

SECTIONS = [
    {"item_type": "single_choice", "count": 12, "points": 5},
    {"item_type": "matching", "count": 8, "points": 5},
]
# Every generated matching item's key (tests.factories.bank_yaml): 题项一 C, 题项二 A, 题项三 C.
KEY = ["C", "A", "C"]


def test_the_candidate_matches_each_prompt_and_the_matches_are_saved(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=1, sections=SECTIONS, with_matching=True)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    item, version = first_of_type(db, attempt, "matching")
    ctx, page = open_question(browser, live_server, seat, item.position)
    try:
        question = page.locator(f"#q-{item.position}")
        assert question.locator(".prompt").all_inner_texts() == ["题项一", "题项二", "题项三"]
        # The options in the candidate's (shuffled) order, lettered A, B, ... as shown.
        letters = {label: "ABCD"[i] for i, label in enumerate(item.option_order)}
        shown = question.locator(".match-options li").all_inner_texts()
        assert shown == [f"{letters[label]}. 选项{label}" for label in item.option_order]

        def choose(prompt: int, label: str) -> None:
            # By position: the option's value is the bank's label, its text the letter the
            # candidate sees, and both are single letters.
            index = item.option_order.index(label) + 1
            question.locator(f'select[data-prompt="{prompt}"]').select_option(index=index)

        choose(0, "C")
        choose(2, "C")  # the same option for two prompts: both keep it
        assert question.locator('select[data-prompt="0"]').input_value() == "C"
        page.locator("#save-status", has_text="已保存").wait_for(timeout=5000)
        choose(1, "A")
        page.locator("#save-status", has_text="已保存").wait_for(timeout=5000)
        for _ in range(50):
            if saved(db, attempt.id, item.position) == {"matches": KEY}:
                break
            page.wait_for_timeout(100)
        assert saved(db, attempt.id, item.position) == {"matches": KEY}
        assert page.locator(f'#navigator .nav-btn[data-goto="{item.position}"].answered').count()

        page.reload()
        question = page.locator(f"#q-{item.position}")
        question.wait_for(state="attached")
        again = [question.locator(f'select[data-prompt="{n}"]').input_value() for n in range(3)]
        assert again == KEY
        # What the select shows is the candidate's letter for the bank's option.
        picked = question.locator('select[data-prompt="1"] option:checked').inner_text()
        assert picked == letters["A"]
    finally:
        ctx.close()
    outcome = score_response(
        item_type="matching", key=version.key, points=item.points, response={"matches": KEY}
    )
    assert outcome.awarded == 5
