"""The live console in real Chromium on a 1366×768 laptop: the roster refreshes itself
without losing what the proctor is typing, actions answer with toasts."""

import pytest
from sqlmodel import Session

from app.delivery.models import AttemptStatus
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD
from tests.proctoring.support import attempt_of, room, start

pytestmark = pytest.mark.browser


def test_console_polls_keeps_the_dialog_and_acts(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    exam = room(db, candidates=3)
    attempt = start(db, exam, exam.seats[0])
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login?next=/proctor/sessions/{exam.session.id}")
        page.fill("input[name=username]", exam.proctor.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button.primary")
        page.wait_for_url(f"**/proctor/sessions/{exam.session.id}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366

        row = page.locator(f"#reg-{exam.seats[0].registration.id}")
        row.get_by_role("button", name="暂停").click()
        dialog = page.locator("#pc-dialog")
        assert dialog.is_visible()
        # The row's buttons say only what they do: the dialog names whom, from the row.
        first = exam.seats[0]
        who = f"{first.registration.seat_number} 号 {first.candidate.name}"
        assert page.locator("#pc-dialog-who").inner_text() == who
        page.fill("#pc-form textarea[name=reason]", "显示器黑屏，更换电脑")
        # A poll happens (every 3 s) while the proctor types: nothing is lost.
        with page.expect_response(
            lambda r: (
                r.url.endswith(f"/proctor/sessions/{exam.session.id}")
                and r.request.headers.get("hx-request") == "true"
            )
        ):
            pass
        assert dialog.is_visible()
        assert page.input_value("#pc-form textarea[name=reason]") == "显示器黑屏，更换电脑"

        page.click("#pc-submit")
        page.locator(".toast-ok").wait_for()
        assert "已暂停" in page.locator(".toast-ok").first.inner_text()
        assert not dialog.is_visible()
        row.locator(".pc-badge", has_text="已暂停").wait_for()
        assert attempt_of(db, attempt.id).status == AttemptStatus.PAUSED

        # A check-in from its row shows that candidate's identity card, and is recorded.
        other = exam.seats[1]
        page.locator(f"#reg-{other.registration.id}").get_by_role("button", name="签到").click()
        page.locator("#pc-card", has_text=other.candidate.name).wait_for()
        page.check("#pc-form input[name=identity_confirmed]")
        page.click("#pc-submit")
        page.locator(".toast-ok", has_text=f"{other.registration.seat_number} 号已签到").wait_for()
        page.locator(f"#reg-{other.registration.id} .pc-badge", has_text="已签到").wait_for()

        # A refusal keeps the dialog open with the reason, and says why in a toast.
        page.get_by_role("button", name="全场继续").click()
        page.click("#pc-submit")  # the reason is required in the browser too
        assert dialog.is_visible()
        page.get_by_role("button", name="取消").click()
        page.get_by_role("button", name="全场暂停").click()
        page.fill("#pc-form textarea[name=reason]", "再暂停一次")
        page.click("#pc-submit")
        page.locator(".toast-error", has_text="没有正在作答的考生").wait_for()
        assert dialog.is_visible()
        assert page.input_value("#pc-form textarea[name=reason]") == "再暂停一次"
    finally:
        context.close()
