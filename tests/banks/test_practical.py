"""Practical tasks (操作技能考核试题) in bank files: validation with file:line problems, the
shipped tasks, all-or-nothing import with versions and retiring, the pages and the API."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.banks import service as banks
from app.banks.format import check_bank_file
from app.banks.models import (
    Item,
    ItemStatus,
    PracticalTask,
    PracticalTaskVersion,
    QuestionBank,
)
from app.core.errors import ValidationFailed
from app.reference.models import EvaluationCentre
from tests.banks.samples import BANK, edit, line_of
from tests.factories import make_centre, make_occupations, make_staff, staff_actor
from tests.helpers import page_login, staff_token

TASKS = """\
tasks:
  - id: P-1
    title: 三相异步电动机正反转控制线路安装与调试
    minutes: 120
    points: 40
    task: 按图安装接触器联锁正反转控制线路并通电试车。
    materials:
      - 三相异步电动机 1 台
      - 交流接触器 2 只
    rubric:
      - code: A1
        name: 布线工艺
        points: 15
        earns: 按图接线，走线入槽，接点牢固。
        deductions:
          - {text: 接点松动，每处, points: 1}
      - code: A2
        name: 通电试车
        points: 25
        step: 1
        earns: 一次试车成功。
        deductions:
          - {text: 第一次试车不成功, points: 10}
      - code: V1
        name: 带电接线
        veto: true
  - id: P-2
    title: 常用电工仪表使用
    minutes: 30
    points: 10
    task: 用兆欧表测量绝缘电阻。
    materials: [兆欧表 1 块]
    rubric:
      - code: A1
        name: 兆欧表测量
        points: 10
        earns: 验表、接线、读数正确。
