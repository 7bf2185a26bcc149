"""The proctor's room view on a 1366×768 laptop, in real Chromium: the seat map beside the
list, search by seat / name / ticket, a selection that survives the roster's refreshes,
and a batch check-in that shows every selected photo and records each candidate."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.exams import photos
from app.exams.models import Registration
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.browser.test_exam_room_browser import proctor_console
from tests.exams.test_photos import image_bytes
from tests.factories import staff_actor
from tests.proctoring.support import audits, check_in, room

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _checked_in(db: Session, reg_id: int | None) -> bool:
    db.rollback()
    reg = db.get(Registration, reg_id, populate_existing=True)
    db.commit()
    return reg is not None and reg.checked_in_at is not None


def test_batch_check_in_with_search_and_the_seat_map_beside_the_list(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=30)
    for seat in exam.seats[:2]:
        photos.set_photo(
            db, actor=staff_actor(exam.admin), candidate=seat.candidate, data=image_bytes()
        )
    db.commit()
    sid = exam.session.id or 0
    page = proctor_console(browser, live_server, exam.proctor.username, sid)
    try:
        # The map sits beside the list, the whole console within the laptop's width.
        table = page.locator(".pc-roster").bounding_box()
        seat_map = page.locator(".pc-map").bounding_box()
        assert table is not None and seat_map is not None
        assert table["x"] + table["width"] <= seat_map["x"]
        assert seat_map["x"] + seat_map["width"] <= 1366
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert page.locator(".pc-map-row").count() == 5  # 30 seats, 6 to a row
        assert page.locator(".pc-map-row").first.locator(".pc-seat").count() == 6

        # Search: a seat number finds that seat only; a name finds that candidate.
        rows = page.locator("#pc-live tr.pc-row:visible")
        page.fill("#pc-search", "12")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-seat", "12")
        expect(page.locator('.pc-seat[data-seat="12"]')).to_have_class(
            "pc-seat pc-state-not_checked_in pc-seat-hit"
        )
        name = exam.seats[20].candidate.name
        page.fill("#pc-search", name)
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(name)
        page.fill("#pc-search", exam.seats[4].ticket_number[-5:])
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-seat", "5")
        page.fill("#pc-search", "无此人")
        expect(page.locator(".pc-no-match")).to_be_visible()
        page.fill("#pc-search", "")
        expect(rows).to_have_count(30)

        # Pick seats 1 and 2; the picks survive a refresh of the roster.
        page.locator(f'.pc-pick[value="{exam.seats[0].registration.id}"]').check()
        page.locator(f'.pc-pick[value="{exam.seats[1].registration.id}"]').check()
        batch = page.locator("#pc-batch")
        expect(batch).to_have_text("批量签到（已选 2 人）")
        check_in(db, exam, exam.seats[29])  # another proctor checks seat 30 in
        expect(page.locator(f"#reg-{exam.seats[29].registration.id}")).to_contain_text(
            "已签到", timeout=8000
        )
        expect(page.locator(f'.pc-pick[value="{exam.seats[0].registration.id}"]')).to_be_checked()
        expect(batch).to_have_text("批量签到（已选 2 人）")

        # The dialog shows both photos beside their names; confirming checks both in.
        batch.click()
        cards = page.locator("#pc-cards .pc-card")
        expect(cards).to_have_count(2)
        for seat, card in zip(exam.seats[:2], (cards.nth(0), cards.nth(1)), strict=True):
            expect(card).to_contain_text(seat.candidate.name)
            photo = card.locator("img")
            expect(photo).not_to_have_js_property("naturalWidth", 0, timeout=5000)
        box = cards.nth(0).locator("img").bounding_box()
        assert box is not None and box["height"] >= 100
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "proctor-batch-checkin.png"))
        page.check("#pc-form input[name=identity_confirmed]")
        page.click("#pc-submit")
        expect(page.locator("#toasts")).to_contain_text("已签到 2 名（1、2 号）")
        expect(page.locator('.pc-seat[data-seat="1"]')).to_have_class(
            "pc-seat pc-state-checked_in", timeout=5000
        )
        expect(batch).to_be_disabled()
        assert _checked_in(db, exam.seats[0].registration.id)
        assert _checked_in(db, exam.seats[1].registration.id)
        assert not _checked_in(db, exam.seats[2].registration.id)
        assert len(audits(db, "registration.checkin")) == 3

        # A seat on the map finds its row in the list.
        page.locator('.pc-seat[data-seat="28"]').click()
        expect(page.locator(f"#reg-{exam.seats[27].registration.id}")).to_have_class(
            "pc-row pc-state-not_checked_in pc-row-found"
        )
        page.screenshot(path=str(SHOTS / "proctor-seat-map.png"))
    finally:
        page.context.close()
