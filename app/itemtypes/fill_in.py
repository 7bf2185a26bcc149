"""填空题: one blank (____ in the stem); the key is accepted texts, or a number with a
tolerance, with an optional unit. A numeric key may also accept other ways of writing the
unit (unit_words: "秒" for s), Chinese numerals ("十五"), and fix the decimals an answer is
written with (decimals, taken from the stem's "保留 N 位小数")."""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import cn2an

from app.itemtypes.base import (
    ItemOutcome,
    ItemType,
    ItemTypeStrategy,
    KeyForm,
    MultipleChoiceRule,
    Report,
    ResponseRejected,
    blank,
    credited,
    dec,
    number_of,
    only_keys,
    right_or_wrong,
    shown,
    text_of,
    typed_number,
)

BLANK = re.compile(r"_{4,}")
MAX_ANSWER_CHARS = 200  # the page's input allows as much; longer text is not an answer
_TRAILING_STOPS = "。.．｡"


def _exact_text(text: str) -> str:
    """normalise_text without folding letter case (a file that says case matters)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace()).rstrip(_TRAILING_STOPS)


def normalise_text(text: str) -> str:
    """Fold what a typist cannot see or does not mean: full-width forms → half-width
    (NFKC), letter case, every space (the ideographic U+3000 included) and a trailing
    full stop. "ＡＢＣ　１２。" and "abc12" compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(ch for ch in folded if not ch.isspace())
    return folded.rstrip(_TRAILING_STOPS)


# Digits with optional sign, comma thousands groups (only well-formed groups: "1,5" is not
# 15), a decimal part, and an optional exponent of at most 3 digits.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:e[+-]?\d{1,3})?")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


def parse_number(text: str, unit: str = "") -> Decimal | None:
    """A numeric fill-in answer as a Decimal, or None when it is not a number.
    Accepts full-width digits, "+"/"-" (and the typographic minus), "1,000", "5.",
    ".5", "2.2e2", and the key's unit after the number ("5A", "5 A" when unit is "A").
    The unit is compared case-sensitively: "mA" is not "MA"."""
    s = unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS)
    s = "".join(ch for ch in s if not ch.isspace())
    unit_n = "".join(ch for ch in unicodedata.normalize("NFKC", unit) if not ch.isspace())
    if unit_n and s.endswith(unit_n):
        s = s[: -len(unit_n)]
    s = s.lower()
    if not s or not any(ch.isdigit() for ch in s) or _NUMBER.fullmatch(s) is None:
        return None
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def numeric_answer_right(key: Mapping[str, Any], text: str) -> bool:
    """A numeric fill-in answer against its key: within the tolerance, written with the
    key's unit or one of its unit words, in Chinese numerals when the key allows them, and
    with exactly the decimals the stem asks for ("保留 1 位小数": 3.14 is not an answer
    even when the tolerance would take it)."""
    numeric = key["numeric"]
    units = [str(u) for u in [key.get("unit"), *key.get("unit_words", [])] if u]
    read = read_number(text, units, chinese=bool(key.get("chinese_numerals")))
    if read is None:
        return False
    given, decimals = read
    wanted = numeric.get("decimals")
    if wanted is not None and decimals != int(wanted):
        return False
    target, tolerance = dec(numeric["value"]), abs(dec(numeric.get("tolerance") or 0))
    return abs(given - target) <= tolerance


_CHINESE_NUMERAL = re.compile(
    r"[负]?[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
)


def read_number(
    text: str, units: Iterable[str] = (), *, chinese: bool = False
) -> tuple[Decimal, int] | None:
    """(value, decimals written) of a numeric answer, or None when it is not a number.
    A trailing unit from `units` is dropped (the longest that matches); with `chinese`,
    "十五", "三点一四", "两" are numbers too."""
    s = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    for unit in sorted(
        ("".join(ch for ch in unicodedata.normalize("NFKC", u) if not ch.isspace()) for u in units),
        key=len,
        reverse=True,
    ):
        if unit and s.endswith(unit) and len(s) > len(unit):
            s = s[: -len(unit)]
            break
    if chinese and _CHINESE_NUMERAL.fullmatch(s):
        try:
            value = cn2an.cn2an(s, "normal")
        except ValueError:
            return None
        return dec(value), len(s.partition("点")[2])
    number = parse_number(s)
    if number is None:
        return None
    digits = s.lower().split("e")[0].partition(".")[2] if "." in s else ""
    return number, len(digits)


