"""Pages: blueprints, plans, sessions, registrations, candidates, admission tickets."""

import re
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.exams.models import Blueprint, ExamPlan, ExamSession
from tests.factories import (
    ExamFixture,
    make_centre,
    make_exam,
    make_session,
    make_staff,
    valid_resident_id,
)
from tests.helpers import page_login

HX = {"HX-Request": "true"}


@pytest.fixture
def fx(db: Session) -> ExamFixture:
    return make_exam(db)


@pytest.fixture
def csrf(client: TestClient, fx: ExamFixture) -> str:
    return page_login(client, fx.admin.username)


def blueprint_form(fx: ExamFixture, csrf: str, **kw: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "bank_id": str(fx.bank.id),
        "name": "网页组卷方案",
        "level_code": "intermediate",
        "section_type_0": "single_choice",
        "section_count_0": "10",
        "section_points_0": "5",
        "section_type_1": "true_false",
        "section_count_1": "10",
        "section_points_1": "5",
        "weight_A": "50",
        "weight_B": "50",
        "multiple_choice_rule": "partial",
        "time_limit_minutes": "90",
        "pass_mark": "60",
        "action": "save",
    }
    form.update(kw)
    return form


def test_blueprint_form_shows_the_bank_outline_weights(
    client: TestClient, fx: ExamFixture, csrf: str
) -> None:
    page = client.get(f"/blueprints/new?bank_id={fx.bank.id}")
    assert page.status_code == 200
    assert 'name="weight_A"' in page.text and 'value="50"' in page.text
    assert "测试范围A" in page.text
    fragment = client.get(f"/blueprints/outline?bank_id={fx.bank.id}", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="outline">')
    assert "<html" not in fragment.text


def test_blueprint_form_needs_csrf(client: TestClient, fx: ExamFixture, csrf: str) -> None:
    form = blueprint_form(fx, csrf)
    del form["csrf_token"]
    r = client.post("/blueprints", data=form, follow_redirects=False)
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_blueprint_shortfall_shows_what_is_short_and_keeps_the_form(
    client: TestClient, db: Session, fx: ExamFixture, csrf: str
) -> None:
    form = blueprint_form(fx, csrf, section_count_0="20", section_points_0="5")
    form.update(section_count_1="", section_points_1="")
    r = client.post("/blueprints", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert "题库无法满足组卷方案" in r.text
    assert "A 区（测试范围A）需要 10 道单项选择题，题库只有 8 道可用" in r.text
    assert 'value="网页组卷方案"' in r.text and 'name="section_count_0" value="20"' in r.text
    assert len(db.exec(select(Blueprint)).all()) == 1


def test_blueprint_field_problems_are_named(client: TestClient, fx: ExamFixture, csrf: str) -> None:
    form = blueprint_form(fx, csrf, section_count_1="x", time_limit_minutes="60")
    r = client.post("/blueprints", data=form)
    assert r.status_code == 422
    assert "第 2 部分题量" in r.text and "必须是整数" in r.text
    form = blueprint_form(fx, csrf, time_limit_minutes="60")
    r = client.post("/blueprints", data=form)
    assert r.status_code == 422
    assert "<b>考试时长</b>" in r.text and "不少于 90 分钟" in r.text


def test_blueprint_check_previews_and_save_redirects(
    client: TestClient, db: Session, fx: ExamFixture, csrf: str
) -> None:
    r = client.post("/blueprints", data=blueprint_form(fx, csrf, action="check"))
    assert r.status_code == 200
    assert "符合组卷方案" in r.text and "抽样试卷共 20 题，100 分" in r.text
    assert len(db.exec(select(Blueprint)).all()) == 1
    db.commit()  # end the read: SQLite lets one transaction at a time take the lock
    r = client.post("/blueprints", data=blueprint_form(fx, csrf), follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "网页组卷方案" in page.text and "符合组卷方案" in page.text
    bp_id = r.headers["location"].rsplit("/", 1)[1]
    again = client.post(f"/blueprints/{bp_id}/preview", headers={**HX, "X-CSRF-Token": csrf})
    assert again.text.lstrip().startswith('<div id="preview"') and "符合组卷方案" in again.text
    assert "网页组卷方案" in client.get("/blueprints").text
    edit = client.get(f"/blueprints/{bp_id}/edit")
    assert 'name="section_count_1" value="10"' in edit.text
    r = client.post(
        f"/blueprints/{bp_id}",
        data=blueprint_form(fx, csrf, pass_mark="70"),
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "70 分" in client.get(f"/blueprints/{bp_id}").text


def plan_form(fx: ExamFixture, csrf: str, **kw: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "name": "网页考试计划",
        "scheme": "skill_level",
        "occupation_id": str(fx.blueprint.occupation_id),
        "level_code": "intermediate",
        "blueprint_id": str(fx.blueprint.id),
        "form_mode": "shuffled",
        "leave_limit": "",
        "require_checkin": "1",
        "late_entry_minutes": "30",
    }
    form.update(kw)
    return form


def test_plan_pages(client: TestClient, db: Session, fx: ExamFixture, csrf: str) -> None:
    assert fx.plan.name in client.get("/plans").text
    r = client.post("/plans", data=plan_form(fx, csrf, level_code="apprentice", leave_limit="0"))
    assert r.status_code == 422
    assert "不能通过考试认定" in r.text and "至少为 1" in r.text
    assert 'value="网页考试计划"' in r.text
    r = client.post("/plans", data=plan_form(fx, csrf), follow_redirects=False)
    assert r.status_code == 303
    plan = db.exec(select(ExamPlan).where(ExamPlan.name == "网页考试计划")).one()
    assert plan.require_checkin and not plan.show_score_to_candidate and plan.leave_limit is None
    db.commit()  # end the read (rollback would expire the fixture objects)
    page = client.get(f"/plans/{plan.id}")
    assert "新建场次" in page.text and fx.proctor.display_name in page.text


def test_create_session_from_the_plan_page(
    client: TestClient, db: Session, fx: ExamFixture, csrf: str
) -> None:
    url = f"/plans/{fx.plan.id}/sessions"
    base = {"csrf_token": csrf, "name": "第9场", "room": "机房 9", "duration_minutes": ""}
    r = client.post(url, data={**base, "starts_at": "明天上午"})
    assert r.status_code == 422 and "时间格式" in r.text and 'value="机房 9"' in r.text
    r = client.post(
        url,
        data={
            **base,
            "starts_at": "2026-06-01T09:00",
            "confirm_past_start": "1",
            "proctor_ids": str(fx.proctor.id),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "2026-06-01 09:00" in page.text
    assert "每个考场至少需要 2 名监考员，目前只有 1 名" in page.text


def test_session_page(client: TestClient, fx: ExamFixture, csrf: str) -> None:
    page = client.get(f"/sessions/{fx.session.id}")
    assert page.status_code == 200
    for s in fx.seats:
        assert s.ticket_number in page.text and s.id_number in page.text
    assert f'href="/proctor/sessions/{fx.session.id}"' in page.text
    assert f'href="/sessions/{fx.session.id}/tickets"' in page.text
    assert "registrations/template.xlsx" in page.text
    assert 'id="staffing"' not in page.text  # 2 proctors, 3 candidates: fine


def test_add_candidate_with_htmx_swaps_the_table(
    client: TestClient, fx: ExamFixture, csrf: str
) -> None:
    url = f"/sessions/{fx.session.id}/registrations"
    number = valid_resident_id(901)
    r = client.post(
        url,
        data={"name": "蒋十", "id_number": number, "years_in_occupation": "6"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section class="card" id="registrations">')
    assert "符合四级/中级工申报条件：从事本职业满 6 年（从业 6 年）" in r.text
    assert "蒋十" in r.text and "考生（4 名）" in r.text
    # The count above the table is updated out of band.
    assert '<div id="session-status" hx-swap-oob="true">' in r.text
    assert "考生 <b>4</b> 名" in r.text
    r = client.post(
        url,
        data={"name": "韩十一", "id_number": "110105194912310021", "phone": "139"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert r.status_code == 422
    assert "身份证号校验码错误：第 18 位应为 X，实际为 1" in r.text
    assert 'value="韩十一"' in r.text and 'value="139"' in r.text
    r = client.post(
        url, data={"name": "蒋十", "id_number": number}, headers={**HX, "X-CSRF-Token": csrf}
    )
    assert r.status_code == 409 and "已在本考场报名" in r.text


def test_add_candidate_without_csrf_is_refused(
    client: TestClient, fx: ExamFixture, csrf: str
) -> None:
    r = client.post(
        f"/sessions/{fx.session.id}/registrations",
        data={"name": "蒋十", "id_number": valid_resident_id(902)},
    )
    assert r.status_code == 403


def roster(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "联系电话", "工作单位", "从业年限"])
    for row in rows:
        ws.append([*row, None, None, 6][:5] if len(row) == 2 else row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_excel_upload_page(client: TestClient, fx: ExamFixture, csrf: str) -> None:
    url = f"/sessions/{fx.session.id}/registrations/excel"
    # Born on a day the factories never use: their candidates' numbers cannot collide.
    xu = valid_resident_id(913, birth="19851231")
    bad = roster(
        [["", valid_resident_id(911, birth="19851231")], ["曹十二", "123"], ["许十三", xu]]
    )
    r = client.post(url, data={"csrf_token": csrf}, files={"file": ("名单.xlsx", bad)})
    assert r.status_code == 422
    assert "第 2 行「姓名」" in r.text and "第 3 行「身份证号」" in r.text
    assert "未导入任何考生" in r.text
    assert "许十三" not in r.text
    good = roster([["许十三", xu]])
    page = client.post(url, data={"csrf_token": csrf}, files={"file": ("名单.xlsx", good)})
    assert page.status_code == 200
    assert "已导入 1 名考生" in page.text and "许十三" in page.text
    # The same list as CSV, uploaded again: the candidate is skipped, said so by row.
    again = f"姓名,身份证号\n许十三,{xu}\n".encode("gb18030")
    page = client.post(url, data={"csrf_token": csrf}, files={"file": ("名单.csv", again)})
    assert page.status_code == 200
    assert "没有需要导入的新考生；跳过已在本考场报名或已撤销的 1 名（第 2 行）" in page.text
    assert "第 2 行 许十三：已报名（准考证号" in page.text
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100
    page = client.post(url, data={"csrf_token": csrf}, files={"file": ("名单.xls", old)})
    assert page.status_code == 422 and "这是旧版 Excel 文件（.xls）" in page.text
    r = client.post(url, files={"file": ("名单.xlsx", good)})
    assert r.status_code == 403  # no CSRF token
    t = client.get(f"/sessions/{fx.session.id}/registrations/template.xlsx")
    assert t.status_code == 200 and t.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_tickets_pages(client: TestClient, fx: ExamFixture) -> None:
    # Ticket + ID number is a candidate's login: a proctor does not print tickets.
    page_login(client, fx.proctor.username)
    assert client.get(f"/sessions/{fx.session.id}/tickets").status_code == 403
    assert client.get(f"/registrations/{fx.registrations[1].id}/ticket").status_code == 403
    page_login(client, fx.admin.username)
    page = client.get(f"/sessions/{fx.session.id}/tickets")
    assert page.status_code == 200
    assert page.text.count('class="ticket"') == 3
    for s in fx.seats:
        assert s.ticket_number in page.text and s.id_number in page.text
    assert "四级/中级工" in page.text and "/exam/login" in page.text
    assert "准考证号</b>和<b>身份证号" in page.text
    one = client.get(f"/registrations/{fx.registrations[1].id}/ticket")
    assert one.text.count('class="ticket"') == 1 and fx.seats[1].ticket_number in one.text
    assert re.search(r"座位号</th><td>2<", one.text)


def test_candidates_page_searches(client: TestClient, fx: ExamFixture, csrf: str) -> None:
    name = fx.seats[0].candidate.name
    page = client.get("/candidates")
    assert all(s.candidate.name in page.text for s in fx.seats)
    found = client.get("/candidates", params={"q": name}, headers=HX)
    assert found.text.lstrip().startswith('<div id="candidate-table">')
    assert name in found.text and fx.seats[1].candidate.name not in found.text


def test_proctor_reads_sessions_but_changes_nothing(
    client: TestClient, db: Session, fx: ExamFixture
) -> None:
    csrf = page_login(client, fx.proctor.username)
    page = client.get(f"/sessions/{fx.session.id}")
    assert page.status_code == 200 and "添加考生" not in page.text
    assert client.get("/plans").status_code == 403
    r = client.post("/plans", data={"csrf_token": csrf, "name": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        f"/sessions/{fx.session.id}/registrations",
        data={"csrf_token": csrf, "name": "某", "id_number": valid_resident_id(921)},
    )
    assert r.status_code == 403


def test_other_centre_admin_gets_404_pages(
    client: TestClient, db: Session, fx: ExamFixture
) -> None:
    outsider = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    page_login(client, outsider.username)
    for path in (
        f"/blueprints/{fx.blueprint.id}",
        f"/plans/{fx.plan.id}",
        f"/sessions/{fx.session.id}",
        f"/sessions/{fx.session.id}/tickets",
        f"/registrations/{fx.registrations[0].id}/ticket",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert fx.seats[0].id_number not in r.text
    assert fx.seats[0].candidate.name not in client.get("/candidates").text


def test_understaffed_session_shows_a_warning(
    client: TestClient, db: Session, fx: ExamFixture
) -> None:
    thin = make_session(db, fx.plan, admin=fx.admin, proctors=[fx.proctor])
    db.commit()
    page_login(client, fx.admin.username)
    page = client.get(f"/sessions/{thin.id}")
    assert 'id="staffing"' in page.text
    assert "每个考场至少需要 2 名监考员，目前只有 1 名" in page.text
    assert db.get(ExamSession, thin.id) is not None


def test_core_share_is_typed_per_area_and_shown_on_the_blueprint(
    client: TestClient, db: Session, fx: ExamFixture, csrf: str
) -> None:
    form = blueprint_form(fx, csrf, core_A="150")
    r = client.post("/blueprints", data=form)
    assert r.status_code == 422
    assert "A 区核心鉴定点占比" in r.text and "0–100%" in r.text
    form = blueprint_form(fx, csrf, core_A="10", action="save")
    r = client.post("/blueprints", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "A 区至少 10%" in page.text
    saved = db.exec(select(Blueprint).order_by(col(Blueprint.id).desc())).first()
    assert saved is not None and saved.core_min_share == {"A": 10}
