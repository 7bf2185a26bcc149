"""One Server-Sent Events stream: the topics it follows, until the client goes away.

Opened after the request's dependencies are done (authentication, access): a stream holds
no database session and no worker thread, only a queue in the hub."""

import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse

from app.live.hub import hub
from app.live.service import PING_SECONDS

# How long the browser waits before reconnecting a dropped stream (EventSource's retry).
RETRY_MILLISECONDS = 2000


def event_stream(
    topics: list[str], *, hello: dict[str, Any], registration_id: int | None = None
) -> EventSourceResponse:
    """`hello` is sent first: the page then knows the channel is live (and re-reads its
    state, since what happened while it was disconnected was not pushed to it)."""

    async def events() -> AsyncIterator[dict[str, Any]]:
        async with hub.subscribe(topics, registration_id=registration_id) as queue:
            yield {
                "data": json.dumps({"kind": "hello", **hello}, ensure_ascii=False),
                "retry": RETRY_MILLISECONDS,
            }
            while True:
                yield {"data": await queue.get()}

    return EventSourceResponse(events(), ping=PING_SECONDS, headers={"Cache-Control": "no-store"})
