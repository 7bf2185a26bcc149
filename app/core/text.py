"""Text rules shared by every form and import: typed numbers, and names people can read.

`str.isdigit()` is true for "²" and "٣", which `int()` refuses or reads differently: a
typed number is ASCII digits (after folding full-width ones), or it is not a number.

A name is shown to proctors, printed on tickets and written to exports. It may not be
empty or invisible (zero-width spaces, Hangul fillers), carry control characters, or carry
bidirectional overrides, which make "ABC‮DEF" display as something else than it is."""

import unicodedata

_FULL_WIDTH_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}
# Characters that are letters to Unicode but show nothing.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def typed_int(text: str) -> int | None:
    """The integer typed into a form field, or None if it is not one."""
    t = text.translate(_FULL_WIDTH_DIGITS).strip()
    return int(t) if t.isascii() and t.isdigit() and len(t) <= 18 else None


def _invisible(ch: str) -> bool:
    return ch in _INVISIBLE_LETTERS or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Mn")


def clean_name(value: str) -> str:
    """The stored form: composed (NFC), spaces trimmed."""
    return unicodedata.normalize("NFC", value).strip()


def name_problem(value: str, *, label: str = "姓名", max_length: int = 50) -> str | None:
    """Why this name cannot be stored, or None."""
    name = clean_name(value)
    if any(ch in _BIDI_CONTROLS for ch in name):
        return f"{label}不能包含文字方向控制字符"
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in name):
        return f"{label}不能包含控制字符或无效字符"
    if not name or all(_invisible(ch) or ch.isspace() for ch in name):
        return f"{label}不能为空，也不能只含不可见字符"
    if len(name) > max_length:
        return f"{label}不能超过 {max_length} 个字符"
    return None
