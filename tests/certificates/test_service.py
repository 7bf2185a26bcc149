"""Issuance, revocation, re-issue and bulk batches, as a centre admin would check them."""

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.certificates import batches, numbers, service, verification
from app.certificates.models import BatchState, Certificate, CertificateStatus
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.exams.models import Candidate
from app.results.models import ResultState
from tests.certificates.support import SITE_SERIAL, certified, results_of
from tests.factories import make_centre, make_staff, staff_actor


def test_a_confirmed_pass_gets_a_national_number_and_its_holder_data_frozen(db: Session):
    fx = certified(db, candidates=2)
    admin = staff_actor(fx.exam.admin)
    first, second = results_of(db, fx)
    a = service.issue_from_result(db, actor=admin, result_id=first.id or 0)
    b = service.issue_from_result(db, actor=admin, result_id=second.id or 0)
    centre = fx.exam.centre
    yy = f"{a.issued_on.year % 100:02d}"
    prefix = (
        f"{centre.evaluator_type}{centre.national_code}{centre.province_code}{SITE_SERIAL}{yy}4"
    )
    assert (a.number, b.number) == (prefix + "000001", prefix + "000002")
    assert numbers.national_number_problem(a.number) is None
    assert a.level_display == "四级/中级工" and a.direction == "--"
    seat = fx.exam.seats[0]
    issued_name = seat.candidate.name
    assert (a.holder_name, a.id_number) == (issued_name, seat.candidate.id_number)
    # A later correction of the candidate does not change the issued certificate.
    cand = db.get(Candidate, seat.candidate.id)
    assert cand is not None
    cand.name = "改名"
    db.add(cand)
    db.flush()
    db.expire_all()
    assert db.get(Certificate, a.id).holder_name == issued_name  # type: ignore[union-attr]
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "certificate.issue")).all()


def test_only_a_confirmed_passing_result_is_issued_and_only_once(db: Session):
    fx = certified(db, candidates=1, failing=1)
    admin = staff_actor(fx.exam.admin)
    passed, failed = results_of(db, fx)
    with pytest.raises(Conflict, match="不合格"):
        service.issue_from_result(db, actor=admin, result_id=failed.id or 0)
    passed.state = ResultState.DRAFT
    db.add(passed)
    db.flush()
    with pytest.raises(Conflict, match="尚未确认"):
        service.issue_from_result(db, actor=admin, result_id=passed.id or 0)
    passed.state = ResultState.CONFIRMED
    db.add(passed)
    service.issue_from_result(db, actor=admin, result_id=passed.id or 0)
    with pytest.raises(Conflict, match="已为该成绩发证"):
        service.issue_from_result(db, actor=admin, result_id=passed.id or 0)


def test_a_missing_photo_blocks_issuance_naming_whose(db: Session):
    fx = certified(db, candidates=2, with_photos=False)
    admin = staff_actor(fx.exam.admin)
    with pytest.raises(ValidationFailed) as err:
        service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)
    assert fx.exam.seats[0].candidate.name in err.value.message
    with pytest.raises(ValidationFailed) as bulk:
        batches.create_batch(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    for seat in fx.exam.seats:
        assert seat.candidate.name in bulk.value.message
    assert db.exec(select(Certificate)).all() == []


def test_numbers_need_the_centres_site_serial(db: Session):
    fx = certified(db, candidates=1, site_serial="")
    admin = staff_actor(fx.exam.admin)
    with pytest.raises(ValidationFailed, match="序列号"):
        service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)


def test_another_centre_cannot_issue_or_read(db: Session):
    fx = certified(db, candidates=1)
    other = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    with pytest.raises(NotFound):
        service.issue_from_result(db, actor=other, result_id=results_of(db, fx)[0].id or 0)
    cert = service.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=results_of(db, fx)[0].id or 0
    )
    with pytest.raises(NotFound):
        service.get_certificate(db, actor=other, certificate_id=cert.id or 0)


def test_revocation_and_reissue_never_reuse_a_number(db: Session):
    fx = certified(db, candidates=1)
    admin = staff_actor(fx.exam.admin)
    cert = service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)
    with pytest.raises(ValidationFailed):
        service.revoke(db, actor=admin, certificate_id=cert.id or 0, reason="nonsense", note="x")
    new = service.reissue(db, actor=admin, certificate_id=cert.id or 0, reason="姓名更正")
    assert new.number != cert.number and new.supersedes_id == cert.id
    assert db.get(Certificate, cert.id).status == CertificateStatus.SUPERSEDED  # type: ignore[union-attr]
    service.revoke(
        db, actor=admin, certificate_id=new.id or 0, reason="improper_means", note="冒名顶替查实"
    )
    assert new.status == CertificateStatus.REVOKED
    with pytest.raises(Conflict):
        service.revoke(db, actor=admin, certificate_id=new.id or 0, reason="other", note="again")
    # The result may be issued again; the next serial, never an old one.
    third = service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)
    assert third.number[-6:] == "000003"
    # The revocation list carries both the superseded and the revoked one.
    assert sorted(service.status_bits(db, 1)) == [cert.id - 1, new.id - 1]  # type: ignore[operator]


