from datetime import date

import pytest

from app.reference.identifiers import (
    credit_code_check_char,
    credit_code_problem,
    mask_resident_id,
    normalise_resident_id,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_gender,
    resident_id_problem,
)


def test_domain_example_resident_id_is_valid() -> None:
    assert resident_id_problem("11010519491231002X") is None
    assert resident_id_problem("11010519491231002x") is None  # lower-case x is accepted
    assert resident_id_gender("11010519491231002X") == "女"
    assert str(resident_id_birth_date("11010519491231002X")) == "1949-12-31"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("110105194912310021", "身份证号校验码错误：第 18 位应为 X，实际为 1"),
        ("11010519491231002", "身份证号应为 18 位，实际为 17 位"),
        ("1101051949123100AX", "身份证号前 17 位必须是数字"),
        ("11010519491231002Y", "身份证号第 18 位（校验码）必须是数字或 X"),
        ("110105194913310020", "身份证号第 7–14 位出生日期 19491331 不是有效日期"),
        ("11010521990101002X", "身份证号第 7–14 位出生日期 21990101 不在合理范围内"),
    ],
)
def test_resident_id_problems_name_the_failed_check(value: str, problem: str) -> None:
    assert resident_id_problem(value) == problem


def test_the_sequence_digit_gives_the_gender() -> None:
    assert resident_id_gender("11010519491231002X") == "女"  # sequence 002: even
    assert resident_id_gender("341621198811291236") == "男"  # sequence 123: odd (checked below)


def test_check_characters_are_computed_over_exactly_17_digits() -> None:
    for body in ("1101051949123100", "110105194912310021"):
        with pytest.raises(ValueError):
            resident_id_check_char(body)
    for body in ("9133010079965505", "91330100799655058B"):
        with pytest.raises(ValueError):
            credit_code_check_char(body)


def test_domain_example_credit_code_is_valid() -> None:
    assert credit_code_problem("91330100799655058B") is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("91330100799655058C", "统一社会信用代码校验码错误：第 18 位应为 B，实际为 C"),
        ("9133010079965505", "统一社会信用代码应为 18 位，实际为 16 位"),
        ("91330100799655O58B", "统一社会信用代码第 15 位“O”不是允许的字符（不含 I、O、Z、S、V）"),
    ],
)
def test_credit_code_problems_name_the_failed_check(value: str, problem: str) -> None:
    assert credit_code_problem(value) == problem


def test_public_masking_never_shows_full_id() -> None:
    masked = mask_resident_id("11010519491231002X")
    assert masked == "110***********002X"
    assert "19491231" not in masked
    # Too short to keep the first 3 and last 4 and still hide something: all hidden.
    assert mask_resident_id("12345678") == "123*5678"
    assert mask_resident_id("1234567") == "*******"
    assert mask_resident_id("123") == "***"


# --- check characters computed by hand, never by the code under test ----------------------
# Resident ID (GB 11643-1999): Σ digit·weight over the first 17 digits with weights
# 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2; Σ mod 11 indexes "10X98765432".
# Between them the valid numbers have a non-zero digit at every one of the 17 positions,
# so a wrong weight anywhere changes the expected check character of at least one.
VALID_RESIDENT_IDS = [
    # DOMAIN.md's example. 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5
    # +0·8+0·4+2·2 = 167; 167 mod 11 = 2 → "X".
    "11010519491231002X",
    # 3·7+4·9+1·10+6·5+2·8+1·4+1·2+9·1+8·6+8·3+1·7+1·9+2·10+9·5+1·8+2·4+3·2 = 303;
    # 303 mod 11 = 6 → "6". (涡阳县, no zero digit at all.)
    "341621198811291236",
    # 5·7+3·9+2·10+6·5+2·8+2·4+1·2+9·1+9·6+7·3+1·7+2·9+1·10+8·5+4·8+6·4+7·2 = 367;
    # 367 mod 11 = 4 → "8".
    "532622199712184678",
    # 4·7+4·9+5·10+1·5+2·8+2·4+1·2+9·1+7·6+6·3+1·7+2·9+2·10+8·5+4·8+5·4+9·2 = 369;
    # 369 mod 11 = 6 → "6".
    "445122197612284596",
    # 4·7+4·9+0·10+1·5+0·8+6·4+1·2+9·1+8·6+5·3+0·7+7·9+3·10+0·5+1·8+2·4+0·2 = 276;
    # 276 mod 11 = 1 → "0".
    "440106198507301200",
    # The same with sequence 126: 276 + 6·2 = 288; 288 mod 11 = 2 → "X".
    "44010619850730126X",
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+0·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 68;
    # 68 mod 11 = 2 → "X". The first possible birth date.
    "11010519000101001X",
]


