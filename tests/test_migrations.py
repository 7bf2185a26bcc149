"""The schema comes only from Alembic migrations, and they match the models."""

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

import app.models  # noqa: F401
from app.core.db import metadata
from app.core.migrate import alembic_config


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_table_exists_after_upgrade(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_blueprints_made_before_section_points_keep_their_meaning(tmp_path: Path) -> None:
    """Their sections drew only items whose own points equalled the section's: after the
    migration they carry that filter explicitly (new sections draw any item)."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    command.upgrade(config, "be93760b2e94")
    engine = create_engine(url)
    sections = [{"item_type": "single_choice", "count": 40, "points": 1.5}]
    now = "'2026-11-01 00:00:00'"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO evaluationcentre VALUES (1, '中心', '91110000MA0000000X', 'S',"
                f" '', '11', '110000', '', {now})"
            )
        )
        conn.execute(text("INSERT INTO occupation VALUES (1, '6-31-01-03', '电工', '')"))
        conn.execute(
            text(
                "INSERT INTO questionbank VALUES (1, 1, 'B', '题库', 1, '[]', '[]', '', '',"
                f" {now}, {now})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO blueprint (id, centre_id, bank_id, name, occupation_id, level_code,"
                " component, sections, area_weights, difficulty_mix, multiple_choice_rule,"
                " time_limit_minutes, pass_mark, created_at) VALUES (1, 1, 1, '旧方案', 1,"
                " 'intermediate', 'theory', :s, '{\"A\": 100}', '{}', 'partial', 90, 60,"
                " '2026-11-01 00:00:00')"
            ),
            {"s": json.dumps(sections)},
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT sections, core_min_share, mandatory_points FROM blueprint")
        ).one()
    assert json.loads(row[0]) == [{**sections[0], "only_item_points": 1.5}]
    assert (json.loads(row[1]), json.loads(row[2])) == ({}, [])
    engine.dispose()
