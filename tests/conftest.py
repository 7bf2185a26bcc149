"""Test databases: each test gets its own state.

SQLite (default): the schema is built once by the Alembic migrations into a template
file, and each test gets a fresh copy. PostgreSQL (when DATABASE_URL points at it): each
xdist worker gets its own database, migrated once, and every table is emptied after each
test."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("JIPING_ENVIRONMENT", "test")
os.environ.setdefault("JIPING_RUN_SWEEPER", "false")
# Tests run certificate batches themselves (certificates.batches.run_pending).
os.environ.setdefault("JIPING_RUN_CERTIFICATE_BATCHES", "false")
# Photos and other data files of the run: never under the checkout's var/.
os.environ.setdefault("JIPING_DATA_DIR", tempfile.mkdtemp(prefix="jiping-test-data-"))
# xdist workers inherit the controller's folder: each gets its own beneath it, or two
# tests' certificates of the same number (every test numbers from 1) share one file.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["JIPING_DATA_DIR"] = os.path.join(
        os.environ["JIPING_DATA_DIR"], os.environ["PYTEST_XDIST_WORKER"]
    )
# The hasher's low priority is for production (core/security.py); on a CI machine busy with
# the suite's own workers it would only make every login slow.
os.environ.setdefault("JIPING_PASSWORD_HASH_NICENESS", "0")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.core import clock
from app.core.db import make_engine, metadata, set_engine
from app.core.migrate import upgrade_to_head
from app.delivery import questions
from app.exams import blueprints

BASE_URL = os.environ.get("DATABASE_URL", "")
USE_PG = BASE_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _db_template() -> Iterator[str]:
    if USE_PG:
        url = make_url(BASE_URL)
        # Unique per test process: several suites may share one server.
        name = f"jiping_test_{os.getpid()}"
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        test_url = url.set(database=name).render_as_string(hide_password=False)
        upgrade_to_head(test_url)
        yield test_url
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    tmp = Path(tempfile.mkdtemp(prefix="jiping-test-"))
    template = tmp / "template.db"
    upgrade_to_head(f"sqlite:///{template}")
    yield str(template)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def engine(_db_template: str, tmp_path: Path) -> Iterator[Engine]:
    clock.reset()
    # Per-process caches keyed by row ids: every test's database numbers rows from 1.
    questions.forget_views()
    blueprints.forget_pools()
    if USE_PG:
        eng = make_engine(_db_template)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(_db_template, path)
        eng = make_engine(f"sqlite:///{path}")
    set_engine(eng)
    yield eng
    set_engine(None)
    if USE_PG:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()
    clock.reset()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for arranging and checking data directly. Commit what a request must see."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as c:
        yield c
