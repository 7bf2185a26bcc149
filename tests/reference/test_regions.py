"""Region matching by levels: province (2) / prefecture (2) / county (2)."""

import pytest

from app.reference.regions import division_prefix, is_division_code, region_covers


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("340000", "34"),  # 安徽省
        ("100000", "10"),  # a province whose own digits end in zero
        ("341000", "3410"),  # 黄山市: prefecture digits end in zero
        ("341100", "3411"),  # 滁州市
        ("110100", "1101"),  # 北京市市辖区
        ("341010", "341010"),  # a county whose digits end in zero
        ("341002", "341002"),
    ],
)
def test_a_region_names_its_levels(region: str, prefix: str) -> None:
    assert division_prefix(region) == prefix


@pytest.mark.parametrize(
    ("region", "centre", "covered"),
    [
        ("341000", "341100", False),  # 黄山 must not see 滁州
        ("341000", "341102", False),
        ("341000", "341002", True),
        ("341000", "341000", True),
        ("341100", "341000", False),
        ("340000", "341100", True),
        ("340000", "350100", False),
        ("100000", "101000", True),
        ("100000", "110000", False),  # 10 is not 1-anything
        ("341010", "341010", True),
        ("341010", "341011", False),
        ("341010", "341000", False),  # a county does not see its prefecture
        ("341002", "341020", False),
    ],
)
def test_a_region_covers_only_codes_below_it(region: str, centre: str, covered: bool) -> None:
    assert region_covers(region, centre) is covered


@pytest.mark.parametrize(
    "code", ["", "34", "3410", "34100", "3410000", "34100a", "000000", "340012"]
)
def test_malformed_codes_are_not_division_codes(code: str) -> None:
    assert not is_division_code(code)
    with pytest.raises(ValueError):
        division_prefix(code)
