"""The push channel's fan-out inside one process: topics, and the open streams (SSE)
subscribed to them.

A message reaches the hub once its transaction has committed: on SQLite straight from
the committing thread (one process serves everything), on PostgreSQL through
LISTEN/NOTIFY, so an action taken on one instance reaches the pages another serves
(app/live/service.py). The hub itself never touches the database."""

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable

log = logging.getLogger(__name__)

# Messages a slow stream may have waiting; past that it gets one "resync" instead (the
# page then asks for its state), so a stuck client never holds memory without bound.
QUEUE_MAX = 64
RESYNC = '{"kind":"resync"}'


class Hub:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        # Registrations with an open candidate stream on this process (a page can be open
        # twice, in two tabs): the presence writer marks their attempts as seen.
        self.present: Counter[int] = Counter()

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    @contextlib.asynccontextmanager
    async def subscribe(
        self, topics: Iterable[str], *, registration_id: int | None = None
    ) -> AsyncIterator["asyncio.Queue[str]"]:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_MAX)
        names = list(topics)
        for name in names:
            self._subscribers[name].add(queue)
        if registration_id is not None:
            self.present[registration_id] += 1
        try:
            yield queue
        finally:
            for name in names:
                subs = self._subscribers.get(name)
                if subs is not None:
                    subs.discard(queue)
                    if not subs:
                        del self._subscribers[name]
            if registration_id is not None:
                self.present[registration_id] -= 1
                if self.present[registration_id] <= 0:
                    del self.present[registration_id]

    def deliver(self, messages: Iterable[tuple[str, str]]) -> None:
        """On the event loop: hand each (topic, json) to the streams of its topic."""
        for topic, data in messages:
            for queue in self._subscribers.get(topic, ()):
                _put(queue, data)

    def deliver_all(self, data: str) -> None:
        """Every stream (after a lost NOTIFY connection: what was missed is unknown)."""
        for subs in self._subscribers.values():
            for queue in subs:
                _put(queue, data)

    def deliver_threadsafe(self, messages: list[tuple[str, str]]) -> None:
        """From any thread (a request's commit runs on a worker thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # no server in this process (CLI, a script): nobody is listening
        try:
            loop.call_soon_threadsafe(self.deliver, messages)
        except RuntimeError:  # the loop closed meanwhile
            log.debug("push dropped: event loop closed")


def _put(queue: "asyncio.Queue[str]", data: str) -> None:
    try:
        queue.put_nowait(data)
    except asyncio.QueueFull:
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                queue.get_nowait()
        queue.put_nowait(RESYNC)


hub = Hub()
