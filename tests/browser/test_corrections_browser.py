"""Corrections (更正) in real Chromium on a centre admin's 1366×768 laptop: the session is
corrected with a reason (refused without one), a candidate is moved to the plan's other
session from the roster's 更正 link, and once candidates started the pages say so, and a
correction submitted from a page opened before is refused with its message, changing
nothing."""

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.core import clock
from app.exams.models import ExamSession, Registration
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, make_session
from tests.proctoring.support import audits, room, start

pytestmark = pytest.mark.browser


def _fresh(db: Session, model: type, obj_id: int | None) -> Any:
    db.rollback()
    found = db.get(model, obj_id, populate_existing=True)
    db.commit()
    return found


def _roster(page: Page) -> str:
    return page.locator("table.registrations").inner_text()


def test_a_centre_admin_corrects_a_session_and_moves_a_candidate(
    db: Session,
    live_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    exam = room(db, candidates=3)
    later = make_session(
        db,
        exam.plan,
        admin=exam.admin,
        proctors=exam.proctors,
        name="第2场",
        room="实训楼 302",
        starts_at=clock.utcnow() + timedelta(days=1),
    )
    db.commit()
    sid, later_id = exam.session.id, later.id
    stays, mover, late = exam.seats
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    ctx.on("dialog", lambda d: d.accept())  # 调场 asks first (data-confirm)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/login?next=/sessions/{sid}")
        page.fill("input[name=username]", exam.admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button.primary")
        page.wait_for_url(f"**/sessions/{sid}")

        # 修改场次 from the session page; without a reason nothing changes.
        page.get_by_role("link", name="修改或取消场次").click()
        page.wait_for_url(f"**/sessions/{sid}/edit")
        edit = page.locator(f"form[action='/sessions/{sid}/edit']")
        edit.locator("input[name=room]").fill("实训楼 305")
        edit.locator("input[name=duration_minutes]").fill("75")
        edit.locator("textarea[name=reason]").fill("   ")
        edit.get_by_role("button", name="保存修改").click()
        expect(page.locator(".form-errors")).to_contain_text("请填写操作原因")
        assert edit.locator("input[name=room]").input_value() == "实训楼 305"  # kept
        assert _fresh(db, ExamSession, sid).room == "第1考场"

        edit.locator("textarea[name=reason]").fill("原机房空调故障，改到 305")
        edit.get_by_role("button", name="保存修改").click()
        page.wait_for_url(f"**/sessions/{sid}?changed=session")
        facts = page.locator("dl.facts").inner_text()
        assert "实训楼 305" in facts and "时长 75 分钟" in facts
        expect(page.locator("#notice")).to_contain_text("场次信息已修改")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        [entry] = audits(db, "session.update", sid)
        assert entry.reason == "原机房空调故障，改到 305"
        assert set(entry.detail["changes"]) == {"room", "duration_minutes"}  # the start kept

        # 更正 on the roster → 调场 to 第2场.
        page.locator("table.registrations tr", has_text=mover.candidate.name).get_by_role(
            "link", name="更正"
        ).click()
        page.wait_for_url(f"**/registrations/{mover.registration.id}")
        move = page.locator("#move form")
        move.locator("select[name=session_id]").select_option(str(later_id))
        move.locator("textarea[name=reason]").fill("单位安排培训，申请调到第2场")
        move.get_by_role("button", name="调场").click()
        page.wait_for_url(f"**/sessions/{later_id}?changed=moved*")
        moved = _fresh(db, Registration, mover.registration.id)
        assert moved.withdrawn_at is not None
        notice = page.locator("#notice").inner_text()
        assert f"{mover.candidate.name} 已调入本场次" in notice
        assert mover.ticket_number not in notice and "座位 1 号" in notice
        assert mover.candidate.name in _roster(page)
        page.goto(f"{live_server}/sessions/{sid}")
        assert mover.candidate.name not in _roster(page)
        assert stays.candidate.name in _roster(page) and late.candidate.name in _roster(page)

        # Pages opened before candidates start; submitted after, they are refused.
        page.goto(f"{live_server}/sessions/{sid}/edit")
        second = ctx.new_page()
        second.goto(f"{live_server}/registrations/{late.registration.id}")
        start(db, exam, stays)
        start(db, exam, late)
        page.locator("input[name=room]").fill("实训楼 306")
        page.locator(f"form[action='/sessions/{sid}/edit'] textarea[name=reason]").fill("再换")
        page.get_by_role("button", name="保存修改").click()
        expect(page.locator(".form-errors")).to_contain_text("已有考生开始作答，不能再修改本场次")
        assert _fresh(db, ExamSession, sid).room == "实训楼 305"

        move = second.locator("#move form")
        move.locator("select[name=session_id]").select_option(str(later_id))
        move.locator("textarea[name=reason]").fill("也想调场")
        move.get_by_role("button", name="调场").click()
        expect(second.locator("[role=alert]")).to_contain_text("已有考生开始作答，不能调场")
        assert _fresh(db, Registration, late.registration.id).withdrawn_at is None

        # Opened now, the pages say so at once and offer no correction that would fail.
        page.goto(f"{live_server}/sessions/{sid}/edit")
        expect(page.locator("#started")).to_contain_text("本场次已有考生开始作答")
        assert page.locator("textarea[name=reason]").count() == 0
        second.goto(f"{live_server}/registrations/{late.registration.id}")
        expect(second.locator("#started")).to_contain_text("不能再调场或撤销报名")
        assert second.locator("#move, #withdraw").count() == 0
        assert second.locator("input[name=name]").get_attribute("readonly") is not None
        page.goto(f"{live_server}/sessions/{later_id}")
        assert late.candidate.name not in _roster(page)
        assert audits(db, "registration.move", late.registration.id) == []
    finally:
        ctx.close()
