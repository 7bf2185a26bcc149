"""The candidate's record (考生档案) and 申报条件 at registration: refused with what each
route misses, registered with an override and its reason, Jiping's certificates counted
across centres, the roster's record columns, and the record locked once a certificate
used it."""

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.certificates import service as certificates
from app.core.errors import Conflict, ValidationFailed
from app.exams import candidates, registrations
from app.exams.facts import Education, HolderFacts, PriorCertificate, recorded, stored
from app.exams.models import Candidate, Registration
from app.exams.schemas import RegistrationCreate
from app.reference.models import Occupation
from tests.certificates.support import certified, results_of
from tests.factories import (
    ExamFixture,
    make_candidate,
    make_centre,
    make_held_certificate,
    make_session,
    staff_actor,
    valid_resident_id,
)
from tests.helpers import page_login, staff_token


def register(fx: ExamFixture, db: Session, **kw: Any) -> registrations.Registered:
    return registrations.register(
        db,
        actor=staff_actor(fx.admin),
        session_id=fx.session.id or 0,
        data=RegistrationCreate(**kw),
    )


def occupation_code(db: Session, fx: ExamFixture) -> str:
    occ = db.get(Occupation, fx.plan.occupation_id)
    assert occ is not None
    return occ.code


# --- registration -------------------------------------------------------------------------


def test_a_candidate_without_a_route_is_refused_with_what_each_route_misses(
    db: Session, fx: ExamFixture
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        register(
            fx,
            db,
            name="秦一",
            id_number=valid_resident_id(1201),
            facts=HolderFacts(
                years_in_occupation=3,
                prior_certificates=[
                    PriorCertificate(level_code="五级", obtained_on=date(2023, 6, 1))
                ],
            ),
        )
    assert caught.value.code == "not_eligible" and caught.value.status_code == 422
    assert "不符合四级/中级工申报条件" in caught.value.message
    assert [d["problem"] for d in caught.value.details] == [
        "需五级证书且从事本职业满 4 年：现有五级证书 2023-06 取得，从业 3 年",
        "需从事本职业满 6 年：从业 3 年",
        "需技工学校或经评估认可的中等及以上职业学校毕业（含应届毕业生）：未填写学历",
        "需获得可晋升至本等级的技能竞赛奖项：无竞赛获奖记录",
    ]


def test_without_any_facts_registration_is_refused(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(ValidationFailed) as caught:
        register(fx, db, name="秦二", id_number=valid_resident_id(1202))
    assert caught.value.code == "not_eligible"


def test_the_route_that_qualifies_is_kept_on_the_registration(db: Session, fx: ExamFixture) -> None:
    done = register(
        fx,
        db,
        name="秦三",
        id_number=valid_resident_id(1203),
        facts=HolderFacts(education=Education.TECHNICAL_SCHOOL, final_year_student=True),
    )
    assert done.eligibility.route_code == "school"
    assert done.registration.eligibility_route == "school"
    assert done.registration.eligibility_override_reason is None
    cand = db.get(Candidate, done.registration.candidate_id)
    assert cand is not None and cand.facts == {
        "education": "technical_school",
        "final_year_student": True,
    }


def test_an_admin_registers_an_unqualified_candidate_with_a_reason(
    db: Session, fx: ExamFixture
) -> None:
    done = register(
        fx,
        db,
        name="秦四",
        id_number=valid_resident_id(1204),
        eligibility_override_reason="经市人社局批准破格参评（淮人社函〔2026〕12 号）",
    )
    reg = done.registration
    assert reg.eligibility_route == "" and not done.eligibility.qualified
    assert reg.eligibility_override_reason == "经市人社局批准破格参评（淮人社函〔2026〕12 号）"
    assert reg.eligibility_override_by == fx.admin.id
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == "registration.eligibility_override", AuditEntry.object_id == reg.id
        )
    ).one()
    assert entry.reason.startswith("经市人社局批准")
    assert "需从事本职业满 6 年：从业 0 年" in entry.detail["missing"]


