"""The seat map (座位图) of a room: seats laid out in rows as the proctor sees them from the
front. Pure: seat numbers in, rows out.

Jiping does not know a room's furniture; it assumes seats are numbered from the front
left, row by row, `per_row` to a row (the session's 每排座位数, 6 by default: a common
computer-room row). A seat number without a registration (never given, or its candidate
withdrawn) is a gap, so every other seat stays where it is in the room."""

from collections.abc import Mapping
from typing import TypeVar

DEFAULT_SEATS_PER_ROW = 6
MAX_SEATS_PER_ROW = 20

T = TypeVar("T")


def seat_rows(seats: Mapping[int, T], per_row: int) -> list[list[tuple[int, T | None]]]:
    """Rows of (seat number, what sits there or None) from seat 1 to the highest seat:
    seat n is in row (n - 1) // per_row, place (n - 1) % per_row. No seats, no rows."""
    if not seats:
        return []
    width = max(1, min(per_row, MAX_SEATS_PER_ROW))
    last = max(seats)
    rows: list[list[tuple[int, T | None]]] = []
    for first in range(1, last + 1, width):
        rows.append([(n, seats.get(n)) for n in range(first, min(first + width, last + 1))])
    return rows


def seats_per_row_problem(value: int | None) -> str | None:
    if value is None or not 1 <= value <= MAX_SEATS_PER_ROW:
        return f"每排座位数应在 1–{MAX_SEATS_PER_ROW} 之间"
    return None
