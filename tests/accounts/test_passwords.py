"""Staff passwords: the stated policy, changing one's own, an administrator's reset with a
forced change at the next login, unlocking a locked account, and who may do what."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.passwords import password_problem, temporary_password
from app.audit.models import AuditEntry
from tests.factories import PASSWORD, make_centre, make_staff
from tests.helpers import csrf_of, login_csrf, page_login, staff_token


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-1", "至少 10 个字符"),
        ("onlyletterslong", "至少两类"),
        ("1234567890123", "至少两类"),
        ("wang-proctor-9", "不能包含用户名"),
        ("good-pass-123", None),
        ("长密码但是包含数字12345", None),
    ],
)
def test_the_password_policy(password: str, problem: str | None) -> None:
    found = password_problem(password, username="Wang")
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_temporary_password_meets_the_policy_and_differs_each_time() -> None:
    made = {temporary_password() for _ in range(20)}
    assert len(made) == 20
    assert all(password_problem(p, username="someone") is None for p in made)


def audits(db: Session, action: str) -> list[AuditEntry]:
    rows = list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))
    db.commit()
    return rows


def test_staff_change_their_own_password(client: TestClient, db: Session) -> None:
    make_staff(db, Role.PROCTOR, make_centre(db), username="p-change")
    db.commit()
    h = staff_token(client, "p-change")
    other = staff_token(client, "p-change")  # a second login, elsewhere
    wrong = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": "not-it-123", "new_password": "new-pass-456"},
    )
    assert (
        wrong.status_code == 422
        and wrong.json()["error"]["details"][0]["field"] == "current_password"
    )
    weak = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422 and "至少 10 个字符" in weak.json()["error"]["message"]
    ok = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": PASSWORD, "new_password": "new-pass-456"},
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200  # this login stays
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401  # the other ends
    staff_token(client, "p-change", "new-pass-456")
    assert [a.actor_name for a in audits(db, "staff.password_change")] != []


def test_a_reset_password_must_be_changed_at_the_next_login(
    client: TestClient, db: Session
) -> None:
    centre = make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="c-admin")
    target = make_staff(db, Role.PROCTOR, centre, username="p-reset")
    db.commit()
    admin = staff_token(client, "c-admin")
    no_reason = client.post(f"/api/v1/staff/{target.id}/reset-password", headers=admin, json={})
    assert no_reason.status_code == 422
    r = client.post(
        f"/api/v1/staff/{target.id}/reset-password",
        headers=admin,
        json={"reason": "忘记密码，电话核实本人"},
    )
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    [entry] = audits(db, "staff.password_reset")
    assert entry.reason == "忘记密码，电话核实本人" and temporary not in str(entry.detail)

    # The old password no longer works; with the temporary one every page sends the
    # proctor to the change form, and the API refuses until it is changed.
    client.cookies.clear()
    bad = client.post(
        "/login",
        data={"username": "p-reset", "password": PASSWORD, "csrf_token": login_csrf(client)},
    )
    assert bad.status_code == 401
    page_login(client, "p-reset", temporary)
    r = client.get("/proctor", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/password"
    form = client.get("/account/password")
    assert "管理员已重置您的密码" in form.text and "至少 10 个字符" in form.text
    api = staff_token(client, "p-reset", temporary)
    refused = client.get("/api/v1/proctor/sessions", headers=api)
    assert (
        refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    )
    token = csrf_of(client, "/account/password")
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "mine-now-789",
            "confirm_password": "mine-now-780",
        },
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    done = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "mine-now-789",
            "confirm_password": "mine-now-789",
        },
    )
    assert done.status_code == 200 and "密码已修改" in done.text
    assert client.get("/proctor").status_code == 200


def test_an_admin_unlocks_a_locked_account(client: TestClient, db: Session) -> None:
    centre = make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="c-admin2")
    target = make_staff(db, Role.EXAMINER, centre, username="e-locked")
    db.commit()
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "e-locked", "password": "wrong"})
    locked = client.post("/api/v1/auth/login", json={"username": "e-locked", "password": PASSWORD})
    assert locked.status_code == 429
    admin = staff_token(client, "c-admin2")
    r = client.post(
        f"/api/v1/staff/{target.id}/unlock", headers=admin, json={"reason": "本人确认，多次输错"}
    )
    assert r.status_code == 200 and r.json()["failures_cleared"] == 5
    staff_token(client, "e-locked")
    assert audits(db, "staff.unlock")[0].reason == "本人确认，多次输错"


def test_who_may_reset_whom(client: TestClient, db: Session) -> None:
    a, b = make_centre(db), make_centre(db)
    make_staff(db, Role.PLATFORM_ADMIN, username="root-p")
    admin_a = make_staff(db, Role.CENTRE_ADMIN, a, username="admin-a")
    other_admin = make_staff(db, Role.CENTRE_ADMIN, a, username="admin-a2")
    proctor_b = make_staff(db, Role.PROCTOR, b, username="proctor-b")
    db.commit()
    h = staff_token(client, "admin-a")
    body = {"reason": "测试"}
    # Another centre's proctor does not exist for this admin; a fellow centre admin is
    # the platform admin's to reset; one's own password is changed, not reset.
    assert (
        client.post(
            f"/api/v1/staff/{proctor_b.id}/reset-password", headers=h, json=body
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/staff/{other_admin.id}/reset-password", headers=h, json=body
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/staff/{admin_a.id}/reset-password", headers=h, json=body).status_code
        == 403
    )
    root = staff_token(client, "root-p")
    assert (
        client.post(
            f"/api/v1/staff/{other_admin.id}/reset-password", headers=root, json=body
        ).status_code
        == 200
    )
    # The page: the platform admin resets through the staff list and sees it once.
    token = page_login(client, "root-p")
    page = client.post(
        f"/staff/{admin_a.id}/reset-password", data={"csrf_token": token, "reason": "忘记密码"}
    )
    assert page.status_code == 200 and 'id="temporary-password"' in page.text
