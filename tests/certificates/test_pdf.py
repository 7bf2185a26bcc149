"""The certificate as a holder, an employer and a regulator meet it: the PDF with every
prescribed field, its QR code read from the rendered page, the token verified by a second
JOSE library against the served JWKS, offline verification, the Open Badges credential."""

import io
import json
from pathlib import Path

import jwt
import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.certificates import offline, service
from app.cli import main as cli
from tests.certificates.support import certified, results_of
from tests.factories import staff_actor


@pytest.fixture
def issued(db: Session):
    fx = certified(db, candidates=1)
    cert = service.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=results_of(db, fx)[0].id or 0
    )
    service.store_pdf(db, cert)
    db.commit()
    return fx, cert


def _qr_text(pdf_bytes: bytes) -> str:
    doc = pdfium.PdfDocument(pdf_bytes)  # kept: a page does not keep its document alive
    codes = zxingcpp.read_barcodes(doc[0].render(scale=150 / 72).to_pil())
    assert len(codes) == 1
    return codes[0].text


def _pyjwt_verify(token: str, jwks: dict) -> dict:
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    return jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["EdDSA"], options={"verify_aud": False}
    )


def test_the_pdf_has_every_prescribed_field_and_a_qr_that_verifies(
    client: TestClient, db: Session, issued
):
    fx, cert = issued
    content = service.stored_pdf(cert)
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    text = reader.pages[0].extract_text().replace(" ", "")
    for field in (
        "职业技能等级证书",
        cert.holder_name,
        "居民身份证",
        cert.id_number,
        "电工",
        cert.occupation_code,
        "工种/职业方向--",
        "四级/中级工",
        fx.exam.centre.name,
        f"{cert.issued_on.year}年{cert.issued_on.month}月{cert.issued_on.day}日",
        cert.number,
        "/verify",  # where to look it up
    ):
        assert field in text, field
    assert reader.pages[0].images, "the holder's photo is on the page"
    fonts = reader.pages[0]["/Resources"]["/Font"].get_object()
    names = [str(f.get_object()["/BaseFont"]) for f in fonts.values()]
    assert any("CJK" in n for n in names), names  # the Chinese font is embedded (subset)

    url = _qr_text(content)
    assert url == service.verify_url(cert.token)
    token = url.rsplit("/v/", 1)[1]
    jwks = client.get("/.well-known/jwks.json").json()
    assert all("d" not in k for k in jwks["keys"])  # never a private key
    claims = _pyjwt_verify(token, jwks)
    assert claims["no"] == cert.number and claims["nm"] == cert.holder_name
    assert cert.id_number not in json.dumps(claims)  # masked in the token
    # One changed character of the signature: refused by both libraries.
    forged = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(jwt.InvalidSignatureError):
        _pyjwt_verify(forged, jwks)
    page = client.get(f"/v/{forged}")
    assert page.status_code == 400 and "签名无效" in page.text
    page = client.get(f"/v/{token}")
    assert "证书有效" in page.text and cert.number in page.text
    # The download is the stored file, byte for byte.
    client.cookies.clear()


def test_offline_verification_with_only_the_jwks_and_a_cached_status_list(
    client: TestClient, db: Session, issued, tmp_path: Path, capsys
):
    fx, cert = issued
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(service.stored_pdf(cert))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(client.get("/.well-known/jwks.json").text)
    assert cli(["verify", str(pdf), "--jwks", str(jwks)]) == 0
    assert "签名有效" in capsys.readouterr().out
    service.revoke(
        db,
        actor=staff_actor(fx.exam.admin),
        certificate_id=cert.id or 0,
        reason="other",
        note="测试撤销",
    )
    db.commit()
    status = tmp_path / "status.jwt"
    status.write_text(client.get("/certificates/status/1").text)
    assert cli(["verify", str(pdf), "--jwks", str(jwks), "--status", str(status)]) == 1
    assert "已撤销" in capsys.readouterr().out
    # A token signed by a key the JWKS does not hold.
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "OKP",
                        "crv": "Ed25519",
                        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                        "kid": cert.kid,
                    }
                ]
            }
        )
    )
    assert cli(["verify", cert.token, "--jwks", str(other)]) == 1
    assert (
        cli(["verify", str(tmp_path / "missing.pdf"), "--jwks", str(tmp_path / "none.json")]) == 2
    )
    assert offline.token_from_text(f"http://x/v/{cert.token}") == cert.token


def test_the_open_badge_credential_verifies_and_has_the_vc_shape(
    client: TestClient, db: Session, issued
):
    _fx, cert = issued
    resp = client.get(f"/v/{cert.token}/credential.jwt")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vc+jwt")
    vc_jwt = resp.text
    assert jwt.get_unverified_header(vc_jwt)["typ"] == "vc+jwt"
    vc = _pyjwt_verify(vc_jwt, client.get("/.well-known/jwks.json").json())
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in vc["type"] and "VerifiableCredential" in vc["type"]
    assert vc["issuer"]["name"] == cert.evaluator_name and "Profile" in vc["issuer"]["type"]
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["type"] == ["Achievement"]
    assert cert.id_number not in json.dumps(vc)
    status = vc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    listed = client.get("/certificates/status/1").text
    status_vc = _pyjwt_verify(listed, client.get("/.well-known/jwks.json").json())
    assert status_vc["id"] == status["statusListCredential"]
    assert status_vc["credentialSubject"]["encodedList"].startswith("u")