@pytest.mark.parametrize("value", VALID_RESIDENT_IDS)
def test_hand_checked_resident_ids_are_valid(value: str) -> None:
    assert resident_id_problem(value) is None


@pytest.mark.parametrize("value", VALID_RESIDENT_IDS)
def test_a_wrong_check_character_is_named_with_the_right_one(value: str) -> None:
    for wrong in "0123456789X".replace(value[17], ""):
        problem = resident_id_problem(value[:17] + wrong)
        assert problem == f"身份证号校验码错误：第 18 位应为 {value[17]}，实际为 {wrong}"


# GB/T 2260 province codes: a changed digit keeps the region's province real.
PROVINCES = {
    str(code)
    for code in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55))
} | {"61", "62", "63", "64", "65", "71", "81", "82"}


def _one_digit_changed(value: str) -> list[str]:
    """`value` with the digit at each of the first 17 positions replaced by another one
    that keeps the province and the birth date real, so that only the check character can
    refuse it (positions 7-8, the century "19" or "20", have no such digit). Weights 1-10
    are all prime to 11: any single changed digit must change the check character."""
    changed = []
    for pos in range(17):
        for digit in "1029384756":
            candidate = value[:pos] + digit + value[pos + 1 :]
            if digit != value[pos] and candidate[:2] in PROVINCES and _real_date(candidate[6:14]):
                changed.append(candidate)
                break
    return changed


