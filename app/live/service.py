"""The push channel (Server-Sent Events): what services announce, and how an announcement
travels from a committed transaction to the open streams.

- A service calls `announce(db, topic, event)` inside its transaction. Nothing is sent
  unless and until that transaction commits: a refused or rolled-back action never shows
  on a screen.
- SQLite (one process): after the commit, the hub of this process delivers it.
- PostgreSQL (any number of instances): the announcements are sent with pg_notify in the
  transaction itself, which PostgreSQL delivers to every listener at the commit (and drops
  on a rollback); each instance LISTENs on one connection and hands what arrives to its
  hub (`listen_forever`).

Topics: `registration:{id}` (the candidate's pages) and `session:{id}` (the proctor
consoles of that session). The channel only hurries things up: every page still polls,
less often, so a lost message costs seconds, never correctness."""

import asyncio
import json
import logging
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from app.core.db import get_engine
from app.live.hub import RESYNC, hub

log = logging.getLogger(__name__)

CHANNEL = "jiping_live"
_PENDING = "live.pending"
# What a stream sends when idle, so that proxies keep it open and a dead peer is noticed.
PING_SECONDS = 5


def registration_topic(registration_id: int) -> str:
    return f"registration:{registration_id}"


def session_topic(session_id: int) -> str:
    return f"session:{session_id}"


def announce(db: OrmSession, topic: str, data: dict[str, Any]) -> None:
    """Send `data` to the streams of `topic` once this transaction commits. The same
    message twice in one transaction is sent once (a room-wide pause asks every console
    to refresh once, not once per candidate)."""
    pending: dict[tuple[str, str], None] = db.info.setdefault(_PENDING, {})
    pending[(topic, json.dumps(data, ensure_ascii=False, separators=(",", ":")))] = None


def _is_postgres(db: OrmSession) -> bool:
    bind = db.get_bind()
    return bind.dialect.name == "postgresql"


@event.listens_for(OrmSession, "before_commit")
def _send_with_commit(db: OrmSession) -> None:
    pending = db.info.get(_PENDING)
    if not pending or not _is_postgres(db):
        return
    payloads = [f"{topic}\n{data}" for topic, data in pending]
    db.info.pop(_PENDING, None)
    # One round trip for any number of messages; delivered by PostgreSQL at the commit.
    db.connection().execute(
        text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
        {"channel": CHANNEL, "payloads": payloads},
    )


@event.listens_for(OrmSession, "after_commit")
def _deliver_after_commit(db: OrmSession) -> None:
    pending = db.info.pop(_PENDING, None)
    if pending:
        hub.deliver_threadsafe(list(pending))


@event.listens_for(OrmSession, "after_rollback")
def _drop_on_rollback(db: OrmSession) -> None:
    db.info.pop(_PENDING, None)


def _parse(payload: str) -> tuple[str, str] | None:
    topic, sep, data = payload.partition("\n")
    return (topic, data) if sep else None


async def listen_forever(database_url: str) -> None:
    """PostgreSQL: one LISTEN connection per instance, reconnected when lost. After a
    reconnection every stream is told to resync (what was sent meanwhile is unknown)."""
    conninfo = (
        make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    first = True
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if not first:
                    hub.deliver_all(RESYNC)
                first = False
                async for note in conn.notifies():
                    message = _parse(note.payload)
                    if message is not None:
                        hub.deliver([message])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("push listener lost its PostgreSQL connection; reconnecting")
            await asyncio.sleep(1)


async def start() -> list["asyncio.Task[Any]"]:
    hub.bind(asyncio.get_running_loop())
    tasks: list[asyncio.Task[Any]] = []
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        url = engine.url.render_as_string(hide_password=False)
        tasks.append(asyncio.create_task(listen_forever(url), name="live-listener"))
    return tasks
