"""Engine and sessions. The request owns the transaction: services flush, never commit.

One rule decides how a request's transaction ends, in one place (`RequestTransaction`,
installed as ASGI middleware): when the response starts, a status below 400 commits and
any status of 400 or more rolls back. It keys off the status, not off an exception, because
pages catch domain errors and render a 4xx form with the problems; whatever the service
had flushed before refusing must not be committed by that page. The commit happens before
the first byte of the response is sent, so an acknowledged change is a committed one; a
failed commit turns into a 500 instead of the response."""

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
import orjson
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection, Engine
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


def json_text(value: Any) -> str:
    """How JSON columns are written: orjson (a tenth of json.dumps' time; an attempt's
    start writes 100-200 option orders, every answer save a response and an event), with
    text as itself rather than \\u escapes. What orjson refuses (an integer beyond 64 bits
    in someone's answer) goes through json.dumps as before, so a save never fails on it."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def json_value(text: str | bytes) -> Any:
    """How JSON columns are read: orjson (the exam page reads its 100-200 option orders at
    every load; psycopg hands it bytes), except text with a number of 19 digits or more, which json.loads reads:
    orjson would turn an integer beyond 64 bits into an approximate float."""
    long = _LONG_NUMBER_BYTES.search(text) if isinstance(text, bytes) else _LONG_NUMBER.search(text)
    if long:
        return json.loads(text)
    return orjson.loads(text)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=json_text,
            json_deserializer=json_value,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=json_text,
        json_deserializer=json_value,
    )


# --- SQLite's one write lock --------------------------------------------------------------
# SQLite (WAL) lets any number of readers run beside one writer. The rule here:
# - A transaction starts as a READ (deferred `BEGIN`): it takes no lock, so a request that
#   only reads, or that reads and then hashes a password or parses an upload, never holds
#   up a writer (the answer writer above all).
# - At its FIRST WRITE (INSERT/UPDATE/DELETE/DDL, or a SELECT ... FOR UPDATE: a read that a
#   write will depend on) it becomes a WRITE: the read part is ended and `BEGIN IMMEDIATE`
#   waits its turn for the lock (busy_timeout), then the statement runs. Upgrading the
#   deferred transaction in place instead would fail at once with SQLITE_BUSY(_SNAPSHOT)
#   whenever another writer committed since its first read, without waiting.
# - So what was read before the first write may be older than the write, exactly as under
#   PostgreSQL's READ COMMITTED: a read that a write depends on is `with_for_update()`,
#   which on PostgreSQL locks the row and here takes the write lock before it reads.
# - A unit of work known to write from its start (the answer writer, the sweeper) says so
#   with `begin_write` / `session_scope(write=True)`: it takes the lock at its first
#   statement, so its reads are those of its write.
# The write part of a transaction lasts from its first write to its commit: keep expensive
# work (argon2, parsing uploads, rendering) before the first write.

_TX = "jiping_tx"  # connection.info key: "idle", "read", "write", or "write-intent"
# A savepoint is taken only around writes (and a COMMIT of the read part would end it).
_WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT")


def _writes(statement: str, context: Any) -> bool:
    if statement.lstrip()[:9].upper().startswith(_WRITE_WORDS):
        return True
    if context is None:
        return False
    if context.isinsert or context.isupdate or context.isdelete:
        return True
    compiled = getattr(context, "compiled", None)
    stmt = getattr(compiled, "statement", None)
    return getattr(stmt, "_for_update_arg", None) is not None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see _before_statement).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # The transaction's BEGIN is sent with its first statement, once it is known
        # whether that statement writes.
        conn.info[_TX] = "idle"

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Connection) -> None:
        conn.info[_TX] = "idle"

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(
        conn: Connection, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        state = conn.info.get(_TX, "idle")
        if state == "write":
            return
        if state == "write-intent":
            cursor.execute("BEGIN IMMEDIATE")
            conn.info[_TX] = "write"
        elif not _writes(statement, context):
            if state == "idle":
                cursor.execute("BEGIN")
                conn.info[_TX] = "read"
        else:
            if state == "read":
                cursor.execute("COMMIT")  # the read part ends; it wrote nothing
            cursor.execute("BEGIN IMMEDIATE")
            conn.info[_TX] = "write"


def declare_write(conn: Connection) -> None:
    """This transaction will write: on SQLite it takes the write lock at its first
    statement. Call before the transaction's first statement."""
    if conn.dialect.name == "sqlite" and conn.info.get(_TX, "idle") == "idle":
        conn.info[_TX] = "write-intent"


@contextmanager
def begin_write(engine: Engine | None = None) -> Iterator[Connection]:
    """A Core transaction that writes from its start (the answer writer): on SQLite it
    waits for the write lock before its first read, so what it reads is what it writes."""
    with (engine or get_engine()).connect() as conn, conn.begin():
        declare_write(conn)
        yield conn


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
# the event loop, holding no worker thread. A request holding SQLite's write lock still
# needs worker threads (its handler, the response, the commit): if requests waiting for
# the lock held all the worker threads (40), the holder could never finish. Kept well
# below the thread limit and the connection pool. On SQLite, 4: one process serialises
# the writes and the GIL the Python work, so more threads only add switching between
# them; at the exam-start rush 8 slots cost ~1.5x the server CPU per candidate of 4
# (scripts/bench_rush.py, 300 candidates: 27 vs 16-18 ms), and the answer saves, which
# take no slot (their own writer), got the write lock less often (p99 600 vs 110 ms).
DB_SLOTS_SQLITE = 4
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


def _end_and_close(session: Session, commit: bool) -> None:
    try:
        _end(session, commit=commit)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_ENDED = "jiping_ended_in_handler"


def end_in_handler(session: Session) -> None:
    """Commit and close the request's unit of work now, in the (sync) handler's own worker
    thread, for a hot route that knows it will answer with success: the middleware then
    has nothing left to do and spares the request a thread hop of its own (each costs
    about two trivial requests of CPU; scripts/bench_rush.py). Call it last, just before
    returning the success response: a handler that may still refuse must not."""
    _end_and_close(session, True)
    session.info[_ENDED] = True


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
        if session.info.get(_ENDED) and not session.in_transaction():
            if self._slots is not None:
                self._slots.release()
                self._slots = None
            return
        # Shielded: a client going away must not leave a transaction (and on SQLite the
        # write lock) open, nor a database slot taken. One worker thread for the commit
        # and the close: each hop to a thread and back costs about a trivial request.
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(_end_and_close, session, commit)
            finally:
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
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """The same unit of work outside a request (CLI, background sweeper). `write=True`: it
    writes from its start (see begin_write)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        if write:
            declare_write(session.connection())
        try:
            yield session
        except BaseException:
            _end(session, commit=False)
            raise
        _end(session, commit=True)


SessionDep = Annotated[Session, Depends(request_session, scope="function")]
