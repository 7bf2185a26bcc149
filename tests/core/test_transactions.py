"""SQLite's one write lock (app/core/db.py): reads never take it, a transaction takes it at
its first write and then waits its turn instead of failing, and the expensive parts of a
request (password hashing, parsing uploads) run while the request holds no lock.

A "probe" is another connection that takes the write lock with a short timeout: it fails
with "database is locked" exactly when someone else holds the lock."""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, Table, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sql_select

from app.accounts.models import LoginFailure, Role
from app.core.db import begin_write
from tests.conftest import USE_PG
from tests.factories import bank_yaml, make_centre, make_exam, make_occupations, make_staff
from tests.helpers import page_login

pytestmark = pytest.mark.skipif(USE_PG, reason="SQLite's locking; PostgreSQL locks rows")


def _db_file(engine: Engine) -> str:
    assert engine.url.database
    return engine.url.database


def lock_is_free(engine: Engine) -> bool:
    """True if another connection can take the write lock within 0.3 s."""
    probe = sqlite3.connect(_db_file(engine), timeout=0.3, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        probe.close()


@pytest.fixture
def counter(engine: Engine) -> Iterator[Table]:
    table = Table(
        "tx_counter", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer)
    )
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert().values(id=1, n=0))
    yield table


def test_a_reading_transaction_leaves_the_lock_free(engine: Engine, counter: Table) -> None:
    with Session(engine) as db:
        assert db.execute(select(counter.c.n)).scalar_one() == 0  # transaction open, read
        assert lock_is_free(engine)
        db.execute(update(counter).values(n=1))
        assert not lock_is_free(engine)  # its first write took the lock
        db.commit()
    assert lock_is_free(engine)


def test_a_read_then_write_waits_for_a_busy_lock_even_after_others_committed(
    engine: Engine, counter: Table
) -> None:
    """In WAL a deferred transaction that read and then writes fails at once (BUSY /
    BUSY_SNAPSHOT) if another writer committed since its read or holds the lock; the
    rule here makes it wait and succeed."""
    other = sqlite3.connect(_db_file(engine), isolation_level=None, check_same_thread=False)
    with Session(engine) as db:
        assert db.execute(select(counter.c.n)).scalar_one() == 0
        other.execute("UPDATE tx_counter SET n = 10")  # committed after our read
        other.execute("BEGIN IMMEDIATE")  # and now holds the lock for a while
        threading.Timer(0.4, other.execute, args=("COMMIT",)).start()
        started = time.monotonic()
        db.execute(update(counter).values(n=counter.c.n + 1))
        waited = time.monotonic() - started
        db.commit()
    other.close()
    assert waited >= 0.3
    with engine.connect() as conn:
        assert conn.execute(select(counter.c.n)).scalar_one() == 11


def test_for_update_reads_after_taking_the_lock_so_no_update_is_lost(
    engine: Engine, counter: Table
) -> None:
    def increment() -> None:
        with Session(engine) as db:
            n = db.execute(select(counter.c.n).with_for_update()).scalar_one()
            time.sleep(0.1)  # the other thread's read comes in here
            db.execute(update(counter).values(n=n + 1))
            db.commit()

    threads = [threading.Thread(target=increment) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        assert conn.execute(select(counter.c.n)).scalar_one() == 4


def test_a_unit_of_work_declared_as_writing_takes_the_lock_at_its_first_read(
    engine: Engine, counter: Table
) -> None:
    with begin_write(engine) as conn:
        conn.execute(select(counter.c.n)).scalar_one()
        assert not lock_is_free(engine)
    assert lock_is_free(engine)
    with engine.connect() as conn:  # and a savepoint, taken around writes, too
        conn.execute(text("SELECT 1"))
        with conn.begin_nested():
            assert not lock_is_free(engine)
        conn.rollback()


def _probing(monkeypatch: pytest.MonkeyPatch, engine: Engine, target: Any, name: str) -> list[bool]:
    """Wrap target.name so that each call first records whether the lock is free."""
    seen: list[bool] = []
    real: Callable[..., Any] = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.append(lock_is_free(engine))
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return seen


def test_password_hashing_holds_no_lock(
    client: TestClient, db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.accounts import service as accounts

    centre = make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="hasher")
    db.commit()
    seen = _probing(monkeypatch, engine, accounts, "verify_password")
    r = client.post("/api/v1/auth/login", json={"username": "hasher", "password": "wrong-pass"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-pass"})
    assert r.status_code == 401
    assert seen == [True, True]
    assert len(db.exec(sql_select(LoginFailure)).all()) == 2  # the refusals were still recorded


def test_parsing_an_uploaded_bank_holds_no_lock(
    client: TestClient, db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.banks import service as banks

    centre = make_centre(db)
    make_occupations(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="importer")
    db.commit()
    seen = _probing(monkeypatch, engine, banks.bank_format, "parse_bank_file")
    csrf = page_login(client, "importer")
    content = bank_yaml(code="LOCK-FREE").encode()
    r = client.post(
        "/banks/import",
        data={"csrf_token": csrf},
        files={"file": ("lock.yaml", content)},
        follow_redirects=False,
    )
    assert r.status_code in (200, 303), r.text
    assert seen == [True]


def test_parsing_an_uploaded_roster_holds_no_lock(
    client: TestClient, db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.exams import registrations
    from tests.exams.test_pages import roster
    from tests.factories import valid_resident_id

    fx = make_exam(db, candidates=1)
    db.commit()
    seen = _probing(monkeypatch, engine, registrations.roster, "read_roster")
    csrf = page_login(client, fx.admin.username)
    r = client.post(
        f"/sessions/{fx.session.id}/registrations/excel",
        data={"csrf_token": csrf},
        files={
            "file": ("名单.xlsx", roster([["许十三", valid_resident_id(913, birth="19851231")]]))
        },
        follow_redirects=False,
    )
    assert r.status_code == 200 and "已导入 1 名考生" in r.text, r.text
    assert seen == [True]
