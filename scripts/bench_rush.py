"""Benchmark of the exam-start rush (a benchmark, not a test).

Candidates arrive at the exam room within a few seconds of the start. Each one does what
the browser does before the first answer is safe: log in, start the attempt, load the exam
page, the page's first status poll, the first answer save. This script seeds an exam
through the services (a generated bank, a blueprint, a SHUFFLED plan: every candidate
draws their own paper), starts the real service with uvicorn on 127.0.0.1 over a fresh
SQLite file (or --database-url), and then, in one run against the same server:

1. the trivial endpoint (scripts/bench_app.py: an `async def` route that does nothing,
   first in the route table): server CPU per request, the baseline;
2. each step alone for --profile candidates (all logins, then all starts, ...): server CPU
   per step, its ratio to the trivial endpoint, the exam page's size;
3. the rush: N candidates arriving evenly over --arrival seconds, each on their own
   connection, running the five steps in order: time until all are seated (first save
   acknowledged), p50/p99 per step, errors.

    .venv/bin/python scripts/bench_rush.py                        # 300 candidates, 100 items
    .venv/bin/python scripts/bench_rush.py --candidates 1000
    .venv/bin/python scripts/bench_rush.py --items 200
    .venv/bin/python scripts/bench_rush.py --bank-items 10000     # start cost vs bank size
    .venv/bin/python scripts/bench_rush.py --database-url postgresql+psycopg://u@host/db

Steps use the candidate's bearer token (the page uses the session cookie and a CSRF
header: the same checks, with the CSRF comparison on top); the start is the page's form
post (POST /exam/start), the exam page is GET /exam."""

import argparse
import asyncio
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.benchlib import (  # noqa: E402
    BENCH_APP,
    TRIVIAL_PATH,
    RawConnection,
    Reply,
    cpu_seconds,
    free_port,
    pct,
    start_server,
    stop_server,
)

STEPS = ("login", "start", "page", "status", "save")
# Measured alone after the steps, not part of the rush: the paper as JSON (GET /api/v1/exam),
# the other way a page could get its questions (fetched and rendered by the script).
EXTRA_STEPS = ("paper_json",)
# A room of 100 with the proctors DOMAIN.md §2 requires (1 per 15 candidates, at least 2):
# an understaffed room does not open.
SEATS_PER_SESSION = 100
PROCTORS_PER_SESSION = max(2, math.ceil(SEATS_PER_SESSION / 15))


# --- seeding (in this process, through the services) ------------------------------------


