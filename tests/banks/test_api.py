"""The banks JSON API: the same rules as the pages, scoped to the caller's centre."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.banks.models import ItemVersion, QuestionBank
from tests.banks.samples import BANK, ITEM_COUNT, item_line, with_item
from tests.helpers import staff_token


def upload(client: TestClient, headers: dict[str, str], text: str, name: str = "t.yaml") -> Any:
    return client.post(
        "/api/v1/banks/import",
        files={"file": (name, text.encode(), "application/x-yaml")},
        headers=headers,
    )


@pytest.fixture
def admin(client: TestClient, world: dict[str, str]) -> dict[str, str]:
    return staff_token(client, world["admin"])


@pytest.fixture
def bank_id(client: TestClient, admin: dict[str, str]) -> int:
    r = upload(client, admin, BANK)
    assert r.status_code == 200, r.text
    return int(r.json()["bank_id"])


def item_id_of(client: TestClient, headers: dict[str, str], bank_id: int, ext: str) -> int:
    r = client.get(f"/api/v1/banks/{bank_id}/items", params={"q": ext}, headers=headers)
    (row,) = [i for i in r.json()["items"] if i["external_id"] == ext]
    return int(row["id"])


def test_import_then_reimport(client: TestClient, admin: dict[str, str]) -> None:
    first = upload(client, admin, BANK)
    assert first.status_code == 200
    body = first.json()
    assert (body["code"], body["created"], body["bank_created"]) == ("T-1", ITEM_COUNT, True)
    again = upload(client, admin, BANK).json()
    assert (again["created"], again["new_versions"], again["unchanged"]) == (0, 0, ITEM_COUNT)
    assert "未变化" in again["summary"]


def test_a_bad_file_answers_422_with_every_problem(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    text = with_item(BANK, "SC-1", "key: B", "key: E")
    text = with_item(text, "TF-1", "difficulty: 1", "difficulty: 7")
    r = upload(client, admin, text)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_bank_file"
    assert [(d["item_id"], d["field"], d["line"]) for d in error["details"]] == [
        ("SC-1", "key", item_line(text, "SC-1", "key: E")),
        ("TF-1", "difficulty", item_line(text, "TF-1", "difficulty: 7")),
    ]
    assert error["details"][0]["place"].startswith("t.yaml:")
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 0


def test_list_and_read_a_bank(client: TestClient, admin: dict[str, str], bank_id: int) -> None:
    (listed,) = client.get("/api/v1/banks", headers=admin).json()
    assert (listed["id"], listed["code"], listed["occupation_code"]) == (
        bank_id,
        "T-1",
        "6-31-01-03",
    )
    assert listed["counts"] == {
        "single_choice": 1,
        "multiple_choice": 1,
        "true_false": 1,
        "fill_in": 2,
        "ordering": 0,
        "matching": 0,
        "short_answer": 0,
        "extended": 0,
    }
    bank = client.get(f"/api/v1/banks/{bank_id}", headers=admin).json()
    a, b = bank["outline"]
    assert (a["area"], a["weight"], a["total"], b["total"]) == ("A", 40, 3, 2)
    assert [(p["code"], p["importance"], p["items"]) for p in a["points"]] == [
        ("001", "X", 2),
        ("002", "Y", 1),
    ]


def test_list_items_with_filters(client: TestClient, admin: dict[str, str], bank_id: int) -> None:
    r = client.get(
        f"/api/v1/banks/{bank_id}/items",
        params={"type": "fill_in", "area": "B", "difficulty": "", "q": ""},
        headers=admin,
    )
    assert r.status_code == 200
    body = r.json()
    assert [i["external_id"] for i in body["items"]] == ["FN-1"]
    assert (body["total"], body["pages"]) == (1, 1)
    bad = client.get(f"/api/v1/banks/{bank_id}/items", params={"type": "essay"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "type"


def test_edit_through_put_creates_a_version(
    client: TestClient, admin: dict[str, str], bank_id: int, db: Session
) -> None:
    item_id = item_id_of(client, admin, bank_id, "SC-1")
    url = f"/api/v1/banks/{bank_id}/items/{item_id}"
    detail = client.get(url, headers=admin).json()
    src = detail["source"]
    assert src["key"] == "B" and src["options"] == {"A": "反比", "B": "正比", "C": "平方关系"}
    src["options"]["D"] = "无关"
    src["key"] = "D"
    r = client.put(url, json=src, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["current_version"] == 2
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][0]["key"] == {"answer": "D"}
    assert body["versions"][1]["key"] == {"answer": "B"}
    assert db.exec(select(func.count()).select_from(ItemVersion)).one() == ITEM_COUNT + 1


def test_an_invalid_put_lists_its_problems(
    client: TestClient, admin: dict[str, str], bank_id: int
) -> None:
    item_id = item_id_of(client, admin, bank_id, "FT-1")
    url = f"/api/v1/banks/{bank_id}/items/{item_id}"
    src = client.get(url, headers=admin).json()["source"]
    r = client.put(
        url, json={**src, "stem": "没有空的题干", "key": {"accepted": []}}, headers=admin
    )
    assert r.status_code == 422
    assert {d["place"] for d in r.json()["error"]["details"]} == {
        "题目 FT-1 字段 stem",
        "题目 FT-1 字段 key.accepted",
    }
    assert client.get(url, headers=admin).json()["current_version"] == 1


def test_retire_and_reactivate(client: TestClient, admin: dict[str, str], bank_id: int) -> None:
    item_id = item_id_of(client, admin, bank_id, "TF-1")
    base = f"/api/v1/banks/{bank_id}/items/{item_id}"
    r = client.post(f"{base}/retire", json={"reason": "过时"}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert client.post(f"{base}/retire", headers=admin).status_code == 409
    listed = client.get(
        f"/api/v1/banks/{bank_id}/items", params={"status": "retired"}, headers=admin
    ).json()
    assert [i["external_id"] for i in listed["items"]] == ["TF-1"]
    r = client.post(f"{base}/reactivate", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "active"


def test_another_centres_admin_gets_404(
    client: TestClient, world: dict[str, str], admin: dict[str, str], bank_id: int
) -> None:
    item_id = item_id_of(client, admin, bank_id, "SC-1")
    src = client.get(f"/api/v1/banks/{bank_id}/items/{item_id}", headers=admin).json()["source"]
    stranger = staff_token(client, world["other_admin"])
    assert client.get("/api/v1/banks", headers=stranger).json() == []
    item = f"/api/v1/banks/{bank_id}/items/{item_id}"
    for method, url, kwargs in (
        ("get", f"/api/v1/banks/{bank_id}", {}),
        ("get", f"/api/v1/banks/{bank_id}/items", {}),
        ("get", item, {}),
        ("put", item, {"json": src}),
        ("post", f"{item}/retire", {}),
        ("post", f"{item}/reactivate", {}),
    ):
        r = client.request(method, url, headers=stranger, **kwargs)
        assert r.status_code == 404, (method, url, r.text)
        assert "反比" not in r.text


def test_proctor_gets_403_and_anonymous_401(
    client: TestClient, world: dict[str, str], bank_id: int, db: Session
) -> None:
    proctor = staff_token(client, world["proctor"])
    r = upload(client, proctor, BANK.replace("code: T-1", "code: T-2"))
    assert r.status_code == 403
    assert client.get("/api/v1/banks", headers=proctor).status_code == 403
    assert client.get(f"/api/v1/banks/{bank_id}", headers=proctor).status_code == 403
    assert client.get("/api/v1/banks").status_code == 401
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 1


def test_moodle_xml_through_the_api_with_the_bank_named_in_the_form(
    client: TestClient, admin: dict[str, str]
) -> None:
    from tests.banks.test_moodle import WITH_CALCULATED

    fields = {
        "bank_code": "MOODLE-API",
        "bank_name": "Moodle 导入",
        "occupation": "6-31-01-03",
        "level": "intermediate",
    }
    r = client.post(
        "/api/v1/banks/import",
        data=fields,
        files={"file": ("quiz.xml", WITH_CALCULATED, "application/xml")},
        headers=admin,
    )
    assert r.status_code == 422
    assert [d["item_id"] for d in r.json()["error"]["details"]] == ["触电急救"]
    r = client.post(
        "/api/v1/banks/import",
        data={**fields, "skip_refused": "true"},
        files={"file": ("quiz.xml", WITH_CALCULATED, "application/xml")},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["code"], body["created"]) == ("MOODLE-API", 6)
    assert [s["item_id"] for s in body["skipped"]] == ["触电急救"]
    exported = client.get(f"/api/v1/banks/{body['bank_id']}/export-qti3.zip", headers=admin)
    assert exported.status_code == 200
    moodle_out = client.get(f"/api/v1/banks/{body['bank_id']}/export-moodle.xml", headers=admin)
    assert moodle_out.status_code == 200 and moodle_out.content.count(b"<question ") == 7
