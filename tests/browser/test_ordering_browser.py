"""An ordering item (排序题) in real Chromium: the candidate picks each option's place, a
place taken twice moves, every change is saved, a reload shows the order saved, and the
paper scores it."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.delivery.models import Answer
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.delivery.support import first_of_type
from tests.proctoring.support import room, start

pytestmark = pytest.mark.browser

SECTIONS = [
    {"item_type": "single_choice", "count": 10, "points": 5},
    {"item_type": "ordering", "count": 10, "points": 5},
]
KEY = ["C", "A", "D", "B"]  # every generated ordering item's key (tests.factories.bank_yaml)


def saved(db: Session, attempt_id: int | None, position: int) -> dict[str, Any] | None:
    db.rollback()
    answer = db.exec(
        select(Answer).where(Answer.attempt_id == attempt_id, Answer.position == position)
    ).first()
    db.commit()
    return None if answer is None else answer.response


def open_question(chromium: Any, server: str, seat: Any, position: int) -> tuple[Any, Any]:
    """(the browser context, the page) of the candidate logged in at a 1024×768 screen,
    showing question `position`."""
    ctx = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{server}/exam/login")
    page.fill("input[name=ticket_number]", seat.ticket_number)
    page.fill("input[name=id_number]", seat.id_number)
    page.click("form button.primary")
    page.locator("#q-1").wait_for()
    page.locator(f'#navigator .nav-btn[data-goto="{position}"]').click()
    page.locator(f"#q-{position}").wait_for()
    return ctx, page


def test_the_candidate_orders_the_options_and_the_order_is_saved(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=1, sections=SECTIONS, with_ordering=True)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    item, _ = first_of_type(db, attempt, "ordering")
    ctx, page = open_question(browser, live_server, seat, item.position)
    try:
        question = page.locator(f"#q-{item.position}")
        selects = question.locator("select")
        # Waits: on a loaded machine the paper may still be rendering after the click.
        expect(selects).to_have_count(4)

        def place(label: str, at: int) -> None:
            question.locator(f'select[data-label="{label}"]').select_option(str(at))

        place("C", 1)
        place("B", 1)  # B takes place 1: C gives it up
        assert question.locator('select[data-label="C"]').input_value() == ""
        for at, label in enumerate(KEY, start=1):
            place(label, at)
        page.locator("#save-status", has_text="已保存").wait_for(timeout=5000)
        for _ in range(50):
            if saved(db, attempt.id, item.position) == {"order": KEY}:
                break
            page.wait_for_timeout(100)
        assert saved(db, attempt.id, item.position) == {"order": KEY}

        page.reload()
        question = page.locator(f"#q-{item.position}")
        question.wait_for(state="attached")
        shown = {
            label: question.locator(f'select[data-label="{label}"]').input_value() for label in KEY
        }
        assert shown == {"C": "1", "A": "2", "D": "3", "B": "4"}
    finally:
        ctx.close()
