"""匹配题: prompts (题项, the left-hand column, in the bank's order) each matched to one of the
options (A, B, ..., the right-hand column; an option may answer several prompts or none).
The key is each prompt's option. Scored all or nothing, as QTI's match_correct scores a
match, unless the file declares a credit for each right pair (QTI map_response, Moodle's
matching, which grades each subquestion): then each right pair earns its credit.

A bank file writes the key as a mapping, prompt → option, in the prompts' order; with the
file's own credit, as {pairs: {prompt: option}, credit: {prompt: credit}}."""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.itemtypes.base import (
    OPTION_LABELS,
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
    placed,
    right_or_wrong,
    shown,
    text_of,
    typed_number,
)

MAX_PROMPTS = 8
MAX_PROMPT_CHARS = 200
# "熔断器=A" or with its credit "熔断器=A（0.5分）", pairs apart by "；" or a new line.
_CELL_PAIR = re.compile(
    r"(.+?)\s*[=＝]\s*([A-Za-zＡ-Ｚａ-ｚ])\s*(?:[（(]\s*([^）)]*?)\s*分?\s*[）)])?"
)
_CELL_SPLIT = re.compile(r"[;；\n]+")


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _letter(label: Any, letters: Mapping[str, str] | None) -> str:
    if letters is None:
        return str(label)
    return letters.get(str(label), f"[{label}]")


