"""The regulator's subsidy pages and API, as a regulator and a centre use them."""

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.accounts.models import Role
from app.subsidies import service
from tests.factories import make_staff
from tests.helpers import csrf_of, page_login, staff_token
from tests.subsidies.test_service import TRAINED, issue, records


def test_the_regulator_reviews_batches_and_pays_on_the_pages(client: TestClient, db: Session):
    _fx, certs = issue(db, TRAINED, candidates=2)
    initials = [records(db, c.id or 0)[0] for c in certs]
    reg = make_staff(db, Role.REGULATOR, region_code="340400")
    db.commit()
    page_login(client, reg.username)
    queue = client.get("/subsidies", params={"state": "pending"})
    assert queue.status_code == 200 and "淮南就业技能培训补贴" in queue.text
    token = csrf_of(client, "/subsidies")
    done = client.post(
        "/subsidies/approve",
        data={
            "record_id": [str(r.id) for r in initials],
            "reason": "材料齐全",
            "csrf_token": token,
        },
    )
    assert "已审核通过 2 条" in done.text
    record = client.get(f"/subsidies/{initials[0].id}")
    assert "计算依据" in record.text and "登记失业人员" in record.text
    made = client.post(
        "/subsidies/batches",
        data={
            "record_id": [str(r.id) for r in initials],
            "reference": "HN-2026-12-001",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    batch_url = made.headers["location"]
    page = client.get(batch_url)
    assert '合计 <b id="batch-total">2700</b> 元' in page.text
    xlsx = client.get(batch_url + "/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb["拨付明细"].iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "收款人", "身份证号", "银行账号（财务系统填写）", "金额（元）")
    assert {r[2] for r in rows[1:]} == {c.id_number for c in certs}
    paid = client.post(batch_url + "/paid", data={"paid_on": "2026-12-01", "csrf_token": token})
    assert "已于 2026-12-01 发放" in paid.text
    db.expire_all()
    assert {r.state for r in service.records_of_certificate(db, certs[0].id or 0)} >= {"paid"}


def test_a_centre_reads_its_records_but_cannot_approve(client: TestClient, db: Session):
    fx, (cert,) = issue(db, TRAINED)
    initial = records(db, cert.id or 0)[0]
    headers = staff_token(client, fx.exam.admin.username)
    mine = client.get("/api/v1/subsidies", headers=headers)
    assert [r["id"] for r in mine.json()] == [r.id for r in records(db, cert.id or 0)]
    refused = client.post(
        "/api/v1/subsidies/approve",
        json={"record_ids": [initial.id], "reason": "x"},
        headers=headers,
    )
    assert refused.status_code == 403
    elsewhere = make_staff(db, Role.REGULATOR, region_code="320000")
    db.commit()
    other = staff_token(client, elsewhere.username)
    assert client.get("/api/v1/subsidies", headers=other).json() == []
    assert client.get(f"/api/v1/subsidies/{initial.id}", headers=other).status_code == 404


def test_what_if_explains_every_policy_and_stores_nothing(client: TestClient, db: Session):
    reg = make_staff(db, Role.REGULATOR, region_code="340400")
    db.commit()
    body = {
        "level_code": "technician",
        "occupation_name": "电工",
        "issued_on": "2026-03-10",
        "facts": {"employment": "enterprise_employee", "work_region": "340403"},
    }
    got = client.post(
        "/api/v1/subsidies/what-if", json=body, headers=staff_token(client, reg.username)
    )
    by_id = {d["policy_id"]: d for d in got.json()}
    assert (
        by_id["huainan-technician-training"]["applies"]
        and by_id["huainan-technician-training"]["amount"] == 3500
    )
    assert (
        "不在" in by_id["national-skill-upgrade"]["explanation"]
        or not by_id["national-skill-upgrade"]["applies"]
    )
    assert len(by_id) == 6
    page_login(client, reg.username)
    page = client.post(
        "/subsidies/what-if",
        data={"level_code": "technician", "issued_on": "2026-03-10", "employment": "enterprise_employee",
              "work_region": "340403", "csrf_token": csrf_of(client, "/subsidies/what-if")},
    )  # fmt: skip
    assert "3500 元" in page.text
    assert (
        service.queue(
            db,
            actor=__import__("tests.factories", fromlist=["staff_actor"]).staff_actor(reg),
            f=service.QueueFilter(),
        )
        == []
    )


def test_local_standards_change_later_amounts(client: TestClient, db: Session):
    reg = make_staff(db, Role.REGULATOR, region_code="340400")
    db.commit()
    page_login(client, reg.username)
    token = csrf_of(client, "/subsidies/standards")
    saved = client.post(
        "/subsidies/standards",
        data={
            "policy_id": "huainan-employment-training",
            "level_code": "intermediate",
            "amount": "1800",
            "csrf_token": token,
        },
    )
    assert "当地标准已保存" in saved.text
    refused = client.post(
        "/subsidies/standards",
        data={
            "policy_id": "huainan-technician-training",
            "level_code": "technician",
            "amount": "9000",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422 and "由政策规定" in refused.text
    _fx, (cert,) = issue(db, TRAINED)
    assert sum(r.amount for r in records(db, cert.id or 0)) == 1800
