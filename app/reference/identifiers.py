"""Check-digit rules for the identifiers Jiping accepts (DOMAIN.md §5).

Each check returns None when valid, otherwise a sentence in Chinese naming which check
failed, so staff can fix the exact character."""

from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# Full-width digits and letters (typed with a Chinese input method) are the ASCII ones.
_FULL_WIDTH = (
    {0xFF10 + i: ord("0") + i for i in range(10)}
    | {0xFF21 + i: ord("A") + i for i in range(26)}
    | {0xFF41 + i: ord("a") + i for i in range(26)}
    | {0x3000: ord(" ")}
)

# GB/T 2260 province-level divisions (the first two digits of a region code), with 81–83
# for the residence permits of Hong Kong, Macao and Taiwan residents.
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and other digits that int() or the weights refuse.
    return text.isascii() and text.isdigit()


def normalise_resident_id(value: str) -> str:
    """The stored form: full-width characters made ASCII, spaces trimmed, "x" as "X"."""
    return value.translate(_FULL_WIDTH).strip().upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_problem(value: str, *, today: date | None = None) -> str | None:
    """GB 11643-1999: 6-digit region, birth date YYYYMMDD, 3-digit sequence, check char."""
    v = normalise_resident_id(value)
    if len(v) != 18:
        return f"身份证号应为 18 位，实际为 {len(v)} 位"
    if not _ascii_digits(v[:17]):
        return "身份证号前 17 位必须是数字"
    if not (_ascii_digits(v[17]) or v[17] == "X"):
        return "身份证号第 18 位（校验码）必须是数字或 X"
    if v[:2] not in PROVINCES:
        return f"身份证号前 2 位 {v[:2]} 不是有效的省级行政区划代码"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return f"身份证号第 7–14 位出生日期 {v[6:14]} 不是有效日期"
    if born.year < 1900 or born > (today or date.today()):
        return f"身份证号第 7–14 位出生日期 {v[6:14]} 不在合理范围内"
    expected = resident_id_check_char(v[:17])
    if v[17] != expected:
        return f"身份证号校验码错误：第 18 位应为 {expected}，实际为 {v[17]}"
    return None


def resident_id_birth_date(value: str) -> date:
    v = normalise_resident_id(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def resident_id_gender(value: str) -> str:
    """Odd sequence digit (position 17) = male."""
    return "男" if int(normalise_resident_id(value)[16]) % 2 else "女"


def mask_resident_id(value: str) -> str:
    """For public answers: never a full ID number (DOMAIN.md §4)."""
    v = normalise_resident_id(value)
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def normalise_credit_code(value: str) -> str:
    return value.translate(_FULL_WIDTH).strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    """GB 32100-2015 统一社会信用代码: 18 characters, check char over the first 17."""
    v = normalise_credit_code(value)
    if len(v) != 18:
        return f"统一社会信用代码应为 18 位，实际为 {len(v)} 位"
    for pos, ch in enumerate(v, start=1):
        if ch not in _CREDIT_ALPHABET:
            return f"统一社会信用代码第 {pos} 位“{ch}”不是允许的字符（不含 I、O、Z、S、V）"
    expected = credit_code_check_char(v[:17])
    if v[17] != expected:
        return f"统一社会信用代码校验码错误：第 18 位应为 {expected}，实际为 {v[17]}"
    if not _ascii_digits(v[2:8]) or v[2:4] not in PROVINCES | {"10"}:  # 10: national bodies
        return f"统一社会信用代码第 3–8 位 {v[2:8]} 不是有效的行政区划代码"
    return None