def _real_date(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= date.today()


@pytest.mark.parametrize(
    "value", [changed for valid in VALID_RESIDENT_IDS for changed in _one_digit_changed(valid)]
)
def test_a_resident_id_with_one_digit_changed_is_refused(value: str) -> None:
    problem = resident_id_problem(value)
    assert problem is not None and "校验码错误" in problem


def test_birth_years_start_at_1900() -> None:
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+8·1+9·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+1·2 = 194;
    # 194 mod 11 = 7 → "5": a correct check character, refused only for its year.
    problem = resident_id_problem("110105189912310015")
    assert problem == "身份证号第 7–14 位出生日期 18991231 不在合理范围内"
    assert resident_id_problem("11010519000101001X") is None  # hand-checked above


def test_a_birth_date_after_today_is_refused() -> None:
    # 3·7+4·9+0·10+1·5+0·8+4·4+2·2+0·1+2·6+6·3+0·7+3·9+1·10+5·5+0·8+0·4+8·2 = 190;
    # 190 mod 11 = 3 → "9". Born 2026-03-15: valid from that day on.
    born_20260315 = "340104202603150089"
    assert resident_id_problem(born_20260315, today=date(2026, 3, 15)) is None
    problem = resident_id_problem(born_20260315, today=date(2026, 3, 14))
    assert problem is not None and "不在合理范围内" in problem


# 统一社会信用代码 (GB 32100-2015): characters count by their place in
# 0123456789ABCDEFGHJKLMNPQRTUWXY (A=10 … Y=30); weights
# 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28; check = 31 − (Σ mod 31), 31 → "0".
VALID_CREDIT_CODES = [
    # DOMAIN.md's example. 9·1+1·3+3·9+3·27+0·19+1·26+0·16+0·17+7·20+9·29+9·25+6·13+5·8
    # +5·24+0·10+5·30+8·28 = 1384; 1384 mod 31 = 20; 31 − 20 = 11 → "B".
    "91330100799655058B",
    # 9·1+1·3+3·9+4·27+1·19+6·26+2·16+1·17+M21·20+A10·29+2·25+R25·13+K19·8+8·24+L20·10
    # +9·30+7·28 = 2466; 2466 mod 31 = 17; 31 − 17 = 14 → "E". (No character is 0.)
    "91341621MA2RK8L97E",
    # 5·1+2·3+4·9+4·27+1·19+5·26+2·16+1·17+M21·20+J18·29+4·25+C12·13+6·8+H17·24+3·10
    # +E14·30+8·28 = 2681; 2681 mod 31 = 15; 31 − 15 = 16 → "G".
    "52441521MJ4C6H3E8G",
    # 1·1+2·3+5·9+3·27+2·19+6·26+2·16+2·17+Y30·20+1·29+3·25+B11·13+D13·8+N22·24+9·10
    # +K19·30+P23·28 = 3176; 3176 mod 31 = 14; 31 − 14 = 17 → "H".
    "12532622Y13BDN9KPH",
    # 9·1+1·3+3·9+4·27+0·19+1·26+0·16+4·17+M21·20+A10·29+8·25+U27·13+W28·8+T26·24+3·10
    # +Q24·30+0·28 = 3100 = 31·100; 31 − 0 = 31 → "0".
    "91340104MA8UWT3Q00",
]
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize("value", VALID_CREDIT_CODES)
def test_hand_checked_credit_codes_are_valid(value: str) -> None:
    assert credit_code_problem(value) is None


@pytest.mark.parametrize("value", VALID_CREDIT_CODES)
def test_a_wrong_credit_code_check_character_is_named_with_the_right_one(value: str) -> None:
    for wrong in CREDIT_ALPHABET.replace(value[17], ""):
        problem = credit_code_problem(value[:17] + wrong)
        assert problem == f"统一社会信用代码校验码错误：第 18 位应为 {value[17]}，实际为 {wrong}"


def test_full_width_digits_and_x_are_normalised_before_the_check() -> None:
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert resident_id_problem(full_width) is None
    assert normalise_resident_id(full_width) == "11010519491231002X"
    assert normalise_resident_id(" 11010519491231002ｘ ") == "11010519491231002X"
    assert credit_code_problem("９１３３０１００７９９６５５０５８Ｂ") is None


@pytest.mark.parametrize(
    "value",
    [
        # Each character in turn replaced by the next one of the alphabet: the weights are
        # all prime to 31, so any single changed character must change the check.
        valid[:pos]
        + CREDIT_ALPHABET[(CREDIT_ALPHABET.index(valid[pos]) + 1) % 31]
        + valid[pos + 1 :]
        for valid in VALID_CREDIT_CODES
        for pos in range(17)
    ],
)
def test_a_credit_code_with_one_character_changed_is_refused(value: str) -> None:
    problem = credit_code_problem(value)
    assert problem is not None and "校验码错误" in problem


@pytest.mark.parametrize(
    "value",
    ["²" * 18, "11010519491231002²", "1101051949123100²X", "\ud800" * 18, "", "\x00" * 18],
)
def test_the_check_never_raises_and_refuses_other_digits(value: str) -> None:
    assert resident_id_problem(value) is not None
    assert credit_code_problem(value) is not None


def test_the_province_part_of_the_region_code_is_checked() -> None:
    problem = resident_id_problem("99010519491231002X")
    assert problem is not None and "前 2 位 99 不是有效的省级行政区划代码" in problem
    body = "91990100799655058"  # a right check character, a region no province has
    problem = credit_code_problem(body + credit_code_check_char(body))
    assert problem == "统一社会信用代码第 3–8 位 990100 不是有效的行政区划代码"


def test_national_bodies_register_under_region_10() -> None:
    # Central organs and national bodies carry "10" where a province would be (GB 32100).
    body = "11100000MB0123456"
    assert credit_code_problem(body + credit_code_check_char(body)) is None
