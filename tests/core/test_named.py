"""core.named: functions of modules named, not imported."""

import json
import math

import pytest

from app.core import named


def test_each_named_module_that_has_the_function_gives_it_in_order() -> None:
    assert named.functions("dumps", ("json", "math", "pickle"))[0] is json.dumps
    assert len(named.functions("dumps", ("json", "math", "pickle"))) == 2
    assert named.functions("sqrt", ("json",)) == ()


def test_a_provider_must_have_the_function_and_its_module_must_import() -> None:
    assert named.function("sqrt", "math") is math.sqrt
    with pytest.raises(LookupError, match="json has no sqrt"):
        named.function("sqrt", "json")
    with pytest.raises(ImportError):
        named.functions("anything", ("app.no_such_module",))
