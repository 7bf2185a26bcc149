"""The certificates domain's events, heard by subsidies (certificates.events)."""

from sqlmodel import Session

from app.certificates.models import Certificate
from app.subsidies import service


def certificate_issued(db: Session, certificate: Certificate) -> None:
    service.record_for_certificate(db, certificate)


def certificate_revoked(db: Session, certificate: Certificate) -> None:
    service.void_for_revocation(db, certificate)
