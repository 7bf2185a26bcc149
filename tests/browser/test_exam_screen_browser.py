"""The candidate's screen on a school computer, in real Chromium: 125% zoom on a
1024×768 monitor keeps the clock and 交卷 on screen and the whole answer sheet
reachable; the font size is remembered; keyboard shortcuts, the calculator, the scratch
pad, the time reminder and the submit dialog's question links work."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core import clock
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import MIXED_SECTIONS, Seat
from tests.proctoring.support import attempt_of, room, start

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Chromium at 125% zoom on a 1024×768 screen: 819×614 CSS pixels at 1.25 device pixels each.
ZOOMED = {"viewport": {"width": 819, "height": 614}, "device_scale_factor": 1.25}


def open_exam(chromium: Any, base: str, seat: Seat, **context: Any) -> Any:
    ctx = chromium.new_context(locale="zh-CN", **context)
    page = ctx.new_page()
    page.goto(f"{base}/exam/login")
    page.fill("input[name=ticket_number]", seat.ticket_number)
    page.fill("input[name=id_number]", seat.id_number)
    page.click("form button.primary")
    page.locator("#q-1").wait_for()
    return page


def on_screen(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def test_at_125_percent_zoom_the_clock_and_submit_stay_on_screen(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=1, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    start(db, exam, seat)
    page = open_exam(browser, live_server, seat, **ZOOMED)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 819
        for position in (1, 20):
            page.locator(f'#navigator .nav-btn[data-goto="{position}"]').click()
            page.locator(f"#q-{position}").wait_for()
            assert on_screen(page, "#countdown"), position
            assert on_screen(page, "#submit-btn"), position
        # Every section of the answer sheet can be reached.
        last = page.locator('#navigator .nav-btn[data-goto="20"]')
        last.scroll_into_view_if_needed()
        assert on_screen(page, '#navigator .nav-btn[data-goto="20"]')
        assert page.locator(".sheet-head").last.inner_text().startswith("四、填空题")
        # Option text is at least 16 px.
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#q-1 .options label')).fontSize)"
        )
        assert size >= 16
    finally:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "candidate-125-percent.png"))
        page.context.close()


def test_font_size_shortcuts_calculator_scratch_pad_and_submit_links(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    # 20 minutes into a 30-minute paper: 10 minutes left, so the 15-minute reminder shows.
    exam = room(
        db,
        candidates=1,
        sections=MIXED_SECTIONS,
        duration_minutes=30,
        starts_at=clock.utcnow() - timedelta(minutes=20),
    )
    exam.plan.allow_calculator = exam.plan.allow_scratchpad = True
    db.add(exam.plan)
    db.commit()
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    page = open_exam(browser, live_server, seat, viewport={"width": 1024, "height": 768})
    try:
        page.locator("#time-reminder", has_text="还有 10 分钟").wait_for(timeout=5000)

        # The largest text, remembered across a reload.
        normal = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#q-1 .stem')).fontSize)"
        )
        page.get_by_role("button", name="特大").click()
        page.reload()
        page.locator("#q-1").wait_for()  # the page remembers the question shown: still 1
        assert page.evaluate("document.body.classList.contains('font-xlarge')")
        bigger = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#q-1 .stem')).fontSize)"
        )
        assert bigger > normal
        assert page.get_by_role("button", name="特大").get_attribute("aria-pressed") == "true"

        # Keyboard: B chooses the second option, → moves on, M flags.
        page.keyboard.press("b")
        assert page.locator("#q-1 input").nth(1).is_checked()
        page.locator("#save-status", has_text="已保存").wait_for(timeout=5000)
        page.keyboard.press("ArrowRight")
        assert page.locator("#q-2").is_visible()
        page.keyboard.press("m")
        assert page.locator('.nav-btn[data-goto="2"]').get_attribute("class").count("flagged")

        # The calculator: 380 × √3 × cos 30° (degrees), typed and by its keys.
        page.click("#calc-btn")
        page.fill("#calc-input", "380*sqrt(3)*cos(30)")
        page.keyboard.press("Enter")
        assert page.input_value("#calc-input") == "570"
        page.click('[data-calc="C"]')
        for key in ("2", "^", "1", "0"):
            page.click(f'[data-calc="{key}"]')
        page.click('[data-calc="="]')
        assert page.input_value("#calc-input") == "1024"
        page.fill("#calc-input", "2**")
        page.keyboard.press("Enter")
        assert page.inner_text("#calc-result") == "算式有误"
        # Typing in the calculator is not a shortcut: question 2 kept its answer state.
        assert page.locator("#q-2").is_visible()

        # The scratch pad keeps what was written, across a reload.
        page.click("#scratch-btn")
        page.fill("#scratch-text", "P = √3 U I cosφ")
        page.reload()
        page.locator("#q-2").wait_for()  # back on the question shown before
        page.click("#scratch-btn")
        assert page.input_value("#scratch-text") == "P = √3 U I cosφ"
        page.click("#scratchpad .tool-close")

        # The submit dialog lists unanswered numbers once ("题" not doubled); one jumps there.
        page.click("#submit-btn")
        text = page.inner_text("#submit-unanswered")
        assert "未答题（19 道）" in text and "题 题" not in text
        page.locator('#submit-unanswered .jump-btn[data-goto="7"]').click()
        assert not page.evaluate("document.getElementById('submit-dialog').open")
        assert page.locator("#q-7").is_visible()
        assert attempt_of(db, attempt.id).answered_count == 1
    finally:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "candidate-tools.png"))
        page.context.close()