# The 答案 cell of a numeric key: "数值 220±0.5 V" (a leading "=" would make Excel read a
# formula).
_NUMERIC_CELL = re.compile(r"数值[:：]?\s*([-+]?\d+(?:\.\d+)?)\s*(?:±\s*(\d+(?:\.\d+)?))?\s*(.*)")
KEY_FIELDS = (
    "accepted",
    "numeric",
    "unit",
    "unit_words",
    "chinese_numerals",
    "partial",
    "case_sensitive",
)
_STEM_DECIMALS = re.compile(r"保留\s*([0-9一二三四五六])\s*位小数")
_DIGIT_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


class FillIn(ItemTypeStrategy):
    item_type = ItemType.FILL_IN
    name = "填空题"
    unshown_key_fields = {
        "partial": "部分得分的答案",
        "case_sensitive": "区分大小写",
        "unit_words": "单位的其他写法",
        "chinese_numerals": "可用中文数字作答",
        "decimals": "小数位数",  # inside numeric: see unshown
    }

    def unshown(self, source_key: Any) -> dict[str, Any]:
        kept = super().unshown(source_key)
        numeric = source_key.get("numeric") if isinstance(source_key, Mapping) else None
        if isinstance(numeric, Mapping) and "decimals" in numeric:
            kept["decimals"] = numeric["decimals"]
        return kept

    def key_from_edit(self, form: KeyForm, current: Any) -> Any:
        """As every type's, with a numeric key's decimals (小数位数) kept inside `numeric`."""
        key = super().key_from_edit(form, current)
        decimals = key.pop("decimals", None)
        if decimals is not None and isinstance(key.get("numeric"), dict):
            key["numeric"].setdefault("decimals", decimals)
        return key

    def key_from_form(self, form: KeyForm) -> Any:
        """Text alternatives, one a line, or a number with its tolerance; a unit either way."""
        key: dict[str, Any] = {}
        if form.text("key_mode") == "numeric":
            key["numeric"] = {
                "value": typed_number(form.text("numeric_value")),
                "tolerance": typed_number(form.text("numeric_tolerance")),
            }
        else:
            key["accepted"] = [
                line.strip() for line in form.text("accepted").splitlines() if line.strip()
            ]
        if form.text("unit"):
            key["unit"] = form.text("unit")
        return key

    def check_stem(self, stem: str, report: Report) -> None:
        blanks = len(BLANK.findall(stem))
        if blanks == 0:
            report("stem", "填空题的题干中应有一个用 ____（至少四个下划线）标出的空")
        elif blanks > 1:
            report("stem", f"填空题只能有一个空，题干中有 {blanks} 个 ____")

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            report(
                "key",
                "填空题的答案应写成 accepted: [答案, ...] 或 numeric: {value: 数值, tolerance: 允差}",
            )
            return None
        ok = True
        for k in value:
            if k not in KEY_FIELDS:
                report(f"key.{k}", f"填空题答案中的未知字段“{k}”（可用：{'、'.join(KEY_FIELDS)}）")
                ok = False
        has_accepted, has_numeric = "accepted" in value, "numeric" in value
        if has_accepted == has_numeric:
            report("key", "填空题答案应有且只有 accepted（文本答案）或 numeric（数值答案）之一")
            return None
        key: dict[str, Any] = {}
        if has_accepted:
            accepted = value["accepted"]
            if not isinstance(accepted, list) or not accepted:
                report("key.accepted", "accepted 应为非空的答案列表，如 accepted: [传输层, 传输]")
                ok = False
            else:
                texts = [text_of(a) for a in accepted]
                if any(t is None for t in texts):
                    report("key.accepted", "accepted 中的每个答案都应为非空文本（数字请加引号）")
                    ok = False
                key["accepted"] = texts
        else:
            numeric = value["numeric"]
            if not isinstance(numeric, Mapping):
                report("key.numeric", "numeric 应写成 {value: 数值, tolerance: 允差}")
                return None
            for k in numeric:
                if k not in ("value", "tolerance", "decimals"):
                    report(
                        f"key.numeric.{k}",
                        f"numeric 中的未知字段“{k}”（可用：value、tolerance、decimals）",
                    )
                    ok = False
            number = number_of(numeric.get("value"))
            tolerance = number_of(numeric.get("tolerance"))
            if number is None:
                report(
                    "key.numeric.value",
                    f"数值答案 value 应为数，实际为{shown(numeric.get('value'))}",
                )
                ok = False
            if "tolerance" not in numeric:
                report("key.numeric.tolerance", "缺少允差 tolerance（不允许误差时写 0）")
                ok = False
            elif tolerance is None or tolerance < 0:
                report(
                    "key.numeric.tolerance",
                    f"允差 tolerance 应为不小于 0 的数，实际为{shown(numeric.get('tolerance'))}",
                )
                ok = False
            key["numeric"] = {"value": number, "tolerance": tolerance}
            if "decimals" in numeric:
                decimals = numeric["decimals"]
                if (
                    isinstance(decimals, bool)
                    or not isinstance(decimals, int)
                    or not 0 <= decimals <= 6
                ):
                    report(
                        "key.numeric.decimals",
                        f"小数位数 decimals 应为 0 至 6 的整数，实际为{shown(decimals)}",
                    )
                    ok = False
                else:
                    key["numeric"]["decimals"] = int(decimals)
        if "unit" in value:
            unit = text_of(value["unit"])
            if unit is None:
                report("key.unit", "单位 unit 应为非空文本，如 V")
                ok = False
            key["unit"] = unit
        ok = _check_numeric_extras(value, key, report) and ok
        ok = _check_text_extras(value, key, report) and ok
        return key if ok else None

    def check_key_against_stem(self, stem: str, key: dict[str, Any], report: Report) -> bool:
        """A stem that says "保留 N 位小数" fixes the decimals an answer is written with: the
        key takes them (or must agree), and its value must be written that way itself."""
        numeric = key.get("numeric")
        if numeric is None or numeric.get("value") is None:
            return True
        found = _STEM_DECIMALS.search(stem)
        if found is not None:
            said = found[1]
            stem_decimals = int(said) if said.isdigit() else _DIGIT_WORDS[said]
            if numeric.setdefault("decimals", stem_decimals) != stem_decimals:
                report(
                    "key.numeric.decimals",
                    f"题干要求保留 {stem_decimals} 位小数，答案却写 decimals: {numeric['decimals']}",
                )
                return False
        decimals = numeric.get("decimals")
        if decimals is not None and round(numeric["value"], decimals) != numeric["value"]:
            report(
                "key.numeric.value",
                f"答案 {numeric['value']:g} 不是保留 {decimals} 位小数的写法",
            )
            return False
        return True

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        out: dict[str, Any] = {}
        if "accepted" in key:
            out["accepted"] = list(key["accepted"])
        if "numeric" in key:
            numeric = key["numeric"]
            out["numeric"] = {
                "value": _plain_number(numeric["value"]),
                "tolerance": _plain_number(numeric["tolerance"]),
            }
            if "decimals" in numeric:
                out["numeric"]["decimals"] = numeric["decimals"]
        if key.get("unit"):
            out["unit"] = key["unit"]
        if key.get("unit_words"):
            out["unit_words"] = list(key["unit_words"])
        if key.get("chinese_numerals"):
            out["chinese_numerals"] = True
        if key.get("partial"):
            out["partial"] = {t: _plain_number(v) for t, v in key["partial"].items()}
        if key.get("case_sensitive"):
            out["case_sensitive"] = True
        return out

    def key_from_cell(self, text: str) -> Any:
        """ "传输层|传输" (text alternatives) or "数值 220±0.5 V；小数位 1；单位也可写 伏；可用中文数字"."""
        folded = unicodedata.normalize("NFKC", text).strip()
        parts = [p.strip() for p in folded.split(";")]
        m = _NUMERIC_CELL.fullmatch(parts[0]) if folded.startswith("数值") else None
        if m is None:
            return _text_key_from_cell(text)
        numeric: dict[str, Any] = {"value": float(m[1]), "tolerance": float(m[2] or 0)}
        key: dict[str, Any] = {"numeric": numeric}
        if m[3].strip():
            key["unit"] = m[3].strip()
        for part in parts[1:]:
            if part.startswith("小数位"):
                digits = part.removeprefix("小数位").strip()
                numeric["decimals"] = int(digits) if digits.isdigit() else digits
            elif part.startswith("单位也可写"):
                words = re.split(r"[/、,]", part.removeprefix("单位也可写"))
                key["unit_words"] = [w.strip() for w in words if w.strip()]
            elif part == "可用中文数字":
                key["chinese_numerals"] = True
            elif part:
                key[part] = True  # an unknown word: check_key names it
        return key

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        if "accepted" in key:
            parts = ["|".join(key["accepted"])]
            parts += [f"部分 {t}={_plain_number(v)}" for t, v in (key.get("partial") or {}).items()]
            if key.get("case_sensitive"):
                parts.append("区分大小写")
            return "；".join(parts)
        numeric = key["numeric"]
        decimals = numeric.get("decimals")
        value = float(numeric["value"])
        text = f"数值 {value:.{decimals}f}" if decimals is not None else f"数值 {value:g}"
        if numeric.get("tolerance"):
            text += f"±{float(numeric['tolerance']):g}"
        if key.get("unit"):
            text += f" {key['unit']}"
        parts = [text]
        if decimals is not None:
            parts.append(f"小数位 {decimals}")
        if key.get("unit_words"):
            parts.append("单位也可写 " + "/".join(key["unit_words"]))
        if key.get("chinese_numerals"):
            parts.append("可用中文数字")
        return "；".join(parts)

    def view(self, key: Mapping[str, Any]) -> dict[str, Any]:
        return {"unit": key.get("unit", "")}

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        only_keys(response, "text")
        text = response["text"]
        if text is None:
            return {}
        if not isinstance(text, str):
            raise ResponseRejected("填空题的作答应为文字")
        if len(text) > MAX_ANSWER_CHARS:
            raise ResponseRejected(f"填空题答案不能超过 {MAX_ANSWER_CHARS} 个字符")
        return {"text": text} if text.strip() else {}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        text = response.get("text")
        if text is None:
            return blank(full)
        if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
            return right_or_wrong(False, full)
        if normalise_text(text) == "":
            return blank(full)
        numeric = key.get("numeric")
        if numeric is not None:
            if not isinstance(numeric, Mapping) or "value" not in numeric:
                raise ValueError(
                    "numeric fill_in key needs {'numeric': {'value': v, 'tolerance': t}}"
                )
            return right_or_wrong(numeric_answer_right(key, text), full)
        accepted = key.get("accepted")
        if not isinstance(accepted, list) or not accepted:
            raise ValueError("fill_in key needs {'accepted': [...]} or {'numeric': {...}}")
        fold = _exact_text if key.get("case_sensitive") else normalise_text
        answer = fold(text)
        if any(answer == fold(str(a)) for a in accepted):
            return right_or_wrong(True, full)
        for written, share in (key.get("partial") or {}).items():
            if answer == fold(str(written)):
                return credited(full, dec(share), Decimal(1))
        return right_or_wrong(False, full)

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        """传输层 / 传输; 220 V（允许误差 ±0.5）; 0.5 s（保留 1 位小数；单位也可写 秒）."""
        unit = f" {key['unit']}" if key.get("unit") else ""
        numeric = key.get("numeric")
        if isinstance(numeric, Mapping):
            tolerance = float(numeric.get("tolerance") or 0)
            decimals = numeric.get("decimals")
            value = float(numeric["value"])
            notes = [f"允许误差 ±{tolerance:g}"] if tolerance else []
            if decimals is not None:
                notes.append(f"保留 {decimals} 位小数")
            if key.get("unit_words"):
                notes.append(f"单位也可写 {'、'.join(key['unit_words'])}")
            if key.get("chinese_numerals"):
                notes.append("可用中文数字")
            written = f"{value:.{decimals}f}" if decimals is not None else f"{value:g}"
            return f"{written}{unit}{'（' + '；'.join(notes) + '）' if notes else ''}"
        text = " / ".join(str(a) for a in key.get("accepted") or []) + unit
        notes = [f"{t} 得 {float(v):.0%}" for t, v in (key.get("partial") or {}).items()]
        if key.get("case_sensitive"):
            notes.append("区分大小写")
        return f"{text}（{'；'.join(notes)}）" if notes else text

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        text = response.get("text")
        return text if isinstance(text, str) else ""


