"""Benchmark of the answer-save path (a benchmark, not a test).

Starts the real service (`uvicorn app.main:app`) on 127.0.0.1 over a fresh SQLite file in
a temporary directory, seeds candidates with started attempts through the services, logs
each one in through POST /api/v1/auth/candidate-login, then keeps C connections busy
saving answers to their own attempts through PUT /api/v1/exam/answers/{position} for a
fixed time, and prints saves/s, latency percentiles and errors.

    .venv/bin/python scripts/bench_saves.py                       # defaults: 50 connections
    .venv/bin/python scripts/bench_saves.py --workers 2 --duration 30
    .venv/bin/python scripts/bench_saves.py --database-url postgresql+psycopg://u@host/db
    .venv/bin/python scripts/bench_saves.py --url http://127.0.0.1:8000 --database-url ...

The load comes from separate processes (--client-procs) speaking plain HTTP/1.1 with
keep-alive over asyncio streams (--client raw, the default), so that the generator costs
as little CPU as possible on a small machine; --client httpx uses httpx.AsyncClient.
After the run the database is checked: every acknowledged save must be committed."""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The app with the trivial endpoint measured beside the saves.
from scripts.benchlib import BENCH_APP, TRIVIAL_PATH  # noqa: E402

# --- seeding (in this process, through the services) ------------------------------------


def seed(database_url: str, candidates: int) -> list[tuple[str, str]]:
    """An exam with `candidates` registered candidates, all started. Returns their
    (ticket number, ID number) for logging in."""
    return seed_exam(database_url, candidates)[0]


def seed_exam(database_url: str, candidates: int) -> tuple[list[tuple[str, str]], str]:
    """`seed`, and the username of the exam centre's admin (password: the factories')."""
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")
    from app.core.db import make_engine, set_engine
    from app.core.migrate import upgrade_to_head

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    set_engine(engine)

    from sqlmodel import Session

    from app.accounts.principals import CandidateLogin
    from app.delivery import service as delivery

    # The test factories build an exam through the services (bank import, blueprint,
    # plan, session, registrations); the benchmark reuses them rather than a copy.
    from tests.factories import MIXED_SECTIONS, make_exam

    logins = []
    with Session(engine, expire_on_commit=False) as db:
        exam = make_exam(
            db,
            candidates=candidates,
            sections=MIXED_SECTIONS,
            require_checkin=False,
            duration_minutes=240,
            late_entry_minutes=240,
        )
        for seat in exam.seats:
            reg, cand = seat.registration, seat.candidate
            assert reg.id is not None and cand.id is not None
            delivery.start_attempt(
                db,
                login=CandidateLogin(reg.id, cand.id, reg.centre_id, reg.session_id, cand.name),
            )
            logins.append((seat.ticket_number, seat.id_number))
        admin = exam.admin.username
        db.commit()
    engine.dispose()
    return logins, admin


