"""Reading a bank file's YAML: one pass over libyaml's C parser, every node with its line.

Pure. The file is hostile until proven otherwise, and this is where it is first touched:
anchors and aliases (an alias bomb expands to billions of nodes), explicit tags
(constructors), duplicate keys and absurd nesting are refused while the events stream by,
so nothing is ever expanded or constructed from them. Scalars follow the YAML 1.2 core
schema (`yes` stays text, `001` stays recognisably three digits). Syntax errors come back
in Chinese, on the line the author has to fix, with the common slips named: a full-width
colon "：", a tab, a missing space after ":".

Mappings and sequences carry `lc` (zero-based lines of the container, of each key and of
each element), the interface the validation in app.banks.format reads lines from."""

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events

if yaml.__with_libyaml__:  # the manylinux wheels ship it; the pure parser is 20× slower
    from yaml._yaml import CParser as _Parser
else:  # pragma: no cover
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)


MAX_DEPTH = 32
MAX_STRUCTURE_PROBLEMS = 20


@dataclass(frozen=True)
class SourceProblem:
    line: int | None  # 1-based
    message: str


class _Lines:
    """Where a container and its parts start (0-based)."""

    __slots__ = ("items", "keys", "line")

    def __init__(self, line: int) -> None:
        self.line = line
        self.keys: dict[Any, int] = {}
        self.items: list[int] = []

    def key(self, key: Any) -> tuple[int, int]:
        return self.keys[key], 0

    def item(self, index: int) -> tuple[int, int]:
        return self.items[index], 0


class LocatedMap(dict[Any, Any]):
    __slots__ = ("lc",)
    lc: _Lines


class LocatedSeq(list[Any]):
    __slots__ = ("lc",)
    lc: _Lines


class WrittenInt(int):
    """An integer that remembers how many characters it was written with ("001" → 3)."""

    _width: int


_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = {".nan", ".NaN", ".NAN"}


