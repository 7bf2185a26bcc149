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


def test_excel_template_to_a_fixed_upload_to_a_qti_package(
    db: Session, live_server: str, browser: Any, tmp_path: Any
) -> None:
    import io
    import zipfile

    from openpyxl import load_workbook

    make_occupations(db)
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    db.commit()

    page = browser.new_page(accept_downloads=True)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button")
        page.goto(f"{live_server}/banks/import")
        with page.expect_download() as got:
            page.click("text=下载题库 Excel 模板")
        template = tmp_path / "template.xlsx"
        got.value.save_as(template)

        book = load_workbook(template)
        sheet = book["试题"]
        heading = [c.value for c in sheet[1]]
        answer_column = heading.index("答案") + 1
        sheet.cell(row=3, column=answer_column).value = "Q"  # the second example: no such option
        filled = tmp_path / "我的题库.xlsx"
        book.save(filled)
        page.set_input_files("input[name=file]", str(filled))
        page.click("form[action='/banks/import'] button.primary")
        problems = page.locator(".import-problems")
        problems.wait_for()
        text = problems.inner_text()
        assert "工作表“试题” 第 3 行" in text and "“答案”列" in text

        sheet.cell(row=3, column=answer_column).value = "ABD"
        book.save(filled)
        page.set_input_files("input[name=file]", str(filled))
        page.click("form[action='/banks/import'] button.primary")
        page.locator(".import-result").wait_for()
        assert "新建题库" in page.locator(".import-result").inner_text()

        page.click(".import-result a.button.primary")  # 查看题库
        with page.expect_download() as got:
            page.click("text=导出 QTI 3.0")
        package = tmp_path / "package.zip"
        got.value.save_as(package)
        assert got.value.suggested_filename.endswith("-qti3.zip")
        with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as archive:
            names = archive.namelist()
        assert "imsmanifest.xml" in names and "assessment.xml" in names
        assert sum(1 for n in names if n.startswith("items/")) == 9
    finally:
        page.close()