def count_saved(database_url: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from app.core.db import make_engine
    from app.delivery.models import Answer, AttemptEvent

    engine = make_engine(database_url)
    with engine.connect() as conn:
        answers = conn.execute(select(func.count()).select_from(Answer)).scalar_one()
        events = conn.execute(
            select(func.count()).select_from(AttemptEvent).where(AttemptEvent.kind == "answer")
        ).scalar_one()
        conn.rollback()
    engine.dispose()
    return answers, events


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JIPING_DATABASE_URL": database_url,
        "JIPING_ENVIRONMENT": "development",
        "JIPING_RUN_SWEEPER": "false" if args.no_sweeper else "true",
    }
    env.pop("DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        args.app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--loop",
        args.loop,
        "--http",
        args.http,
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not come up within 30 s")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


# --- HTTP plumbing -------------------------------------------------------------------------


def http_json(base: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@dataclass
class Candidate:
    token: str
    answers: list[tuple[int, dict[str, Any]]]  # (position, a valid response) per question
    seq: int = 0
    next_index: int = 0

    def next_save(self) -> tuple[int, bytes]:
        position, response = self.answers[self.next_index % len(self.answers)]
        self.next_index += 1
        self.seq += 1
        body = json.dumps({"response": response, "flagged": self.seq % 7 == 0, "seq": self.seq})
        return position, body.encode()


def valid_response(question: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    labels = [o["value"] for o in question["options"]]
    kind = question["type"]
    if kind == "single_choice":
        return {"choice": rng.choice(labels)}
    if kind == "multiple_choice":
        return {"choices": sorted(rng.sample(labels, 2))}
    if kind == "true_false":
        return {"value": rng.random() < 0.5}
    return {"text": str(rng.randint(1, 500))}


def prepare(base: str, logins: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Log every candidate in (the real endpoint) and read their paper."""
    rng = random.Random(7)
    prepared = []
    for ticket, id_number in logins:
        token = http_json(
            base,
            "POST",
            "/api/v1/auth/candidate-login",
            {"ticket_number": ticket, "id_number": id_number},
        )["token"]
        state = http_json(base, "GET", "/api/v1/exam", token=token)
        answers = [(q["position"], valid_response(q, rng)) for q in state["questions"]]
        prepared.append({"token": token, "answers": answers, "seq": state["last_seq"]})
    return prepared


class RawConnection:
    """HTTP/1.1 keep-alive over one socket; just enough for this benchmark."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def run_load(
    base: str,
    candidates: list[dict[str, Any]],
    connections: int,
    duration: float,
    warmup: float,
    client: str,
) -> dict[str, Any]:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    people = [Candidate(c["token"], c["answers"], c["seq"]) for c in candidates]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration

    httpx_client = None
    if client == "httpx":
        import httpx

        httpx_client = httpx.AsyncClient(
            base_url=base,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            timeout=30,
        )

    async def worker(index: int) -> None:
        nonlocal errors
        mine = people[index::connections]
        conn = RawConnection(host, port)
        n = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            who = mine[n % len(mine)]
            n += 1
            position, body = who.next_save()
            path = f"/api/v1/exam/answers/{position}"
            t0 = time.perf_counter()
            try:
                if httpx_client is not None:
                    r = await httpx_client.put(
                        path,
                        content=body,
                        headers={
                            "Authorization": f"Bearer {who.token}",
                            "Content-Type": "application/json",
                        },
                    )
                    status = r.status_code
                else:
                    status = await asyncio.wait_for(
                        conn.request("PUT", path, who.token, body), timeout=30
                    )
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                errors += 1
                conn = RawConnection(host, port)
                continue
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= stop_at:
                latencies.append(t1 - t0)
                statuses[status] = statuses.get(status, 0) + 1
        await conn.close()

    await asyncio.gather(*(worker(i) for i in range(connections)))
    if httpx_client is not None:
        await httpx_client.aclose()
    return {"latencies": latencies, "statuses": statuses, "errors": errors}


async def run_trivial(
    base: str, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    """The same connections, for the same time, on the trivial endpoint (the baseline)."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration
    done = 0

    async def worker() -> None:
        nonlocal done
        conn = RawConnection(host, port)
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            status = await conn.request("GET", TRIVIAL_PATH, "", b"")
            if status == 200 and t0 >= measure_from and time.perf_counter() <= stop_at:
                done += 1
        await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return {"requests": done}


def trivial_process(
    base: str, connections: int, duration: float, warmup: float, out: "mp.Queue[dict[str, Any]]"
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(run_trivial(base, connections, duration, warmup)))


def client_process(
    base: str,
    candidates: list[dict[str, Any]],
    connections: int,
    duration: float,
    warmup: float,
    client: str,
    out: "mp.Queue[dict[str, Any]]",
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(run_load(base, candidates, connections, duration, warmup, client)))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", help="target a running server instead of starting one")
    ap.add_argument("--database-url", help="its database (default: a fresh SQLite file)")
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    ap.add_argument(
        "--app",
        default=BENCH_APP,
        help="the ASGI app uvicorn serves (the default adds the trivial baseline endpoint)",
    )
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio", "auto"])
    ap.add_argument("--http", default="httptools", choices=["httptools", "h11", "auto"])
    ap.add_argument("--client", default="raw", choices=["raw", "httpx"])
    ap.add_argument("--no-sweeper", action="store_true", help="run the server without it")
    ap.add_argument("--client-procs", type=int, default=1, help="load-generator processes")
    args = ap.parse_args()
    if args.url and not args.database_url:
        ap.error("--url needs --database-url (to seed the candidates the server will see)")

    tmp = tempfile.mkdtemp(prefix="jiping-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    print(f"database: {database_url.split('@')[-1]}")
    t = time.perf_counter()
    logins = seed(database_url, args.candidates)
    print(
        f"seeded {len(logins)} candidates with started attempts in {time.perf_counter() - t:.1f}s"
    )

    server = None
    base = args.url
    if base is None:
        port = free_port()
        server = start_server(args, database_url, port)
        base = f"http://127.0.0.1:{port}"
        print(
            f"server: uvicorn {args.app} --workers {args.workers} --loop {args.loop} "
            f"--http {args.http} (pid {server.pid})"
        )
    try:
        prepared = prepare(base, logins)
        before_answers, before_events = count_saved(database_url)
        procs = max(1, args.client_procs)
        per_proc = [prepared[i::procs] for i in range(procs)]
        conns = [
            args.connections // procs + (1 if i < args.connections % procs else 0)
            for i in range(procs)
        ]
        queue: mp.Queue[dict[str, Any]] = mp.Queue()
        load_before = os.getloadavg()[0]
        cpu0 = cpu_seconds(server.pid) if server else 0.0
        workers = [
            mp.Process(
                target=client_process,
                args=(base, per_proc[i], conns[i], args.duration, args.warmup, args.client, queue),
            )
            for i in range(procs)
        ]
        for w in workers:
            w.start()
        results = [queue.get() for _ in workers]
        for w in workers:
            w.join()
        cpu1 = cpu_seconds(server.pid) if server else 0.0
        load_after = os.getloadavg()[0]
        after_answers, after_events = count_saved(database_url)
        trivial_rate = 0.0
        if args.app == BENCH_APP:
            # The baseline, in the same run: the same connections on the trivial endpoint.
            trivial_workers = [
                mp.Process(
                    target=trivial_process,
                    args=(base, conns[i], args.duration, args.warmup, queue),
                )
                for i in range(procs)
            ]
            for w in trivial_workers:
                w.start()
            trivial_rate = sum(queue.get()["requests"] for _ in trivial_workers) / args.duration
            for w in trivial_workers:
                w.join()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    count_applied = after_events - before_events
    latencies = [x for r in results for x in r["latencies"]]
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    errors = sum(r["errors"] for r in results)
    ok = statuses.get(200, 0)
    refused = sum(n for code, n in statuses.items() if code != 200)
    ms = [x * 1000 for x in latencies]
    print(
        f"\nconnections {args.connections}, measured {args.duration:g}s "
        f"(after {args.warmup:g}s warm-up), client {args.client} x{procs} process(es)"
    )
    print(f"acknowledged saves/s: {ok / args.duration:,.0f}   (total {ok:,})")
    if ms:
        print(
            f"latency ms: p50 {pct(ms, 50):.1f}  p95 {pct(ms, 95):.1f}  p99 {pct(ms, 99):.1f}  "
            f"max {max(ms):.1f}  mean {statistics.fmean(ms):.1f}"
        )
    if trivial_rate:
        print(
            f"trivial endpoint, same connections and client: {trivial_rate:,.0f} requests/s; "
            f"saves are {ok / args.duration / trivial_rate:.0%} of it"
        )
    print(
        f"refused (non-200): {refused}  {dict(sorted(statuses.items()))}   connection errors: {errors}"
    )
    if server is not None:
        wall = args.duration + args.warmup
        applied_all = max(1, count_applied)
        print(
            f"server CPU: {cpu1 - cpu0:.1f}s over ~{wall:.0f}s ({(cpu1 - cpu0) / wall:.0%} of one "
            f"core), {(cpu1 - cpu0) / applied_all * 1000:.2f} ms per save"
        )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
        f"{load_after:.1f} after (other processes compete for the same cores)"
    )
    applied = after_events - before_events
    print(
        f"database: {after_answers - before_answers:+} answer rows, {applied:+} answer events "
        f"(each acknowledged save is one event; warm-up saves count here too)"
    )
    if applied < ok:
        print("ERROR: fewer committed saves than acknowledged ones", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