def _plain(text: str) -> Any:
    """A plain (unquoted) scalar by the YAML 1.2 core schema."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        number = WrittenInt(int(text))
        number._width = len(text)
        return number
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if text in _NAN:
        return float("nan")
    return text


def load(text: str) -> tuple[Any, list[SourceProblem]]:
    """The document, or None with what is wrong (structure problems, or one syntax error)."""
    problems: list[SourceProblem] = []
    stack: list[tuple[LocatedMap | LocatedSeq, list[Any]]] = []  # container, [pending key]
    root: list[Any] = []
    documents = 0

    def refuse(line: int, message: str) -> None:
        problems.append(SourceProblem(line + 1, message))

    def place(value: Any, line: int) -> None:
        if not stack:
            root.append(value)
            return
        container, pending = stack[-1]
        if isinstance(container, LocatedSeq):
            container.append(value)
            container.lc.items.append(line)
        elif not pending:
            if isinstance(value, LocatedMap | LocatedSeq):
                refuse(line, "字段名应为文本，不能是列表或映射")
                value = f"<{line}>"
            pending.append((value, line))
        else:
            key, key_line = pending.pop()
            if key in container:
                refuse(
                    key_line, f"同一层中字段 {key} 重复（第 {container.lc.keys[key] + 1} 行已有）"
                )
            else:
                container.lc.keys[key] = key_line
            container[key] = value

    parser = _Parser(text)
    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            line = event.start_mark.line if event.start_mark else 0
            if (
                kind is events.ScalarEvent
                or kind is events.MappingStartEvent
                or (kind is events.SequenceStartEvent)
            ):
                if event.anchor is not None:
                    refuse(line, f"不允许使用 YAML 锚点（&{event.anchor}）")
                if event.tag is not None and event.tag != "!":
                    refuse(line, f"不允许使用 YAML 标签（{event.tag}）")
            if kind is events.ScalarEvent:
                value = event.value if event.style or not event.implicit[0] else _plain(event.value)
                place(value, line)
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    refuse(line, f"嵌套层次超过 {MAX_DEPTH} 层")
                    break
                container: LocatedMap | LocatedSeq = (
                    LocatedMap() if kind is events.MappingStartEvent else LocatedSeq()
                )
                container.lc = _Lines(line)
                stack.append((container, []))
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                done, _ = stack.pop()
                place(done, done.lc.line)
            elif kind is events.AliasEvent:
                refuse(line, f"不允许使用 YAML 别名（*{event.anchor}）")
                place(None, line)
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    refuse(line, "一个题库文件只能有一个 YAML 文档（不要用“---”分隔多个文档）")
                    break
            if len(problems) >= MAX_STRUCTURE_PROBLEMS:
                break
    except yaml.MarkedYAMLError as exc:
        return None, [syntax_problem(exc, text)]
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        return None, [SourceProblem(None, f"不是有效的 YAML：{exc}")]
    if problems:
        return None, problems
    return (root[0] if root else None), []


# --- syntax errors in Chinese, on the true line ------------------------------------------

# libyaml's wording (problem or context) → what an author reads.
_MESSAGES: tuple[tuple[str, str], ...] = (
    ("maximum nesting depth", f"嵌套层次超过 {MAX_DEPTH} 层"),
    ("could not find expected ':'", "找不到“字段: 值”中的冒号（冒号应为半角“:”，后面跟一个空格）"),
    (
        "mapping values are not allowed",
        "此处不能写“字段: 值”（常见原因：缩进不对，或值中含有“: ”却没有加引号）",
    ),
    ("tab character", "用了制表符（Tab）缩进，YAML 只能用空格缩进"),
    (
        "cannot start any token",
        "出现了不能作为内容开头的字符（如制表符 Tab、@ 或 `）；这样的内容请加引号",
    ),
    ("did not find expected key", "缩进没有对齐，这里应是同一层的字段名"),
    ("did not find expected '-' indicator", "缩进没有对齐，列表项应以“- ”开头并与上一项对齐"),
    ("did not find expected ',' or ']'", "方括号列表 [ … ] 没有闭合，或其中缺少逗号"),
    ("did not find expected ',' or '}'", "花括号映射 { … } 没有闭合，或其中缺少逗号"),
    ("found unexpected end of stream", "文件意外结束（有引号或括号没有闭合）"),
    (
        "found unknown escape character",
        "双引号中有无效的转义字符（反斜杠请写成 \\\\，或改用单引号）",
    ),
    ("block sequence entries are not allowed", "此处不能开始列表项“- ”（常见原因：缩进不对）"),
    ("expected <block end>", "缩进没有对齐"),
    ("did not find expected node content", "此处缺少内容"),
    ("found unexpected ':'", "出现了多余的冒号“:”（值中含有冒号时请加引号）"),
    ("found character that cannot start", "出现了不能作为内容开头的字符；这样的内容请加引号"),
)

# Slips named by what the author wrote on the line: an ASCII field name and then...
_FULL_WIDTH_COLON = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][A-Za-z0-9_]*\s*：")
_NO_SPACE = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][A-Za-z0-9_]*:[^\s/]")
_TAB_INDENT = re.compile(r"^ *\t")
SLIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_TAB_INDENT, "这一行用了制表符（Tab）缩进，请改为空格"),
    (_FULL_WIDTH_COLON, "这一行的冒号是全角“：”，应改为半角“:”并在其后加一个空格"),
    (_NO_SPACE, "这一行的冒号“:”后缺少空格，应写成“字段: 值”"),
)


def _slip(line_text: str) -> str | None:
    return next((says for pattern, says in SLIPS if pattern.search(line_text)), None)


def syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> SourceProblem:
    problem_mark = exc.problem_mark or exc.context_mark
    context_mark = exc.context_mark
    wording = f"{exc.problem or ''} {exc.context or ''}"
    detail = next((says for words, says in _MESSAGES if words in wording), None)
    detail = detail or f"语法错误（{exc.problem or exc.context or ''}）"
    if problem_mark is None:
        return SourceProblem(None, f"不是有效的 YAML：{detail}")
    lines = text.splitlines()
    last = problem_mark.line
    # libyaml notices an unfinished key only on the next line; the author's slip is on
    # the line the key started, or just before where the parser gave up.
    first = context_mark.line if context_mark is not None else max(last - 2, 0)
    first = min(first, last)
    for index in range(first, min(last, len(lines) - 1) + 1):
        if (slip := _slip(lines[index])) is not None:
            return SourceProblem(index + 1, f"不是有效的 YAML：{slip}")
    true_line = (
        context_mark.line if "could not find expected ':'" in wording and context_mark else last
    )
    return SourceProblem(true_line + 1, f"不是有效的 YAML：{detail}")


def hint_for_text_item(value: Any) -> str:
    """Why a line meant as "field: value" was read as text, when a slip explains it."""
    if isinstance(value, str):
        return _slip(value) or ""
    return ""