def test_a_known_candidates_record_is_used_when_none_is_given(db: Session, fx: ExamFixture) -> None:
    known = make_candidate(db, fx.centre, admin=fx.admin)  # the factories' qualifying record
    done = register(fx, db, name=known.name, id_number=known.id_number)
    assert done.registration.candidate_id == known.id
    assert done.eligibility.route_code == "certificate_years"


def test_a_different_record_for_a_known_candidate_is_changed_on_their_page(
    db: Session, fx: ExamFixture
) -> None:
    known = make_candidate(db, fx.centre, admin=fx.admin)
    with pytest.raises(Conflict) as caught:
        register(
            fx,
            db,
            name=known.name,
            id_number=known.id_number,
            facts=HolderFacts(years_in_occupation=7),
        )
    assert caught.value.code == "facts_differ"
    assert "请在考生页面修改" in caught.value.message


def test_jiping_certificates_count_across_centres(db: Session, fx: ExamFixture) -> None:
    number = valid_resident_id(1205)
    elsewhere = make_centre(db)
    holder = make_candidate(db, elsewhere, id_number=number, facts=None)
    make_held_certificate(
        db,
        holder,
        occupation_code=occupation_code(db, fx),
        level_code="junior",
        level_display="五级/初级工",
        number="S000000000000000050001",
        issued_on=date(2022, 3, 1),
    )
    facts = HolderFacts(years_in_occupation=4)
    done = register(fx, db, name=holder.name, id_number=number, facts=facts)
    assert done.eligibility.route_code == "certificate_years"
    assert "现有五级证书 2022-03 取得" in done.eligibility.summary


def test_a_stored_record_that_no_longer_validates_is_unknown_only_where_asked() -> None:
    # Subsidies read records frozen on issued certificates: a rule tightened since must
    # not stop them; everywhere else it is an error to see.
    kept = {"years_in_occupation": 5, "work_region": "no such region"}
    with pytest.raises(PydanticValidationError):
        recorded(kept)
    assert recorded(kept, invalid_as_unknown=True) == HolderFacts()
    assert recorded(None) == HolderFacts()
    assert recorded(stored(HolderFacts(years_in_occupation=5))).years_in_occupation == 5


# --- the record afterwards ----------------------------------------------------------------


def test_the_record_is_edited_with_a_reason(db: Session, fx: ExamFixture) -> None:
    cand = fx.seats[0].candidate
    actor = staff_actor(fx.admin)
    new = HolderFacts(years_in_occupation=12, work_region="340400")
    with pytest.raises(ValidationFailed):
        candidates.update_facts(db, actor=actor, candidate_id=cand.id or 0, facts=new, reason="")
    candidates.update_facts(
        db, actor=actor, candidate_id=cand.id or 0, facts=new, reason="补充工作地"
    )
    assert cand.facts == {"years_in_occupation": 12.0, "work_region": "340400"}
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "candidate.facts_update")).one()
    assert entry.reason == "补充工作地"
    assert entry.detail["changes"]["work_region"] == [None, "340400"]
    with pytest.raises(Conflict) as caught:
        candidates.update_facts(
            db, actor=actor, candidate_id=cand.id or 0, facts=new, reason="再次保存"
        )
    assert caught.value.code == "nothing_changed"


def test_the_record_is_locked_once_a_certificate_used_it(db: Session) -> None:
    fx = certified(db, candidates=1)
    actor = staff_actor(fx.exam.admin)
    (result,) = results_of(db, fx)
    cert = certificates.issue_from_result(db, actor=actor, result_id=result.id or 0)
    cand = fx.exam.seats[0].candidate
    with pytest.raises(Conflict) as caught:
        candidates.update_facts(
            db,
            actor=actor,
            candidate_id=cand.id or 0,
            facts=HolderFacts(years_in_occupation=20),
            reason="更正从业年限",
        )
    assert caught.value.status_code == 409 and caught.value.code == "facts_in_use"
    assert cert.number in caught.value.message


