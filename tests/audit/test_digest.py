"""The signed digest of the chain head: regulators and the platform admin download it and
check it with the platform's public key; centre staff are refused."""

import re

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.audit import service as audit
from app.core.keys import signing_keys
from tests.factories import make_centre, make_staff
from tests.helpers import page_login, staff_token


def checked(token: str, jwks: dict) -> dict:
    """The payload, once PyJWT (not the library that signed it) accepts the signature."""
    header = jwt.get_unverified_header(token)
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    return jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"])


@pytest.fixture
def chain_of_three(db: Session) -> str:
    for i in range(3):
        entry = audit.record(db, actor=None, action="test.action", detail={"i": i})
    db.commit()
    assert entry.hash is not None
    return entry.hash


def test_a_regulator_gets_the_head_signed(
    client: TestClient, db: Session, chain_of_three: str
) -> None:
    regulator = make_staff(db, Role.REGULATOR)
    db.commit()
    r = client.get("/api/v1/audit/digest", headers=staff_token(client, regulator.username))
    assert r.status_code == 200, r.text
    body = r.json()
    payload = checked(body["jws"], body["jwks"])
    assert payload == {k: body[k] for k in ("seq", "hash", "at", "entries")}
    assert (payload["seq"], payload["hash"], payload["entries"]) == (3, chain_of_three, 3)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["at"])
    assert jwt.get_unverified_header(body["jws"])["alg"] == "EdDSA"
    assert "d" not in body["jwks"]["keys"][0]  # the public half only


def test_the_platform_admin_may_have_it_and_a_centre_admin_may_not(
    client: TestClient, db: Session, chain_of_three: str
) -> None:
    platform = make_staff(db, Role.PLATFORM_ADMIN)
    admin = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    ok = client.get("/api/v1/audit/digest", headers=staff_token(client, platform.username))
    assert ok.status_code == 200
    refused = client.get("/api/v1/audit/digest", headers=staff_token(client, admin.username))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "role_forbidden"


def test_the_regulator_page_offers_the_digest_as_a_file(
    client: TestClient, db: Session, chain_of_three: str
) -> None:
    regulator = make_staff(db, Role.REGULATOR)
    db.commit()
    page_login(client, regulator.username)
    assert 'href="/audit/digest.jws"' in client.get("/regulator").text
    r = client.get("/audit/digest.jws")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/jose"
    assert r.headers["content-disposition"].startswith(
        'attachment; filename="audit-digest-3.jws"; filename*=UTF-8'
    )
    assert checked(r.text, signing_keys().public_jwks())["hash"] == chain_of_three
