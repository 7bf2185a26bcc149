import pytest
from sqlmodel import Session

from app.core.errors import Conflict, ValidationFailed
from app.reference import service as reference
from app.reference.levels import Scheme, examinable_levels, get_level, levels_of
from tests.factories import valid_credit_code


def test_eight_levels_in_order_with_certificate_digits() -> None:
    levels = levels_of(Scheme.SKILL_LEVEL)
    assert [lv.name for lv in levels] == [
        "学徒工", "初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师",
    ]  # fmt: skip
    assert [lv.certificate_digit for lv in levels] == ["", "5", "4", "3", "2", "1", "", ""]
    assert get_level("technician").display == "二级/技师"
    assert get_level("四级") == get_level("中级工") == get_level("intermediate")
    assert get_level("technician").needs_review and not get_level("senior").needs_review


def test_one_plus_x_levels_and_examinable_levels() -> None:
    assert [lv.name for lv in levels_of(Scheme.ONE_PLUS_X)] == ["初级", "中级", "高级"]
    codes = [lv.code for lv in examinable_levels(Scheme.SKILL_LEVEL)]
    assert codes == ["junior", "intermediate", "senior", "technician", "senior_technician"]


def test_centre_with_a_bad_credit_code_is_refused_naming_the_check(db: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        reference.create_centre(db, name="某评价机构", credit_code="91330100799655058C")
    assert exc.value.details[0]["field"] == "credit_code"
    assert "第 18 位应为 B" in exc.value.details[0]["problem"]


def test_centre_credit_code_is_unique(db: Session) -> None:
    code = valid_credit_code(4242)
    reference.create_centre(db, name="甲", credit_code=code)
    with pytest.raises(Conflict):
        reference.create_centre(db, name="乙", credit_code=code.lower())


def test_shipped_occupations_include_electrician_and_industrial_internet(db: Session) -> None:
    names = {o.name for o in reference.ensure_shipped_occupations(db)}
    assert {"电工", "工业互联网运维员"} <= names
    reference.ensure_shipped_occupations(db)  # idempotent
    assert len(reference.list_occupations(db)) == 2