def paper_sections(items: int) -> list[dict[str, Any]]:
    """A paper of `items` questions worth 100 points: 40% single choice, 20% multiple
    choice, 30% true/false, 10% fill-in (split evenly across the bank's two areas)."""
    if items % 20:
        raise SystemExit("--items must be a multiple of 20")
    points = 100 / items
    return [
        {"item_type": "single_choice", "count": items * 4 // 10, "points": points},
        {"item_type": "multiple_choice", "count": items * 2 // 10, "points": points},
        {"item_type": "true_false", "count": items * 3 // 10, "points": points},
        {"item_type": "fill_in", "count": items // 10, "points": points},
    ]


def seed(
    database_url: str, *, candidates: int, items: int, bank_items: int
) -> list[tuple[str, str]]:
    """An exam whose session started now, with `candidates` registered (no check-in
    needed), none started. Returns their (ticket number, ID number)."""
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")
    from app.core.db import make_engine, set_engine
    from app.core.migrate import upgrade_to_head

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    set_engine(engine)

    from sqlmodel import Session

    from app.accounts.models import Role
    from tests.factories import (
        make_bank,
        make_blueprint,
        make_candidate,
        make_centre,
        make_plan,
        make_registration,
        make_session,
        make_staff,
        valid_resident_id,
    )

    logins = []
    with Session(engine, expire_on_commit=False) as db:
        centre = make_centre(db)
        admin = make_staff(db, Role.CENTRE_ADMIN, centre)
        proctors = [make_staff(db, Role.PROCTOR, centre) for _ in range(PROCTORS_PER_SESSION)]
        t = time.perf_counter()
        # bank_yaml writes per_cell items of each of 4 types in each of 2 areas.
        bank = make_bank(
            db, centre, per_cell=max(items // 4, math.ceil(bank_items / 8)), points=100 / items
        )
        print(f"bank imported in {time.perf_counter() - t:.1f}s")
        blueprint = make_blueprint(
            db, bank, admin=admin, sections=paper_sections(items), time_limit_minutes=240
        )
        plan = make_plan(db, blueprint, admin=admin, require_checkin=False, late_entry_minutes=240)
        for first in range(0, candidates, SEATS_PER_SESSION):
            session = make_session(
                db,
                plan,
                admin=admin,
                proctors=proctors,
                duration_minutes=240,
                room=f"第{first // SEATS_PER_SESSION + 1}考场",
            )
            for n in range(first, min(first + SEATS_PER_SESSION, candidates)):
                # ID numbers differ by their sequence (3 digits) and birth day (per 1,000).
                id_number = valid_resident_id(n % 1000, birth=f"199001{1 + n // 1000:02d}")
                candidate = make_candidate(db, centre, admin=admin, id_number=id_number)
                reg = make_registration(db, session, admin=admin, candidate=candidate)
                logins.append((reg.ticket_number, candidate.id_number))
        db.commit()
    engine.dispose()
    return logins


# --- one candidate's steps -----------------------------------------------------------------


class StepFailed(Exception):
    pass


_PAPER = re.compile(r'<script type="application/json" id="exam-paper">(.*?)</script>', re.S)


def first_save_body(page: bytes) -> tuple[int, bytes]:
    """An answer to the first question on the exam page, from the paper it carries."""
    found = _PAPER.search(page.decode())
    if found is None or not json.loads(found.group(1)):
        raise StepFailed("page: no question on the exam page")
    first = json.loads(found.group(1))[0]
    position, kind = first["position"], first["type"]
    value = first["options"][0]["value"] if first["options"] else ""
    response: dict[str, Any]
    if kind == "single_choice":
        response = {"choice": value}
    elif kind == "multiple_choice":
        response = {"choices": [value]}
    elif kind == "true_false":
        response = {"value": True}
    else:
        response = {"text": "1"}
    return position, json.dumps({"response": response, "flagged": False, "seq": 1}).encode()


@dataclass
class Person:
    ticket: str
    id_number: str
    token: str = ""
    page: bytes = b""
    paper_json: int = 0  # bytes
    times: dict[str, float] = field(default_factory=dict)  # step -> seconds
    seated_at: float | None = None
    error: str = ""


def _expect(reply: Reply, status: int, step: str) -> Reply:
    if reply.status != status:
        raise StepFailed(f"{step}: HTTP {reply.status} {reply.body[:120]!r}")
    return reply


async def do_step(conn: RawConnection, who: Person, step: str) -> None:
    if step == "login":
        body = json.dumps({"ticket_number": who.ticket, "id_number": who.id_number}).encode()
        reply = await conn.request("POST", "/api/v1/auth/candidate-login", body=body)
        who.token = json.loads(_expect(reply, 200, step).body)["token"]
    elif step == "start":
        reply = await conn.request(
            "POST",
            "/exam/start",
            token=who.token,
            body=b"agree=1",
            content_type="application/x-www-form-urlencoded",
        )
        _expect(reply, 303, step)
    elif step == "page":
        who.page = _expect(await conn.request("GET", "/exam", token=who.token), 200, step).body
    elif step == "status":
        _expect(await conn.request("GET", "/api/v1/exam/status", token=who.token), 200, step)
    elif step == "paper_json":
        reply = await conn.request("GET", "/api/v1/exam", token=who.token)
        who.paper_json = len(_expect(reply, 200, step).body)
    elif step == "save":
        position, body = first_save_body(who.page)
        reply = await conn.request(
            "PUT", f"/api/v1/exam/answers/{position}", token=who.token, body=body
        )
        _expect(reply, 200, step)


async def timed(who: Person, step: str, call: Callable[[], Awaitable[None]]) -> None:
    t0 = time.perf_counter()
    await call()
    who.times[step] = time.perf_counter() - t0


# --- the phases ------------------------------------------------------------------------------


async def pooled(
    jobs: list[Callable[[RawConnection], Awaitable[None]]], host: str, port: int, concurrency: int
) -> None:
    """Run the jobs over `concurrency` keep-alive connections."""
    queue = list(reversed(jobs))

    async def lane() -> None:
        conn = RawConnection(host, port)
        while queue:
            await queue.pop()(conn)
        await conn.close()

    await asyncio.gather(*(lane() for _ in range(concurrency)))


def measure_cpu(pid: int, run: Callable[[], Any]) -> tuple[float, float]:
    """(server CPU seconds, wall seconds) spent while `run` ran."""
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    run()
    return cpu_seconds(pid) - cpu0, time.perf_counter() - t0


def trivial_cpu(pid: int, host: str, port: int, requests: int, concurrency: int) -> float:
    """Server CPU per request of the trivial endpoint (ms)."""

    async def one(conn: RawConnection) -> None:
        _expect(await conn.request("GET", TRIVIAL_PATH), 200, "trivial")

    cpu, _ = measure_cpu(
        pid, lambda: asyncio.run(pooled([one] * requests, host, port, concurrency))
    )
    return cpu / requests * 1000


def _job(who: Person, step: str) -> Callable[[RawConnection], Awaitable[None]]:
    return lambda conn: do_step(conn, who, step)


def profile(
    pid: int, host: str, port: int, people: list[Person], concurrency: int
) -> dict[str, float]:
    """Each step alone, for every person in turn: server CPU per step (ms)."""
    per_step: dict[str, float] = {}
    for step in STEPS + EXTRA_STEPS:
        jobs = [_job(who, step) for who in people]
        cpu, _ = measure_cpu(
            pid, lambda jobs=jobs: asyncio.run(pooled(jobs, host, port, concurrency))
        )
        per_step[step] = cpu / len(people) * 1000
    return per_step


async def rush(host: str, port: int, people: list[Person], arrival: float) -> float:
    """Every person arrives (evenly over `arrival` seconds) and runs the steps on their own
    connection. Returns the time from the first arrival until the last one is seated."""
    t0 = time.perf_counter()

    async def candidate(index: int, who: Person) -> None:
        await asyncio.sleep(index * arrival / max(1, len(people)))
        conn = RawConnection(host, port)
        try:
            for step in STEPS:
                await timed(who, step, lambda step=step: do_step(conn, who, step))  # type: ignore[misc]
            who.seated_at = time.perf_counter() - t0
        except (StepFailed, OSError, asyncio.IncompleteReadError) as exc:
            who.error = str(exc) or type(exc).__name__
        finally:
            await conn.close()

    await asyncio.gather(*(candidate(i, who) for i, who in enumerate(people)))
    return max((w.seated_at or 0.0) for w in people)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--candidates", type=int, default=300, help="candidates in the rush")
    ap.add_argument("--arrival", type=float, default=3.0, help="seconds over which they arrive")
    ap.add_argument("--items", type=int, default=100, help="questions per paper (multiple of 20)")
    ap.add_argument("--bank-items", type=int, default=500, help="items in the bank (about)")
    ap.add_argument("--profile", type=int, default=60, help="candidates for the per-step CPU")
    ap.add_argument("--profile-concurrency", type=int, default=4)
    ap.add_argument("--trivial-requests", type=int, default=3000)
    ap.add_argument("--database-url", help="default: a fresh SQLite file")
    ap.add_argument("--app", default=BENCH_APP, help="the ASGI app uvicorn serves")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jiping-rush-")
    database_url = args.database_url or f"sqlite:///{tmp}/rush.db"
    print(f"database: {database_url.split('@')[-1]}")
    t = time.perf_counter()
    logins = seed(
        database_url,
        candidates=args.candidates + args.profile,
        items=args.items,
        bank_items=args.bank_items,
    )
    print(f"seeded {len(logins)} candidates in {time.perf_counter() - t:.1f}s")
    people = [Person(ticket, id_number) for ticket, id_number in logins]
    profiled, rushing = people[: args.profile], people[args.profile :]

    port = free_port()
    server = start_server(app=args.app, database_url=database_url, port=port, workers=args.workers)
    host = "127.0.0.1"
    print(f"server: uvicorn {args.app} --workers {args.workers} (pid {server.pid})")
    try:
        load_before = os.getloadavg()[0]
        trivial_cpu(server.pid, host, port, 300, args.profile_concurrency)  # warm-up
        trivial = trivial_cpu(
            server.pid, host, port, args.trivial_requests, args.profile_concurrency
        )
        steps = profile(server.pid, host, port, profiled, args.profile_concurrency)
        trivial_after = trivial_cpu(
            server.pid, host, port, args.trivial_requests, args.profile_concurrency
        )
        page_bytes = sum(len(p.page) for p in profiled) / len(profiled)
        cpu0 = cpu_seconds(server.pid)
        seated_after = asyncio.run(rush(host, port, rushing, args.arrival))
        rush_cpu = cpu_seconds(server.pid) - cpu0
        load_after = os.getloadavg()[0]
    finally:
        stop_server(server)

    baseline = (trivial + trivial_after) / 2
    print(
        f"\npaper: {args.items} items; bank: ~{args.bank_items} items; "
        f"plan SHUFFLED (each candidate draws their own paper)"
    )
    print(
        f"trivial endpoint: {baseline:.3f} ms server CPU per request "
        f"(before {trivial:.3f}, after {trivial_after:.3f}; {args.trivial_requests} requests each)"
    )
    print(f"\nper step, alone ({args.profile} candidates, {args.profile_concurrency} connections):")
    print(f"  {'step':<8}{'CPU ms':>10}{'x trivial':>11}")
    for step in STEPS:
        print(f"  {step:<8}{steps[step]:>10.2f}{steps[step] / baseline:>11.1f}")
    print(f"  exam page: {page_bytes / 1024:.1f} KiB of HTML (before compression)")
    json_bytes = sum(p.paper_json for p in profiled) / len(profiled)
    print(
        f"  the paper as JSON instead (GET /api/v1/exam): {steps['paper_json']:.2f} ms, "
        f"{steps['paper_json'] / baseline:.1f}x trivial, {json_bytes / 1024:.1f} KiB"
    )

    done = [w for w in rushing if w.seated_at is not None]
    failed = [w for w in rushing if w.error]
    print(f"\nrush: {len(rushing)} candidates arriving over {args.arrival:g}s")
    print(
        f"  all seated after {seated_after:.1f}s"
        if not failed
        else f"  {len(done)} seated, the last after {seated_after:.1f}s; {len(failed)} FAILED"
    )
    print(f"  {'step':<8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for step in STEPS:
        ms = [w.times[step] * 1000 for w in rushing if step in w.times]
        print(f"  {step:<8}{pct(ms, 50):>10.1f}{pct(ms, 99):>10.1f}{max(ms, default=0):>10.1f}")
    print(
        f"  server CPU: {rush_cpu:.1f}s, {rush_cpu / len(rushing) * 1000:.1f} ms per candidate "
        f"({rush_cpu / len(rushing) * 1000 / baseline:.0f}x trivial; the steps alone add up to "
        f"{sum(steps[s] for s in STEPS):.1f} ms)"
    )
    errors: dict[str, int] = {}
    for w in failed:
        errors[w.error[:100]] = errors.get(w.error[:100], 0) + 1
    print(f"  errors: {len(failed)}" + "".join(f"\n    {n} x {e}" for e, n in errors.items()))
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
        f"{load_after:.1f} after (other processes compete for the same cores)"
    )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
