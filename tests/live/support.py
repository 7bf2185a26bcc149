"""Reading a Server-Sent Events stream from a test: a thread reads the stream and hands
each JSON message to a queue, so a test waits for a message with a timeout."""

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx


@contextmanager
def sse(url: str, token: str) -> Iterator["queue.Queue[dict[str, Any]]"]:
    """Open the stream; yields once its first message (hello) arrived."""
    found: queue.Queue[dict[str, Any]] = queue.Queue()
    stop = threading.Event()
    opened = threading.Event()

    def read() -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(30, read=None)) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                if response.status_code != 200:
                    found.put({"kind": "refused", "status": response.status_code})
                    opened.set()
                    return
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("data:"):
                        found.put(json.loads(line[5:].strip()))
                        opened.set()
        except httpx.HTTPError:
            return  # the server stopped (the test is over)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(10), "the stream did not open"
    try:
        yield found
    finally:
        stop.set()


def wait_for(found: "queue.Queue[dict[str, Any]]", kind: str, within: float) -> dict[str, Any]:
    """The first message of this kind within `within` seconds (others are skipped)."""
    until = time.monotonic() + within
    while True:
        left = until - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind!r} message within {within} s")
        try:
            message = found.get(timeout=left)
        except queue.Empty:
            continue
        if message.get("kind") == kind:
            return message


def api_token(base: str, path: str, body: dict[str, str]) -> str:
    r = httpx.post(f"{base}/api/v1/auth/{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])
