"""Logging in: staff by password, candidates by ticket + ID, throttling, CSRF, bearer tokens."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import AuthSession, Role
from app.core.config import get_settings
from tests.factories import PASSWORD, make_centre, make_staff
from tests.helpers import csrf_of, login_csrf, page_login, staff_token


def test_staff_logs_in_with_password_and_gets_an_httponly_samesite_cookie(
    client: TestClient, db: Session
) -> None:
    centre = make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="admin1")
    db.commit()
    r = client.post(
        "/login",
        data={"username": "admin1", "password": PASSWORD, "csrf_token": login_csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert get_settings().session_cookie in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = client.get("/api/v1/auth/me")
    assert me.json()["name"] == "admin1" and me.json()["role"] == "centre_admin"
    # Only the digest is stored, never the token itself.
    token = client.cookies.get(get_settings().session_cookie)
    stored = db.exec(select(AuthSession)).all()
    assert token and all(s.token_digest != token for s in stored)


def test_wrong_password_is_refused_with_a_message(client: TestClient, db: Session) -> None:
    make_staff(db, Role.PROCTOR, make_centre(db), username="p1")
    db.commit()
    r = client.post(
        "/login", data={"username": "p1", "password": "nope-nope", "csrf_token": login_csrf(client)}
    )
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    api = client.post("/api/v1/auth/login", json={"username": "p1", "password": "nope"})
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "bad_credentials"


def test_login_is_throttled_after_repeated_failures(client: TestClient, db: Session) -> None:
    make_staff(db, Role.PROCTOR, make_centre(db), username="p2")
    db.commit()
    for _ in range(get_settings().login_max_failures):
        r = client.post("/api/v1/auth/login", json={"username": "p2", "password": "bad"})
        assert r.status_code == 401
    # Even the right password is refused while throttled.
    r = client.post("/api/v1/auth/login", json={"username": "p2", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "login_throttled"


def test_form_posts_without_the_csrf_token_are_refused(client: TestClient, db: Session) -> None:
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="admin2")
    db.commit()
    page_login(client, "admin2")
    r = client.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert client.get("/api/v1/auth/me").status_code == 200  # still logged in
    token = csrf_of(client, "/login")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/auth/me").status_code == 401


def test_bearer_token_needs_no_csrf_and_logout_revokes_it(client: TestClient, db: Session) -> None:
    make_staff(db, Role.EXAMINER, make_centre(db), username="ex1")
    db.commit()
    headers = staff_token(client, "ex1")
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "examiner"
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_disabled_account_cannot_log_in_or_use_its_token(client: TestClient, db: Session) -> None:
    user = make_staff(db, Role.PROCTOR, make_centre(db), username="p3")
    db.commit()
    headers = staff_token(client, "p3")
    user.is_active = False
    db.add(user)
    db.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": "p3", "password": PASSWORD})
    assert r.status_code == 401


def test_pages_redirect_anonymous_visitors_to_login(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_login_next_is_never_an_open_redirect(client: TestClient, db: Session) -> None:
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="admin3")
    db.commit()
    r = client.post(
        "/login",
        data={
            "username": "admin3",
            "password": PASSWORD,
            "next": "//evil.example/",
            "csrf_token": login_csrf(client),
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_login_forms_refuse_a_post_without_their_token(client: TestClient, db: Session) -> None:
    """Another site cannot log a browser in (into an account of the attacker's choosing)."""
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="admin4")
    db.commit()
    r = client.post(
        "/login", data={"username": "admin4", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(
        "/login",
        data={"username": "admin4", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post("/exam/login", data={"ticket_number": "1", "id_number": "2"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(
        "/login",
        data={"username": "admin4", "password": PASSWORD, "csrf_token": login_csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_password_hash_parameters_are_a_setting_and_old_hashes_still_verify(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core import security

    made_before = security.hash_password("旧密码-old-pass")
    monkeypatch.setenv("JIPING_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("JIPING_PASSWORD_MEMORY_KIB", "8192")
    monkeypatch.setenv("JIPING_PASSWORD_PARALLELISM", "1")
    get_settings.cache_clear()
    security._hasher.cache_clear()
    try:
        made_now = security.hash_password("新密码-new-pass")
        assert made_now.startswith("$argon2id$") and "$m=8192,t=1,p=1$" in made_now
        assert security.verify_password(made_before, "旧密码-old-pass")
        assert security.verify_password(made_now, "新密码-new-pass")
        assert not security.verify_password(made_now, "旧密码-old-pass")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        security._hasher.cache_clear()
