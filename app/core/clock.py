"""The server's clock. All stored times are naive UTC; pages show Asia/Shanghai."""

from datetime import UTC, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "CST")

_offset = timedelta(0)


def utcnow() -> datetime:
    """Naive UTC now (plus the test offset, which only tests move)."""
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def travel(delta: timedelta) -> None:
    """Move the clock forward in tests (deadline and timer tests)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def to_china(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(CHINA_TZ)


def from_china(dt: datetime) -> datetime:
    """A wall-clock time typed by a user in China, as naive UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=CHINA_TZ)
    return dt.astimezone(UTC).replace(tzinfo=None)
