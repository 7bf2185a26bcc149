"""The regulator's morning in real Chromium, on the demo: the certificates the demo issued
created subsidy records; the regulator reviews them, approves in bulk with one reason,
puts them in a payment batch, exports it and marks it paid; a certificate is then
revoked and its paid record reads 待追回; the dashboard's charts render with data."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app import demo
from app.certificates.models import Certificate
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SHOTS = Path("/tmp/jiping-shots")


def test_review_pay_recover_and_the_charts(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    demo.seed(db)
    db.commit()
    sun = db.exec(select(Certificate).where(Certificate.holder_name == "孙丽")).one()
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN", accept_downloads=True)
    try:
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{live_server}/login?next=/regulator")
        page.fill("input[name=username]", "regulator")
        page.fill("input[name=password]", "jiping-regulator")
        page.click("form button.primary")
        page.wait_for_url("**/regulator")
        page.get_by_role("link", name="审核补贴").click()
        page.wait_for_url("**/subsidies?state=pending")
        rows = page.locator("table.subsidy-queue tbody tr")
        assert rows.count() == 4
        page.get_by_role("link", name="依据").first.click()
        assert "计算依据" in page.content()
        page.go_back()
        page.check("input[data-check-all]")
        page.fill("input[name=reason]", "材料齐全，符合政策")
        page.get_by_role("button", name="批量审核通过").click()
        page.get_by_text("已审核通过 4 条").wait_for()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "subsidies-queue.png"), full_page=True)

        page.goto(f"{live_server}/subsidies/batches")
        page.fill("input[name=reference]", "HN-2026-12-001")
        page.get_by_role("button", name="建立批次").click()
        page.wait_for_url("**/subsidies/batches/*")
        assert page.locator("#batch-total").inner_text() == str(6500 + 800 + 400 + 1800)
        with page.expect_download() as exported:
            page.click("#batch-export")
        sheet = load_workbook(io.BytesIO(Path(exported.value.path()).read_bytes()))["拨付明细"]
        assert sheet.max_row == 5  # the header and four payees
        page.fill("input[name=paid_on]", "2026-12-02")
        page.get_by_role("button", name="标记为已发放").click()
        page.locator("#batch-paid").wait_for()

        # A revocation: the paid record reads 待追回.
        page.goto(f"{live_server}/certificates/{sun.id}")
        page.select_option("select[name=reason]", "improper_means")
        page.fill("input[name=note]", "学历材料造假")
        page.get_by_role("button", name="撤销证书").click()
        page.locator("#certificate-status").filter(has_text="已撤销").wait_for()
        page.goto(f"{live_server}/subsidies?recovery=1")
        recovery = page.locator("table.subsidy-queue tbody tr")
        assert recovery.count() == 1 and "孙丽" in recovery.inner_text()
        assert "待追回" in recovery.inner_text()

        page.goto(f"{live_server}/regulator/dashboard")
        for key in ("pass_rates", "subsidies", "certificates"):
            page.locator(f"#figure-{key} .chart svg").first.wait_for()
        page.screenshot(path=str(SHOTS / "regulator-dashboard.png"), full_page=True)
    finally:
        ctx.close()
