"""Bring a database to the newest schema (Alembic `upgrade head`)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    cfg = Config(toml_file=str(ROOT / "pyproject.toml"))
    cfg.attributes["url"] = url
    return cfg


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