def _text_key_from_cell(text: str) -> dict[str, Any]:
    """ "传输层|传输", with a file's own extras: "York；部分 york=0.5；区分大小写"."""
    head, *parts = [p.strip() for p in re.split(r"[;；]", text)]
    key: dict[str, Any] = {
        "accepted": [a.strip() for a in re.split(r"[|｜]", head) if a.strip()] or [""]
    }
    for part in parts:
        if part.startswith("部分"):
            written, _, share = part.removeprefix("部分").strip().rpartition("=")
            number = number_of(_float_or_none(share))
            key.setdefault("partial", {})[written.strip()] = number if number is not None else share
        elif part == "区分大小写":
            key["case_sensitive"] = True
        elif part:
            key[part] = True  # an unknown word: check_key names it
    return key


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _check_numeric_extras(value: Mapping[str, Any], key: dict[str, Any], report: Report) -> bool:
    """unit_words: other ways to write the unit after the number ("秒" for s);
    chinese_numerals: true when "十五" may stand for 15. Numeric answers only."""
    ok = True
    numeric = "numeric" in key
    if "unit_words" in value:
        words = value["unit_words"]
        texts = [text_of(w) for w in words] if isinstance(words, list) else None
        if not numeric:
            report("key.unit_words", "unit_words 只用于数值答案（numeric）")
            ok = False
        elif not texts or any(t is None for t in texts):
            report("key.unit_words", "unit_words 应为非空的单位写法列表，如 [秒, 秒钟]")
            ok = False
        else:
            key["unit_words"] = texts
    if "chinese_numerals" in value:
        flag = value["chinese_numerals"]
        if not numeric:
            report("key.chinese_numerals", "chinese_numerals 只用于数值答案（numeric）")
            ok = False
        elif not isinstance(flag, bool):
            report(
                "key.chinese_numerals", f"chinese_numerals 应为 true 或 false，实际为{shown(flag)}"
            )
            ok = False
        elif flag:
            key["chinese_numerals"] = True
    return ok


