"""Password hashing (argon2) and random tokens."""

import contextlib
import hashlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    """argon2id with the parameters of the settings (JIPING_PASSWORD_*)."""
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
    )


@lru_cache
def _dummy_hash() -> str:
    # Compared against when the username is unknown, so timing does not reveal which
    # names exist: made with the same parameters as real hashes.
    return _hasher().hash("jiping-no-such-user")


# argon2 is slow on purpose (~0.25 s of CPU on four threads per hash). Hashes run one at a
# time on one thread at low CPU priority, so a storm of logins (or of guesses) queues behind
# itself instead of taking the cores from the answer saves. Linux gives each thread its own
# nice value, and the threads argon2 starts for its lanes inherit it.


def _lower_priority() -> None:
    niceness = get_settings().password_hash_niceness
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


_hashing = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="argon2", initializer=_lower_priority
)


def hash_password(password: str) -> str:
    return _hashing.submit(_hasher().hash, password).result()


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str | None, password: str) -> bool:
    return _hashing.submit(_verify, password_hash, password).result()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Sessions are stored by digest: a leaked table does not hand out live cookies."""
    return hashlib.sha256(token.encode()).hexdigest()
