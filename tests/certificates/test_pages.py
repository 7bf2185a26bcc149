"""The public lookup (page and API), issuance pages and the registry, as their users see
them."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.certificates import lookup, service
from app.core.config import get_settings
from tests.certificates.support import certified, results_of
from tests.factories import make_staff, staff_actor
from tests.helpers import csrf_of, page_login, staff_token


@pytest.fixture
def issued(db: Session):
    fx = certified(db, candidates=1)
    cert = service.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=results_of(db, fx)[0].id or 0
    )
    service.store_pdf(db, cert)
    db.commit()
    lookup._window.cache_clear()
    return fx, cert


def test_the_api_lookup_finds_by_number_and_name_or_id_and_never_shows_the_full_id(
    client: TestClient, issued
):
    _fx, cert = issued
    by_name = client.post("/api/v1/verify", json={"number": cert.number, "name": cert.holder_name})
    assert by_name.status_code == 200
    body = by_name.json()
    assert body["number"] == cert.number and body["status"] == "valid"
    assert cert.id_number not in by_name.text and body["masked_id"].startswith(cert.id_number[:3])
    by_id = client.post(
        "/api/v1/verify", json={"number": cert.number.lower(), "id_number": cert.id_number}
    )
    assert by_id.status_code == 200
    wrong_name = client.post("/api/v1/verify", json={"number": cert.number, "name": "李四"})
    wrong_number = client.post(
        "/api/v1/verify", json={"number": cert.number[:-1] + "9", "name": cert.holder_name}
    )
    # The same answer whichever of the two was wrong.
    assert wrong_name.status_code == wrong_number.status_code == 404
    assert wrong_name.json() == wrong_number.json()
    short = client.post("/api/v1/verify", json={"number": "S123", "name": "x"})
    assert short.status_code == 422 and "22 位" in short.json()["error"]["message"]
    bad_level = client.post(
        "/api/v1/verify", json={"number": cert.number[:15] + "9" + cert.number[16:], "name": "x"}
    )
    assert bad_level.status_code == 422 and "第 16 位" in bad_level.json()["error"]["message"]


def test_lookups_are_limited_per_client(client: TestClient, issued, monkeypatch):
    _fx, cert = issued
    monkeypatch.setattr(get_settings(), "lookup_per_minute", 3)
    lookup._window.cache_clear()
    asks = [
        client.post("/api/v1/verify", json={"number": cert.number, "name": "张三"}).status_code
        for _ in range(4)
    ]
    assert asks == [404, 404, 404, 429]
    page = client.post("/verify", data={"number": cert.number, "name": cert.holder_name})
    assert page.status_code == 429 and "查询过于频繁" in page.text
    lookup._window.cache_clear()


def test_the_public_page_and_the_revocation_everywhere(client: TestClient, db: Session, issued):
    fx, cert = issued
    page = client.post("/verify", data={"number": cert.number, "name": cert.holder_name})
    assert page.status_code == 200 and "有效" in page.text and cert.id_number not in page.text
    missing = client.post("/verify", data={"number": cert.number, "name": "别人"})
    assert missing.status_code == 404 and "未查到" in missing.text
    page_login(client, fx.exam.admin.username)
    detail = client.get(f"/certificates/{cert.id}")
    assert cert.id_number in detail.text  # the centre's full record
    pdf = client.get(f"/certificates/{cert.id}/certificate.pdf")
    assert pdf.content == service.stored_pdf(cert)
    revoked = client.post(
        f"/certificates/{cert.id}/revoke",
        data={
            "reason": "improper_means",
            "note": "冒名顶替",
            "csrf_token": csrf_of(client, f"/certificates/{cert.id}"),
        },
    )
    assert revoked.status_code == 200 and "已撤销" in revoked.text
    client.cookies.clear()
    assert "证书已撤销" in client.get(f"/v/{cert.token}").text
    api = client.post("/api/v1/verify", json={"number": cert.number, "name": cert.holder_name})
    assert api.json()["status"] == "revoked" and "冒名顶替" in api.json()["revocation"]
    token = client.post("/api/v1/verify/token", json={"token": cert.token}).json()
    assert token["verdict"] == "revoked"


def test_a_regulator_searches_the_region_registry(client: TestClient, db: Session, issued):
    _fx, cert = issued
    regulator = make_staff(db, Role.REGULATOR, region_code="340000")
    elsewhere = make_staff(db, Role.REGULATOR, region_code="110000")
    db.commit()
    mine = client.get(
        "/api/v1/certificates",
        params={"name": cert.holder_name},
        headers=staff_token(client, regulator.username),
    )
    assert [c["number"] for c in mine.json()] == [cert.number]
    assert mine.json()[0]["id_number"] == cert.id_number
    theirs = client.get("/api/v1/certificates", headers=staff_token(client, elsewhere.username))
    assert theirs.json() == []


def test_the_centre_issues_a_plan_in_bulk_from_its_page(client: TestClient, db: Session):
    fx = certified(db, candidates=2, failing=1)
    page_login(client, fx.exam.admin.username)
    plan_page = client.get(f"/plans/{fx.exam.plan.id}/certificates")
    assert "批量发证（2 人待发）" in plan_page.text
    made = client.post(
        f"/plans/{fx.exam.plan.id}/certificates/batches",
        data={
            "session_id": str(fx.exam.session.id),
            "csrf_token": csrf_of(client, f"/plans/{fx.exam.plan.id}/certificates"),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    from app.certificates import batches

    batches.run_pending(workers=0)
    progress = client.get(made.headers["location"])
    assert "已完成" in progress.text and "下载全部证书" in progress.text
    zipped = client.get(made.headers["location"] + "/certificates.zip")
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"


def test_settings_refuse_a_bad_template_and_change_nothing(client: TestClient, db: Session):
    fx = certified(db, candidates=1)
    page_login(client, fx.exam.admin.username)
    bad = client.post(
        "/certificates/settings",
        data={
            "site_serial": "12",
            "template_one_plus_x": "X{yyyy}",
            "csrf_token": csrf_of(client, "/certificates/settings"),
        },
    )
    assert bad.status_code == 422 and "6 位数字" in bad.text and "流水号" in bad.text
    db.expire_all()
    assert service.centre_settings(db, fx.exam.centre.id or 0).site_serial == "000123"


def test_the_qr_page_says_the_signature_holds_when_the_registry_is_down(
    client: TestClient, issued, monkeypatch
):
    _fx, cert = issued
    from contextlib import contextmanager

    from sqlalchemy.exc import OperationalError

    from app.certificates import verification

    @contextmanager
    def down(*_a, **_k):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))
        yield  # pragma: no cover

    monkeypatch.setattr(verification, "session_scope", down)
    page = client.get(f"/v/{cert.token}")
    assert "签名有效" in page.text and "暂时无法访问" in page.text
    assert "未能核实证书当前状态" in page.text
