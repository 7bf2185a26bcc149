"""Benchmark of certificate issuance and the public lookup (a benchmark, not a test).

In one run, over a fresh SQLite file (or --database-url) and a temporary data directory:

(a) Bulk issuance: --batch confirmed passing results with photos (the tests' fixture,
    tests/certificates/support.py `certified`), one batch (certificates.batches
    create_batch, claim, run_batch over --workers processes): certificates numbered,
    signed, rendered and stored per second, wall clock, worker starts and recycling
    included. Beside it, a bare WeasyPrint render (certificates.pdf.html_to_pdf) of the
    same certificate's HTML over the same number of processes, warmed up: renders per
    second, and the ratio. Peak RSS (VmHWM) of each worker process, sampled from /proc
    while it lives, and the largest child's ru_maxrss as a cross-check.
(b) Public lookup: the real service under uvicorn on 127.0.0.1 (scripts/bench_app.py),
    POST /api/v1/verify {"number", "name"} for the issued certificates over --connections
    keep-alive connections (the per-client rate limit set out of the way), beside
    GET /healthz (one SELECT 1) and the trivial endpoint on the same server in the same
    run: requests per second, p50/p99 latency, server CPU per request, and the ratios.

    .venv/bin/python scripts/bench_certificates.py                 # 200 certificates, 2 workers
    .venv/bin/python scripts/bench_certificates.py --batch 50 --lookups 1000
    .venv/bin/python scripts/bench_certificates.py --database-url postgresql+psycopg://u@host/db

Figures of 2026-12-02 on this machine (2 cores shared with other work, load average
7.5; SQLite), from

    .venv/bin/python scripts/bench_certificates.py --lookups 1500

(a) 200 certificates over 2 workers: 0.5 certificates/s (387 s) issued, signed, rendered
    and stored; bare render of the same HTML 0.8 renders/s over 2 warmed-up processes;
    ratio 0.64. Peak RSS per worker 323 MiB (recycled every 25 renders; one font
    configuration per process); bare renderers 310 MiB after 21.
(b) POST /api/v1/verify (found): 112 lookups/s, p99 181 ms, 6.7 ms server CPU each;
    GET /healthz 151-175 req/s, p99 145-158 ms, 3.4-4.0 ms CPU; trivial endpoint
    1,061 req/s, 0.42 ms CPU. Lookup / healthz: 0.69x the throughput, 1.79x the CPU.
(Load average 7.5: a test suite ran beside it; the ratios are the figures to compare.)

Workers are recycled by a fresh pool per chunk (certificates.batches.run_batch): Python
3.11's max_tasks_per_child stops replacing workers while tasks are queued (CPython
gh-115634). Should a batch still stall (no progress, no live worker), the script says
so and exits 2 instead of hanging."""

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
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
    pct,
    start_server,
    stop_server,
)

VERIFY_PATH = "/api/v1/verify"


