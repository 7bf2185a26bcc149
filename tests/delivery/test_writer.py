"""The batching answer writer, with its database step replaced: batching, one outcome per
save, failures, and a clean stop. (The real write path is covered by the API tests.)"""

import asyncio
import time
from datetime import datetime

import pytest

from app.core.errors import DomainError
from app.delivery import writer
from app.delivery.errors import NoSuchQuestion, SaveUnavailable
from app.delivery.saves import SaveRequest, SaveResult
from app.delivery.writer import AnswerWriter


def request(seq: int) -> SaveRequest:
    return SaveRequest(position=seq, response={}, flagged=False, seq=seq, registration_id=1)


def fake_apply(batches: list[int]):
    def _apply(self: AnswerWriter, requests: list[SaveRequest]) -> list[SaveResult | DomainError]:
        batches.append(len(requests))
        time.sleep(0.01)  # a commit takes a while: the next batch gathers meanwhile
        return [
            NoSuchQuestion(r.position)
            if r.seq % 2
            else SaveResult(1, r.position, r.seq, datetime(2026, 5, 20), 0, 60, True)
            for r in requests
        ]

    return _apply


def test_concurrent_saves_share_batches_and_get_their_own_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[int] = []
    monkeypatch.setattr(AnswerWriter, "_apply", fake_apply(batches))

    async def run() -> list[SaveResult | BaseException]:
        w = AnswerWriter(batch_max=30, grace_seconds=5)
        w.start()
        results = await asyncio.gather(
            *(w.save(request(n)) for n in range(1, 101)), return_exceptions=True
        )
        await w.stop()
        return results

    results = asyncio.run(run())
    assert sum(batches) == 100 and max(batches) <= 30 and len(batches) < 100
    for n, result in enumerate(results, start=1):
        if n % 2:
            assert isinstance(result, NoSuchQuestion) and f"第 {n} 题" in result.message
        else:
            assert isinstance(result, SaveResult) and result.seq == n


def test_a_failed_batch_answers_every_save_with_retry_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: AnswerWriter, requests: list[SaveRequest]) -> list[SaveResult | DomainError]:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(AnswerWriter, "_apply", broken)

    async def run() -> list[SaveResult | BaseException]:
        w = AnswerWriter(batch_max=10, grace_seconds=5)
        w.start()
        results = await asyncio.gather(
            *(w.save(request(n)) for n in range(1, 4)), return_exceptions=True
        )
        await w.stop()
        return results

    for result in asyncio.run(run()):
        assert isinstance(result, SaveUnavailable) and result.status_code == 503


def test_stop_finishes_the_queued_saves_then_refuses_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[int] = []
    monkeypatch.setattr(AnswerWriter, "_apply", fake_apply(batches))

    async def run() -> tuple[list[object], Exception | None]:
        w = AnswerWriter(batch_max=5, grace_seconds=5)
        w.start()
        pending = [asyncio.ensure_future(w.save(request(2 * n))) for n in range(1, 13)]
        await asyncio.sleep(0)  # queued, not yet applied
        await w.stop()
        late: Exception | None = None
        try:
            await w.save(request(100))
        except SaveUnavailable as exc:
            late = exc
        return [p.result() for p in pending], late

    done, late = asyncio.run(run())
    assert all(isinstance(r, SaveResult) for r in done) and sum(batches) == 12
    assert late is not None


def test_without_a_running_writer_saves_are_refused_for_a_retry() -> None:
    assert writer._writer is None
    with pytest.raises(SaveUnavailable):
        writer.current()
