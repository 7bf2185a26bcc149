"""The answer sheet (答题卡) as printed papers have it: the questions grouped by section,
each with its heading ("一、单项选择题（共 40 题，每题 1 分）"). Pure functions."""

from collections.abc import Iterable
from dataclasses import dataclass, field

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (section numbers)."""
    if not 0 < n < 100:
        raise ValueError(f"section number out of range: {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


@dataclass
class SheetSection:
    number: int  # 1-based, in paper order
    type_name: str
    positions: list[int] = field(default_factory=list)
    points: list[float] = field(default_factory=list)

    @property
    def numeral(self) -> str:
        return chinese_numeral(self.number)

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def points_each(self) -> float | None:
        """The points of every question, when they are all worth the same."""
        return self.points[0] if self.points and len(set(self.points)) == 1 else None

    @property
    def total_points(self) -> float:
        return sum(self.points)


def answer_sheet(questions: Iterable[tuple[int, int, str, float]]) -> list[SheetSection]:
    """(position, section index, type name, points) in paper order → the sheet's sections.
    A section is a run of questions with the same section index."""
    sections: list[SheetSection] = []
    last: int | None = None
    for position, section, type_name, points in questions:
        if section != last or not sections:
            sections.append(SheetSection(number=len(sections) + 1, type_name=type_name))
            last = section
        sections[-1].positions.append(position)
        sections[-1].points.append(points)
    return sections
