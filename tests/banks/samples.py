"""A small valid bank file for the banks tests, and helpers to break it on purpose."""

from app.banks.format import Problem

BANK = """\
format: jiping-bank/1
bank:
  code: T-1
  name: 测试题库
  occupation: "6-31-01-03"
  direction: ""
  levels: [intermediate]
outline:
  - area: A
    name: 基础知识
    weight: 40
    points:
      - code: "001"
        name: 直流电路
        importance: X
      - code: "002"
        name: 交流电路
        importance: Y
  - area: B
    name: 专业知识
    weight: 60
    points:
      - code: "001"
        name: 低压电器
        importance: Z
items:
  - id: SC-1
    type: single_choice
    area: A
    point: "001"
    difficulty: 2
    points: 1.5
    stem: 欧姆定律表明，导体中的电流与导体两端的电压成（　　）。
    options:
      A: 反比
      B: 正比
      C: 平方关系
    key: B
    explanation: I = U / R。
  - id: MC-1
    type: multiple_choice
    area: A
    point: "002"
    difficulty: 3
    points: 2
    stem: 下列属于正弦交流电三要素的有（　　）。
    options:
      A: 最大值
      B: 电阻率
      C: 角频率
      D: 初相位
    key: [A, C, D]
  - id: TF-1
    type: true_false
    area: B
    point: "001"
    difficulty: 1
    points: 1
    stem: 熔断器主要用于短路保护。
    key: true
  - id: FN-1
    type: fill_in
    area: B
    point: "001"
    difficulty: 2
    points: 1
    stem: 我国工频交流电的频率为 ____。
    key:
      numeric: {value: 50, tolerance: 0}
      unit: Hz
  - id: FT-1
    type: fill_in
    area: A
    point: "001"
    difficulty: 2
    points: 1
    stem: 电流的国际单位是 ____。
    key:
      accepted: [安培, A]
"""

ITEM_COUNT = 5


def edit(text: str, old: str, new: str) -> str:
    """Replace a snippet that occurs exactly once (so the test breaks what it means to)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing needle."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not found {nth} times")


def with_item(text: str, item_id: str, old: str, new: str) -> str:
    """Replace `old` inside one item's block only."""
    start = text.index(f"  - id: {item_id}\n")
    end = text.find("\n  - id: ", start + 1)
    end = len(text) if end < 0 else end + 1
    block = text[start:end]
    assert block.count(old) == 1, f"{old!r} occurs {block.count(old)} times in {item_id}"
    return text[:start] + block.replace(old, new) + text[end:]


def item_line(text: str, item_id: str, needle: str) -> int:
    """Line of `needle` inside one item's block."""
    start_line = line_of(text, f"- id: {item_id}")
    lines = text.splitlines()
    for number in range(start_line, len(lines) + 1):
        if needle in lines[number - 1]:
            return number
        if number > start_line and lines[number - 1].startswith("  - id: "):
            break
    raise AssertionError(f"{needle!r} not in item {item_id}")


def find(problems: list[Problem], *, item_id: str | None = None, field: str) -> Problem:
    found = [p for p in problems if p.field == field and p.item_id == item_id]
    assert found, f"no problem for {item_id}/{field} in {[(p.item_id, p.field) for p in problems]}"
    return found[0]
