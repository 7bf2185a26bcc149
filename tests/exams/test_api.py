"""JSON API /api/v1: blueprints, plans, sessions, registrations, candidates."""

from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from app.accounts.models import Role
from tests.factories import (
    DEFAULT_SECTIONS,
    ExamFixture,
    make_centre,
    make_exam,
    make_staff,
    valid_resident_id,
)
from tests.helpers import staff_token


@pytest.fixture
def fx(db: Session) -> ExamFixture:
    return make_exam(db)


@pytest.fixture
def admin(client: TestClient, fx: ExamFixture) -> dict[str, str]:
    return staff_token(client, fx.admin.username)


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "从业年限"])
    for row in rows:
        ws.append([*row, 6])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_create_blueprint_and_preview(
    client: TestClient, fx: ExamFixture, admin: dict[str, str]
) -> None:
    body = {
        "bank_id": fx.bank.id,
        "name": "四级理论 A",
        "level_code": "intermediate",
        "sections": DEFAULT_SECTIONS,
        "multiple_choice_rule": "all_or_nothing",
    }
    r = client.post("/api/v1/blueprints", json=body, headers=admin)
    assert r.status_code == 201, r.text
    bp = r.json()
    assert bp["area_weights"] == {"A": 50, "B": 50}
    assert bp["level_display"] == "四级/中级工"
    r = client.post(f"/api/v1/blueprints/{bp['id']}/preview?seed=5", headers=admin)
    assert r.status_code == 200
    preview = r.json()
    assert preview["meets_blueprint"] and preview["item_count"] == 20
    assert [a["drawn_points"] for a in preview["areas"]] == [50, 50]
    got = client.get(f"/api/v1/blueprints/{bp['id']}", headers=admin).json()
    assert got["multiple_choice_rule"] == "all_or_nothing"
    listed = client.get("/api/v1/blueprints", headers=admin).json()
    assert {b["id"] for b in listed} == {bp["id"], fx.blueprint.id}
    r = client.patch(f"/api/v1/blueprints/{bp['id']}", json={"pass_mark": 75}, headers=admin)
    assert r.status_code == 200 and r.json()["pass_mark"] == 75


def test_blueprint_shortfall_answers_422_with_each_shortfall(
    client: TestClient, fx: ExamFixture, admin: dict[str, str]
) -> None:
    body = {
        "bank_id": fx.bank.id,
        "name": "太多单选",
        "level_code": "intermediate",
        "sections": [{"item_type": "single_choice", "count": 20, "points": 5}],
    }
    r = client.post("/api/v1/blueprints/check", json=body, headers=admin)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "blueprint_unsatisfiable"
    assert [d["problem"] for d in error["details"]] == [
        "A 区（测试范围A）需要 10 道单项选择题，题库只有 8 道可用",
        "B 区（测试范围B）需要 10 道单项选择题，题库只有 8 道可用",
    ]
    assert client.post("/api/v1/blueprints", json=body, headers=admin).status_code == 422


def test_plans_and_roles(client: TestClient, fx: ExamFixture, admin: dict[str, str]) -> None:
    body = {
        "name": "2026 第二期",
        "occupation_id": fx.blueprint.occupation_id,
        "level_code": "intermediate",
        "blueprint_id": fx.blueprint.id,
        "form_mode": "fixed",
        "leave_limit": 3,
    }
    r = client.post("/api/v1/plans", json=body, headers=admin)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert (plan["form_mode"], plan["leave_limit"], plan["components"]) == (
        "fixed",
        3,
        ["theory", "practical"],
    )
    assert "form_seed" not in plan
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=admin).json()["occupation"] == "电工"
    proctor = staff_token(client, fx.proctor.username)
    r = client.post("/api/v1/plans", json=body, headers=proctor)
    assert r.status_code == 403
    # A proctor's work is their sessions' rosters, not the centre's plans (issue 10 §3).
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=proctor).status_code == 403


def test_sessions(client: TestClient, fx: ExamFixture, admin: dict[str, str]) -> None:
    body = {
        "plan_id": fx.plan.id,
        "name": "第2场",
        "room": "302",
        "starts_at": "2026-06-01T09:00:00",
        "confirm_past_start": True,
        "proctor_ids": [fx.proctor.id],
    }
    r = client.post("/api/v1/sessions", json=body, headers=admin)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["starts_at"] == "2026-06-01T01:00:00Z"
    assert s["duration_minutes"] == 90
    assert s["staffing_problems"] == ["每个考场至少需要 2 名监考员，目前只有 1 名"]
    r = client.put(
        f"/api/v1/sessions/{s['id']}/proctors",
        json={"proctor_ids": [p.id for p in fx.proctors]},
        headers=admin,
    )
    assert r.json()["staffing_problems"] == []
    # The second proctor sees both sessions; a new proctor sees none.
    second = staff_token(client, fx.proctors[1].username)
    assert {x["id"] for x in client.get("/api/v1/sessions", headers=second).json()} == {
        fx.session.id,
        s["id"],
    }
    assert client.post("/api/v1/sessions", json=body, headers=second).status_code == 403