class Matching(ItemTypeStrategy):
    item_type = ItemType.MATCHING
    name = "匹配题"
    option_counts = (2, 8)

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if not isinstance(value, Mapping) or not value:
            report(
                "key", "匹配题的答案应写成“题项: 选项标签”的映射，如 key: {熔断器: A, 接触器: B}"
            )
            return None
        credit: Any = None
        pairs: Any = value
        if isinstance(value.get("pairs"), Mapping):
            for k in value:
                if k not in ("pairs", "credit"):
                    report(f"key.{k}", f"匹配题答案中的未知字段“{k}”（可用：pairs、credit）")
                    return None
            pairs, credit = value["pairs"], value.get("credit")
        prompts: list[str] = []
        answer: list[str] = []
        ok = True
        for prompt, label in pairs.items():
            text = text_of(prompt) if isinstance(prompt, str) else None
            if text is None:
                report("key", f"题项{shown(prompt)}应为非空文本（数字请加引号）")
                ok = False
            elif len(text) > MAX_PROMPT_CHARS:
                report("key", f"题项“{text[:20]}…”超过 {MAX_PROMPT_CHARS} 个字符")
                ok = False
            elif text in prompts:
                report("key", f"题项“{text}”重复")
                ok = False
            elif label is None or label == "":
                report("key", f"题项“{text}”没有答案（应为选项标签 A 至 H）")
                ok = False
            elif not isinstance(label, str) or label not in OPTION_LABELS:
                report("key", f"题项“{text}”的答案{shown(label)}不是选项标签（A 至 H）")
                ok = False
            elif labels is not None and label not in labels:
                report("key", f"题项“{text}”的答案 {label} 不在选项中（选项：{'、'.join(labels)}）")
                ok = False
            else:
                prompts.append(text)
                answer.append(label)
        if not ok:
            return None
        if not 2 <= len(prompts) <= MAX_PROMPTS:
            report("key", f"匹配题应有 2 至 {MAX_PROMPTS} 个题项，实际为 {len(prompts)} 个")
            return None
        key: dict[str, Any] = {"prompts": prompts, "answer": answer}
        if credit is None:
            return key
        found = self._check_credit(credit, prompts, report)
        return None if found is None else {**key, "credit": found}

    def _check_credit(self, credit: Any, prompts: list[str], report: Report) -> list[float] | None:
        """Each prompt's credit for its right pair (the file's own partial credit)."""
        if not isinstance(credit, Mapping):
            report(
                "key.credit", "credit 应为各题项答对时的得分，如 credit: {熔断器: 1, 接触器: 0.5}"
            )
            return None
        ok = True
        for prompt in credit:
            if prompt not in prompts:
                report("key.credit", f"credit 中的{shown(prompt)}不是本题的题项")
                ok = False
        found: list[float] = []
        for prompt in prompts:
            number = number_of(credit.get(prompt))
            if number is None or number <= 0:
                report(
                    "key.credit",
                    f"题项“{prompt}”答对的得分应为大于 0 的数，实际为{shown(credit.get(prompt))}",
                )
                ok = False
            else:
                found.append(number)
        return found if ok else None

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        pairs = dict(zip(key.get("prompts") or [], key.get("answer") or [], strict=True))
        if "credit" not in key:
            return pairs
        return {
            "pairs": pairs,
            "credit": {p: _plain(c) for p, c in zip(key["prompts"], key["credit"], strict=True)},
        }

    def key_from_form(self, form: KeyForm) -> Any:
        """A row per prompt: pair_prompt_N, its option pair_answer_N and, where the item has
        the file's credit, pair_credit_N (a row without a prompt is left out)."""
        pairs: dict[Any, Any] = {}
        credit: dict[Any, Any] = {}
        for n in range(1, MAX_PROMPTS + 1):
            prompt = form.text(f"pair_prompt_{n}")
            if not prompt:
                continue
            pairs[prompt] = form.text(f"pair_answer_{n}").upper() or None
            if form.text(f"pair_credit_{n}"):
                credit[prompt] = typed_number(form.text(f"pair_credit_{n}"))
        return {"pairs": pairs, "credit": credit} if credit else pairs

    def key_from_cell(self, text: str) -> Any:
        """ "熔断器=A；接触器=B", each pair with its credit if the file has one:
        "熔断器=A（1分）；接触器=B（0.5分）". A part that is no pair stays as typed for
        check_key to name."""
        pairs: dict[Any, Any] = {}
        credit: dict[Any, Any] = {}
        for part in (p.strip() for p in _CELL_SPLIT.split(text)):
            if not part:
                continue
            m = _CELL_PAIR.fullmatch(part)
            if m is None:
                pairs[part] = None
                continue
            prompt = m[1].strip()
            pairs[prompt] = unicodedata.normalize("NFKC", m[2]).upper()
            if m[3] is not None:
                credit[prompt] = typed_number(m[3])
        return {"pairs": pairs, "credit": credit} if credit else pairs

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        credit = key.get("credit") or [None] * len(key["prompts"])
        return "；".join(
            f"{p}={a}" + ("" if c is None else f"（{_plain(c):g}分）")
            for p, a, c in zip(key["prompts"], key["answer"], credit, strict=True)
        )

    def view(self, key: Mapping[str, Any]) -> dict[str, Any]:
        return {"prompts": list(key.get("prompts") or [])}

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        """{"matches": ["B", "", "A"]}: the option the candidate chose for each prompt, in
        the prompts' order, "" for a prompt not yet matched."""
        only_keys(response, "matches")
        matches = response["matches"]
        if matches is None:
            return {}
        if not isinstance(matches, list) or not all(isinstance(v, str) for v in matches):
            raise ResponseRejected("匹配题的作答应为各题项所选的选项")
        if len(matches) > MAX_PROMPTS or any(v and v not in labels for v in matches):
            raise ResponseRejected("所选选项不属于本题")
        return {"matches": list(matches)} if any(matches) else {}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        answer = key.get("answer")
        if not isinstance(answer, list) or not answer:
            raise ValueError("matching key needs {'prompts': [...], 'answer': [label, ...]}")
        matches = placed(response, "matches")
        if matches is None:
            return right_or_wrong(False, full)
        if not any(matches):
            return blank(full)
        # Entries past the item's prompts (a tampered request) match nothing.
        right = [i < len(matches) and matches[i] == a for i, a in enumerate(answer)]
        if "credit" not in key:
            return right_or_wrong(all(right), full)
        credit = [dec(c) for c in key["credit"]]
        got = sum((c for c, r in zip(credit, right, strict=True) if r), Decimal(0))
        return credited(full, got, sum(credit, Decimal(0)))

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        prompts, answer = key.get("prompts") or [], key.get("answer") or []
        text = "；".join(
            f"{n}. {p} → {_letter(a, letters)}"
            for n, (p, a) in enumerate(zip(prompts, answer, strict=False), start=1)
        )
        if "credit" not in key:
            return text
        each = "、".join(f"{_plain(c):g}" for c in key["credit"])
        return f"{text}（每对答对得分：{each}）"

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        matches = response.get("matches")
        if not isinstance(matches, list) or not any(matches):
            return ""
        return "；".join(
            f"{n}. {_letter(m, letters) if m else '?'}" for n, m in enumerate(matches, start=1)
        )
