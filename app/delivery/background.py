"""Background work of an app instance: the answer writer, the deadline sweeper, the push
channel's listener and the presence writer (which open exam pages this instance serves).

Safe with several instances over one database: the sweeper skips attempts another
instance holds and never closes an attempt twice."""

import asyncio
import contextlib
import logging
from typing import Any

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import session_scope
from app.delivery import service, writer
from app.live import service as live
from app.live.hub import hub

log = logging.getLogger(__name__)


async def start(settings: Settings) -> list[asyncio.Task[Any]]:
    tasks: list[asyncio.Task[Any]] = [
        writer.start(batch_max=settings.save_batch_max, grace_seconds=settings.answer_grace_seconds)
    ]
    tasks += await live.start()
    tasks.append(asyncio.create_task(presence_forever(), name="presence"))
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


def mark_present_once() -> None:
    """The open streams, and the pages heard from since the last time, are seen now."""
    with session_scope() as db:
        service.mark_present(db, registration_ids=list(hub.present), now=utcnow())


async def presence_forever(interval_seconds: float = service.PRESENCE_INTERVAL_SECONDS) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        if not hub.present and not service.heard_from():
            continue
        try:
            await asyncio.to_thread(mark_present_once)
        except Exception:
            log.exception("presence update failed; trying again in %ss", interval_seconds)
