"""Certificate numbers (证书编号, DOMAIN.md §4): the national 22-character layout of
职业技能等级证书 (人社鉴发〔2019〕2号), the per-scheme templates of 特级/首席技师 and 1+X,
and the validator that the public lookup runs on what people type."""

from datetime import date

import pytest

from app.certificates import numbers
from app.certificates.numbers import (
    DEFAULT_TEMPLATES,
    LEVEL_CHARS,
    NATIONAL_FORMAT,
    EvaluatorCodes,
    NumberFormat,
    NumberFormatInvalid,
    NumberKind,
    codes_problem,
    kind_of,
    level_char,
    national_number_problem,
    number_problem,
    template_problem,
)
from app.reference.levels import LEVELS, get_level

CODES = EvaluatorCodes(
    evaluator_type="S", national_code="0001", province_code="34", site_serial="000123"
)
# S 0001 34 000123 26 4 000017: a 四级/中级工 certificate issued in 2026 by a social
# evaluation organisation filed nationally as 0001, in 安徽, site 000123, serial 17.
GOOD = "S000134000123264000017"
# As the lookup builds them (certificates.service.known_formats): each kind its level characters.
DEFAULT_FORMATS = [NumberFormat(t, LEVEL_CHARS[k]) for k, t in DEFAULT_TEMPLATES.items()]


def _with(position: int, chars: str, number: str = GOOD) -> str:
    """`number` with the characters from 1-based `position` replaced by `chars`."""
    return number[: position - 1] + chars + number[position - 1 + len(chars) :]


# -- the national layout -----------------------------------------------------------------


def test_an_issued_national_number_carries_each_field_at_its_position() -> None:
    prefix = NATIONAL_FORMAT.prefix(CODES, level_char="4", issued=date(2026, 5, 1))
    number = NATIONAL_FORMAT.number(prefix, 17)
    assert number == GOOD
    assert len(number) == numbers.NATIONAL_LENGTH == 22
    assert number[0] == "S"  # 1: evaluator type
    assert number[1:5] == "0001"  # 2–5: national filing code
    assert number[5:7] == "34"  # 6–7: province (安徽)
    assert number[7:13] == "000123"  # 8–13: site serial from the province
    assert number[13:15] == "26"  # 14–15: issue year YY
    assert number[15] == "4"  # 16: level digit (四级)
    assert number[16:] == "000017"  # 17–22: serial
    assert national_number_problem(number) is None


@pytest.mark.parametrize(
    "number",
    [
        "Y000034000123265000001",  # an employer's certificate, filed provincially (0000)
        "S999911654321991999999",  # the largest codes, 一级, the last serial
        "S000165000001003000001",  # 新疆 (65), issued in 2000
        "S000181000001265000001",  # 81: Hong Kong's province-level code
    ],
)
def test_well_formed_national_numbers_are_accepted(number: str) -> None:
    assert national_number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        (GOOD[:-1], "证书编号应为 22 位，输入了 21 位"),
        (GOOD + "1", "证书编号应为 22 位，输入了 23 位"),
        ("", "证书编号应为 22 位，输入了 0 位"),
        (
            _with(1, "X"),
            "第 1 位应为评价机构类型 Y（用人单位）或 S（社会培训评价组织）",
        ),
        (_with(1, "1"), "第 1 位应为评价机构类型 Y（用人单位）或 S（社会培训评价组织）"),
        (_with(3, "A"), "第 2–22 位应全为数字"),  # filing code
        (_with(10, "O"), "第 2–22 位应全为数字"),  # site serial: a letter O for a zero
        (_with(14, "2O"), "第 2–22 位应全为数字"),  # year
        (_with(20, "-"), "第 2–22 位应全为数字"),  # serial
        (_with(6, "99"), "第 6–7 位 99 不是省级行政区划代码"),
        (_with(6, "00"), "第 6–7 位 00 不是省级行政区划代码"),
        (_with(16, "0"), "第 16 位等级代码 0 无效（应为 1–5：一级至五级）"),
        (_with(16, "6"), "第 16 位等级代码 6 无效（应为 1–5：一级至五级）"),
        (_with(17, "000000"), "第 17–22 位流水号不能为 000000"),
    ],
)
def test_each_wrong_position_gets_its_own_sentence(number: str, sentence: str) -> None:
    assert national_number_problem(number) == sentence


