"""Engine and sessions. The request owns the transaction: services flush, never commit.

One rule decides how a request's transaction ends, in one place (`RequestTransaction`,
installed as ASGI middleware): when the response starts, a status below 400 commits and
any status of 400 or more rolls back. It keys off the status, not off an exception, because
pages catch domain errors and render a 4xx form with the problems; whatever the service
had flushed before refusing must not be committed by that page. The commit happens before
the first byte of the response is sent, so an acknowledged change is a committed one; a
failed commit turns into a 500 instead of the response."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.lowlevel import RunVar
from fastapi import Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


_KEPT = "jiping_kept_if_refused"


def keep_if_refused(db: Session, row: SQLModel) -> None:
    """Write `row` even when this unit of work is refused (rolled back).

    For records of the refusal itself, such as a failed login counted for throttling: the
    refused request changes nothing else, and the record is written in its own short
    transaction after the rollback. (After, not beside: on SQLite the refused request
    holds the one write lock until its rollback.) When the unit of work commits, the row
    is part of it."""
    db.info.setdefault(_KEPT, []).append(row)


def _end(session: Session, *, commit: bool) -> None:
    """Commit or roll back a unit of work, then write its rows kept despite a refusal."""
    kept: list[SQLModel] = session.info.pop(_KEPT, [])
    if commit:
        session.add_all(kept)
        session.commit()
        return
    session.rollback()
    if kept:
        with Session(session.get_bind(), expire_on_commit=False) as own:
            own.add_all(kept)
            own.commit()


class _Transaction:
    """The database session of one HTTP request, opened by the first dependency that needs
    it and ended by the middleware when the response starts (or when the request fails)."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self._slots: anyio.Semaphore | None = None

    async def open(self) -> Session:
        if self.session is None:
            slots = _db_slots()
            await slots.acquire()
            self._slots = slots
            self.session = Session(get_engine(), expire_on_commit=False)
        return self.session

    async def end(self, *, commit: bool) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        # Shielded: a client going away must not leave a transaction (and on SQLite the
        # write lock) open, nor a database slot taken.
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(lambda: _end(session, commit=commit))
            except BaseException:
                await anyio.to_thread.run_sync(session.rollback)
                raise
            finally:
                await anyio.to_thread.run_sync(session.close)
                if self._slots is not None:
                    self._slots.release()
                    self._slots = None


class RequestTransaction:
    """ASGI middleware: one transaction per HTTP request; see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tx = _Transaction()
        scope.setdefault("state", {})["transaction"] = tx

        async def send_after_ending(message: Message) -> None:
            if message["type"] == "http.response.start":
                await tx.end(commit=message["status"] < 400)
            await send(message)

        try:
            await self.app(scope, receive, send_after_ending)
        finally:
            await tx.end(commit=False)  # the request failed before its response started


async def request_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency (used with scope="function"): the request's session. Raising in
    the handler rolls back at once; otherwise the response's status decides (see above)."""
    tx = getattr(request.state, "transaction", None)
    if not isinstance(tx, _Transaction):
        raise RuntimeError("RequestTransaction middleware is not installed")
    session = await tx.open()
    try:
        yield session
    except BaseException:
        await tx.end(commit=False)
        raise


@contextmanager
def session_scope() -> Iterator[Session]:
    """The same unit of work outside a request (CLI, background sweeper)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            _end(session, commit=False)
            raise
        _end(session, commit=True)