def test_a_regulator_of_the_region_revokes_and_one_elsewhere_cannot(db: Session):
    fx = certified(db, candidates=1)
    cert = service.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=results_of(db, fx)[0].id or 0
    )
    inside = staff_actor(make_staff(db, Role.REGULATOR, region_code="340000"))
    outside = staff_actor(make_staff(db, Role.REGULATOR, region_code="320000"))
    with pytest.raises(NotFound):
        service.revoke(db, actor=outside, certificate_id=cert.id or 0, reason="other", note="x")
    assert service.search_registry(db, actor=outside, f=service.RegistryFilter()) == []
    found = service.search_registry(
        db, actor=inside, f=service.RegistryFilter(name=cert.holder_name)
    )
    assert [c.number for c in found] == [cert.number]
    service.revoke(db, actor=inside, certificate_id=cert.id or 0, reason="other", note="抽查发现")
    assert cert.status == CertificateStatus.REVOKED


def test_a_batch_issues_every_pass_once_even_when_run_again(db: Session):
    fx = certified(db, candidates=3, failing=1)
    admin = staff_actor(fx.exam.admin)
    batch = batches.create_batch(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    db.commit()
    assert batch.total == 3
    assert batches.claim(batch.id) == batch.id
    batches.run_batch(batch.id or 0, workers=0)
    # A resumed (re-run) batch issues nobody twice.
    batches.run_batch(batch.id or 0, workers=0)
    db.expire_all()
    progress = batches.progress(db, actor=admin, batch_id=batch.id or 0)
    assert (progress.batch.state, progress.done, progress.failed) == (BatchState.DONE, 3, 0)
    certs = db.exec(select(Certificate)).all()
    assert len(certs) == 3 and all(c.pdf_sha256 for c in certs)
    _name, content = batches.batch_zip(db, actor=admin, batch_id=batch.id or 0)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert sorted(n.split("_")[0] for n in zf.namelist()) == sorted(c.number for c in certs)
    with pytest.raises(Conflict, match="待发证"):
        batches.create_batch(db, actor=admin, plan_id=fx.exam.plan.id or 0)


def test_a_batch_in_worker_processes(db: Session):
    fx = certified(db, candidates=2)
    admin = staff_actor(fx.exam.admin)
    batch = batches.create_batch(db, actor=admin, plan_id=fx.exam.plan.id or 0)
    db.commit()
    assert batches.run_pending(workers=2) == [batch.id]
    db.expire_all()
    certs = db.exec(select(Certificate).order_by(Certificate.number)).all()
    assert [c.number[-6:] for c in certs] == ["000001", "000002"]
    assert all(service.stored_pdf(c)[:5] == b"%PDF-" for c in certs)


def test_a_one_plus_x_pass_gets_the_schemes_number_and_template(db: Session):
    fx = certified(db, candidates=1, level_code="x_intermediate")
    admin = staff_actor(fx.exam.admin)
    cert = service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)
    assert cert.scheme == "one_plus_x" and cert.level_display == "中级"
    year = cert.issued_on.year
    assert cert.number == f"X{fx.exam.centre.national_code}{year}2" + "0000001"
    service.store_pdf(db, cert)
    import io

    import pypdf

    text = pypdf.PdfReader(io.BytesIO(service.stored_pdf(cert))).pages[0].extract_text()
    assert "1+X" in text and cert.number in text.replace(" ", "")


def test_a_centres_own_one_plus_x_format(db: Session):
    fx = certified(db, candidates=1, level_code="x_senior")
    admin = staff_actor(fx.exam.admin)
    service.save_settings(
        db,
        actor=admin,
        site_serial=SITE_SERIAL,
        templates={"one_plus_x": "GY-{yy}{level}{serial:5}"},
        body_text="",
        lookup_text="",
    )
    cert = service.issue_from_result(db, actor=admin, result_id=results_of(db, fx)[0].id or 0)
    assert cert.number == f"GY-{cert.issued_on.year % 100:02d}3" + "00001"
    # The public lookup knows the centre's format (its settings read at the lookup).
    found = verification.lookup(db, number=cert.number, name=cert.holder_name)
    assert found is not None
