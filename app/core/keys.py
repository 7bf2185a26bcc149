"""The deployment's signing keys (Ed25519, RFC 8037), published as a JWKS.

Where the keys come from, in order:
- JIPING_SIGNING_KEYS: a JWKS with private keys, the current key first (production: one
  set for every app instance, kept in the deployment's secret store, never in the repo);
- otherwise the data directory's `keys/` folder, where the first start writes one
  (`key-0001.json`, mode 0600) and `python -m app.cli keys rotate` adds the next.

Rotation only adds: the newest key signs, every older key stays published, so every
certificate ever issued still verifies."""

import json
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OKPKey

from app.core.config import get_settings

ALG = "EdDSA"
# The start of the key's RFC 7638 thumbprint: unique among a deployment's few keys, and
# short, as every byte of a token makes the printed QR code denser.
KID_LENGTH = 12
# RFC 9864 prefers the fully-specified "Ed25519"; "EdDSA" (RFC 8037) is what wallets and
# JOSE libraries verify today, so it is what certificates carry.
warnings.filterwarnings("ignore", category=SecurityWarning, message="EdDSA is deprecated")


class KeysUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class SigningKeys:
    keys: tuple[OKPKey, ...]  # current first

    @property
    def current(self) -> OKPKey:
        return self.keys[0]

    @property
    def current_kid(self) -> str:
        return kid_of(self.current)

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(k) for k in self.keys]}

    def key_set(self) -> KeySet:
        return key_set_of(self.public_jwks())


def kid_of(key: OKPKey) -> str:
    return str(key.kid or key.thumbprint()[:KID_LENGTH])


def public_jwk(key: OKPKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "kid": kid_of(key), "alg": ALG, "use": "sig"}


def key_set_of(jwks: Any) -> KeySet:
    """A verifying key set from a JWKS document (Ed25519 keys only; private parts dropped)."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise KeysUnavailable('JWKS 文件应为 {"keys": [...]}')
    keys = []
    for item in jwks["keys"]:
        if isinstance(item, dict) and item.get("kty") == "OKP" and item.get("crv") == "Ed25519":
            public = {k: item[k] for k in ("kty", "crv", "x") if k in item}
            kid = item.get("kid") or OKPKey.import_key(public).thumbprint()[:KID_LENGTH]
            keys.append(OKPKey.import_key({**public, "kid": kid}))
    if not keys:
        raise KeysUnavailable("JWKS 中没有 Ed25519 公钥")
    return KeySet(keys)  # type: ignore[arg-type]


def _new_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519")
    return OKPKey.import_key({**key.as_dict(private=True), "kid": key.thumbprint()[:KID_LENGTH]})


def _key_dir() -> Path:
    return Path(get_settings().data_dir) / "keys"


def _write_exclusive(path: Path, key: OKPKey) -> bool:
    """Write a private key file unless one of that name exists (two instances starting
    at once: one writes, both then read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        json.dump(key.as_dict(private=True), f)
    return True


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("key-*.json"), reverse=True)  # newest first


def _read(path: Path) -> OKPKey:
    return OKPKey.import_key(json.loads(path.read_text()))


@lru_cache
def _loaded(env_jwks: str | None, folder: str) -> SigningKeys:
    if env_jwks:
        data = json.loads(env_jwks)
        keys = tuple(OKPKey.import_key(k) for k in data.get("keys", []))
        if not keys or any(not k.is_private for k in keys):
            raise KeysUnavailable("JIPING_SIGNING_KEYS 应为含私钥的 JWKS，当前密钥在前")
        return SigningKeys(keys)
    path = Path(folder)
    if not _files(path):
        _write_exclusive(path / "key-0001.json", _new_key())
    return SigningKeys(tuple(_read(p) for p in _files(path)))


def signing_keys() -> SigningKeys:
    return _loaded(os.environ.get("JIPING_SIGNING_KEYS") or None, str(_key_dir()))


def rotate() -> str:
    """Add a new current key to the data directory's keys; the old ones stay published.
    Returns its kid."""
    if os.environ.get("JIPING_SIGNING_KEYS"):
        raise KeysUnavailable("密钥由 JIPING_SIGNING_KEYS 提供：请在那里添加新密钥（放在最前）")
    folder = _key_dir()
    signing_keys()  # the first key exists before the next one is added
    while True:
        last = _files(folder)[0]
        number = int(last.stem.split("-")[1]) + 1
        key = _new_key()
        if _write_exclusive(folder / f"key-{number:04d}.json", key):
            _loaded.cache_clear()
            return kid_of(key)