def test_the_sentences_for_different_positions_differ() -> None:
    wrong = [
        GOOD[:-1],
        _with(1, "X"),
        _with(3, "A"),
        _with(6, "99"),
        _with(16, "0"),
        _with(17, "000000"),
    ]
    sentences = {national_number_problem(n) for n in wrong}
    assert None not in sentences
    assert len(sentences) == len(wrong)


def test_digits_of_other_scripts_are_not_digits() -> None:
    # str.isdigit() accepts "٣" (Arabic-Indic three) and "²": neither is a certificate digit.
    assert national_number_problem(_with(20, "٣")) == "第 2–22 位应全为数字"
    assert national_number_problem(_with(20, "²")) == "第 2–22 位应全为数字"


def test_full_width_lower_case_and_spaced_input_is_the_same_number() -> None:
    typed = (
        "ｓ０００１ ３４ ０００１２３ ２６４ ００００１７"  # a Chinese input method, with spaces
    )
    assert numbers.normalise_number(typed) == GOOD
    assert national_number_problem(typed) is None
    assert national_number_problem("  s000134000123264000017 ") is None
    assert number_problem(typed, lambda: DEFAULT_FORMATS) is None


def test_a_full_width_wrong_number_is_judged_after_normalising() -> None:
    assert national_number_problem("Ｓ０００１９９０００１２３２６４００００１７") == (
        "第 6–7 位 99 不是省级行政区划代码"
    )


# -- levels ------------------------------------------------------------------------------

EXPECTED_LEVEL_CHARS = {
    "junior": (NumberKind.SKILL_LEVEL, "5"),  # 五级/初级工
    "intermediate": (NumberKind.SKILL_LEVEL, "4"),  # 四级/中级工
    "senior": (NumberKind.SKILL_LEVEL, "3"),  # 三级/高级工
    "technician": (NumberKind.SKILL_LEVEL, "2"),  # 二级/技师
    "senior_technician": (NumberKind.SKILL_LEVEL, "1"),  # 一级/高级技师
    "principal_technician": (NumberKind.ENTERPRISE, "T"),  # 特级技师
    "chief_technician": (NumberKind.ENTERPRISE, "C"),  # 首席技师
    "x_junior": (NumberKind.ONE_PLUS_X, "1"),  # 1+X 初级
    "x_intermediate": (NumberKind.ONE_PLUS_X, "2"),  # 1+X 中级
    "x_senior": (NumberKind.ONE_PLUS_X, "3"),  # 1+X 高级
}


def test_every_certified_level_is_covered_here() -> None:
    # A level added to app/reference/levels.py must say how its certificates are numbered.
    assert {lv.code for lv in LEVELS} == set(EXPECTED_LEVEL_CHARS) | {"apprentice"}


@pytest.mark.parametrize(("code", "expected"), EXPECTED_LEVEL_CHARS.items())
def test_kind_and_level_character_of_each_level(
    code: str, expected: tuple[NumberKind, str]
) -> None:
    level = get_level(code)
    assert (kind_of(level), level_char(level)) == expected


@pytest.mark.parametrize("grade", ["五级", "四级", "三级", "二级", "一级"])
def test_the_grade_name_gives_the_level_digit(grade: str) -> None:
    digit = level_char(get_level(grade))
    assert digit == str("一二三四五".index(grade[0]) + 1)
    number = NATIONAL_FORMAT.number(
        NATIONAL_FORMAT.prefix(CODES, level_char=digit, issued=date(2026, 1, 1)), 1
    )
    assert national_number_problem(number) is None


def test_apprentices_get_no_skill_level_certificate_number() -> None:
    with pytest.raises(ValueError, match="学徒工"):
        level_char(get_level("apprentice"))


