"""What happens elsewhere when a certificate is issued or revoked, inside the same
transaction: the domains above certificates (subsidies) listen here.

Listeners are named, not imported: certificates sits below them in the layers, and a
bulk issuance's worker process imports only what it needs, so the listener modules are
imported by name at the first event. A module that cannot be imported fails the issue."""

import importlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlmodel import Session

LISTENER_MODULES = ("app.subsidies.listeners",)


@lru_cache
def _listeners(kind: str) -> tuple[Callable[..., Any], ...]:
    found = []
    for name in LISTENER_MODULES:
        fn = getattr(importlib.import_module(name), kind, None)
        if fn is not None:
            found.append(fn)
    return tuple(found)


def issued(db: Session, certificate: Any) -> None:
    for fn in _listeners("certificate_issued"):
        fn(db, certificate)


def revoked(db: Session, certificate: Any) -> None:
    for fn in _listeners("certificate_revoked"):
        fn(db, certificate)
