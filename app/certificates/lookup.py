"""The public lookup's guard: lookups per client address per minute (settings
`lookup_per_minute`), shared by the page and the API."""

from functools import lru_cache

from app.core.config import get_settings
from app.core.errors import TooManyAttempts
from app.core.ratelimit import SlidingWindow


@lru_cache
def _window(per_minute: int) -> SlidingWindow:
    return SlidingWindow(per_minute)


def admit(client: str) -> None:
    """Count a lookup by this client; refuse once it is over the minute's allowance."""
    window = _window(get_settings().lookup_per_minute)
    if not window.allow(client):
        raise TooManyAttempts(
            f"查询过于频繁，请 {window.retry_after(client)} 秒后再试", code="lookup_rate_limited"
        )