def test_an_enterprise_number_uses_its_level_letter_and_is_not_a_national_one() -> None:
    fmt = NumberFormat(DEFAULT_TEMPLATES[NumberKind.ENTERPRISE])
    level = get_level("chief_technician")
    number = fmt.number(fmt.prefix(CODES, level_char=level_char(level), issued=date(2026, 9, 1)), 3)
    assert number == "S000134000123" + "26" + "C" + "000003"
    # Not a 职业技能等级证书 number (no level digit) …
    assert national_number_problem(number) == "第 2–22 位应全为数字"
    # … but a lookup that knows the enterprise format accepts it.
    assert number_problem(number, lambda: DEFAULT_FORMATS) is None
    assert number_problem(number, list) is not None


def test_a_one_plus_x_number_follows_the_default_template() -> None:
    fmt = NumberFormat(DEFAULT_TEMPLATES[NumberKind.ONE_PLUS_X])
    level = get_level("x_senior")
    prefix = fmt.prefix(CODES, level_char=level_char(level), issued=date(2027, 6, 30))
    number = fmt.number(prefix, 42)
    assert number == "X0001" + "2027" + "3" + "0000042"
    assert fmt.pattern.match(number)
    assert number_problem(number, lambda: DEFAULT_FORMATS) is None


# -- templates (per-scheme settings) -----------------------------------------------------


@pytest.mark.parametrize("template", list(DEFAULT_TEMPLATES.values()))
def test_the_default_templates_are_usable(template: str) -> None:
    assert template_problem(template) is None


@pytest.mark.parametrize(
    ("template", "sentence"),
    [
        ("", "编号格式必须以流水号 {serial:N} 结尾"),
        ("CERT{yyyy}", "编号格式必须以流水号 {serial:N} 结尾"),
        ("{serial:6}{yy}", "编号格式必须以流水号 {serial:N} 结尾"),
        ("{yy}{serial:6}-A", "编号格式必须以流水号 {serial:N} 结尾"),
        ("{yy}{centre}{serial:6}", "编号格式含未知字段：centre"),
        ("{yy}{serial:4}{serial:6}", "编号格式只能有一个流水号"),
        ("{yy}{serial}", "流水号位数须为 4 到 10 位，例如 {serial:6}"),
        ("{yy}{serial:3}", "流水号位数须为 4 到 10 位，例如 {serial:6}"),
        ("{yy}{serial:11}", "流水号位数须为 4 到 10 位，例如 {serial:6}"),
        ("T{national}{serial:6}", "编号格式须含年份 {yy} 或 {yyyy}（流水号按年编排）"),
        ("t{yy}{serial:6}", "编号格式中的固定字符只能是大写字母、数字或 -"),
        ("证书{yy}{serial:6}", "编号格式中的固定字符只能是大写字母、数字或 -"),
        ("T {yy}{serial:6}", "编号格式中的固定字符只能是大写字母、数字或 -"),
        ("{yy:2}{serial:6}", "只有流水号可以指定位数"),
    ],
)
def test_an_unusable_template_is_refused_with_the_reason(template: str, sentence: str) -> None:
    assert template_problem(template) == sentence
    with pytest.raises(NumberFormatInvalid) as refused:
        NumberFormat(template)
    assert str(refused.value) == sentence


def test_a_centres_own_template_numbers_and_matches_its_numbers() -> None:
    fmt = NumberFormat("TJ-{province}{yyyy}-{level}{serial:5}")
    prefix = fmt.prefix(CODES, level_char="T", issued=date(2026, 2, 3))
    assert prefix == "TJ-342026-T"
    number = fmt.number(prefix, 9)
    assert number == "TJ-342026-T00009"
    assert fmt.serial_width == 5
    assert fmt.pattern.match(number)
    assert not fmt.pattern.match(number + "0")  # one digit too many
    assert not fmt.pattern.match("TJ-342026-T0009")  # one too few


def test_serials_are_counted_per_year_because_the_year_is_in_the_prefix() -> None:
    for template in DEFAULT_TEMPLATES.values():
        fmt = NumberFormat(template)
        dec = fmt.prefix(CODES, level_char="3", issued=date(2026, 12, 31))
        jan = fmt.prefix(CODES, level_char="3", issued=date(2027, 1, 1))
        same_year = fmt.prefix(CODES, level_char="3", issued=date(2026, 1, 1))
        assert dec != jan
        assert dec == same_year


