"""What the benchmark scripts share (they are scripts, not tests): the real server started
with uvicorn on 127.0.0.1, its CPU time from /proc, a lean HTTP/1.1 keep-alive client,
percentiles, and the trivial endpoint every figure is compared with.

The trivial endpoint is served by `scripts.bench_app:app`: the application itself with one
`async def` route added FIRST in the route table, so that it costs what FastAPI and uvicorn
cost for a request that does nothing. Each benchmark measures it in the same run as the
operation it reports and prints the ratio: the machine is small and shared, so absolute
figures move from one run to the next and ratios much less."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_APP = "scripts.bench_app:app"
TRIVIAL_PATH = "/bench/trivial"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    *,
    app: str,
    database_url: str,
    port: int,
    workers: int = 1,
    loop: str = "uvloop",
    http: str = "httptools",
    sweeper: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """uvicorn serving `app` over `database_url`; returns once /healthz answers."""
    full_env = {
        **os.environ,
        "JIPING_DATABASE_URL": database_url,
        "JIPING_ENVIRONMENT": "development",
        "JIPING_RUN_SWEEPER": "true" if sweeper else "false",
        **(env or {}),
    }
    full_env.pop("DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        loop,
        "--http",
        http,
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not come up within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


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


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; the last value of a repeated header
    body: bytes


class RawConnection:
    """HTTP/1.1 keep-alive over one socket; just enough for the benchmarks (responses
    carry Content-Length or no body), so that the load generator costs little CPU."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str = "",
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        read_body: bool = True,
    ) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if body or method in ("POST", "PUT", "PATCH"):
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        found: dict[str, str] = {}
        for line in raw.split(b"\r\n")[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                found[name.strip().lower().decode()] = value.strip().decode("latin-1")
        length = int(found.get("content-length", "0"))
        data = await self.reader.readexactly(length) if length else b""
        return Reply(status, found, data if read_body else b"")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
