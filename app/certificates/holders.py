"""What exams asks of certificates (exams.holders): a person's valid certificates by ID
number, as prior certificates for 申报条件, and whether a candidate's record is in use."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.certificates.models import Certificate, CertificateStatus
from app.exams.facts import PriorCertificate
from app.reference.levels import Scheme


def valid_certificates(db: Session, id_numbers: Sequence[str]) -> dict[str, list[PriorCertificate]]:
    found: dict[str, list[PriorCertificate]] = {}
    for c in db.exec(
        select(Certificate)
        .where(
            col(Certificate.id_number).in_(id_numbers),
            Certificate.status == CertificateStatus.VALID,
            # 1+X certificates have no place in a 新八级工 route.
            Certificate.scheme == Scheme.SKILL_LEVEL,
        )
        .order_by(col(Certificate.issued_on), col(Certificate.id))
    ):
        found.setdefault(c.id_number, []).append(
            PriorCertificate(
                level_code=c.level_code,
                occupation_code=c.occupation_code,
                number=c.number,
                obtained_on=c.issued_on,
            )
        )
    return found


def certificate_of_candidate(db: Session, candidate_id: int) -> str | None:
    """Any certificate, whatever its status: each froze the record it was issued with."""
    return db.exec(
        select(Certificate.number)
        .where(Certificate.candidate_id == candidate_id)
        .order_by(col(Certificate.id))
        .limit(1)
    ).first()
