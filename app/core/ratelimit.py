"""A sliding-window request limit per client, kept in the process (public endpoints that
need no login: the certificate lookup). Each app instance counts its own clients, so N
instances allow N times the figure: enough to stop one client enumerating numbers."""

import threading
import time
from collections import OrderedDict, deque

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 50_000  # the oldest-seen clients are forgotten beyond this


class SlidingWindow:
    def __init__(self, per_window: int, window_seconds: float = WINDOW_SECONDS) -> None:
        self.per_window = per_window
        self.window = window_seconds
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count one request of the client; False when it is over the limit (not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            allowed = len(hits) < self.per_window
            if allowed:
                hits.append(now)
            self._hits[client] = hits  # most recently seen last
            while len(self._hits) > MAX_CLIENTS:
                self._hits.popitem(last=False)
            return allowed

    def retry_after(self, client: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(client)
            if not hits:
                return 0
            return max(1, int(hits[0] + self.window - now) + 1)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