"""
WITH_TASKS = BANK.replace("items:\n", TASKS + "items:\n", 1)
SHIPPED = sorted((Path(__file__).parents[2] / "question_banks").glob("*.yaml"))


def problems_of(text: str) -> list[dict[str, Any]]:
    bank, problems = check_bank_file(text.encode(), "t.yaml")
    assert bank is None
    return [p.as_detail() for p in problems]


# --- the format ------------------------------------------------------------------------


def test_a_valid_file_yields_its_tasks_with_rubrics():
    bank, problems = check_bank_file(WITH_TASKS.encode(), "t.yaml")
    assert problems == []
    assert bank is not None
    first = bank.tasks[0]
    assert (first.external_id, first.title, first.minutes, first.points) == (
        "P-1",
        "三相异步电动机正反转控制线路安装与调试",
        120,
        40,
    )
    assert first.level_codes == ["intermediate"]  # the bank's levels by default
    assert [c["code"] for c in first.rubric] == ["A1", "A2", "V1"]
    assert first.rubric[0]["step"] == 0.5  # default step
    assert first.rubric[1]["deductions"] == [{"text": "第一次试车不成功", "points": 10}]
    assert first.rubric[2]["veto"] is True
    assert first.rubric[2]["points"] == 0


def test_a_bank_without_tasks_is_still_valid():
    bank, problems = check_bank_file(BANK.encode(), "t.yaml")
    assert problems == [] and bank is not None
    assert bank.tasks == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("        points: 25\n", "        points: 20\n", "配分之和为 35，应等于试题分值 40"),
        ("    minutes: 120\n", "    minutes: 0\n", "考核时间 minutes 应为 1–480"),
        ("        step: 1\n", "        step: 0.3\n", "步长 step 应为 0.5、1、2 或 5"),
        (
            "          - {text: 第一次试车不成功, points: 10}\n",
            "          - {text: 第一次试车不成功, points: 30}\n",
            "扣分 30 应不超过配分 25",
        ),
        ("        name: 带电接线\n        veto: true\n", "        veto: true\n", "缺少名称"),
        (
            "        name: 带电接线\n        veto: true\n",
            "        name: 带电接线\n        veto: true\n        points: 5\n",
            "否决项：只写触发条件",
        ),
        ("      - 交流接触器 2 只\n", "      - ''\n", "每一项都应为非空文本"),
        ("    title: 常用电工仪表使用\n", "", "缺少试题名称"),
        ("  - id: P-2\n", "  - id: P-1\n", "试题编号 P-1 重复"),
    ],
)
def test_broken_tasks_are_reported_with_line_and_task(old, new, message):
    text = edit(WITH_TASKS, old, new)
    found = [p for p in problems_of(text) if message in p["problem"]]
    assert found, problems_of(text)
    assert found[0]["item_id"] in ("P-1", "P-2")
    assert found[0]["line"] is not None


def test_a_rubric_problem_points_at_its_line():
    text = edit(WITH_TASKS, "        step: 1\n", "        step: 0.3\n")
    [problem] = problems_of(text)
    assert problem["line"] == line_of(text, "- code: A2")
    assert problem["place"] == f"t.yaml:{problem['line']} 题目 P-1 字段 rubric"


def test_a_task_for_a_level_outside_the_bank_is_refused():
    text = edit(WITH_TASKS, "    minutes: 30\n", "    minutes: 30\n    levels: [senior]\n")
    assert any("不在题库适用的等级" in p["problem"] for p in problems_of(text))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_bank_has_four_complete_tasks_with_a_safety_veto(path):
    bank, problems = check_bank_file(path.read_bytes(), path.name)
    assert problems == [] and bank is not None
    assert len(bank.tasks) >= 4
    assert sum(t.points for t in bank.tasks) == 100  # one practical paper's worth
    for task in bank.tasks:
        scored = [c for c in task.rubric if not c["veto"]]
        assert sum(c["points"] for c in scored) == task.points
        assert all(c["earns"] and c["deductions"] for c in scored), task.external_id
        assert any(c["veto"] for c in task.rubric), task.external_id
        assert task.materials and task.minutes >= 30


def test_the_electrician_bank_ships_the_reversing_motor_task_with_its_safety_veto():
    path = next(p for p in SHIPPED if p.name == "electrician_intermediate.yaml")
    bank, _ = check_bank_file(path.read_bytes(), path.name)
    assert bank is not None
    task = next(t for t in bank.tasks if "正反转控制线路安装与调试" in t.title)
    vetoes = [c["name"] for c in task.rubric if c["veto"]]
    assert any("带电" in v for v in vetoes)


# --- import ------------------------------------------------------------------------------


@pytest.fixture
def centre(db: Session) -> EvaluationCentre:
    make_occupations(db)
    return make_centre(db)


def do_import(db: Session, centre: EvaluationCentre, text: str) -> banks.ImportResult:
    assert centre.id is not None
    return banks.import_bank_file(
        db, centre_id=centre.id, filename="t.yaml", content=text.encode(), actor=None
    )


def task_rows(db: Session) -> list[tuple[str, str, int, str]]:
    db.expire_all()
    rows = db.exec(
        select(PracticalTask, PracticalTaskVersion)
        .join(PracticalTaskVersion, col(PracticalTaskVersion.task_id) == PracticalTask.id)
        .order_by(col(PracticalTaskVersion.id))
    ).all()
    return [(t.external_id, t.status, v.version, v.title) for t, v in rows]


def test_import_stores_tasks_and_says_so(db: Session, centre: EvaluationCentre):
    result = do_import(db, centre, WITH_TASKS)
    assert result.tasks.created == 2
    assert "操作技能试题：新增 2 道" in result.summary
    assert task_rows(db) == [
        ("P-1", "active", 1, "三相异步电动机正反转控制线路安装与调试"),
        ("P-2", "active", 1, "常用电工仪表使用"),
    ]


def test_reimport_versions_edited_tasks_and_retires_missing_ones(
    db: Session, centre: EvaluationCentre
):
    do_import(db, centre, WITH_TASKS)
    again = do_import(db, centre, WITH_TASKS)
    assert (again.tasks.unchanged, again.tasks.changed) == (2, False)
    assert "未变化" in again.summary
    start = WITH_TASKS.index("  - id: P-2\n")
    end = WITH_TASKS.index("items:\n")
    edited = edit(WITH_TASKS[:start] + WITH_TASKS[end:], "按图安装", "按电气原理图安装")
    result = do_import(db, centre, edited)
    assert (result.tasks.new_versions, result.tasks.retired) == (1, 1)
    assert "题目未变化" in result.summary and "停用 1 道" in result.summary
    assert task_rows(db) == [
        ("P-1", "active", 1, "三相异步电动机正反转控制线路安装与调试"),
        ("P-2", "retired", 1, "常用电工仪表使用"),
        ("P-1", "active", 2, "三相异步电动机正反转控制线路安装与调试"),
    ]


def test_a_broken_task_imports_nothing_at_all(db: Session, centre: EvaluationCentre):
    text = edit(WITH_TASKS, "        points: 25\n", "        points: 20\n")
    with pytest.raises(ValidationFailed) as err:
        do_import(db, centre, text)
    assert err.value.code == "invalid_bank_file"
    assert any("配分之和" in d["problem"] for d in err.value.details)
    assert db.exec(select(QuestionBank)).all() == []
    assert db.exec(select(Item)).all() == []
    assert task_rows(db) == []


def test_the_shipped_banks_import_with_their_tasks(db: Session, centre: EvaluationCentre):
    for path in SHIPPED:
        assert centre.id is not None
        result = banks.import_bank_file(
            db, centre_id=centre.id, filename=path.name, content=path.read_bytes(), actor=None
        )
        assert result.tasks.created >= 4
    assert all(status == ItemStatus.ACTIVE for _, status, _, _ in task_rows(db))


# --- pages and API -----------------------------------------------------------------------


@pytest.fixture
def imported(db: Session) -> dict[str, Any]:
    make_occupations(db)
    centre, other = make_centre(db), make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    other_admin = make_staff(db, Role.CENTRE_ADMIN, other)
    proctor = make_staff(db, Role.PROCTOR, centre)
    assert centre.id is not None
    result = banks.import_bank_file(
        db,
        centre_id=centre.id,
        filename="t.yaml",
        content=WITH_TASKS.encode(),
        actor=staff_actor(admin),
    )
    db.commit()
    task = db.exec(select(PracticalTask).where(PracticalTask.external_id == "P-1")).one()
    db.commit()
    return {
        "bank_id": result.bank.id,
        "task_id": task.id,
        "admin": admin.username,
        "other": other_admin.username,
        "proctor": proctor.username,
    }


def test_the_task_pages_show_the_rubric_and_vetoes(client: TestClient, imported):
    page_login(client, imported["admin"])
    bank_page = client.get(f"/banks/{imported['bank_id']}")
    assert f"/banks/{imported['bank_id']}/tasks" in bank_page.text
    listing = client.get(f"/banks/{imported['bank_id']}/tasks")
    assert listing.status_code == 200
    assert "三相异步电动机正反转控制线路安装与调试" in listing.text
    assert "常用电工仪表使用" in listing.text
    page = client.get(f"/banks/{imported['bank_id']}/tasks/{imported['task_id']}")
    assert page.status_code == 200
    for text in ("评分表", "布线工艺", "接点松动，每处扣 1 分", "否决项", "带电接线", "120 分钟"):
        assert text in page.text


def test_the_api_returns_the_rubric(client: TestClient, imported):
    headers = staff_token(client, imported["admin"])
    listing = client.get(f"/api/v1/banks/{imported['bank_id']}/tasks", headers=headers)
    assert listing.status_code == 200
    assert [t["external_id"] for t in listing.json()] == ["P-1", "P-2"]
    detail = client.get(
        f"/api/v1/banks/{imported['bank_id']}/tasks/{imported['task_id']}", headers=headers
    ).json()
    assert detail["points"] == 40
    assert [(c["code"], c["veto"]) for c in detail["rubric"]] == [
        ("A1", False),
        ("A2", False),
        ("V1", True),
    ]
    assert detail["rubric"][1]["step"] == 1


def test_another_centre_and_other_roles_cannot_read_the_tasks(client: TestClient, imported):
    url = f"/api/v1/banks/{imported['bank_id']}/tasks/{imported['task_id']}"
    other = client.get(url, headers=staff_token(client, imported["other"]))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "bank_not_found"
    proctor = client.get(url, headers=staff_token(client, imported["proctor"]))
    assert proctor.status_code == 403


def test_an_unknown_task_is_not_found(client: TestClient, imported):
    headers = staff_token(client, imported["admin"])
    r = client.get(f"/api/v1/banks/{imported['bank_id']}/tasks/999999", headers=headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "task_not_found"
