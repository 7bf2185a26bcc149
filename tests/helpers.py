"""Logging in from tests: bearer tokens for the API, cookies + CSRF for pages."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.factories import PASSWORD


def staff_token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Headers for API calls as this staff member."""
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def candidate_token(client: TestClient, ticket_number: str, id_number: str) -> dict[str, str]:
    r = client.post(
        "/api/v1/auth/candidate-login",
        json={"ticket_number": ticket_number, "id_number": id_number},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def login_csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a login form carries (bound to the browser's device cookie)."""
    page = client.get(path)
    m = re.search(r'name="csrf_token" value="([^"]*)" id="login-csrf"', page.text)
    if m is None:  # a logged-in candidate is sent on from /exam/login; the token is the same
        page = client.get("/login")
        m = re.search(r'name="csrf_token" value="([^"]*)" id="login-csrf"', page.text)
    assert m, f"no login form token on {path}"
    return m.group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log the browser-like client in with the form; returns the CSRF token for its forms."""
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": login_csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client, "/login")


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    m = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
    assert m, f"no csrf meta on {path}"
    return m.group(1)


def app_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    """(method, path template, endpoint) of every route the application serves, routers
    included, in the order they are matched."""
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path, route.endpoint))
    return found
