"""Centres and staff accounts: who may create what, and where."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from tests.factories import make_centre, make_staff, valid_credit_code
from tests.helpers import csrf_of, page_login, staff_token


def test_platform_admin_registers_a_centre_and_a_bad_credit_code_names_the_check(
    client: TestClient, db: Session
) -> None:
    make_staff(db, Role.PLATFORM_ADMIN, username="root1")
    db.commit()
    h = staff_token(client, "root1")
    bad = client.post(
        "/api/v1/centres",
        headers=h,
        json={"name": "某职业技能评价中心", "credit_code": "91330100799655058C"},
    )
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert detail["field"] == "credit_code" and "第 18 位应为 B" in detail["problem"]
    assert client.get("/api/v1/centres", headers=h).json() == []
    ok = client.post(
        "/api/v1/centres",
        headers=h,
        json={"name": "某职业技能评价中心", "credit_code": "91330100799655058B"},
    )
    assert ok.status_code == 201 and ok.json()["credit_code"] == "91330100799655058B"


def test_centre_page_shows_the_failed_check(client: TestClient, db: Session) -> None:
    make_staff(db, Role.PLATFORM_ADMIN, username="root2")
    db.commit()
    page_login(client, "root2")
    token = csrf_of(client, "/admin/centres")
    r = client.post(
        "/admin/centres",
        data={"csrf_token": token, "name": "甲中心", "credit_code": "9133010079965505"},
    )
    assert r.status_code == 422
    assert "应为 18 位" in r.text and 'value="甲中心"' in r.text


def test_centre_admin_creates_staff_only_for_their_own_centre(
    client: TestClient, db: Session
) -> None:
    a, b = make_centre(db), make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, a, username="adminA")
    db.commit()
    h = staff_token(client, "adminA")
    r = client.post(
        "/api/v1/staff",
        headers=h,
        json={
            "username": "proctorX",
            "display_name": "王监考",
            "password": "long-enough-1",
            "role": "proctor",
            "centre_id": b.id,  # ignored: a centre admin staffs their own centre
        },
    )
    assert r.status_code == 201 and r.json()["centre_id"] == a.id
    r = client.post(
        "/api/v1/staff",
        headers=h,
        json={
            "username": "reg1",
            "display_name": "监管",
            "password": "long-enough-1",
            "role": "regulator",
            "region_code": "340400",
        },
    )
    assert r.status_code == 403


def test_staff_lists_are_scoped_and_disabling_logs_out(client: TestClient, db: Session) -> None:
    a, b = make_centre(db), make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, a, username="adminA2")
    pa = make_staff(db, Role.PROCTOR, a, username="procA")
    pb = make_staff(db, Role.PROCTOR, b, username="procB")
    db.commit()
    h = staff_token(client, "adminA2")
    names = {u["username"] for u in client.get("/api/v1/staff", headers=h).json()}
    assert names == {"adminA2", "procA"}
    assert client.post(f"/api/v1/staff/{pb.id}/disable", headers=h).status_code == 404
    proc_headers = staff_token(client, "procA")
    assert client.post(f"/api/v1/staff/{pa.id}/disable", headers=h).json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=proc_headers).status_code == 401
    assert client.get("/api/v1/staff", headers=staff_token(client, "procB")).status_code == 403


def test_regulator_sees_centres_of_their_region_only(client: TestClient, db: Session) -> None:
    from app.reference import service as reference

    reference.create_centre(
        db, name="淮南中心", credit_code=valid_credit_code(9001), region_code="340400"
    )
    reference.create_centre(
        db, name="芜湖中心", credit_code=valid_credit_code(9002), region_code="340200"
    )
    make_staff(db, Role.REGULATOR, username="hn-reg", region_code="340400")
    db.commit()
    h = staff_token(client, "hn-reg")
    assert [c["name"] for c in client.get("/api/v1/centres", headers=h).json()] == ["淮南中心"]
    page_login(client, "hn-reg")
    page = client.get("/regulator")
    assert "淮南中心" in page.text and "芜湖中心" not in page.text


def test_a_prefecture_regulator_does_not_see_the_next_prefecture(
    client: TestClient, db: Session
) -> None:
    """黄山 (341000) and 滁州 (341100) share the digits 341: matching is by levels."""
    from app.reference import service as reference

    for n, (name, code) in enumerate(
        [("黄山中心", "341000"), ("屯溪中心", "341002"), ("滁州中心", "341100")]
    ):
        reference.create_centre(
            db, name=name, credit_code=valid_credit_code(9100 + n), region_code=code
        )
    make_staff(db, Role.REGULATOR, username="hs-reg", region_code="341000")
    make_staff(db, Role.REGULATOR, username="ah-reg", region_code="340000")
    db.commit()
    seen = [
        c["name"]
        for c in client.get("/api/v1/centres", headers=staff_token(client, "hs-reg")).json()
    ]
    assert sorted(seen) == sorted(["黄山中心", "屯溪中心"])
    province = client.get("/api/v1/centres", headers=staff_token(client, "ah-reg")).json()
    assert len(province) == 3
    page_login(client, "hs-reg")
    page = client.get("/regulator")
    assert "屯溪中心" in page.text and "滁州中心" not in page.text


def test_a_regulator_needs_a_real_division_code(client: TestClient, db: Session) -> None:
    make_staff(db, Role.PLATFORM_ADMIN, username="root2")
    db.commit()
    h = staff_token(client, "root2")
    r = client.post(
        "/api/v1/staff",
        headers=h,
        json={
            "username": "bad-reg",
            "display_name": "区划错误",
            "password": "long-enough-1",
            "role": "regulator",
            "region_code": "34",
        },
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_region_code"
