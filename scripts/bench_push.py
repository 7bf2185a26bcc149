"""Benchmark of the push channel (a benchmark, not a test).

Starts the real service (`uvicorn app.main:app`, one process) on 127.0.0.1 over a fresh
SQLite file (or --database-url), seeds one session with N candidates whose attempts are
started, logs each in, opens N Server-Sent Events streams (GET /api/v1/exam/stream, one
per candidate, as N exam pages would), and measures:

- memory per open channel (the server's resident memory before and after opening them);
- CPU while idle with the channels open (pings, presence writes) against the same
  process idle with none;
- the time from the proctor's room-wide pause (POST /api/v1/proctor/sessions/{id}/pause)
  until every one of the N streams has received its pause, with the spread of arrivals;
- a same-run baseline: the latency of a trivial endpoint (GET /healthz) on the same
  server, and the ratio of the fan-out time to it.

    .venv/bin/python scripts/bench_push.py                    # 1,000 channels
    .venv/bin/python scripts/bench_push.py --channels 200
    .venv/bin/python scripts/bench_push.py --database-url postgresql+psycopg://...

The client side speaks plain HTTP/1.1 over asyncio streams in this process."""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_saves import cpu_seconds, free_port, http_json, start_server  # noqa: E402


def seed(
    database_url: str, candidates: int, room_size: int
) -> tuple[list[tuple[str, str]], str, list[int]]:
    """Rooms of `room_size` (a session holds at most 999 seats) in one plan, every
    attempt started. Returns the logins, a proctor's username and the session ids."""
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")
    from app.core.db import make_engine, set_engine
    from app.core.migrate import upgrade_to_head

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    set_engine(engine)
    from sqlmodel import Session

    from app.accounts.principals import CandidateLogin
    from app.delivery import service as delivery
    from tests.factories import (
        Seat,
        make_candidate,
        make_exam,
        make_registration,
        make_session,
        valid_resident_id,
    )

    logins = []
    with Session(engine, expire_on_commit=False) as db:
        exam = make_exam(
            db,
            candidates=min(candidates, room_size),
            require_checkin=False,
            duration_minutes=240,
            late_entry_minutes=240,
        )
        seats = list(exam.seats)
        sessions = [exam.session]
        while len(seats) < candidates:
            session = make_session(
                db,
                exam.plan,
                admin=exam.admin,
                proctors=exam.proctors,
                duration_minutes=240,
                room=f"第{len(sessions) + 1}考场",
            )
            sessions.append(session)
            for _ in range(min(room_size, candidates - len(seats))):
                # The factories' ID numbers repeat after 1,000: another birth year.
                k = len(seats)
                id_number = valid_resident_id(k % 1000, birth=f"{1970 + k // 1000}0101")
                cand = make_candidate(db, exam.centre, admin=exam.admin, id_number=id_number)
                reg = make_registration(db, session, admin=exam.admin, candidate=cand)
                seats.append(Seat(reg, cand))
        for seat in seats:
            reg, cand = seat.registration, seat.candidate
            assert reg.id is not None and cand.id is not None
            delivery.start_attempt(
                db,
                login=CandidateLogin(reg.id, cand.id, reg.centre_id, reg.session_id, cand.name),
            )
            logins.append((seat.ticket_number, seat.id_number))
        db.commit()
        proctor = exam.proctor.username
        session_ids = [s.id or 0 for s in sessions]
    engine.dispose()
    return logins, proctor, session_ids


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Channel:
    def __init__(self, token: str) -> None:
        self.token = token
        self.writer: asyncio.StreamWriter | None = None
        self.paused_at: float | None = None
        self.opened = asyncio.Event()
        self.paused = asyncio.Event()

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer = writer
        writer.write(
            (
                "GET /api/v1/exam/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return
            if b'"kind":"hello"' in line or b'"kind": "hello"' in line:
                self.opened.set()
            elif b'"kind":"pause"' in line:
                self.paused_at = time.perf_counter()
                self.paused.set()


def idle_cpu(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds * 100


async def healthz_latency(port: int, n: int) -> list[float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    took = []
    for _ in range(n):
        start = time.perf_counter()
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        length = 0
        while True:
            line = await reader.readline()
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b""):
                break
        await reader.readexactly(length)
        took.append((time.perf_counter() - start) * 1000)
    writer.close()
    return took


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(
    args: argparse.Namespace,
    pid: int,
    port: int,
    tokens: list[str],
    staff: str,
    session_ids: list[int],
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    await asyncio.sleep(1)
    rss_before = rss_kib(pid)
    cpu_none = await asyncio.to_thread(idle_cpu, pid, args.idle_seconds)
    channels = [Channel(t) for t in tokens]
    tasks = []
    opened_from = time.perf_counter()
    for i in range(0, len(channels), 100):  # a room logging in, not one burst
        for ch in channels[i : i + 100]:
            tasks.append(asyncio.create_task(ch.run(port)))
        await asyncio.gather(*(ch.opened.wait() for ch in channels[i : i + 100]))
    open_seconds = time.perf_counter() - opened_from
    await asyncio.sleep(2)
    rss_after = rss_kib(pid)
    cpu_open = await asyncio.to_thread(idle_cpu, pid, args.idle_seconds)
    baseline = await healthz_latency(port, 200)

    # Every room's proctor presses 全场暂停 at the same moment.
    sent = time.perf_counter()
    answers = await asyncio.gather(
        *(
            asyncio.to_thread(
                http_json,
                base,
                "POST",
                f"/api/v1/proctor/sessions/{session_id}/pause",
                {"reason": "全场暂停（基准测试）"},
                staff,
            )
            for session_id in session_ids
        )
    )
    answered = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(ch.paused.wait() for ch in channels)), 60)
    arrivals = [((ch.paused_at or 0) - sent) * 1000 for ch in channels]
    for task in tasks:
        task.cancel()
    return {
        "channels": len(channels),
        "paused": sum(a["count"] for a in answers),
        "rooms": len(session_ids),
        "open_seconds": open_seconds,
        "rss_before_mib": rss_before / 1024,
        "rss_after_mib": rss_after / 1024,
        "kib_per_channel": (rss_after - rss_before) / len(channels),
        "cpu_idle_none": cpu_none,
        "cpu_idle_open": cpu_open,
        "pause_response_ms": (answered - sent) * 1000,
        "arrival_p50_ms": pct(arrivals, 50),
        "arrival_p99_ms": pct(arrivals, 99),
        "arrival_all_ms": max(arrivals),
        "healthz_p50_ms": statistics.median(baseline),
        "healthz_p99_ms": pct(baseline, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--room-size", type=int, default=500, help="candidates per session")
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="jiping-bench-push-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    print(f"seeding {args.channels} started attempts on {url.split('@')[-1]} …", flush=True)
    t0 = time.perf_counter()
    logins, proctor, session_ids = seed(url, args.channels, args.room_size)
    print(f"  seeded in {time.perf_counter() - t0:.1f} s", flush=True)

    port = free_port()
    server_args = argparse.Namespace(
        app="app.main:app", workers=1, loop="uvloop", http="httptools", no_sweeper=True
    )
    proc = start_server(server_args, url, port)
    try:
        base = f"http://127.0.0.1:{port}"
        tokens = [
            http_json(
                base, "POST", "/api/v1/auth/candidate-login", {"ticket_number": t, "id_number": i}
            )["token"]
            for t, i in logins
        ]
        from tests.factories import PASSWORD

        staff = http_json(
            base, "POST", "/api/v1/auth/login", {"username": proctor, "password": PASSWORD}
        )["token"]
        r = asyncio.run(bench(args, proc.pid, port, tokens, staff, session_ids))
    finally:
        proc.terminate()
        proc.wait(10)

    ratio = r["arrival_all_ms"] / r["healthz_p50_ms"]
    print(f"""
push channel, one uvicorn process, {r["channels"]} open SSE channels
  opening them (100 at a time)   {r["open_seconds"]:.1f} s
  server memory                  {r["rss_before_mib"]:.0f} MiB -> {r["rss_after_mib"]:.0f} MiB
  memory per channel             {r["kib_per_channel"]:.1f} KiB
  CPU idle, no channels          {r["cpu_idle_none"]:.1f} % of a core
  CPU idle, channels open        {r["cpu_idle_open"]:.1f} % of a core
room-wide pause in {r["rooms"]} room(s) at once, {r["paused"]} attempts
  POSTs answered after           {r["pause_response_ms"]:.0f} ms
  reached p50 / p99 / all        {r["arrival_p50_ms"]:.0f} / {r["arrival_p99_ms"]:.0f} / {r["arrival_all_ms"]:.0f} ms
baseline (same server, same run): GET /healthz p50 {r["healthz_p50_ms"]:.2f} ms, p99 {r["healthz_p99_ms"]:.2f} ms
  ratio: pause reaching all {r["channels"]} / one trivial request = {ratio:.0f}x
  aim: all within 2,000 ms -> {"met" if r["arrival_all_ms"] < 2000 else "NOT met"}""")


if __name__ == "__main__":
    main()
