"""企业评聘 of 特级技师 and 首席技师, and their certificates."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.certificates import numbers, service
from app.certificates.models import CertificateSettings
from app.core.errors import Conflict, ValidationFailed
from app.exams import photos
from app.exams.models import Candidate
from app.results import enterprise
from app.results.enterprise import EvaluationIn, PanelMark
from app.subsidies import service as subsidies
from tests.certificates.support import SITE_SERIAL, photo_bytes
from tests.factories import (
    make_candidate,
    make_centre,
    make_held_certificate,
    make_occupations,
    make_staff,
    staff_actor,
)
from tests.helpers import staff_token


def _setup(db: Session, *, prior: str | None = "senior_technician"):
    centre = make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    occupation = make_occupations(db)[0]
    cand = make_candidate(db, centre, admin=admin)
    cand.facts = {
        "employment": "enterprise_employee",
        "work_region": "340403",
        "prior_certificates": [{"level_code": prior, "occupation_code": occupation.code}]
        if prior
        else [],
    }
    db.add(cand)
    photos.set_photo(db, actor=staff_actor(admin), candidate=cand, data=photo_bytes())
    db.add(CertificateSettings(centre_id=centre.id or 0, site_serial=SITE_SERIAL))
    db.commit()
    return centre, admin, occupation, cand


def _data(cand: Candidate, occupation, **kw) -> EvaluationIn:
    base = dict(
        candidate_id=cand.id,
        occupation_id=occupation.id,
        level_code="principal_technician",
        panel=[PanelMark(name=n, score=s) for n, s in (("甲", 86), ("乙", 90), ("丙", 88))],
        decision="appointed",
        basis="淮矿人〔2026〕12号",
        decided_on=date(2026, 11, 20),
    )
    base.update(kw)
    return EvaluationIn(**base)


def test_an_appointed_evaluation_gets_a_certificate_and_its_subsidy(db: Session):
    centre, admin, occupation, cand = _setup(db)
    actor = staff_actor(admin)
    ev = enterprise.record_evaluation(db, actor=actor, data=_data(cand, occupation))
    assert ev.score == 88.0
    cert = service.issue_from_evaluation(db, actor=actor, evaluation_id=ev.id or 0)
    assert (
        cert.level_display == "特级技师" and cert.result_id is None and cert.evaluation_id == ev.id
    )
    yy = f"{cert.issued_on.year % 100:02d}"
    assert (
        cert.number
        == f"{centre.evaluator_type}{centre.national_code}{centre.province_code}{SITE_SERIAL}{yy}T000001"
    )
    assert numbers.national_number_problem(cert.number) is not None  # not the national layout
    assert service.number_format(
        service.centre_settings(db, centre.id or 0), numbers.NumberKind.ENTERPRISE
    ).matches(cert.number)
    with pytest.raises(Conflict, match="已为该评聘发证"):
        service.issue_from_evaluation(db, actor=actor, evaluation_id=ev.id or 0)
    # 淮南 技师研修提升 covers 特级技师: 6500 yuan for an enterprise employee.
    rows = subsidies.records_of_certificate(db, cert.id or 0)
    assert [(r.policy_id, r.amount) for r in rows] == [("huainan-technician-training", 6500)]
    service.store_pdf(db, cert)
    assert service.stored_pdf(cert)[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"panel": [PanelMark(name="甲", score=90), PanelMark(name="乙", score=90)]}, "奇数"),
        ({"panel": [PanelMark(name=n, score=50) for n in "甲乙丙"]}, "低于合格线"),
        ({"basis": ""}, "聘任文件"),
        ({"level_code": "technician"}, "只用于特级技师、首席技师"),
        ({"level_code": "chief_technician"}, "没有本职业特级技师证书"),
    ],
)
def test_an_evaluation_that_breaks_a_rule_is_refused_saying_which(db: Session, change, problem):
    _centre, admin, occupation, cand = _setup(db)
    with pytest.raises(ValidationFailed) as err:
        enterprise.record_evaluation(
            db, actor=staff_actor(admin), data=_data(cand, occupation, **change)
        )
    assert any(problem in d["problem"] for d in err.value.details)


def test_without_the_level_below_nobody_is_appointed(db: Session):
    _centre, admin, occupation, cand = _setup(db, prior=None)
    with pytest.raises(ValidationFailed) as err:
        enterprise.record_evaluation(db, actor=staff_actor(admin), data=_data(cand, occupation))
    assert "高级技师证书" in err.value.details[0]["problem"]


def test_a_jiping_certificate_of_another_centre_is_the_level_below(db: Session):
    _centre, admin, occupation, cand = _setup(db, prior=None)
    elsewhere = make_centre(db)
    holder = make_candidate(db, elsewhere, name=cand.name, id_number=cand.id_number)
    make_held_certificate(
        db,
        holder,
        occupation_code=occupation.code,
        level_code="senior_technician",
        level_display="一级/高级技师",
        number="S000000000000000060001",
        issued_on=date(2020, 5, 1),
    )
    ev = enterprise.record_evaluation(db, actor=staff_actor(admin), data=_data(cand, occupation))
    assert ev.decision == "appointed"


def test_a_certificate_obtained_after_the_decision_does_not_count(db: Session):
    _centre, admin, occupation, cand = _setup(db)
    prior = {**cand.facts["prior_certificates"][0], "obtained_on": "2026-12-01"}
    cand.facts = {**cand.facts, "prior_certificates": [prior]}
    db.add(cand)
    db.flush()
    with pytest.raises(ValidationFailed) as err:
        enterprise.record_evaluation(db, actor=staff_actor(admin), data=_data(cand, occupation))
    assert "没有本职业一级/高级技师证书" in err.value.details[0]["problem"]


def test_not_appointed_is_recorded_and_never_certified(db: Session):
    _centre, admin, occupation, cand = _setup(db)
    actor = staff_actor(admin)
    ev = enterprise.record_evaluation(
        db, actor=actor, data=_data(cand, occupation, decision="not_appointed", basis="")
    )
    with pytest.raises(Conflict, match="未评聘"):
        service.issue_from_evaluation(db, actor=actor, evaluation_id=ev.id or 0)


def test_the_api_records_and_issues(client: TestClient, db: Session):
    _centre, admin, occupation, cand = _setup(db)
    headers = staff_token(client, admin.username)
    body = _data(cand, occupation).model_dump(mode="json")
    made = client.post("/api/v1/enterprise-evaluations", json=body, headers=headers)
    assert made.status_code == 201 and made.json()["score"] == 88.0
    issued = client.post(
        f"/api/v1/enterprise-evaluations/{made.json()['id']}/certificate", headers=headers
    )
    assert issued.status_code == 201 and issued.json()["level_display"] == "特级技师"
    other = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    foreign = client.post(
        f"/api/v1/enterprise-evaluations/{made.json()['id']}/certificate",
        headers=staff_token(client, other.username),
    )
    assert foreign.status_code == 404
