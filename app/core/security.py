"""Password hashing (argon2) and random tokens."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Compared against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("jiping-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Sessions are stored by digest: a leaked table does not hand out live cookies."""
    return hashlib.sha256(token.encode()).hexdigest()
