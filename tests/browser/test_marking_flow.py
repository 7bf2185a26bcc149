"""The practical and the result in real Chromium, on tablet-sized screens: three examiners
mark a task for two candidates (one spread triggers arbitration), the chief examiner
arbitrates, the centre admin sums up, confirms and publishes, the candidate sees the
result and asks for a 复核, and the changed result is confirmed and published again."""

import pytest
from sqlmodel import Session

from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, make_practical
from tests.results.test_records import sat_theory

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
# Marks per examiner (A1 of 20, A2 of 40) for seat 1 and seat 2. Seat 1: totals 53, 54, 52
# (agree); seat 2: 30, 45, 50 (spread 20 > tolerance 10: arbitration).
MARKS = [[(18, 35), (10, 20)], [(18, 36), (15, 30)], [(17, 35), (20, 30)]]


def _login(page, base: str, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"**{next_path}")


def test_practical_marking_to_a_rechecked_published_result(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    fx = make_practical(db, candidates=2, one_task=True)
    for seat in fx.exam.seats:
        sat_theory(db, seat.registration, 70)
    db.commit()
    ps_id, plan_id = fx.session.id, fx.exam.plan.id
    seats = fx.exam.seats
    db.rollback()

    contexts = []
    try:
        # Three examiners, each on their own tablet, mark both candidates independently.
        for examiner, marks in zip(fx.examiners, MARKS, strict=True):
            ctx = browser.new_context(viewport=TABLET, locale="zh-CN", has_touch=True)
            contexts.append(ctx)
            page = ctx.new_page()
            page.on("dialog", lambda d: d.accept())
            _login(page, live_server, examiner.username, f"/marking/{ps_id}")
            for seat, (a1, a2) in zip(seats, marks, strict=True):
                assert seat.candidate.name not in page.content()  # blind roster
                page.goto(f"{live_server}/marking/{ps_id}/candidates/{seat.registration.id}")
                assert seat.candidate.name not in page.content()
                assert seat.candidate.id_number not in page.content()
                page.fill("input[name=mark_A1]", str(a1))
                page.locator("input[name=mark_A1]").blur()
                page.get_by_text("已自动保存").wait_for()
                page.fill("input[name=mark_A2]", str(a2))
                page.locator("[data-total]").filter(has_text=str(a1 + a2)).wait_for()
                page.get_by_role("button", name="提交本题评分").click()
                page.get_by_text("已提交", exact=True).first.wait_for()
                # a submitted sheet cannot be edited
                assert page.locator("input[name=mark_A1]").is_disabled()

        # The chief examiner (考评组长) sees the spread and arbitrates.
        chief = contexts[0].pages[0]
        chief.goto(f"{live_server}/marking/{ps_id}")
        chief.get_by_role("link", name="待仲裁").click()
        chief.get_by_text("相差").wait_for()
        assert "20" in chief.locator("p").filter(has_text="相差").inner_text()
        chief.fill("input[name=score]", "45")
        chief.fill("textarea[name=reason]", "复看试车过程，联锁有效，按第二位考评员评分")
        chief.get_by_role("button", name="确认仲裁").click()
        chief.get_by_text("本题得分").wait_for()

        # The centre admin sums up, confirms and publishes.
        admin_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        contexts.append(admin_ctx)
        admin = admin_ctx.new_page()
        admin.on("dialog", lambda d: d.accept())
        _login(admin, live_server, fx.exam.admin.username, f"/plans/{plan_id}/results")
        admin.get_by_role("button", name="汇总成绩").click()
        admin.get_by_text("已汇总：新增 2 人").wait_for()
        row2 = admin.locator("tr", has_text=seats[1].ticket_number)
        assert "75" in row2.inner_text() and "合格" in row2.inner_text()
        admin.get_by_role("button", name="确认成绩").click()
        admin.get_by_text("已确认 2 人的成绩").wait_for()
        admin.get_by_role("button", name="公布成绩").click()
        admin.get_by_text("已公布 2 人的成绩").wait_for()

        # The candidate sees the published result and asks for a re-check.
        cand_ctx = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
        contexts.append(cand_ctx)
        cand = cand_ctx.new_page()
        cand.goto(f"{live_server}/exam/login")
        cand.fill("input[name=ticket_number]", seats[0].ticket_number)
        cand.fill("input[name=id_number]", seats[0].candidate.id_number)
        cand.click("form button.primary")
        cand.goto(f"{live_server}/exam/assessment")
        facts = cand.locator("table.exam-facts").inner_text()
        assert "88.5 分" in facts and "合格" in facts  # 53 of 60 → 88.3, practical to 0.5
        cand.get_by_text("申请复核").click()
        cand.select_option("select[name=component]", "practical")
        cand.fill("textarea[name=reason]", "A1 布线工艺应为满分")
        cand.get_by_role("button", name="提交复核申请").click()
        cand.get_by_text("处理中").wait_for()

        # The centre re-adds, corrects the score, confirms and publishes again.
        admin.goto(f"{live_server}/plans/{plan_id}/results")
        form = admin.locator("form.recheck-decision")
        form.locator("select[name=method]").select_option("readd")
        form.locator("input[name=new_score]").fill("91.5")
        form.locator("input[name=decision]").fill("核对评分表，A1 合分有误，更正为 91.5 分")
        form.get_by_role("button", name="记录复核结论").click()
        admin.get_by_text("成绩已更正，请重新确认并公布").wait_for()
        admin.get_by_role("button", name="确认成绩").click()
        admin.get_by_text("已确认 1 人的成绩").wait_for()
        admin.get_by_role("button", name="公布成绩").click()
        admin.get_by_text("已公布 1 人的成绩").wait_for()

        cand.reload()
        facts = cand.locator("table.exam-facts").inner_text()
        assert "91.5 分" in facts
        assert "更正为 91.5 分" in cand.content()
    finally:
        for ctx in contexts:
            ctx.close()
