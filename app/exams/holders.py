"""What exams asks of the certificates domain above it: a person's valid Jiping
certificates (they count for 申报条件 with those the centre entered), and whether a
certificate has used a candidate's record (it froze a copy at issue: the record may no
longer change).

The provider is named, not imported (core.named): certificates sits above exams in the
layers. A provider that cannot be imported fails the registration rather than letting a
candidate through without their certificates."""

from collections.abc import Iterable

from sqlmodel import Session

from app.core import named
from app.exams.facts import PriorCertificate

PROVIDER = "app.certificates.holders"


def jiping_certificates(
    db: Session, id_numbers: Iterable[str]
) -> dict[str, list[PriorCertificate]]:
    """Valid certificates issued by any centre on Jiping, by the holder's ID number."""
    wanted = sorted(set(id_numbers))
    if not wanted:
        return {}
    found: dict[str, list[PriorCertificate]] = named.function("valid_certificates", PROVIDER)(
        db, wanted
    )
    return found


def certificate_using(db: Session, candidate_id: int) -> str | None:
    """The number of a certificate issued to this candidate (any status), or None."""
    number: str | None = named.function("certificate_of_candidate", PROVIDER)(db, candidate_id)
    return number
