"""申报条件 in real Chromium: a centre admin registers a candidate on the session page; one
who qualifies is registered with the route that qualifies shown, one who does not is
refused with what each route misses, and is registered once a reason is given."""

import pytest
from sqlmodel import Session

from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, make_exam, valid_resident_id

pytestmark = pytest.mark.browser


def test_the_registration_form_shows_the_route_and_refuses_an_unqualified_candidate(
    db: Session,
    live_server: str,  # noqa: F811
    browser,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    exam = make_exam(db, candidates=1)  # 四级/中级工
    db.rollback()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/login?next=/sessions/{exam.session.id}")
        page.fill("input[name=username]", exam.admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button.primary")
        page.wait_for_url(f"**/sessions/{exam.session.id}")
        form = page.locator("form.add-candidate")
        assert "五级证书且从事本职业满 4 年" in form.inner_text()  # the routes, before typing

        # Qualifies: a 五级 certificate and 4 years.
        form.locator("input[name=name]").fill("褚一")
        form.locator("input[name=id_number]").fill(valid_resident_id(2101))
        form.locator("select[name=prior_level_0]").select_option("junior")
        form.locator("input[name=prior_obtained_on_0]").fill("2021-05-10")
        form.locator("input[name=years_in_occupation]").fill("4")
        form.get_by_role("button", name="添加考生").click()
        notice = page.locator("#registered")
        notice.wait_for()
        assert "符合四级/中级工申报条件：五级证书且从事本职业满 4 年" in notice.inner_text()
        assert "现有五级证书 2021-05 取得，从业 4 年" in notice.inner_text()
        assert "褚一" in page.locator("table.registrations").inner_text()

        # Does not qualify: 3 years and nothing else. Refused, nothing added.
        form = page.locator("form.add-candidate")
        form.locator("input[name=name]").fill("褚二")
        form.locator("input[name=id_number]").fill(valid_resident_id(2102))
        form.locator("input[name=years_in_occupation]").fill("3")
        form.get_by_role("button", name="添加考生").click()
        errors = page.locator("form.add-candidate .form-errors")
        errors.wait_for()
        text = errors.inner_text()
        assert "不符合四级/中级工申报条件" in text
        assert "需从事本职业满 6 年：从业 3 年" in text
        assert "需五级证书且从事本职业满 4 年：无五级证书，从业 3 年" in text
        assert "褚二" not in page.locator("table.registrations").inner_text()
        assert page.locator("details.override").get_attribute("open") is not None

        # With a reason, the admin registers them anyway.
        page.locator("textarea[name=eligibility_override_reason]").fill("经人社局批准破格参评")
        page.locator("form.add-candidate").get_by_role("button", name="添加考生").click()
        page.locator("#registered").wait_for()
        assert "破格报名，原因：经人社局批准破格参评" in page.locator("#registered").inner_text()
        row = page.locator("table.registrations tr", has_text="褚二")
        assert "破格报名" in row.inner_text()
    finally:
        ctx.close()
