"""行政区划代码 (GB/T 2260): six digits, province (2) / prefecture (2) / county (2).

A level's digits are "00" when the code names the level above: 340000 is 安徽省,
341000 黄山市, 341002 屯溪区. A region covers the codes that share its named levels, so
the comparison is by levels, never by stripping zeros (341000 黄山 must not cover
341100 滁州, whose digits also begin 341)."""

import re

_CODE = re.compile(r"\d{6}")


def is_division_code(code: str) -> bool:
    """Six digits with a named province (not 00) and no county without its prefecture."""
    if not _CODE.fullmatch(code) or code[:2] == "00":
        return False
    return not (code[2:4] == "00" and code[4:] != "00")


def division_prefix(code: str) -> str:
    """The digits every code under this region begins with: 34, 3410 or 341002."""
    if not is_division_code(code):
        raise ValueError(f"not a division code: {code!r}")
    if code[2:] == "0000":
        return code[:2]
    if code[4:] == "00":
        return code[:4]
    return code


def region_covers(region: str, code: str) -> bool:
    """Whether the division `code` (a centre's) lies within `region` (a regulator's)."""
    return is_division_code(code) and code.startswith(division_prefix(region))
