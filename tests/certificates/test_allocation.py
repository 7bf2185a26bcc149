"""Certificate serials (流水号) are unique and gap-free per prefix (which holds the year),
also when two processes issue at once: certificates.service.allocate_serial, on the
database the run uses (SQLite by default, PostgreSQL when DATABASE_URL points at it)."""

import multiprocessing
import queue
import time
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.certificates import service
from app.certificates.models import CertificateSerial
from app.core.db import make_engine, session_scope, set_engine

PREFIX = "S000134000123264"  # a national prefix: S 0001 34 000123, 2026, 四级
PER_PROCESS = 50
ROLL_BACK_EVERY = 7  # every 7th issue fails after taking its serial (a render error, say)


class _IssueFailed(Exception):
    pass


def _issue_many(url: str, prefix: str, count: int, start: Any, out: Any) -> None:
    """A second issuing process: its own engine, `count` committed serials, each in its
    own short transaction, with some transactions rolled back after taking a serial."""
    engine = make_engine(url)
    set_engine(engine)
    committed: list[int] = []
    attempts = 0
    try:
        start.wait(timeout=60)
        while len(committed) < count:
            attempts += 1
            taken = 0
            try:
                with session_scope() as db:
                    taken = service.allocate_serial(db, prefix)
                    if attempts % ROLL_BACK_EVERY == 0:
                        raise _IssueFailed
            except _IssueFailed:
                continue
            committed.append(taken)
            time.sleep(0.005)  # a worker renders between issues; the other process issues then
        out.put(("ok", committed))
    except Exception as exc:  # reported to the test, which fails with it
        out.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


def _last_serial(engine: Engine, prefix: str) -> int | None:
    with Session(engine) as db:
        row = db.exec(select(CertificateSerial).where(CertificateSerial.prefix == prefix)).first()
        return row.last_serial if row else None


def test_two_processes_issuing_at_once_get_every_serial_once(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_issue_many, args=(url, PREFIX, PER_PROCESS, start, out))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    try:
        reports = [out.get(timeout=240) for _ in workers]
    except queue.Empty:
        pytest.fail("an issuing process did not finish within 240 s (a lock never released?)")
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.terminate()
    errors = [detail for state, detail in reports if state != "ok"]
    assert not errors, errors
    first, second = (serials for _, serials in reports)

    together = first + second
    assert len(together) == len(set(together)), "a serial was given twice"
    assert sorted(together) == list(range(1, 2 * PER_PROCESS + 1)), "serials skipped"
    # Each process saw its own serials rise, and the two really ran at once.
    assert first == sorted(first) and second == sorted(second)
    assert max(first) > min(second) and max(second) > min(first), "they did not interleave"
    assert _last_serial(engine, PREFIX) == 2 * PER_PROCESS


def test_a_rolled_back_issue_gives_its_serial_back(engine: Engine) -> None:
    with session_scope() as db:
        assert service.allocate_serial(db, PREFIX) == 1
    with pytest.raises(_IssueFailed), session_scope() as db:
        assert service.allocate_serial(db, PREFIX) == 2
        assert service.allocate_serial(db, PREFIX) == 3
        raise _IssueFailed
    with session_scope() as db:
        assert service.allocate_serial(db, PREFIX) == 2
    assert _last_serial(engine, PREFIX) == 2


def test_the_first_issue_under_a_prefix_rolled_back_leaves_no_trace(engine: Engine) -> None:
    with pytest.raises(_IssueFailed), session_scope() as db:
        service.allocate_serial(db, PREFIX)
        raise _IssueFailed
    assert _last_serial(engine, PREFIX) is None
    with session_scope() as db:
        assert service.allocate_serial(db, PREFIX) == 1


def test_each_prefix_counts_on_its_own(engine: Engine) -> None:
    four_2026, three_2026, four_2027 = (
        "S000134000123264",
        "S000134000123263",
        "S000134000123274",
    )
    with session_scope() as db:
        taken = [
            service.allocate_serial(db, p)
            for p in (four_2026, four_2026, three_2026, four_2027, four_2026, three_2026)
        ]
    assert taken == [1, 2, 1, 1, 3, 2]
    assert [_last_serial(engine, p) for p in (four_2026, three_2026, four_2027)] == [3, 2, 1]


def test_serials_in_one_transaction_run_on(engine: Engine) -> None:
    # A batch may number several certificates before it commits.
    with session_scope() as db:
        assert [service.allocate_serial(db, PREFIX) for _ in range(5)] == [1, 2, 3, 4, 5]
    with session_scope() as db:
        assert service.allocate_serial(db, PREFIX) == 6