def _check_text_extras(value: Mapping[str, Any], key: dict[str, Any], report: Report) -> bool:
    """partial: other answers worth a share of the points ({york: 0.5}, from a file's own
    partial credit); case_sensitive: letter case counts. Text answers only."""
    ok = True
    text = "accepted" in key
    if "partial" in value:
        shares = value["partial"]
        if not text:
            report("key.partial", "partial 只用于文本答案（accepted）")
            ok = False
        elif not isinstance(shares, Mapping) or not shares:
            report("key.partial", "partial 应写成 {答案: 得分比例}，如 {york: 0.5}")
            ok = False
        else:
            found: dict[str, float] = {}
            for written, share in shares.items():
                number = number_of(share)
                answer = text_of(written)
                if answer is None or number is None or not 0 < number < 1:
                    report(
                        "key.partial",
                        f"partial 中“{written}”的得分比例应为 0 与 1 之间的数，实际为{shown(share)}",
                    )
                    ok = False
                else:
                    found[answer] = number
            key["partial"] = found
    if "case_sensitive" in value:
        flag = value["case_sensitive"]
        if not text:
            report("key.case_sensitive", "case_sensitive 只用于文本答案（accepted）")
            ok = False
        elif not isinstance(flag, bool):
            report("key.case_sensitive", f"case_sensitive 应为 true 或 false，实际为{shown(flag)}")
            ok = False
        elif flag:
            key["case_sensitive"] = True
    return ok