# -- memory of the worker processes -----------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakSampler:
    """VmHWM (peak RSS) of each multiprocessing worker of this process, sampled every
    `every` seconds while it lives (recycled workers come and go during a batch)."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peaks: dict[int, int] = {}  # pid -> KiB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            for pid in _children(me):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"spawn_main" not in cmdline:  # not the resource tracker
                    continue
                peak = _status_kib(pid, "VmHWM")
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0))
            self._stop.wait(self.every)

    def summary(self) -> str:
        if not self.peaks:
            return "no worker sampled"
        mib = sorted(v / 1024 for v in self.peaks.values())
        return (
            f"{len(mib)} worker processes, peak RSS max {mib[-1]:.0f} MiB, "
            f"median {statistics.median(mib):.0f} MiB, min {mib[0]:.0f} MiB"
        )


# -- (a) issuance ------------------------------------------------------------------------


def seed(database_url: str, batch: int) -> tuple[int, int]:
    """`batch` confirmed passing results with photos, the centre's codes set. Returns
    (plan id, the centre admin's staff user id)."""
    from sqlmodel import Session

    from app.core.db import make_engine, set_engine
    from app.core.migrate import upgrade_to_head
    from tests.certificates.support import certified

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    set_engine(engine)
    with Session(engine, expire_on_commit=False) as db:
        fx = certified(db, candidates=batch)
        assert fx.exam.plan.id is not None and fx.exam.admin.id is not None
        return fx.exam.plan.id, fx.exam.admin.id


def _done_items(batch_id: int) -> int:
    from sqlalchemy import func
    from sqlmodel import col, select

    from app.certificates.models import CertificateBatchItem
    from app.core.db import session_scope

    with session_scope() as db:
        return int(
            db.exec(
                select(func.count()).where(
                    col(CertificateBatchItem.batch_id) == batch_id,
                    col(CertificateBatchItem.done).is_(True),
                )
            ).one()
        )


def _watch(batch_id: int, total: int, stall: float, finished: threading.Event) -> None:
    """Give up on a batch that stopped progressing with no worker process left: what
    CPython's ProcessPoolExecutor does with max_tasks_per_child before the fix of
    gh-115634 (it does not replace a recycled worker while tasks are queued)."""
    last, since = -1, time.monotonic()
    while not finished.wait(5):
        done = _done_items(batch_id)
        if done != last:
            last, since = done, time.monotonic()
            continue
        workers = [
            pid
            for pid in _children(os.getpid())
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        if time.monotonic() - since > stall and not workers:
            print(
                f"\nthe batch stalled at {done} of {total} with no worker process alive "
                f"for {stall:.0f}s: ProcessPoolExecutor(max_tasks_per_child=...) did not "
                "replace its recycled workers (CPython gh-115634, Python "
                f"{sys.version.split()[0]}); try --renders-per-worker {total}",
                flush=True,
            )
            os._exit(2)


def issue_batch(plan_id: int, admin_id: int, workers: int, stall: float) -> tuple[float, int, str]:
    """Create, claim and run the batch. Returns (seconds, certificates, failures)."""
    from sqlmodel import col, select

    from app.accounts.models import StaffUser
    from app.accounts.service import as_staff
    from app.certificates import batches
    from app.certificates.models import CertificateBatchItem
    from app.core.db import session_scope

    with session_scope() as db:
        admin = db.get(StaffUser, admin_id)
        assert admin is not None
        batch = batches.create_batch(db, actor=as_staff(admin), plan_id=plan_id)
        batch_id, total = batch.id, batch.total
    assert batch_id is not None
    finished = threading.Event()
    watchdog = threading.Thread(target=_watch, args=(batch_id, total, stall, finished), daemon=True)
    t0 = time.perf_counter()
    claimed = batches.claim(batch_id)
    assert claimed == batch_id, "the batch was not claimed"
    watchdog.start()
    try:
        batches.run_batch(batch_id, workers=workers)
    finally:
        finished.set()
    seconds = time.perf_counter() - t0
    with session_scope() as db:
        items = list(
            db.exec(
                select(CertificateBatchItem).where(col(CertificateBatchItem.batch_id) == batch_id)
            )
        )
    errors = sorted({i.error for i in items if i.error})
    issued = sum(1 for i in items if i.done and i.certificate_id)
    return seconds, issued, "; ".join(errors)


def first_certificate_html() -> str:
    from sqlmodel import col, select

    from app.certificates import pdf
    from app.certificates.models import Certificate
    from app.core.db import session_scope

    with session_scope() as db:
        cert = db.exec(select(Certificate).order_by(col(Certificate.id))).first()
        assert cert is not None
        return pdf.certificate_html(db, cert)


def _bare_renders(html: str, n: int) -> tuple[float, int]:
    """In a worker: one untimed render (fonts loaded), then `n` timed ones."""
    from app.certificates.pdf import html_to_pdf

    size = len(html_to_pdf(html))
    t0 = time.perf_counter()
    for _ in range(n):
        html_to_pdf(html)
    return time.perf_counter() - t0, size


def bare_render_rate(html: str, workers: int, per_worker: int) -> tuple[float, int, PeakSampler]:
    """Renders per second of `workers` warmed-up processes rendering the same HTML."""
    with (
        PeakSampler() as sampler,
        ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool,
    ):
        results = list(pool.map(_bare_renders, [html] * workers, [per_worker] * workers))
    slowest = max(seconds for seconds, _ in results)
    return workers * per_worker / slowest, results[0][1], sampler


# -- (b) lookups -------------------------------------------------------------------------


def lookup_bodies(limit: int) -> list[bytes]:
    from sqlmodel import col, select

    from app.certificates.models import Certificate
    from app.core.db import session_scope

    with session_scope() as db:
        certs = db.exec(select(Certificate).order_by(col(Certificate.id)).limit(limit)).all()
        return [
            json.dumps({"number": c.number, "name": c.holder_name}, ensure_ascii=False).encode()
            for c in certs
        ]


async def _load(
    port: int, method: str, path: str, bodies: list[bytes], total: int, connections: int
) -> tuple[float, list[float], dict[int, int]]:
    """`total` requests over `connections` keep-alive connections, each waiting for its
    answer before the next: (seconds, latencies in ms, count per status)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    per_conn = total // connections

    async def one(offset: int) -> None:
        conn = RawConnection("127.0.0.1", port)
        for n in range(per_conn):
            body = bodies[(offset + n) % len(bodies)] if bodies else b""
            t = time.perf_counter()
            reply = await conn.request(method, path, body=body)
            latencies.append((time.perf_counter() - t) * 1000)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
        await conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(c * per_conn) for c in range(connections)))
    return time.perf_counter() - t0, latencies, statuses


def measure(
    server: int,
    port: int,
    method: str,
    path: str,
    bodies: list[bytes],
    total: int,
    connections: int,
) -> dict[str, Any]:
    """Throughput, latency and the server's CPU per request (its process id `server`)."""
    cpu0 = cpu_seconds(server)
    seconds, ms, statuses = asyncio.run(_load(port, method, path, bodies, total, connections))
    cpu = cpu_seconds(server) - cpu0
    return {
        "rps": len(ms) / seconds,
        "p50": pct(ms, 50),
        "p99": pct(ms, 99),
        "cpu_ms": cpu / len(ms) * 1000,
        "statuses": statuses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--batch", type=int, default=200, help="certificates in the batch")
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--bare", type=int, default=20, help="bare renders per worker process")
    ap.add_argument("--lookups", type=int, default=3000, help="lookups (and baseline requests)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument(
        "--renders-per-worker",
        type=int,
        help="recycle a worker after this many (default: the setting, 25)",
    )
    ap.add_argument("--stall", type=float, default=90, help="give up after s without progress")
    ap.add_argument("--database-url", help="default: a fresh SQLite file")
    args = ap.parse_args()
    if args.renders_per_worker:
        os.environ["JIPING_CERTIFICATE_RENDERS_PER_WORKER"] = str(args.renders_per_worker)

    tmp = Path(tempfile.mkdtemp(prefix="jiping-certs-"))
    data_dir = tmp / "data"
    # Before the app reads its settings: keys, photos and PDFs of this run go to tmp.
    os.environ["JIPING_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")
    os.environ["JIPING_RUN_SWEEPER"] = "false"
    os.environ.pop("JIPING_SIGNING_KEYS", None)
    database_url = args.database_url or f"sqlite:///{tmp}/certs.db"
    print(f"database: {database_url.split('@')[-1]}; data: {data_dir}")

    t = time.perf_counter()
    plan_id, admin_id = seed(database_url, args.batch)
    print(f"seeded {args.batch} confirmed passing results in {time.perf_counter() - t:.0f}s")

    # (a)
    ru_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with PeakSampler() as batch_sampler:
        seconds, issued, errors = issue_batch(plan_id, admin_id, args.workers, args.stall)
    ru_batch = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if issued != args.batch or errors:
        raise SystemExit(f"batch issued {issued} of {args.batch}: {errors}")
    batch_rate = issued / seconds
    html = first_certificate_html()
    bare_rate, pdf_size, bare_sampler = bare_render_rate(html, args.workers, args.bare)

    from app.core.config import get_settings

    recycle = get_settings().certificate_renders_per_worker

    # (b)
    port = free_port()
    server = start_server(
        app=BENCH_APP,
        database_url=database_url,
        port=port,
        sweeper=False,
        env={
            "JIPING_DATA_DIR": str(data_dir),
            "JIPING_LOOKUP_PER_MINUTE": str(10**9),
            "JIPING_RUN_CERTIFICATE_BATCHES": "false",
        },
    )
    try:
        bodies = lookup_bodies(args.batch)
        wrong = [b.replace(b'"name": "', b'"name": "X') for b in bodies]
        n, c = args.lookups, args.connections
        measure(server.pid, port, "GET", TRIVIAL_PATH, [], 400, c)  # warm-up
        measure(server.pid, port, "POST", VERIFY_PATH, bodies, 400, c)
        trivial = measure(server.pid, port, "GET", TRIVIAL_PATH, [], n, c)
        health = measure(server.pid, port, "GET", "/healthz", [], n, c)
        found = measure(server.pid, port, "POST", VERIFY_PATH, bodies, n, c)
        missed = measure(server.pid, port, "POST", VERIFY_PATH, wrong, n, c)
        health_after = measure(server.pid, port, "GET", "/healthz", [], n, c)
    finally:
        stop_server(server)
    if set(found["statuses"]) != {200} or set(missed["statuses"]) != {404}:
        raise SystemExit(f"unexpected answers: {found['statuses']} / {missed['statuses']}")

    print(f"\n(a) bulk issuance of {issued} certificates over {args.workers} worker processes")
    print(
        f"  issued, signed, rendered, stored: {batch_rate:6.1f} certificates/s "
        f"({seconds:.1f}s; workers recycled every {recycle} renders)"
    )
    print(
        f"  bare WeasyPrint render, same HTML: {bare_rate:6.1f} renders/s "
        f"({args.workers} warmed-up processes x {args.bare}; PDF {pdf_size / 1024:.0f} KiB)"
    )
    print(f"  ratio issuance / bare render:     {batch_rate / bare_rate:6.2f}")
    print(f"  batch workers: {batch_sampler.summary()}")
    print(
        f"  largest child (ru_maxrss): {ru_batch / 1024:.0f} MiB"
        + (f" (before the batch {ru_before / 1024:.0f} MiB)" if ru_before else "")
    )
    print(
        f"  bare workers after {args.bare + 1} renders each, not recycled: {bare_sampler.summary()}"
    )

    print(f"\n(b) {n} requests per figure over {c} keep-alive connections, one uvicorn worker")
    print(f"  {'':<34}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}")
    rows = [
        ("trivial endpoint", trivial),
        ("GET /healthz (SELECT 1)", health),
        ("POST /api/v1/verify, found", found),
        ("POST /api/v1/verify, wrong name", missed),
        ("GET /healthz again", health_after),
    ]
    for label, r in rows:
        print(f"  {label:<34}{r['rps']:>8.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['cpu_ms']:>8.2f}")
    hz_rps = (health["rps"] + health_after["rps"]) / 2
    hz_p99 = (health["p99"] + health_after["p99"]) / 2
    hz_cpu = (health["cpu_ms"] + health_after["cpu_ms"]) / 2
    print(
        f"  lookup vs /healthz: {found['rps'] / hz_rps:.2f}x the throughput, "
        f"p99 {found['p99'] / hz_p99:.2f}x, server CPU {found['cpu_ms'] / hz_cpu:.2f}x"
    )
    print(
        f"  lookup vs trivial:  {found['rps'] / trivial['rps']:.2f}x the throughput, "
        f"server CPU {found['cpu_ms'] / trivial['cpu_ms']:.2f}x"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
