"""Background work of an app instance: the answer writer and the deadline sweeper.

Safe with several instances over one database: the sweeper skips attempts another
instance holds and never closes an attempt twice."""

import asyncio
import contextlib
import gc
import logging
import sys
from typing import Any

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import session_scope
from app.delivery import service, writer

log = logging.getLogger(__name__)


# Process tuning for the answer path, measured with scripts/bench_saves.py (2 cores,
# SQLite, 50 connections):
# - The writer's thread and the event loop share the GIL. A thread waiting for the GIL gets
#   it after the switch interval (CPython's default 5 ms), and a batch hands the GIL back
#   and forth with every SQLite call and row: at the default, a loaded server spends most of
#   a batch waiting. 0.5 ms: +50% saves/s, a third of the p99.
# - Full (generation 2) garbage collections scan every object of the process, ~90 ms with
#   FastAPI, SQLAlchemy and pydantic loaded, about once a second under load: the p99 was
#   those pauses. Freezing what exists after start-up takes it out of those scans
#   (p99 111 ms -> 32 ms); `stop` unfreezes it so that it can be collected again.
SWITCH_INTERVAL_SECONDS = 0.0005


async def start(settings: Settings) -> list[asyncio.Task[Any]]:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.freeze()
    tasks: list[asyncio.Task[Any]] = [
        writer.start(batch_max=settings.save_batch_max, grace_seconds=settings.answer_grace_seconds)
    ]
    if settings.run_sweeper:
        tasks.append(
            asyncio.create_task(
                sweep_forever(settings.sweep_interval_seconds), name="deadline-sweeper"
            )
        )
    return tasks


async def stop(tasks: list[asyncio.Task[Any]]) -> None:
    # The writer first finishes the saves already queued: they were sent, so they count.
    await writer.stop()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    gc.unfreeze()


def sweep_once() -> int:
    """Close the attempts whose time ran out (their browsers may be gone)."""
    with session_scope() as db:
        closed = service.close_expired_attempts(db, utcnow())
    if closed:
        log.info("deadline sweeper closed %d attempt(s)", closed)
    return closed


async def sweep_forever(interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await asyncio.to_thread(sweep_once)
        except Exception:
            log.exception("deadline sweep failed; trying again in %ss", interval_seconds)
