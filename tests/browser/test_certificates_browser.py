"""Certificates in real Chromium, as the demo's Done-when reads: the centre issues the
finished 四级 session's passing candidates in one bulk action (progress, ZIP) run by the
server's worker processes, downloads one PDF, a visitor verifies it on the public page and
through its QR code's /v/<token>, the centre revokes it and both say so."""

import io
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlmodel import Session, select

from app import demo
from app.core.config import get_settings
from app.exams.models import ExamPlan
from app.results.models import Result
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SHOTS = Path("/tmp/jiping-shots")


@pytest.fixture
def seeded(db: Session, monkeypatch: pytest.MonkeyPatch) -> int:
    # The server's own batch runner, with real worker processes, as in production.
    monkeypatch.setattr(get_settings(), "run_certificate_batches", True)
    monkeypatch.setattr(get_settings(), "certificate_workers", 2)
    demo.seed(db)
    db.commit()
    plan = db.exec(select(ExamPlan).where(ExamPlan.name == demo.FINISHED_PLAN)).one()
    assert plan.id is not None
    return plan.id


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_bulk_issue_download_verify_and_revoke(
    db: Session,
    seeded: int,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    plan_id = seeded
    passed = len(
        db.exec(select(Result).where(Result.plan_id == plan_id, Result.outcome == "passed")).all()
    )
    assert passed >= 3
    centre = browser.new_context(viewport=LAPTOP, locale="zh-CN", accept_downloads=True)
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = centre.new_page()
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{live_server}/login?next=/plans/{plan_id}/results")
        page.fill("input[name=username]", "centre")
        page.fill("input[name=password]", "jiping-centre")
        page.click("form button.primary")
        page.wait_for_url(f"**/plans/{plan_id}/results")
        page.get_by_role("link", name="发证").click()
        page.wait_for_url(f"**/plans/{plan_id}/certificates")
        page.get_by_role("button", name=f"批量发证（{passed} 人待发）").click()
        page.wait_for_url("**/certificates/batches/*")
        page.locator("#batch-zip").wait_for(timeout=90_000)  # the page follows the workers
        assert page.locator(".done-count").inner_text() == str(passed)
        _shot(page, "certificates-batch")
        with page.expect_download() as zipped:
            page.click("#batch-zip")
        with zipfile.ZipFile(io.BytesIO(Path(zipped.value.path()).read_bytes())) as zf:
            assert len([n for n in zf.namelist() if n.endswith(".pdf")]) == passed

        page.goto(f"{live_server}/plans/{plan_id}/certificates")
        first = page.locator(".certificates-table a.mono").first
        number = first.inner_text()
        first.click()
        with page.expect_download() as pdf:
            page.get_by_role("link", name="下载证书 PDF").click()
        doc = pdfium.PdfDocument(Path(pdf.value.path()).read_bytes())
        codes = zxingcpp.read_barcodes(doc[0].render(scale=150 / 72).to_pil())
        doc.close()
        url = codes[0].text
        token = url.rsplit("/v/", 1)[1]
        holder = page.locator("dl.facts dd").first.inner_text()

        # A visitor on a phone: the public lookup, then the QR code's page.
        v = visitor.new_page()
        v.goto(f"{live_server}/verify")
        v.fill("input[name=number]", number)
        v.fill("input[name=name]", holder)
        v.get_by_role("button", name="查询").click()
        v.locator("#lookup-result").get_by_text("有效").first.wait_for()
        _shot(v, "certificates-lookup")
        v.goto(f"{live_server}/v/{token}")
        assert "证书有效" in v.locator("#verification").inner_text()
        _shot(v, "certificates-verify")

        # The centre revokes it; both pages say so at once.
        page.select_option("select[name=reason]", "improper_means")
        page.fill("input[name=note]", "冒名顶替，经查属实")
        page.get_by_role("button", name="撤销证书").click()
        page.locator("#certificate-status").filter(has_text="已撤销").wait_for()
        v.reload()
        assert "证书已撤销" in v.locator("#verification").inner_text()
        assert "冒名顶替" in v.locator("#verification").inner_text()
        v.goto(f"{live_server}/verify")
        v.fill("input[name=number]", number)
        v.fill("input[name=name]", holder)
        v.get_by_role("button", name="查询").click()
        v.locator("#lookup-result").get_by_text("已撤销").first.wait_for()
    finally:
        centre.close()
        visitor.close()
