"""Compact JWS (EdDSA over Ed25519) for QR tokens and VC-JWTs, with joserfc.

Verification needs only a JWKS: no database, so a page can check a signature while the
registry is down, and the offline verifier can check one with no network."""

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.core.keys import ALG, SigningKeys, kid_of

# A certificate token is some 500 characters; a QR code cannot carry more than ~2,900.
MAX_TOKEN_LENGTH = 4096


class TokenInvalid(ValueError):
    """Why a token does not verify: `code` for the API, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verified:
    kid: str
    header: dict[str, Any]
    payload: dict[str, Any]


def sign(payload: dict[str, Any], keys: SigningKeys, **header: str) -> str:
    protected = {"alg": ALG, "kid": kid_of(keys.current), **header}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(protected, body, keys.current, algorithms=[ALG])


def verify(token: str, key_set: KeySet) -> Verified:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenInvalid("malformed", "不是有效的证书令牌（格式不正确）")
    try:
        obj = jws.extract_compact(token.encode())
    except (JoseError, ValueError) as exc:
        raise TokenInvalid("malformed", "不是有效的证书令牌（无法解析）") from exc
    header = obj.headers()
    if header.get("alg") != ALG:
        raise TokenInvalid("bad_algorithm", f"签名算法 {header.get('alg')!s} 不被接受")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenInvalid("unknown_key", "令牌未注明签名密钥")
    try:
        checked = jws.deserialize_compact(token, key_set, algorithms=[ALG])
    except InvalidKeyIdError as exc:
        raise TokenInvalid("unknown_key", "签名密钥不在本平台公布的密钥中（JWKS）") from exc
    except BadSignatureError as exc:
        raise TokenInvalid("bad_signature", "签名无效：令牌内容被改动或并非本平台签发") from exc
    except (DecodeError, JoseError, ValueError) as exc:
        raise TokenInvalid("malformed", "不是有效的证书令牌（无法解析）") from exc
    try:
        payload = json.loads(checked.payload)
    except ValueError as exc:
        raise TokenInvalid("malformed", "令牌内容不是 JSON") from exc
    if not isinstance(payload, dict):
        raise TokenInvalid("malformed", "令牌内容不是证书信息")
    return Verified(kid=kid, header=dict(header), payload=payload)
