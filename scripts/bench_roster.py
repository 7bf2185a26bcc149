"""Benchmark of the proctor console's poll (a benchmark, not a test).

The console asks for its roster fragment every 3 s (GET /proctor/sessions/{id} with
HX-Request), for as long as the exam runs, while the room's answer events pile up. This
script seeds a room of --room candidates with started attempts, starts the real service
with uvicorn on 127.0.0.1 over a fresh SQLite file (or --database-url), logs a proctor in,
and measures in one run the server CPU per poll beside the trivial endpoint
(scripts/bench_app.py):

1. with no answers saved yet;
2. after --events answer events (and a few window-leaving events) were added to the room;
3. the same, when the console sends back the ETag of the fragment it has (nothing changed:
   304, nothing rendered or sent); then one candidate leaves the window, and the next poll
   must be answered 200 with another ETag.

    .venv/bin/python scripts/bench_roster.py                  # room of 100, 50,000 events
    .venv/bin/python scripts/bench_roster.py --database-url postgresql+psycopg://u@host/db"""

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.benchlib import (  # noqa: E402
    BENCH_APP,
    TRIVIAL_PATH,
    RawConnection,
    cpu_seconds,
    free_port,
    start_server,
    stop_server,
)


def seed(database_url: str, room: int) -> dict[str, Any]:
    """A session with `room` candidates, all started. Returns the session id, the
    proctor's username and the attempt and registration ids."""
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")
    from app.core.db import make_engine, set_engine
    from app.core.migrate import upgrade_to_head

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    set_engine(engine)

    from sqlmodel import Session

    from app.accounts.principals import CandidateLogin
    from app.delivery import service as delivery
    from tests.factories import MIXED_SECTIONS, make_exam

    with Session(engine, expire_on_commit=False) as db:
        exam = make_exam(
            db,
            candidates=room,
            sections=MIXED_SECTIONS,
            require_checkin=False,
            duration_minutes=240,
            late_entry_minutes=240,
        )
        attempts = []
        for seat in exam.seats:
            reg, cand = seat.registration, seat.candidate
            assert reg.id is not None and cand.id is not None
            attempt = delivery.start_attempt(
                db,
                login=CandidateLogin(reg.id, cand.id, reg.centre_id, reg.session_id, cand.name),
            )
            attempts.append((attempt.id, reg.id))
        db.commit()
        found = {
            "session_id": exam.session.id,
            "proctor": exam.proctor.username,
            "attempts": attempts,
        }
    engine.dispose()
    return found


def add_events(
    database_url: str, attempts: list[tuple[int, int]], events: int, *, leaves: int = 10
) -> None:
    """`events` answer events spread over the attempts, as saves would write them, plus
    one window-leaving event for every `leaves`-th attempt."""
    from sqlalchemy import insert

    from app.core.clock import utcnow
    from app.core.db import make_engine
    from app.delivery.saves import EVENT

    rng = random.Random(3)
    now = utcnow()
    rows = []
    for n in range(events):
        attempt_id, reg_id = attempts[n % len(attempts)]
        rows.append(
            {
                "attempt_id": attempt_id,
                "registration_id": reg_id,
                "kind": "answer",
                "at": now,
                "detail": {"position": rng.randint(1, 20), "seq": n},
            }
        )
    for attempt_id, reg_id in attempts[::leaves]:
        rows.append(
            {
                "attempt_id": attempt_id,
                "registration_id": reg_id,
                "kind": "blur",
                "at": now,
                "detail": {},
            }
        )
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for first in range(0, len(rows), 5000):
            conn.execute(insert(EVENT), rows[first : first + 5000])
    engine.dispose()


async def polls(
    port: int, path: str, token: str, n: int, headers: dict[str, str] | None = None
) -> tuple[int, int, str]:
    """n polls on one connection: (status of the last, bytes of the last, its ETag)."""
    conn = RawConnection("127.0.0.1", port)
    status, size, tag = 0, 0, ""
    for _ in range(n):
        reply = await conn.request("GET", path, token=token, headers=headers)
        status, size, tag = reply.status, len(reply.body), reply.headers.get("etag", "")
    await conn.close()
    return status, size, tag


def cpu_per_request(pid: int, run: Any, n: int) -> tuple[float, Any]:
    cpu0 = cpu_seconds(pid)
    result = asyncio.run(run)
    return (cpu_seconds(pid) - cpu0) / n * 1000, result


