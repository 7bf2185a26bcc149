"""The service as a whole: health, OpenAPI, error shapes."""

from fastapi.testclient import TestClient


def test_healthz_says_up_and_nothing_about_the_database(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_openapi_describes_the_api_under_v1(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/auth/login" in paths
    assert all(p.startswith("/api/v1/") or p == "/healthz" for p in paths)


def test_api_errors_have_a_stable_code_and_a_message(client: TestClient) -> None:
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401
    body = r.json()["error"]
    assert body["code"] == "auth_required" and body["message"]
    r = client.post("/api/v1/auth/login", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert any(d["field"] == "password" for d in r.json()["error"]["details"])


def test_static_htmx_is_served_locally(client: TestClient) -> None:
    r = client.get("/static/htmx-2.0.11.min.js")
    assert r.status_code == 200 and "htmx" in r.text[:2000]
