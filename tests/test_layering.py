"""The dependency rule of README's "How the code is organised", as import-linter contracts
in pyproject.toml: core depends on nothing of ours, web and api on the services, never
the reverse, domains one way, pure rule modules on no model and no database."""

import tomllib
from pathlib import Path
from typing import Any

from importlinter import cli

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        config: dict[str, Any] = tomllib.load(f)["tool"]["importlinter"]
    return config


def test_the_import_contracts_are_kept() -> None:
    assert cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_the_contracts_list_no_exceptions() -> None:
    for contract in _config()["contracts"]:
        assert not contract.get("ignore_imports"), contract["name"]
        assert not contract.get("unmatched_ignore_imports_alerting"), contract["name"]


def test_every_part_of_app_has_a_layer() -> None:
    # A new domain must be given its place in the layering, or the contract would not
    # look at it.
    [layers] = [c for c in _config()["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    parts = {
        f"app.{p.stem}"
        for p in (ROOT / "app").iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem != "__init__")
    }
    assert parts == placed
