"""The platform's signing keys (Ed25519), for the regulator's signed digest of the audit
chain.

Kept where the certificates' signing keys live, in the same layout, so that one key set
serves both: the environment variable JIPING_SIGNING_KEYS (a JWKS of private Ed25519 keys,
the current one first), or else the key files `<JIPING_DATA_DIR>/keys/key-NNNN.json` (one
private JWK each, mode 0600; the highest number is the current key), the first of which
is generated on first use. A key's "kid" is the first 12 characters of its RFC 7638
thumbprint."""

import json
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet, OKPKey

from app.core.config import get_settings

log = logging.getLogger(__name__)

ENV = "JIPING_SIGNING_KEYS"
# "EdDSA": what PyJWT, jose4j and most verifiers accept today; RFC 9864 renames it
# "Ed25519" (joserfc warns), which many of them do not read yet.
ALG = "EdDSA"
FIRST_KEY = "key-0001.json"


def kid_of(key: OKPKey) -> str:
    return key.thumbprint()[:12]


def _imported(jwk: dict[str, Any]) -> OKPKey:
    key = OKPKey.import_key(jwk)
    if key.curve_name != "Ed25519" or not key.is_private:
        raise ValueError("signing keys must be private Ed25519 keys")
    return OKPKey.import_key({**jwk, "kid": jwk.get("kid") or kid_of(key)})


def _write_first_key(folder: Path) -> None:
    """Generate key-0001.json, or leave the one another process made meanwhile. Written
    to a file of its own (O_EXCL, 0600) then linked into place: the name appears only
    with the whole key behind it, and never twice."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = OKPKey.generate_key("Ed25519")
    jwk = {**key.as_dict(private=True), "kid": kid_of(key)}
    draft = folder / f".{FIRST_KEY}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(jwk, f)
            f.flush()
            os.fsync(f.fileno())
        os.link(draft, folder / FIRST_KEY)
        log.info("generated signing key %s in %s", jwk["kid"], folder)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)


@lru_cache(maxsize=4)
def _load(env: str | None, data_dir: str) -> tuple[OKPKey, ...]:
    if env:
        return tuple(_imported(jwk) for jwk in json.loads(env)["keys"])
    folder = Path(data_dir) / "keys"
    if not (folder / FIRST_KEY).exists():
        _write_first_key(folder)
    files = sorted(folder.glob("key-*.json"), reverse=True)
    return tuple(_imported(json.loads(p.read_text())) for p in files)


def signing_keys() -> tuple[OKPKey, ...]:
    """Every key, the current one first."""
    return _load(os.environ.get(ENV), get_settings().data_dir)


def public_jwks() -> dict[str, Any]:
    """The public halves, for whoever checks a signature."""
    return {"keys": [{**k.as_dict(private=False), "alg": ALG} for k in signing_keys()]}


def sign(payload: dict[str, Any]) -> str:
    """A compact JWS of the payload (JSON), signed with the current key."""
    key = signing_keys()[0]
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # see ALG
        return jws.serialize_compact({"alg": ALG, "kid": key.kid}, body, key, algorithms=[ALG])


def verified(token: str) -> dict[str, Any] | None:
    """The payload of a JWS signed with one of the platform's keys; None when no key
    checks it (another key, an altered payload, not a JWS at all)."""
    key_set = KeySet(list(signing_keys()))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # see ALG
            signed = jws.deserialize_compact(token.strip(), key_set, algorithms=[ALG])
        payload: dict[str, Any] = json.loads(signed.payload)
    except (JoseError, ValueError):
        return None
    return payload