def test_the_prefix_differs_per_level_and_centre() -> None:
    day = date(2026, 5, 1)
    four = NATIONAL_FORMAT.prefix(CODES, level_char="4", issued=day)
    three = NATIONAL_FORMAT.prefix(CODES, level_char="3", issued=day)
    other_site = NATIONAL_FORMAT.prefix(
        EvaluatorCodes("S", "0001", "34", "000124"), level_char="4", issued=day
    )
    assert len({four, three, other_site}) == 3


def test_a_serial_beyond_the_templates_width_is_refused_not_widened() -> None:
    prefix = NATIONAL_FORMAT.prefix(CODES, level_char="4", issued=date(2026, 5, 1))
    assert NATIONAL_FORMAT.number(prefix, 999_999).endswith("999999")
    with pytest.raises(ValueError, match="超出 6 位"):
        NATIONAL_FORMAT.number(prefix, 1_000_000)
    with pytest.raises(ValueError):
        NATIONAL_FORMAT.number(prefix, 0)  # serials start at 1
    x = NumberFormat(DEFAULT_TEMPLATES[NumberKind.ONE_PLUS_X])
    assert len(x.number("X00012026", 9_999_999)) == len("X00012026") + 7
    with pytest.raises(ValueError, match="超出 7 位"):
        x.number("X00012026", 10_000_000)


# -- the centre's codes ------------------------------------------------------------------


def test_complete_codes_can_number_national_certificates() -> None:
    assert codes_problem(CODES) is None
    assert codes_problem(EvaluatorCodes("Y", "0000", "11", "999999")) is None


@pytest.mark.parametrize(
    ("codes", "sentence"),
    [
        (EvaluatorCodes("X", "0001", "34", "000123"), "评价机构类型应为 Y 或 S"),
        (EvaluatorCodes("", "0001", "34", "000123"), "评价机构类型应为 Y 或 S"),
        (
            EvaluatorCodes("S", "001", "34", "000123"),
            "全国备案编码应为 4 位数字（省级备案填 0000）",
        ),
        (
            EvaluatorCodes("S", "00A1", "34", "000123"),
            "全国备案编码应为 4 位数字（省级备案填 0000）",
        ),
        (EvaluatorCodes("S", "0001", "99", "000123"), "省份代码无效"),
        (EvaluatorCodes("S", "0001", "", "000123"), "省份代码无效"),
        (
            EvaluatorCodes("S", "0001", "34", ""),
            "评价机构（站点）序列号应为省级人社部门分配的 6 位数字",
        ),
        (
            EvaluatorCodes("S", "0001", "34", "12345"),
            "评价机构（站点）序列号应为省级人社部门分配的 6 位数字",
        ),
        (
            EvaluatorCodes("S", "0001", "34", "000000"),
            "评价机构（站点）序列号应为省级人社部门分配的 6 位数字",
        ),
    ],
)
def test_incomplete_codes_say_which_code_to_fix(codes: EvaluatorCodes, sentence: str) -> None:
    assert codes_problem(codes) == sentence


# -- lookup input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("S00013400012326400001", "证书编号应为 22 位，输入了 21 位"),
        ("12345", "证书编号应为 22 位，输入了 5 位"),
        ("' OR 1=1 --", "证书编号应为 22 位，输入了 8 位"),  # spaces do not count
        ("A000134000123264000017", "第 1 位应为评价机构类型 Y（用人单位）或 S（社会培训评价组织）"),
    ],
)
def test_lookup_input_that_fits_no_format_gets_the_national_sentence(
    typed: str, sentence: str
) -> None:
    assert number_problem(typed, lambda: DEFAULT_FORMATS) == sentence


def test_lookup_input_in_the_national_layout_is_accepted_without_formats() -> None:
    def unread() -> list[NumberFormat]:
        raise AssertionError("the formats were read for a national number")

    assert number_problem(GOOD, unread) is None


@pytest.mark.parametrize(
    "wrong", [_with(6, "99"), _with(16, "0"), _with(16, "9"), _with(17, "000000")]
)
def test_lookup_input_with_a_wrong_national_field_is_refused(wrong: str) -> None:
    assert number_problem(wrong, lambda: DEFAULT_FORMATS) == national_number_problem(wrong)
