"""Functions of modules named, not imported: how a domain low in the layers reaches one
above it (certificates' listeners in subsidies, exams' provider in certificates) without
an import that the layering forbids. A bulk issuance's worker process imports only what
it needs, so each module is imported by name at its first use, and only once.

A named module that cannot be imported raises: the action that asked fails rather than
going on without the listener or provider."""

import importlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any


@lru_cache
def functions(name: str, modules: tuple[str, ...]) -> tuple[Callable[..., Any], ...]:
    """The function `name` of each named module that has one, in their order (listeners)."""
    found = []
    for module in modules:
        fn = getattr(importlib.import_module(module), name, None)
        if fn is not None:
            found.append(fn)
    return tuple(found)


def function(name: str, module: str) -> Callable[..., Any]:
    """The one named module's function `name` (a provider); LookupError where it has none."""
    found = functions(name, (module,))
    if not found:
        raise LookupError(f"{module} has no {name}")
    return found[0]
