"""The exam room in real Chromium: proctor actions reach the candidates' screens at once
through the push channel (a room-wide pause within 2 s, blocking the answers; a reopened
paper back on screen without anyone reloading)."""

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.delivery.models import AttemptStatus
from app.reference.identifiers import mask_resident_id
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, Seat
from tests.proctoring.support import attempt_of, room, start

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def candidate_page(chromium: Any, base: str, seat: Seat) -> Any:
    """A candidate on a 1024×768 school computer, logged in and in the paper."""
    ctx = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{base}/exam/login")
    page.fill("input[name=ticket_number]", seat.ticket_number)
    page.fill("input[name=id_number]", seat.id_number)
    page.click("form button.primary")
    page.locator("#q-1").wait_for()
    # (Not wait_for_function: it evaluates a string, which the pages' CSP refuses.)
    expect(page.locator("body")).to_have_attribute("data-channel", "open", timeout=10000)
    return page


def proctor_console(chromium: Any, base: str, username: str, session_id: int) -> Any:
    """A proctor on a 1366×768 laptop, on the session's console."""
    ctx = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{base}/login?next=/proctor/sessions/{session_id}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"**/proctor/sessions/{session_id}")
    return page


def act(proctor: Any, button: Any, reason: str) -> None:
    button.click()
    proctor.fill("#pc-form textarea[name=reason]", reason)
    if proctor.locator("#pc-form input[name=confirm]").is_visible():
        proctor.check("#pc-form input[name=confirm]")
    proctor.click("#pc-submit")


def answers_blocked(page: Any) -> bool:
    """The paper is inert under the overlay: a click on an option does not land."""
    if not page.evaluate("document.getElementById('exam').inert"):
        return False
    assert page.locator("#q-1 .options label").count() > 0  # the option is there
    try:
        page.locator("#q-1 .options label").first.click(timeout=500)
    except Exception:  # Playwright: the overlay receives the click instead
        return True
    return False


def test_a_room_wide_pause_reaches_two_candidate_screens_within_two_seconds(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=2)
    for seat in exam.seats:
        start(db, exam, seat)
    session_id = exam.session.id or 0
    pages = [candidate_page(browser, live_server, seat) for seat in exam.seats]
    proctor = proctor_console(browser, live_server, exam.proctor.username, session_id)
    try:
        act(proctor, proctor.get_by_role("button", name="全场暂停"), "全场停电")
        sent = time.monotonic()
        for page in pages:
            page.locator("#paused-overlay").wait_for(state="visible", timeout=2000)
        assert time.monotonic() - sent < 2
        clocks = [page.inner_text("#countdown") for page in pages]
        for page in pages:
            assert answers_blocked(page)
        # The roster shows it without waiting for its poll.
        proctor.locator(".pc-count.pc-state-paused b", has_text="2").wait_for(timeout=2000)
        pages[0].wait_for_timeout(1500)
        assert [page.inner_text("#countdown") for page in pages] == clocks  # clocks stopped

        act(proctor, proctor.get_by_role("button", name="全场继续"), "恢复供电")
        for page in pages:
            page.locator("#paused-overlay").wait_for(state="hidden", timeout=2000)
            assert not page.evaluate("document.getElementById('exam').inert")
    finally:
        SHOTS.mkdir(exist_ok=True)
        proctor.screenshot(path=str(SHOTS / "proctor-room-paused.png"))
        for page in [*pages, proctor]:
            page.context.close()


def test_a_reopened_paper_is_back_on_the_candidate_screen_without_a_reload(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    page = candidate_page(browser, live_server, seat)
    proctor = proctor_console(browser, live_server, exam.proctor.username, exam.session.id or 0)
    try:
        page.evaluate("window.__notReloaded = true")
        row = proctor.locator(f"#reg-{seat.registration.id}")
        act(proctor, row.get_by_role("button", name="强制收卷"), "误操作演示")
        page.locator("#closed-overlay").wait_for(state="visible", timeout=2000)
        assert attempt_of(db, attempt.id).status == AttemptStatus.SUBMITTED

        act(proctor, row.get_by_role("button", name="重新开放"), "误收卷，恢复作答")
        page.locator("#closed-overlay").wait_for(state="hidden", timeout=2000)
        assert page.evaluate("window.__notReloaded === true")
        page.locator("#q-1 .options label").first.click()
        page.locator("#save-status", has_text="已保存").wait_for(timeout=5000)
        assert attempt_of(db, attempt.id).answered_count == 1

        # A message from the proctor shows on the candidate's screen at once.
        row.get_by_role("button", name="消息").click()
        proctor.fill("#pc-form textarea[name=text]", "请注意，还剩 30 分钟")
        proctor.click("#pc-submit")
        page.locator("#proctor-message", has_text="请注意，还剩 30 分钟").wait_for(timeout=2000)
    finally:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "candidate-reopened.png"))
        for p in (page, proctor):
            p.context.close()


def test_check_in_shows_the_photo_large_beside_the_id_number(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    import io

    from PIL import Image

    from app.exams import photos
    from tests.factories import staff_actor

    exam = room(db, candidates=2)
    seat = exam.seats[0]
    out = io.BytesIO()
    Image.new("RGB", (358, 441), (90, 120, 160)).save(out, format="JPEG")
    photos.set_photo(
        db, actor=staff_actor(exam.admin), candidate=seat.candidate, data=out.getvalue()
    )
    db.commit()
    proctor = proctor_console(browser, live_server, exam.proctor.username, exam.session.id or 0)
    try:
        row = proctor.locator(f"#reg-{seat.registration.id}")
        row.get_by_role("button", name="签到").click()
        photo = proctor.locator("#pc-card-photo")
        photo.wait_for(timeout=5000)
        expect(photo).not_to_have_js_property("naturalWidth", 0, timeout=5000)
        box = photo.bounding_box()
        assert box is not None and box["height"] >= 200  # large enough to compare a face
        # Beside the photo, the ID number masked (ticket + full number is the login).
        card = proctor.inner_text("#pc-card")
        assert mask_resident_id(seat.id_number) in card and seat.id_number not in card
        SHOTS.mkdir(exist_ok=True)
        proctor.screenshot(path=str(SHOTS / "proctor-checkin-dialog.png"))
        proctor.check("#pc-form input[name=identity_confirmed]")
        proctor.click("#pc-submit")
        row.get_by_text("已签到").wait_for(timeout=5000)
    finally:
        SHOTS.mkdir(exist_ok=True)
        proctor.screenshot(path=str(SHOTS / "proctor-checkin-photo.png"))
        proctor.context.close()
