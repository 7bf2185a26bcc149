"""Certificates need confirmed, passing results: a practical fixture whose candidates sat
the theory, were marked and had their results confirmed, each with a photo."""

import io

from PIL import Image
from sqlmodel import Session, select

from app.certificates.models import CertificateSettings
from app.exams import photos
from app.results import records
from app.results.models import Result
from tests.factories import PracticalFixture, make_exam, make_practical, staff_actor
from tests.results.test_records import mark_practical, sat_theory

SITE_SERIAL = "000123"


def photo_bytes(shade: int = 170) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (shade, 180, 160)).save(out, format="JPEG")
    return out.getvalue()


def certified(
    db: Session,
    *,
    candidates: int = 2,
    failing: int = 0,
    with_photos: bool = True,
    site_serial: str = SITE_SERIAL,
    level_code: str = "intermediate",
) -> PracticalFixture:
    """`candidates` passing (theory 80, practical 90) and `failing` failing (theory 40)
    results, all confirmed; the centre's site serial set. COMMITTED."""
    exam = make_exam(db, candidates=candidates + failing, tasks=True, level_code=level_code)
    fx = make_practical(db, exam=exam)
    admin = staff_actor(fx.exam.admin)
    for n, seat in enumerate(fx.exam.seats):
        sat_theory(db, seat.registration, 80 if n < candidates else 40)
        mark_practical(db, fx, n, 20, 30)
        if with_photos:
            photos.set_photo(db, actor=admin, candidate=seat.candidate, data=photo_bytes(100 + n))
    db.add(CertificateSettings(centre_id=fx.exam.centre.id or 0, site_serial=site_serial))
    records.refresh_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    records.confirm_results(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    db.commit()
    return fx


def results_of(db: Session, fx: PracticalFixture) -> list[Result]:
    """The plan's results in seat order."""
    by_reg = {
        r.registration_id: r
        for r in db.exec(select(Result).where(Result.plan_id == fx.exam.plan.id))
    }
    return [by_reg[s.registration.id or 0] for s in fx.exam.seats]
