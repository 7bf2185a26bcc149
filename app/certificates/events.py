"""What happens elsewhere when a certificate is issued or revoked, inside the same
transaction: the domains above certificates (subsidies) listen here, named, not imported
(core.named). A listener module that cannot be imported fails the issue."""

from typing import Any

from sqlmodel import Session

from app.core import named

LISTENER_MODULES = ("app.subsidies.listeners",)


def issued(db: Session, certificate: Any) -> None:
    for fn in named.functions("certificate_issued", LISTENER_MODULES):
        fn(db, certificate)


def revoked(db: Session, certificate: Any) -> None:
    for fn in named.functions("certificate_revoked", LISTENER_MODULES):
        fn(db, certificate)
