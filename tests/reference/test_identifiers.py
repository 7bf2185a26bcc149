import pytest

from app.reference.identifiers import (
    credit_code_problem,
    mask_resident_id,
    resident_id_birth_date,
    resident_id_gender,
    resident_id_problem,
)


def test_domain_example_resident_id_is_valid() -> None:
    assert resident_id_problem("11010519491231002X") is None
    assert resident_id_problem("11010519491231002x") is None  # lower-case x is accepted
    assert resident_id_gender("11010519491231002X") == "女"
    assert str(resident_id_birth_date("11010519491231002X")) == "1949-12-31"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("110105194912310021", "第 18 位应为 X，实际为 1"),
        ("11010519491231002", "应为 18 位，实际为 17 位"),
        ("1101051949123100AX", "前 17 位必须是数字"),
        ("110105194913310020", "出生日期 19491331 不是有效日期"),
        ("11010521990101002X", "不在合理范围内"),
    ],
)
def test_resident_id_problems_name_the_failed_check(value: str, says: str) -> None:
    problem = resident_id_problem(value)
    assert problem is not None and says in problem


def test_domain_example_credit_code_is_valid() -> None:
    assert credit_code_problem("91330100799655058B") is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("91330100799655058C", "第 18 位应为 B，实际为 C"),
        ("9133010079965505", "应为 18 位"),
        ("91330100799655O58B", "第 15 位“O”不是允许的字符"),
    ],
)
def test_credit_code_problems_name_the_failed_check(value: str, says: str) -> None:
    problem = credit_code_problem(value)
    assert problem is not None and says in problem


def test_public_masking_never_shows_full_id() -> None:
    masked = mask_resident_id("11010519491231002X")
    assert masked == "110***********002X"
    assert "19491231" not in masked
