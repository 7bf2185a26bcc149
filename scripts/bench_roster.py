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
   304, nothing rendered or sent).

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


def add_events(database_url: str, attempts: list[tuple[int, int]], events: int) -> None:
    """`events` answer events spread over the attempts, as saves would write them, plus
    one window-leaving event for every tenth attempt."""
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
    for attempt_id, reg_id in attempts[::10]:
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
        n = args.trivial_requests
        trivial, _ = cpu_per_request(server.pid, polls(port, TRIVIAL_PATH, "", n), n)
        quiet, (status, size, _) = cpu_per_request(
            server.pid, polls(port, path, token, args.polls, hx), args.polls
        )
        assert status == 200, status
        t = time.perf_counter()
        add_events(database_url, found["attempts"], args.events)
        print(f"added {args.events:,} answer events in {time.perf_counter() - t:.1f}s")
        asyncio.run(polls(port, path, token, 20, hx))
        busy, (status, busy_size, tag) = cpu_per_request(
            server.pid, polls(port, path, token, args.polls, hx), args.polls
        )
        assert status == 200, status
        unchanged, (status304, _, _) = (0.0, (0, 0, ""))
        if tag:
            unchanged, (status304, _, _) = cpu_per_request(
                server.pid,
                polls(port, path, token, args.polls, {**hx, "If-None-Match": tag}),
                args.polls,
            )
        trivial_after, _ = cpu_per_request(server.pid, polls(port, TRIVIAL_PATH, "", n), n)
    finally:
        stop_server(server)

    baseline = (trivial + trivial_after) / 2
    print(f"\nroom of {args.room}; {args.polls} polls per figure, one connection")
    print(
        f"trivial endpoint: {baseline:.3f} ms server CPU per request "
        f"(before {trivial:.3f}, after {trivial_after:.3f})"
    )
    print(f"  {'roster poll':<44}{'CPU ms':>8}{'x trivial':>11}{'KiB':>7}")
    rows = [
        ("no answers saved", quiet, size),
        (f"after {args.events:,} answer events", busy, busy_size),
    ]
    for label, ms, nbytes in rows:
        print(f"  {label:<44}{ms:>8.2f}{ms / baseline:>11.1f}{nbytes / 1024:>7.1f}")
    if tag:
        label = f"unchanged (If-None-Match: HTTP {status304})"
        print(f"  {label:<44}{unchanged:>8.2f}{unchanged / baseline:>11.1f}{0:>7.1f}")
    else:
        print("  (the fragment carries no ETag: every poll is rendered and sent)")
    print(f"  growth with the events: {busy / quiet:.2f}x")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
