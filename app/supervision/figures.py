"""The regulator's figures as pure functions over plain rows: monthly series for charts,
with the same numbers as the tables beside them. Pure."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# A centre's pass rate this far from its region's is flagged for a look (percentage
# points; Jiping's threshold, not a regulation).
FAR_FROM_REGION = 15.0


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]  # one per month; None where nothing was decided
    counts: list[int]  # the denominators (or counts) behind each value


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    months: list[str]
    series: list[Series]

    def table(self) -> list[list[object]]:
        """The chart as a table: a header row, then one row per series."""
        rows: list[list[object]] = [["", *self.months]]
        for s in self.series:
            rows.append([s.name, *["" if v is None else v for v in s.values]])
        return rows


def pass_rates(rows: Iterable[tuple[str, str, bool]], title: str) -> Chart:
    """(group, month, passed) per decided result → the pass rate (%) per group per month."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    months: set[str] = set()
    for group, month, passed in rows:
        cell = counts[group][month]
        cell[0] += int(passed)
        cell[1] += 1
        months.add(month)
    ordered = sorted(months)
    series = []
    for group in sorted(counts):
        cells = [counts[group].get(m) for m in ordered]
        series.append(
            Series(
                group,
                [round(100 * c[0] / c[1], 1) if c else None for c in cells],
                [c[1] if c else 0 for c in cells],
            )
        )
    return Chart(title, "%", ordered, series)


def sums(rows: Iterable[tuple[str, str, int]], title: str, unit: str) -> Chart:
    """(series, month, amount) → totals per series per month."""
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    months: set[str] = set()
    for name, month, amount in rows:
        cell = totals[name][month]
        cell[0] += amount
        cell[1] += 1
        months.add(month)
    ordered = sorted(months)
    return Chart(
        title,
        unit,
        ordered,
        [
            Series(
                name,
                [totals[name][m][0] if m in totals[name] else 0 for m in ordered],
                [totals[name][m][1] if m in totals[name] else 0 for m in ordered],
            )
            for name in sorted(totals)
        ],
    )


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def far_from(centre_rate: float | None, region_rate: float | None) -> bool:
    return (
        centre_rate is not None
        and region_rate is not None
        and abs(centre_rate - region_rate) > FAR_FROM_REGION
    )
