"""In Chromium: changing a filter on the bank page swaps only the item table (htmx), and
the URL follows the filter."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.accounts.models import Role
from app.banks import service as banks
from tests.banks.samples import BANK
from tests.browser import conftest as browser_conftest
from tests.factories import PASSWORD, make_centre, make_occupations, make_staff

pytestmark = pytest.mark.browser

live_server = browser_conftest.live_server
browser = browser_conftest.browser


def test_filter_swaps_only_the_table(db: Session, live_server: str, browser: Any) -> None:
    make_occupations(db)
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    bank = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename="t.yaml", content=BANK.encode(), actor=None
    ).bank
    db.commit()

    page = browser.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button")
        page.goto(f"{live_server}/banks/{bank.id}")
        assert page.locator("#item-table tbody tr").count() == 5
        page.evaluate("window.__notReloaded = true")

        page.select_option("select[name=type]", "fill_in")
        # (Not wait_for_function: it evaluates a string, which the pages' CSP refuses.)
        expect(page.locator("#item-table tbody tr")).to_have_count(2)
        rows = page.locator("#item-table tbody tr").all_inner_texts()
        assert all("填空题" in row for row in rows)
        assert "type=fill_in" in page.url
        assert page.evaluate("window.__notReloaded") is True  # a swap, not a page load

        page.fill("input[name=q]", "单位")
        expect(page.locator("#item-table tbody tr")).to_have_count(1)
        assert "FT-1" in page.locator("#item-table").inner_text()
        assert page.evaluate("window.__notReloaded") is True
    finally:
        page.close()
