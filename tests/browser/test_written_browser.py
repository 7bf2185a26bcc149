"""Written answers in real Chromium: a candidate on a 1024×768 school computer types a
简答题 answer that autosaves and survives a reload; after submission two examiners mark it
blind on tablets, one after the other, and the paper gets its theory score."""

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.delivery import service as delivery
from app.delivery.models import Answer, Attempt
from app.results import written
from app.results.schemas import MarkingJobIn
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, make_exam, make_staff, staff_actor

pytestmark = pytest.mark.browser

SCHOOL = {"width": 1024, "height": 768}
TABLET = {"width": 768, "height": 1024}
SECTIONS = [
    {"item_type": "single_choice", "count": 8, "points": 5},
    {"item_type": "true_false", "count": 8, "points": 5},
    {"item_type": "short_answer", "count": 2, "points": 10},
]
ANSWER = "要点一：先断电再验电。\n要点二：挂接地线。"


def _login(page, base: str, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"**{next_path}")


def test_a_written_answer_autosaves_and_is_marked_twice_blind(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    exam = make_exam(db, candidates=1, sections=SECTIONS, with_written=True, require_checkin=False)
    seat = exam.seats[0]
    markers = [make_staff(db, Role.EXAMINER, exam.centre) for _ in range(2)]
    db.commit()
    contexts = []
    try:
        ctx = browser.new_context(viewport=SCHOOL, locale="zh-CN")
        contexts.append(ctx)
        cand = ctx.new_page()
        cand.goto(f"{live_server}/exam/login")
        cand.fill("input[name=ticket_number]", seat.registration.ticket_number)
        cand.fill("input[name=id_number]", seat.candidate.id_number)
        cand.click("form button.primary")
        cand.wait_for_url("**/exam")
        cand.check("input[name=agree]")
        cand.click("form.gate-start button")
        cand.locator("#q-1").wait_for()
        # The written questions come last: go to the first of them from the answer sheet.
        cand.locator("#navigator .nav-btn[data-goto='17']").click()
        box = cand.locator("#q-17 textarea")
        box.wait_for()
        head = cand.locator("#q-17 .question-head").inner_text()
        assert "简答题" in head and "10 分" in head  # the paper's points, not the item's 5
        box.fill(ANSWER)
        cand.locator("#q-17 .written-count", has_text=f"已输入 {len(ANSWER)} /").wait_for()
        cand.locator("#save-status", has_text="已保存").wait_for(timeout=10000)
        # Typing in the box never triggers the page's keyboard shortcuts.
        box.press("End")
        with cand.expect_response(lambda r: "/api/v1/exam/answers" in r.url and r.ok):
            box.type("A")  # saved after half a second of quiet
        cand.locator("#save-status", has_text="已保存").wait_for(timeout=10000)
        assert box.is_visible()
        cand.reload()
        cand.locator("#navigator .nav-btn[data-goto='17']").click()
        assert cand.locator("#q-17 textarea").input_value() == ANSWER + "A"
        assert cand.evaluate("document.documentElement.scrollWidth") <= 1024
        db.expire_all()
        attempt = db.exec(
            select(Attempt).where(Attempt.registration_id == seat.registration.id)
        ).one()
        saved = db.exec(
            select(Answer).where(Answer.attempt_id == attempt.id, Answer.position == 17)
        ).one()
        assert saved.response == {"text": ANSWER + "A"}
        # Time is up (closed as the sweeper would); a marking job with three examiners.
        delivery.force_submit(
            db, attempt_id=attempt.id or 0, actor=staff_actor(exam.admin), reason="收卷"
        )
        written.set_marking_job(
            db,
            actor=staff_actor(exam.admin),
            exam_session_id=exam.session.id or 0,
            data=MarkingJobIn(
                examiner_ids=[exam.examiner.id or 0, *(m.id or 0 for m in markers)],
                chief_examiner_id=exam.examiner.id or 0,
            ),
        )
        db.commit()
        db.refresh(attempt)
        assert attempt.score is None  # waits for the examiners
        attempt_id = attempt.id
        session_name, name = exam.session.name, seat.candidate.name
        ticket = seat.registration.ticket_number
        db.rollback()  # end the read: the server's writes come after it

        for marker, score in zip(markers, ("6", "7"), strict=True):
            tablet = browser.new_context(viewport=TABLET, locale="zh-CN", has_touch=True)
            contexts.append(tablet)
            page = tablet.new_page()
            _login(page, live_server, marker.username, "/marking")
            page.get_by_role("link", name=session_name).click()
            page.get_by_role("link", name="开始评阅").first.click()
            text = page.locator(".response-text").inner_text()
            assert name not in page.content() and ticket not in page.content()
            # Above the item's 10 points: the box itself refuses it (the server would too).
            page.fill("input[name=score]", "11")
            page.get_by_role("button", name="提交评分并评下一份").click()
            assert page.locator("input[name=score]").evaluate("e => e.validity.rangeOverflow")
            assert page.locator(".response-text").is_visible()  # still on this response
            page.fill("input[name=score]", score)
            page.get_by_role("button", name="提交评分并评下一份").click()
            page.get_by_text("本题已没有待您评阅的作答").wait_for()
            assert "先断电再验电" in text and "挂接地线" in text
            assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        db.rollback()
        attempt = db.exec(select(Attempt).where(Attempt.id == attempt_id)).one()
        # The other written item was left blank (0, unmarked); the choices unanswered.
        assert attempt.score == 6.5
    finally:
        for c in contexts:
            c.close()