def beside_trivial(
    pid: int,
    port: int,
    path: str,
    token: str,
    headers: dict[str, str],
    n: int,
    trivial_n: int,
    rounds: int = 5,
) -> tuple[float, float, tuple[int, int, str]]:
    """CPU ms per poll and per trivial request, measured in alternating rounds: on a
    shared machine the load moves within a run, and each figure is compared with the
    trivial endpoint measured beside it."""
    poll_ms = trivial_ms = 0.0
    last = (0, 0, "")
    for _ in range(rounds):
        ms, _ = cpu_per_request(pid, polls(port, TRIVIAL_PATH, "", trivial_n // rounds), 1)
        trivial_ms += ms
        ms, last = cpu_per_request(pid, polls(port, path, token, n // rounds, headers), 1)
        poll_ms += ms
    return poll_ms / (n // rounds * rounds), trivial_ms / (trivial_n // rounds * rounds), last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--room", type=int, default=100, help="candidates in the room")
    ap.add_argument("--events", type=int, default=50_000, help="answer events added")
    ap.add_argument("--polls", type=int, default=200, help="polls per measurement")
    ap.add_argument("--trivial-requests", type=int, default=3000)
    ap.add_argument("--database-url", help="default: a fresh SQLite file")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jiping-roster-")
    database_url = args.database_url or f"sqlite:///{tmp}/roster.db"
    print(f"database: {database_url.split('@')[-1]}")
    found = seed(database_url, args.room)
    port = free_port()
    server = start_server(app=BENCH_APP, database_url=database_url, port=port)
    path = f"/proctor/sessions/{found['session_id']}"
    hx = {"HX-Request": "true"}
    try:
        body = json.dumps({"username": found["proctor"], "password": "test-pass-123"}).encode()

        async def login() -> str:
            conn = RawConnection("127.0.0.1", port)
            reply = await conn.request("POST", "/api/v1/auth/login", body=body)
            await conn.close()
            return str(json.loads(reply.body)["token"])

        token = asyncio.run(login())
        asyncio.run(polls(port, TRIVIAL_PATH, "", 300))  # warm-up
        asyncio.run(polls(port, path, token, 20, hx))
        n, pid = args.trivial_requests, server.pid
        quiet, trivial_quiet, (status, size, _) = beside_trivial(
            pid, port, path, token, hx, args.polls, n
        )
        assert status == 200, status
        t = time.perf_counter()
        add_events(database_url, found["attempts"], args.events)
        print(f"added {args.events:,} answer events in {time.perf_counter() - t:.1f}s")
        asyncio.run(polls(port, path, token, 20, hx))
        busy, trivial_busy, (status, busy_size, tag) = beside_trivial(
            pid, port, path, token, hx, args.polls, n
        )
        assert status == 200, status
        unchanged, trivial_unchanged, status304 = 0.0, 0.0, 0
        if tag:
            unchanged, trivial_unchanged, (status304, _, _) = beside_trivial(
                pid, port, path, token, {**hx, "If-None-Match": tag}, args.polls, n
            )
            # Fragments are sent only when something changed: a candidate leaves the window.
            add_events(database_url, found["attempts"][-1:], 0, leaves=1)
            changed = asyncio.run(polls(port, path, token, 1, {**hx, "If-None-Match": tag}))
            assert changed[0] == 200 and changed[2] != tag, changed[:1]
    finally:
        stop_server(server)

    measured = [trivial_quiet, trivial_busy] + ([trivial_unchanged] if tag else [])
    baseline = sum(measured) / len(measured)
    print(f"\nroom of {args.room}; {args.polls} polls per figure, one connection")
    print(
        f"trivial endpoint: {baseline:.3f} ms server CPU per request (measured beside each "
        f"figure: {', '.join(f'{t:.3f}' for t in measured)})"
    )
    print(f"  {'roster poll':<44}{'CPU ms':>8}{'x trivial':>11}{'KiB':>7}{'trivial':>9}")
    rows = [
        ("no answers saved", quiet, trivial_quiet, size),
        (f"after {args.events:,} answer events", busy, trivial_busy, busy_size),
    ]
    if tag:
        rows.append(
            (f"unchanged (If-None-Match: HTTP {status304})", unchanged, trivial_unchanged, 0)
        )
    for label, ms, beside, nbytes in rows:
        print(f"  {label:<44}{ms:>8.2f}{ms / beside:>11.1f}{nbytes / 1024:>7.1f}{beside:>9.3f}")
    if tag:
        print("  then a candidate leaves the window: HTTP 200, a new ETag")
    else:
        print("  (the fragment carries no ETag: every poll is rendered and sent)")
    print(f"  growth with the events: {busy / quiet:.2f}x")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