def test_the_candidate_page_shows_the_history_and_refuses_edits_after_a_certificate(
    client: TestClient, db: Session
) -> None:
    fx = certified(db, candidates=1)
    (result,) = results_of(db, fx)
    cand = fx.exam.seats[0].candidate
    csrf = page_login(client, fx.exam.admin.username)
    page = client.get(f"/candidates/{cand.id}")
    assert page.status_code == 200
    assert "没有本平台颁发的证书" in page.text and "已确认" in page.text  # the result
    r = client.post(
        f"/candidates/{cand.id}/facts",
        data={"csrf_token": csrf, "years_in_occupation": "11", "reason": "更正从业年限"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.rollback()  # a new snapshot: the page's transaction committed since
    db.refresh(cand)
    assert cand.facts == {"years_in_occupation": 11}
    cert = certificates.issue_from_result(
        db, actor=staff_actor(fx.exam.admin), result_id=result.id or 0
    )
    db.commit()
    page = client.get(f"/candidates/{cand.id}")
    assert cert.number in page.text and "考生档案已用于证书" in page.text
    r = client.post(
        f"/candidates/{cand.id}/facts",
        data={"csrf_token": csrf, "years_in_occupation": "12", "reason": "再改"},
    )
    assert r.status_code == 409 and "不能再修改" in r.text


# --- the roster ---------------------------------------------------------------------------


def roster(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER = [
    "姓名",
    "身份证号",
    "学历",
    "毕业时间",
    "从业年限",
    "已有证书等级",
    "证书取得时间",
    "就业状态",
]


def test_roster_rows_report_eligibility_and_record_problems_all_or_nothing(
    db: Session, fx: ExamFixture
) -> None:
    content = roster(
        HEADER,
        [
            ["甲一", valid_resident_id(1301), None, None, 4, "五级", "2021-05", "企业职工"],  # ok
            ["甲二", valid_resident_id(1302), None, None, 3, "五级", "2021-05", None],  # 3 years
            ["甲三", valid_resident_id(1303), "博士", None, "五年", None, None, "待业"],
            ["甲四", valid_resident_id(1304), "技工学校", "2024-13", None, None, None, None],
            ["甲五", valid_resident_id(1305), None, None, None, None, "2020-01", None],
        ],
    )
    with pytest.raises(ValidationFailed) as caught:
        registrations.import_roster(
            db, actor=staff_actor(fx.admin), session_id=fx.session.id or 0, content=content
        )
    found = [(d["row"], d["column"]) for d in caught.value.details]
    assert found == [
        (3, "申报条件"),
        (4, "学历"),
        (4, "从业年限"),
        (4, "就业状态"),
        (5, "毕业时间"),
        (6, "已有证书等级"),
    ]
    by_row = {d["row"]: d["problem"] for d in caught.value.details}
    assert by_row[3].startswith("不符合四级/中级工申报条件：需五级证书且从事本职业满 4 年：")
    assert "从业 3 年" in by_row[3]
    assert db.exec(select(Registration).where(Registration.session_id == fx.session.id)).all() == (
        fx.registrations
    )


def test_roster_records_are_kept_and_the_route_stored(db: Session, fx: ExamFixture) -> None:
    content = roster(
        HEADER,
        [
            ["乙一", valid_resident_id(1311), None, None, 4.5, "五级", "2021-05", "企业职工"],
            ["乙二", valid_resident_id(1312), "技工学校", "2025-06-30", None, None, None, None],
        ],
    )
    result = registrations.import_roster(
        db, actor=staff_actor(fx.admin), session_id=fx.session.id or 0, content=content
    )
    routes = [r.eligibility_route for r in result.registrations]
    assert routes == ["certificate_years", "school"]
    first = db.get(Candidate, result.registrations[0].candidate_id)
    assert first is not None
    assert first.facts == {
        "years_in_occupation": 4.5,
        "prior_certificates": [
            {
                "level_code": "junior",
                "occupation_code": occupation_code(db, fx),
                "obtained_on": "2021-05-01",
            }
        ],
        "employment": "enterprise_employee",
    }


# --- the API ------------------------------------------------------------------------------


def test_api_refuses_returns_the_evaluation_and_records_an_override(
    client: TestClient, fx: ExamFixture
) -> None:
    admin = staff_token(client, fx.admin.username)
    url = f"/api/v1/sessions/{fx.session.id}/registrations"
    person = {"name": "丙一", "id_number": valid_resident_id(1401)}
    r = client.post(url, json={**person, "facts": {"years_in_occupation": 5}}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_eligible"
    routes = {d["route"]: d["problem"] for d in r.json()["error"]["details"]}
    assert routes["years"] == "需从事本职业满 6 年：从业 5 年"
    r = client.post(
        url,
        json={**person, "facts": {"years_in_occupation": 5}, "eligibility_override_reason": "特批"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    ev = r.json()["eligibility"]
    assert (ev["qualified"], ev["route"], ev["override_reason"]) == (False, "", "特批")
    assert [x["route"] for x in ev["routes"]] == [
        "certificate_years",
        "years",
        "school",
        "competition",
    ]
    cid = r.json()["candidate"]["id"]
    record = client.get(f"/api/v1/candidates/{cid}/record", headers=admin).json()
    assert record["facts"]["years_in_occupation"] == 5
    assert record["certificates"] == [] and record["subsidies"] == []
    r = client.put(
        f"/api/v1/candidates/{cid}/facts",
        json={"facts": {"years_in_occupation": 6, "employer_credit_code": "123"}, "reason": "x"},
        headers=admin,
    )
    assert r.status_code == 422  # the credit code is checked
    r = client.put(
        f"/api/v1/candidates/{cid}/facts",
        json={"facts": {"years_in_occupation": 6}, "reason": "补登从业年限"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["years_in_occupation"] == 6


# --- the page -----------------------------------------------------------------------------


def test_the_registration_form_refuses_and_then_takes_an_override(
    client: TestClient, fx: ExamFixture
) -> None:
    csrf = page_login(client, fx.admin.username)
    url = f"/sessions/{fx.session.id}/registrations"
    form = {"csrf_token": csrf, "name": "丁一", "id_number": valid_resident_id(1501)}
    r = client.post(url, data={**form, "years_in_occupation": "2"})
    assert r.status_code == 422
    assert "不符合四级/中级工申报条件" in r.text and "需从事本职业满 6 年：从业 2 年" in r.text
    assert 'value="2"' in r.text  # what was typed stays
    r = client.post(url, data={**form, "years_in_occupation": "abc"})
    assert r.status_code == 422 and "应为数字" in r.text
    r = client.post(
        url,
        data={**form, "years_in_occupation": "2", "eligibility_override_reason": "特批"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/sessions/{fx.session.id}")
    assert "破格报名" in page.text and "丁一" in page.text


def test_a_roster_row_differing_from_a_known_record_is_reported(
    db: Session, fx: ExamFixture
) -> None:
    other = make_session(db, fx.plan, admin=fx.admin, proctors=fx.proctors)
    known = fx.seats[0].candidate  # the factories' record: 10 years and a 二级 certificate
    content = roster(
        ["姓名", "身份证号", "从业年限"],
        [[known.name, known.id_number, 10], ["戊二", valid_resident_id(1321), 7]],
    )
    with pytest.raises(ValidationFailed) as caught:
        registrations.import_roster(
            db, actor=staff_actor(fx.admin), session_id=other.id or 0, content=content
        )
    assert [(d["row"], d["problem"]) for d in caught.value.details] == [
        (2, "与该考生已登记的考生档案不一致：请在考生页面修改（需填写原因）")
    ]
    # The same record again (or none) is fine.
    content = roster(["姓名", "身份证号"], [[known.name, known.id_number]])
    result = registrations.import_roster(
        db, actor=staff_actor(fx.admin), session_id=other.id or 0, content=content
    )
    assert [r.eligibility_route for r in result.registrations] == ["certificate_years"]


def test_a_known_candidate_without_a_record_gets_the_one_given_at_registration(
    db: Session, fx: ExamFixture
) -> None:
    bare = make_candidate(db, fx.centre, admin=fx.admin, facts=None)
    done = register(
        fx, db, name=bare.name, id_number=bare.id_number, facts=HolderFacts(years_in_occupation=8)
    )
    assert done.eligibility.route_code == "years"
    assert bare.facts == {"years_in_occupation": 8.0}
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == "candidate.facts", AuditEntry.object_id == bare.id
        )
    ).one()
    assert entry.reason == "报名时登记考生档案"
