"""The answer writer: one per process, it commits answer saves in batches.

SQLite takes one writer at a time, and a transaction per save would spend most of its
time taking the lock and syncing the log. Instead each save request waits on a future
while the writer applies everything queued so far in ONE transaction (saves.apply_saves,
Core statements) on its own thread, commits, and only then answers each request: an
acknowledged save is a committed one, and a refused save gets its own error. While one
batch commits, the next one gathers, so batches grow with the load (group commit).

Authentication happens inside the batch too (one indexed lookup of all token digests),
in the transaction that writes: the batch takes SQLite's write lock before its first
read (core.db.begin_write), so a token revoked or an attempt closed meanwhile is seen."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.db import begin_write
from app.core.errors import DomainError
from app.delivery import saves, service
from app.delivery.errors import SaveUnavailable

log = logging.getLogger(__name__)

_Pending = tuple[saves.SaveRequest, "asyncio.Future[saves.SaveResult]"]


class AnswerWriter:
    def __init__(self, *, batch_max: int, grace_seconds: float) -> None:
        self.batch_max = max(1, batch_max)
        self.grace_seconds = grace_seconds
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-writer")
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # Counters for the benchmark and the logs.
        self.batches = 0
        self.saves = 0

    def start(self) -> "asyncio.Task[None]":
        self._task = asyncio.get_running_loop().create_task(self._run(), name="answer-writer")
        return self._task

    async def save(self, request: saves.SaveRequest) -> saves.SaveResult:
        """Queue one save; returns once it is committed, or raises why it was refused."""
        if self._closing or self._task is None:
            raise SaveUnavailable("服务正在重启，答案已暂存在本页，稍后自动重试")
        future: asyncio.Future[saves.SaveResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((request, future))
        return await future

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        self._closing = True
        self._queue.put_nowait(None)
        await self._task
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.batch_max and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            await self._flush(batch)

    async def _flush(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        requests = [request for request, _ in batch]
        try:
            results = await loop.run_in_executor(self._executor, self._apply, requests)
        except Exception:
            log.exception("answer batch of %d failed; the pages will retry", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(SaveUnavailable())
            return
        self.batches += 1
        self.saves += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the client went away; the save stands
                continue
            if isinstance(result, DomainError):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _apply(self, requests: list[saves.SaveRequest]) -> list[saves.SaveResult | DomainError]:
        with begin_write() as conn:
            outcome = saves.apply_saves(
                conn, requests, now=utcnow(), grace_seconds=self.grace_seconds
            )
            if outcome.expired_attempt_ids:
                _close_timed_out(conn, outcome.expired_attempt_ids)
        return outcome.results


def _close_timed_out(conn: Connection, attempt_ids: set[int]) -> None:
    """Close the attempts whose time ran out, in the batch's transaction but in a savepoint:
    if closing fails, the batch still commits and the sweeper closes them later."""
    with Session(bind=conn, join_transaction_mode="create_savepoint") as db:
        try:
            service.close_timed_out(db, attempt_ids)
            db.commit()
        except Exception:
            db.rollback()
            log.exception("closing timed-out attempts %s failed; the sweeper retries", attempt_ids)


_writer: AnswerWriter | None = None


def start(*, batch_max: int, grace_seconds: float) -> "asyncio.Task[None]":
    global _writer
    _writer = AnswerWriter(batch_max=batch_max, grace_seconds=grace_seconds)
    return _writer.start()


async def stop() -> None:
    global _writer
    if _writer is not None:
        await _writer.stop()
        _writer = None


def current() -> AnswerWriter:
    """The running writer; saves are refused (and retried by the page) without one."""
    if _writer is None:
        raise SaveUnavailable("服务正在启动，答案已暂存在本页，稍后自动重试")
    return _writer
