"""Subsidy records through their life: triggered by an issued certificate, reviewed and
paid by the region's regulator, voided or flagged on revocation, moved on by the schedule."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.certificates import service as certificates
from app.core import clock
from app.core.errors import Conflict, NotFound, PermissionDenied
from app.exams.models import Candidate
from app.subsidies import service
from app.subsidies.models import SubsidyRecord, SubsidyState
from tests.certificates.support import certified, results_of
from tests.factories import make_staff, staff_actor

HN_EMPLOYEE = {"employment": "enterprise_employee", "work_region": "340403"}


def issue(db: Session, facts: dict, *, level: str = "intermediate", candidates: int = 1):
    fx = certified(db, candidates=candidates)
    for seat in fx.exam.seats:
        cand = db.get(Candidate, seat.candidate.id)
        assert cand is not None
        cand.facts = facts
        db.add(cand)
    db.flush()
    admin = staff_actor(fx.exam.admin)
    certs = [
        certificates.issue_from_result(db, actor=admin, result_id=r.id or 0)
        for r in results_of(db, fx)
    ]
    db.commit()
    return fx, certs


def records(db: Session, cert_id: int) -> list[SubsidyRecord]:
    return service.records_of_certificate(db, cert_id)


def regulator(db: Session, region: str = "340400"):
    return staff_actor(make_staff(db, Role.REGULATOR, region_code=region))


TRAINED = {
    "employment": "registered_unemployed",
    "work_region": "340403",
    "trainings": [{"course": "电工技能培训", "ends_on": "2020-01-01"}],
}


def test_an_issued_certificate_stores_what_it_triggers_with_its_explanation(db: Session):
    _fx, (cert,) = issue(db, TRAINED)
    rows = records(db, cert.id or 0)
    assert [(r.policy_id, r.tranche, r.amount, r.state) for r in rows] == [
        ("huainan-employment-training", "initial", 1350, "pending"),
        ("huainan-employment-training", "deferred", 150, "awaiting_evidence"),
    ]
    summary = next(line for line in rows[0].explanation if line.get("summary"))["text"]
    assert "登记失业人员" in summary and "→ 1500 元" in summary
    assert rows[1].evidence_deadline is not None
    assert rows[0].region_code == "340400" and rows[0].id_number == cert.id_number
    # Nothing for a candidate whose facts meet no policy.
    _fx, (plain,) = issue(db, {})
    assert records(db, plain.id or 0) == []


def test_the_regulator_approves_pays_and_a_revocation_flags_for_recovery(db: Session):
    fx, (cert,) = issue(db, TRAINED)
    initial, deferred = records(db, cert.id or 0)
    reg = regulator(db)
    admin = staff_actor(fx.exam.admin)
    # A centre reads its candidates' records and never approves them.
    assert service.queue(db, actor=admin, f=service.QueueFilter()) != []
    with pytest.raises(PermissionDenied):
        service.approve(db, actor=admin, record_ids=[initial.id or 0], reason="通过")
    with pytest.raises(Conflict, match="不是待审核"):
        service.approve(
            db, actor=reg, record_ids=[initial.id or 0, deferred.id or 0], reason="通过"
        )
    assert initial.state == SubsidyState.PENDING  # all or nothing
    assert service.approve(db, actor=reg, record_ids=[initial.id or 0], reason="材料齐全") == 1
    batch = service.create_batch(
        db, actor=reg, record_ids=[initial.id or 0], reference="HN-2026-001"
    )
    _name, content = service.batch_xlsx(db, actor=reg, batch_id=batch.id or 0)
    assert content[:2] == b"PK"
    service.mark_batch_paid(db, actor=reg, batch_id=batch.id or 0, paid_on=date(2026, 12, 1))
    assert initial.state == SubsidyState.PAID
    certificates.revoke(
        db, actor=reg, certificate_id=cert.id or 0, reason="improper_means", note="冒名顶替"
    )
    db.refresh(initial)
    db.refresh(deferred)
    assert initial.recovery and "冒名顶替" in initial.recovery_note and initial.state == "paid"
    assert deferred.state == SubsidyState.VOID


def test_a_regulator_of_another_region_sees_nothing_and_cannot_act(db: Session):
    _fx, (cert,) = issue(db, TRAINED)
    (initial, _deferred) = records(db, cert.id or 0)
    other = regulator(db, "320000")
    assert service.queue(db, actor=other, f=service.QueueFilter()) == []
    with pytest.raises(NotFound):
        service.approve(db, actor=other, record_ids=[initial.id or 0], reason="通过")
    with pytest.raises(NotFound):
        service.get_record(db, actor=other, record_id=initial.id or 0)


def test_the_deferred_part_needs_stable_employment_within_three_months(db: Session):
    _fx, (cert,) = issue(db, TRAINED)
    _initial, deferred = records(db, cert.id or 0)
    reg = regulator(db)
    late = deferred.evidence_deadline + timedelta(days=1)  # type: ignore[operator]
    with pytest.raises(Conflict, match="已超期"):
        service.record_evidence(
            db, actor=reg, record_id=deferred.id or 0, note="劳动合同", shown_on=late
        )
    service.record_evidence(
        db, actor=reg, record_id=deferred.id or 0, note="劳动合同", shown_on=cert.issued_on
    )
    assert deferred.state == SubsidyState.PENDING
    # Another candidate's deferred part, never shown: forfeited by the schedule, once.
    _fx2, (cert2,) = issue(db, TRAINED)
    _i2, d2 = records(db, cert2.id or 0)
    deadline = d2.evidence_deadline
    assert deadline is not None
    assert service.run_schedule(db, deadline).forfeited == 0  # the last day still counts
    assert service.run_schedule(db, deadline + timedelta(days=1)).forfeited == 1
    assert service.run_schedule(db, deadline + timedelta(days=2)).forfeited == 0
    assert d2.state == SubsidyState.FORFEITED


def test_rent_months_are_added_while_the_conditions_hold(db: Session, monkeypatch):
    facts = {**HN_EMPLOYEE, "newly_recruited_on": clock.utcnow().date().isoformat()}
    fx, (cert,) = issue(db, facts)  # 四级: rent covers 高级工 and above
    assert records(db, cert.id or 0) == []
    fx, (cert,) = issue_level(db, facts, "senior")
    rows = records(db, cert.id or 0)
    assert [(r.policy_id, r.month, r.amount) for r in rows] == [("huainan-skilled-rent", 1, 400)]
    in_three = service.add_months(cert.issued_on, 2)
    assert service.run_schedule(db, in_three).months_added == 2
    assert service.run_schedule(db, in_three).months_added == 0  # idempotent
    # A talent apartment now: no further months.
    cand = db.get(Candidate, fx.exam.seats[0].candidate.id)
    assert cand is not None
    cand.facts = {**facts, "talent_apartment": True}
    db.add(cand)
    db.flush()
    assert service.run_schedule(db, service.add_months(cert.issued_on, 5)).months_added == 0
    assert len(records(db, cert.id or 0)) == 3


def issue_level(db: Session, facts: dict, level: str):
    """A certificate of another level: the fixture's plan at that level."""
    from app.exams.models import ExamPlan

    fx = certified(db, candidates=1)
    plan = db.get(ExamPlan, fx.exam.plan.id)
    assert plan is not None
    plan.level_code = level
    db.add(plan)
    cand = db.get(Candidate, fx.exam.seats[0].candidate.id)
    assert cand is not None
    cand.facts = facts
    db.add(cand)
    db.flush()
    cert = certificates.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=results_of(db, fx)[0].id or 0
    )
    db.commit()
    return fx, (cert,)


def test_pending_claims_expire_after_their_window(db: Session):
    _fx, (cert,) = issue(db, TRAINED)
    initial, _ = records(db, cert.id or 0)
    assert service.run_schedule(db, initial.claim_deadline).expired == 0
    assert service.run_schedule(db, initial.claim_deadline + timedelta(days=1)).expired == 1
    assert initial.state == SubsidyState.EXPIRED


def test_a_reissue_keeps_the_records_and_triggers_nothing_new(db: Session):
    fx, (cert,) = issue(db, TRAINED)
    new = certificates.reissue(
        db, actor=staff_actor(fx.exam.admin), certificate_id=cert.id or 0, reason="姓名更正"
    )
    rows = db.exec(select(SubsidyRecord)).all()
    assert len(rows) == 2 and {r.certificate_id for r in rows} == {new.id}
