"""The whole exam in real Chromium: a proctor checks a candidate in; the candidate logs in
with ticket + ID, answers, reloads mid-exam and finds everything intact, loses the network
and keeps answering, and submits; the proctor watches the roster change, adds extra time
and records an incident."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.delivery.models import Answer, Attempt, AttemptStatus
from app.proctoring.models import Incident
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import MIXED_SECTIONS, PASSWORD, make_exam

pytestmark = pytest.mark.browser


def _answer_current(page, position: int) -> None:  # type: ignore[no-untyped-def]
    """Answer question `position` (shown) whatever its type, as a candidate would."""
    q = page.locator(f"#q-{position}")
    kind = q.get_attribute("data-type")
    if kind == "fill_in":
        q.locator("input[type=text]").fill("220")
        q.locator("input[type=text]").blur()
    elif kind == "multiple_choice":
        q.locator("input[type=checkbox]").nth(0).check()
        q.locator("input[type=checkbox]").nth(1).check()
    else:
        q.locator("input[type=radio]").first.check()


def _saved(db: Session, attempt_id: int) -> dict[int, dict]:  # type: ignore[type-arg]
    rows = db.exec(select(Answer).where(Answer.attempt_id == attempt_id)).all()
    found = {a.position: a.response for a in rows if a.response}
    db.rollback()  # end the read: SQLite transactions hold the write lock
    return found


def _attempt(db: Session, registration_id: int) -> Attempt:
    """A detached snapshot of the attempt (reading an expired row would open a new
    transaction, and SQLite transactions hold the write lock)."""
    row = db.exec(select(Attempt).where(Attempt.registration_id == registration_id)).one()
    db.refresh(row)
    snapshot = Attempt.model_validate(row.model_dump())
    db.rollback()
    return snapshot


def test_candidate_takes_the_exam_while_a_proctor_watches(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    reg = seat.registration
    db.rollback()

    proctor_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    cand_ctx = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    proctor, cand = proctor_ctx.new_page(), cand_ctx.new_page()
    try:
        # The proctor opens the console.
        proctor.goto(f"{live_server}/login?next=/proctor/sessions/{exam.session.id}")
        proctor.fill("input[name=username]", exam.proctor.username)
        proctor.fill("input[name=password]", PASSWORD)
        proctor.click("form button.primary")
        proctor.wait_for_url(f"**/proctor/sessions/{exam.session.id}")
        row = proctor.locator(f"#reg-{reg.id}")
        row.get_by_text("未签到").wait_for()

        # The candidate logs in with the admission ticket and ID number.
        cand.goto(f"{live_server}/exam/login")
        cand.fill("input[name=ticket_number]", reg.ticket_number)
        cand.fill("input[name=id_number]", seat.candidate.id_number)
        cand.click("form button.primary")
        cand.wait_for_url("**/exam")
        assert seat.candidate.name in cand.content()

        # Identity confirmed by the proctor (人证合一), then the candidate starts.
        row.get_by_role("button", name="签到").click()
        proctor.check("#pc-form input[name=identity_confirmed]")
        proctor.click("#pc-submit")
        proctor.locator(".toast-ok").first.wait_for()
        cand.locator("input[name=agree]").wait_for(timeout=15000)
        cand.check("input[name=agree]")
        cand.click("form.gate-start button")
        cand.locator("#q-1").wait_for()
        assert cand.evaluate("document.documentElement.scrollWidth") <= 1024

        # Answer the first question: saved at once, no save button.
        _answer_current(cand, 1)
        cand.locator("#save-status", has_text="已保存").wait_for()
        attempt = _attempt(db, reg.id)
        assert 1 in _saved(db, attempt.id)

        # The proctor's roster changes without a reload.
        row.get_by_text("考试中").wait_for(timeout=10000)
        row.get_by_text("1/").wait_for(timeout=10000)

        # Answer the second, then reload mid-exam: answers and time intact.
        cand.click("#next-btn")
        _answer_current(cand, 2)
        cand.locator("#save-status", has_text="已保存").wait_for()
        before = _saved(db, attempt.id)
        cand.reload()
        cand.locator("#q-2").wait_for()
        assert cand.locator("#q-2").is_visible()  # back on the question they were on
        assert cand.locator(".nav-btn.answered").count() == 2
        assert _saved(db, attempt.id) == before

        # The network drops: the candidate keeps answering; answers are sent on return.
        cand_ctx.set_offline(True)
        cand.click("#next-btn")
        _answer_current(cand, 3)
        cand.click("#next-btn")
        _answer_current(cand, 4)
        cand.locator("#save-status", has_text="网络").wait_for(timeout=10000)
        assert 3 not in _saved(db, attempt.id)
        cand_ctx.set_offline(False)
        cand.locator("#save-status", has_text="已保存").wait_for(timeout=20000)
        for _ in range(50):
            if {3, 4} <= set(_saved(db, attempt.id)):
                break
            cand.wait_for_timeout(200)
        assert {1, 2, 3, 4} <= set(_saved(db, attempt.id))

        # The proctor adds 10 minutes and records an incident, each with a reason.
        deadline = _attempt(db, reg.id).deadline_at
        row.get_by_role("button", name="延时").click()
        proctor.fill("#pc-form input[name=minutes]", "10")
        proctor.fill("#pc-form textarea[name=reason]", "考生电脑死机重启，补足时间")
        proctor.click("#pc-submit")
        proctor.locator(".toast-ok", has_text="延").first.wait_for()
        assert _attempt(db, reg.id).deadline_at == deadline + timedelta(minutes=10)

        row.get_by_role("button", name="记录事件").click()
        proctor.select_option("#pc-form select[name=reason_code]", "technical_fault")
        proctor.fill("#pc-form textarea[name=note]", "电脑死机，已重启")
        proctor.click("#pc-submit")
        proctor.locator(".toast-ok", has_text="事件").first.wait_for()
        incidents = db.exec(select(Incident).where(Incident.registration_id == reg.id)).all()
        codes = [i.reason_code for i in incidents]
        db.rollback()
        assert codes == ["technical_fault"]

        # Submit: the confirmation lists what is unanswered.
        cand.click("#submit-btn")
        assert "5" in cand.locator("#submit-unanswered").inner_text()
        cand.click("#submit-confirm")
        cand.get_by_text("已交卷").first.wait_for(timeout=15000)
        done = _attempt(db, reg.id)
        assert done.status == AttemptStatus.SUBMITTED and done.score is not None
        row.get_by_text("已交卷").wait_for(timeout=10000)
    finally:
        # Kept for people to look at (test-artifacts/ is not committed).
        shots = Path(__file__).resolve().parents[2] / "test-artifacts"
        shots.mkdir(exist_ok=True)
        cand.screenshot(path=str(shots / "candidate-exam.png"))
        proctor.screenshot(path=str(shots / "proctor-console.png"))
        for ctx in (proctor_ctx, cand_ctx):
            ctx.close()
