"""exams.candidates: one record per ID number."""

import pytest
from sqlmodel import Session

from app.accounts.models import Role
from app.core.errors import ValidationFailed
from app.exams import candidates
from app.exams.schemas import (
    CandidateIn,
)
from tests.exams.support import problems_of
from tests.factories import (
    ExamFixture,
    make_centre,
    make_staff,
    staff_actor,
    valid_resident_id,
)


def test_candidate_id_number_is_checked_with_the_exact_failed_check(
    db: Session, fx: ExamFixture
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        candidates.create_candidate(
            db,
            actor=staff_actor(fx.admin),
            data=CandidateIn(name="张三", id_number="110105194912310021"),
        )
    assert problems_of(caught) == {"id_number": "身份证号校验码错误：第 18 位应为 X，实际为 1"}


def test_candidate_gender_and_birth_date_come_from_the_id(db: Session, fx: ExamFixture) -> None:
    cand = candidates.create_candidate(
        db,
        actor=staff_actor(fx.admin),
        data=CandidateIn(name="张三", id_number="11010519491231002x"),
    )
    assert (cand.id_number, cand.gender, str(cand.birth_date)) == (
        "11010519491231002X",
        "女",
        "1949-12-31",
    )


def test_same_person_again_reuses_the_candidate(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    number = valid_resident_id(501)
    first = candidates.create_candidate(
        db, actor=admin, data=CandidateIn(name="王五", id_number=number)
    )
    again = candidates.create_candidate(
        db, actor=admin, data=CandidateIn(name="王五", id_number=number, phone="13900000000")
    )
    assert again.id == first.id and again.phone == "13900000000"
    with pytest.raises(ValidationFailed) as caught:
        candidates.create_candidate(
            db, actor=admin, data=CandidateIn(name="王六", id_number=number)
        )
    assert "已登记为考生「王五」" in problems_of(caught)["name"]
    # Another centre keeps its own record of the same person.
    other_admin = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    theirs = candidates.create_candidate(
        db, actor=staff_actor(other_admin), data=CandidateIn(name="王五", id_number=number)
    )
    assert theirs.id != first.id


def test_candidate_search(db: Session, fx: ExamFixture) -> None:
    admin = staff_actor(fx.admin)
    candidates.create_candidate(
        db,
        actor=admin,
        data=CandidateIn(name="欧阳修", id_number=valid_resident_id(502), employer="淮南矿业"),
    )
    assert [c.name for c in candidates.list_candidates(db, actor=admin, q="欧阳")] == ["欧阳修"]
    assert [c.name for c in candidates.list_candidates(db, actor=admin, q="矿业")] == ["欧阳修"]
    assert len(candidates.list_candidates(db, actor=admin)) == 4
