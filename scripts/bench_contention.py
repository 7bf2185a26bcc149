"""Answer saves while slow requests run beside them (a benchmark, not a test).

The same server, candidates and save load as scripts/bench_saves.py, measured twice in
one run: quiet, then while 200 anonymous staff logins (random usernames, 16 at a time:
argon2 on every one) and one ~5 MB bank import go on. Prints the saves' latency in both
and the ratio of the p99s (the aim: within 2x), what the slow requests answered, and
checks that every acknowledged save is in the database.

    .venv/bin/python scripts/bench_contention.py                       # 50 connections
    .venv/bin/python scripts/bench_contention.py --connections 50 --logins 200 --import-mb 5
    .venv/bin/python scripts/bench_contention.py --database-url postgresql+psycopg://...
"""

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_saves as bench  # noqa: E402


def save_load(
    base: str,
    candidates: list[dict[str, Any]],
    connections: int,
    warmup: float,
    min_seconds: float,
    stop: Any,
    out: "mp.Queue[dict[str, Any]]",
) -> None:
    """Saves on `connections` keep-alive connections: warm up, then measure for at least
    `min_seconds` and until `stop` is set."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def run() -> dict[str, Any]:
        parts = urlsplit(base)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        people = [bench.Candidate(c["token"], c["answers"], c["seq"]) for c in candidates]
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        start = time.perf_counter()
        measure_from = start + warmup
        earliest_stop = measure_from + min_seconds
        measured_until = 0.0

        async def worker(index: int) -> None:
            nonlocal errors, measured_until
            mine = people[index::connections]
            conn = bench.RawConnection(host, port)
            n = 0
            while True:
                now = time.perf_counter()
                if now >= earliest_stop and stop.is_set():
                    break
                who = mine[n % len(mine)]
                n += 1
                position, body = who.next_save()
                t0 = time.perf_counter()
                try:
                    status = await asyncio.wait_for(
                        conn.request("PUT", f"/api/v1/exam/answers/{position}", who.token, body),
                        timeout=120,
                    )
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    errors += 1
                    conn = bench.RawConnection(host, port)
                    continue
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    statuses[status] = statuses.get(status, 0) + 1
                    measured_until = max(measured_until, t1)
            await conn.close()

        await asyncio.gather(*(worker(i) for i in range(connections)))
        return {
            "latencies": latencies,
            "statuses": statuses,
            "errors": errors,
            "seconds": max(measured_until - measure_from, 1e-9),
        }

    out.put(asyncio.run(run()))


def big_bank(target_bytes: int) -> bytes:
    """A valid bank file just under `target_bytes`: the factories' generated bank with
    long stems (about 1.8 KB an item)."""
    from tests.factories import bank_yaml

    padding = "本题考查电气设备的安全操作规程与故障排除方法，" * 26
    per_cell = 40
    last = b""
    while True:
        text = bank_yaml(
            code="BENCH-BIG", areas={"A": 25, "B": 25, "C": 25, "D": 25}, per_cell=per_cell
        )
        text = re.sub(r"(?m)^(    stem: )", rf"\g<1>{padding}", text)
        content = text.encode()
        if len(content) > target_bytes and last:
            return last
        last = content
        per_cell += 10


def slow_requests(base: str, admin: str, logins: int, parallel: int, bank: bytes) -> dict[str, Any]:
    """The anonymous login storm and the bank import, side by side; returns what they got."""
    from tests.factories import PASSWORD

    with httpx.Client(base_url=base, timeout=600) as client:
        r = client.post("/api/v1/auth/login", json={"username": admin, "password": PASSWORD})
        r.raise_for_status()
        admin_headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def one_login(_: int) -> int:
        with httpx.Client(base_url=base, timeout=600) as c:
            name = "intruder-" + secrets.token_hex(6)
            return c.post(
                "/api/v1/auth/login", json={"username": name, "password": "guess-123456"}
            ).status_code

    result: dict[str, Any] = {}

    def do_import() -> None:
        if not bank:
            result["import"] = (0, 0.0, "")
            return
        t0 = time.perf_counter()
        with httpx.Client(base_url=base, timeout=600) as c:
            r = c.post(
                "/api/v1/banks/import",
                headers=admin_headers,
                files={"file": ("bench-big.yaml", bank, "application/x-yaml")},
            )
        result["import"] = (r.status_code, time.perf_counter() - t0, r.text[:200])

    t0 = time.perf_counter()
    importer = threading.Thread(target=do_import)
    importer.start()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        codes = list(pool.map(one_login, range(logins)))
    result["logins"] = (codes, time.perf_counter() - t0)
    importer.join()
    result["all_seconds"] = time.perf_counter() - t0
    return result


def summary(name: str, r: dict[str, Any]) -> float:
    ms = [x * 1000 for x in r["latencies"]]
    ok = r["statuses"].get(200, 0)
    p99 = bench.pct(ms, 99)
    print(
        f"{name:<11} saves/s {ok / r['seconds']:7,.0f}  p50 {bench.pct(ms, 50):7.1f} ms  "
        f"p99 {p99:7.1f} ms  max {max(ms):8.1f} ms  over {r['seconds']:.0f}s  "
        f"statuses {dict(sorted(r['statuses'].items()))}  connection errors {r['errors']}"
    )
    return p99


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--database-url", help="default: a fresh SQLite file")
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="quiet run's measured seconds")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--logins", type=int, default=200, help="anonymous logins")
    ap.add_argument("--login-parallel", type=int, default=16)
    ap.add_argument("--import-mb", type=float, default=4.95, help="bank file size (MB)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jiping-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    print(f"database: {database_url.split('@')[-1]}")
    logins, admin = bench.seed_exam(database_url, args.candidates)
    bank = big_bank(int(args.import_mb * 1024 * 1024)) if args.import_mb else b""
    print(f"seeded {len(logins)} candidates; bank file {len(bank) / 2**20:.2f} MiB")

    server_args = argparse.Namespace(
        app="app.main:app", workers=1, loop="uvloop", http="httptools", no_sweeper=False
    )
    port = bench.free_port()
    server = bench.start_server(server_args, database_url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        prepared = bench.prepare(base, logins)
        before = bench.count_saved(database_url)[1]
        runs: dict[str, dict[str, Any]] = {}
        for n, name in enumerate(("quiet", "contention")):
            # Each run's sequence numbers follow the last run's (an older one is not saved).
            for c in prepared:
                c["seq"] += n * 10_000_000
            stop = mp.Event()
            queue: mp.Queue[dict[str, Any]] = mp.Queue()
            loader = mp.Process(
                target=save_load,
                args=(base, prepared, args.connections, args.warmup, args.duration, stop, queue),
            )
            loader.start()
            if name == "contention":
                time.sleep(args.warmup)
                slow = slow_requests(base, admin, args.logins, args.login_parallel, bank)
            stop.set()
            runs[name] = queue.get()
            loader.join()
        after = bench.count_saved(database_url)[1]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\nconnections {args.connections}, one uvicorn worker, {os.cpu_count()} CPUs")
    quiet = summary("quiet", runs["quiet"])
    busy = summary("contention", runs["contention"])
    codes, login_seconds = slow["logins"]
    counted = {c: codes.count(c) for c in sorted(set(codes))}
    status, import_seconds, text = slow["import"]
    print(
        f"beside them: {len(codes)} anonymous logins ({args.login_parallel} at a time) "
        f"answered {counted} in {login_seconds:.1f}s; bank import {len(bank) / 2**20:.2f} MiB "
        f"answered {status} in {import_seconds:.1f}s"
    )
    if status != 200:
        print(f"  import said: {text}")
    print(f"p99 ratio contention / quiet: {busy / quiet:.2f}x (aim: within 2x)")
    acknowledged = sum(r["statuses"].get(200, 0) for r in runs.values())
    if after - before < acknowledged:
        print("ERROR: fewer committed saves than acknowledged ones", file=sys.stderr)
        sys.exit(1)
    print(f"database: {after - before:+} answer events for {acknowledged} acknowledged saves")


if __name__ == "__main__":
    main()