def test_registrations(client: TestClient, fx: ExamFixture, admin: dict[str, str]) -> None:
    url = f"/api/v1/sessions/{fx.session.id}/registrations"
    number = valid_resident_id(801)
    r = client.post(
        url,
        json={"name": "钱七", "id_number": number, "facts": {"years_in_occupation": 6}},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    reg = r.json()
    assert reg["eligibility"]["route"] == "years"
    assert reg["eligibility"]["summary"] == (
        "符合四级/中级工申报条件：从事本职业满 6 年（从业 6 年）"
    )
    assert reg["seat_number"] == 4 and reg["candidate"]["id_number"] == number
    assert reg["ticket_number"].endswith(f"{fx.session.id:04d}004")
    r = client.post(url, json={"name": "钱七", "id_number": number}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_registered"
    r = client.post(url, json={"name": "钱八", "id_number": "110105194912310021"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["error"]["details"] == [
        {"field": "id_number", "problem": "身份证号校验码错误：第 18 位应为 X，实际为 1"}
    ]
    listed = client.get(url, headers=staff_token(client, fx.proctor.username)).json()
    assert [x["seat_number"] for x in listed] == [1, 2, 3, 4]
    # The assigned proctor's roster masks ID numbers and leaves out phones (issue 10 §3).
    assert listed[3]["candidate"]["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert number not in str(listed) and all(x["candidate"]["phone"] == "" for x in listed)
    examiner = staff_token(client, fx.examiner.username)
    assert client.get(url, headers=examiner).status_code == 403


def test_excel_upload_all_or_nothing(
    client: TestClient, fx: ExamFixture, admin: dict[str, str]
) -> None:
    url = f"/api/v1/sessions/{fx.session.id}/registrations/excel"
    bad = xlsx([["甲", valid_resident_id(811)], ["", valid_resident_id(812)]])
    r = client.post(url, files={"file": ("名单.xlsx", bad)}, headers=admin)
    assert r.status_code == 422
    assert [(d["row"], d["column"]) for d in r.json()["error"]["details"]] == [(3, "姓名")]
    good = xlsx([["甲", valid_resident_id(811)], ["乙", valid_resident_id(812)]])
    r = client.post(url, files={"file": ("名单.xlsx", good)}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["registered"] == 2 and len(r.json()["ticket_numbers"]) == 2
    r = client.get(f"/api/v1/sessions/{fx.session.id}/registrations/template.xlsx", headers=admin)
    assert r.status_code == 200
    header = [c.value for c in load_workbook(BytesIO(r.content)).worksheets[0][1]]
    assert header[:6] == ["姓名", "身份证号", "联系电话", "工作单位", "学历", "专业经评估认可"]
    assert "从业年限" in header and "失业保险缴费月数" in header


def test_candidates_and_tickets(client: TestClient, fx: ExamFixture, admin: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/candidates",
        json={"name": "孙九", "id_number": "11010519491231002X"},
        headers=admin,
    )
    assert r.status_code == 201
    assert (r.json()["gender"], r.json()["birth_date"]) == ("女", "1949-12-31")
    found = client.get("/api/v1/candidates", params={"q": "孙九"}, headers=admin).json()
    assert [c["name"] for c in found] == ["孙九"]
    url = f"/api/v1/sessions/{fx.session.id}/tickets"
    assert client.get(url, headers=staff_token(client, fx.proctor.username)).status_code == 403
    tickets = client.get(url, headers=admin).json()
    assert [t["ticket_number"] for t in tickets] == [s.ticket_number for s in fx.seats]
    assert tickets[0]["id_number"] == fx.seats[0].id_number
    assert tickets[0]["level_display"] == "四级/中级工"


def test_other_centre_gets_404(client: TestClient, db: Session, fx: ExamFixture) -> None:
    outsider = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    h = staff_token(client, outsider.username)
    for path in (
        f"/api/v1/blueprints/{fx.blueprint.id}",
        f"/api/v1/plans/{fx.plan.id}",
        f"/api/v1/sessions/{fx.session.id}",
        f"/api/v1/sessions/{fx.session.id}/registrations",
        f"/api/v1/candidates/{fx.seats[0].candidate.id}",
    ):
        r = client.get(path, headers=h)
        assert r.status_code == 404, path
        assert fx.seats[0].id_number not in r.text
    r = client.post(
        f"/api/v1/sessions/{fx.session.id}/registrations",
        json={"name": "某人", "id_number": valid_resident_id(821)},
        headers=h,
    )
    assert r.status_code == 404
    assert client.get("/api/v1/sessions", headers=h).json() == []


def test_api_needs_login(client: TestClient, fx: ExamFixture) -> None:
    assert client.get("/api/v1/plans").status_code == 401
