"""Engine and sessions. The request owns the transaction: services flush, never commit;
`request_session` commits when the handler returns (before the response is sent, so an
acknowledged change is a committed one) and rolls back when it raises."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.lowlevel import RunVar
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from app.core.config import get_settings

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

_engine: Engine | None = None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # SQLite takes one writer at a time. A deferred transaction that reads and then
        # writes can fail at once with SQLITE_BUSY instead of waiting; taking the write
        # lock up front makes every transaction wait its turn (busy_timeout) instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Tests and the CLI point the app at another database."""
    global _engine
    _engine = engine


# At most this many requests work with the database at once; the others wait here, on
# the event loop, holding no worker thread. On SQLite every transaction holds the one write
# lock, and a request holding it still needs worker threads (its handler, the response,
# the commit): if the requests waiting for the lock held all the worker threads (40), the
# holder could never finish. Kept well below the thread limit and the connection pool.
DB_SLOTS_SQLITE = 8
DB_SLOTS_OTHER = 30
_slots: RunVar[anyio.Semaphore] = RunVar("jiping_db_slots")  # one per event loop


def _db_slots() -> anyio.Semaphore:
    try:
        return _slots.get()
    except LookupError:
        sqlite = get_engine().dialect.name == "sqlite"
        slots = anyio.Semaphore(DB_SLOTS_SQLITE if sqlite else DB_SLOTS_OTHER)
        _slots.set(slots)
        return slots


async def request_session() -> AsyncIterator[Session]:
    """FastAPI dependency (used with scope="function"): one transaction per request."""
    async with _db_slots():
        session = Session(get_engine(), expire_on_commit=False)
        try:
            yield session
            await anyio.to_thread.run_sync(session.commit)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.rollback)
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close)


@contextmanager
def session_scope() -> Iterator[Session]:
    """The same unit of work outside a request (CLI, background sweeper)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
