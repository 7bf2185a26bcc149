"""单项选择题 and 多项选择题: options labelled A, B, ...; the key is one label or a set."""

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
    partial,
    right_or_wrong,
    shown,
    shown_labels,
)

# "A,C" "A、C" "A C" or "AC" in a cell.
_LABEL_SPLIT = re.compile(r"[,，、;；\s]+")


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _cell_number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _label_problem(label: Any, labels: list[str] | None) -> str | None:
    if not isinstance(label, str) or label not in OPTION_LABELS:
        return f"答案{shown(label)}不是选项标签（A 至 H）"
    if labels is not None and label not in labels:
        return f"答案 {label} 不在选项中（选项：{'、'.join(labels)}）"
    return None


class SingleChoice(ItemTypeStrategy):
    item_type = ItemType.SINGLE_CHOICE
    name = "单项选择题"
    option_counts = (2, 8)

    def key_from_form(self, form: KeyForm) -> Any:
        return form.text("key")  # the one option ticked

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if isinstance(value, list):
            report("key", "单项选择题只能有一个答案，如 key: B")
            return None
        if problem := _label_problem(value, labels):
            report("key", problem)
            return None
        return {"answer": str(value)}

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        return key.get("answer")

    def key_from_cell(self, text: str) -> Any:
        return _folded(text) or None

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        return str(key["answer"])

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        only_keys(response, "choice")
        choice = response["choice"]
        if choice is None or choice == "":
            return {}
        if not isinstance(choice, str) or choice not in labels:
            raise ResponseRejected("所选选项不属于本题")
        return {"choice": choice}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        answer = key.get("answer")
        if not isinstance(answer, str) or not answer:
            raise ValueError("single_choice key needs {'answer': label}")
        choice = response.get("choice")
        if choice is None or choice == "":
            return blank(full)
        return right_or_wrong(isinstance(choice, str) and choice == answer, full)

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        return shown_labels([key.get("answer")], letters)

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        choice = response.get("choice")
        return "" if choice in (None, "") else shown_labels([choice], letters)


class MultipleChoice(ItemTypeStrategy):
    item_type = ItemType.MULTIPLE_CHOICE
    name = "多项选择题"
    option_counts = (3, 8)
    unshown_key_fields = {"credit": "按选项计分", "credit_max": "按选项计分的满分"}

    def key_from_form(self, form: KeyForm) -> Any:
        return form.values("key")  # every option ticked

    def check_key(
        self, value: Any, labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        if isinstance(value, Mapping):
            return self._check_credited_key(value, labels, report)
        if not isinstance(value, list):
            report("key", "多项选择题的答案应为标签列表，如 key: [A, C]")
            return None
        bad = [p for p in (_label_problem(v, labels) for v in value) if p]
        for p in bad:
            report("key", p)
        chosen = [str(v) for v in value]
        dupes = sorted({v for v in chosen if chosen.count(v) > 1})
        if dupes:
            report("key", f"答案中 {'、'.join(dupes)} 重复")
        elif not bad and len(chosen) < 2:
            report("key", "多项选择题至少有两个正确答案")
        if bad or dupes or len(chosen) < 2:
            return None
        return {"answer": sorted(chosen)}

    def _check_credited_key(
        self, value: Mapping[str, Any], labels: list[str] | None, report: Report
    ) -> dict[str, Any] | None:
        """{answer: [A, C], credit: {A: 1, C: 1, D: -1}, credit_max: 2}: the file's own
        partial credit (QTI map_response, Moodle fractions)."""
        for k in value:
            if k not in ("answer", "credit", "credit_max"):
                report(
                    f"key.{k}", f"多选题答案中的未知字段“{k}”（可用：answer、credit、credit_max）"
                )
                return None
        key = self.check_key(value.get("answer"), labels, report)
        credit = value.get("credit")
        if not isinstance(credit, Mapping) or not credit:
            report("key.credit", "credit 应为各选项的得分，如 credit: {A: 1, C: 1, D: -1}")
            return None
        found: dict[str, float] = {}
        for label, amount in credit.items():
            problem = _label_problem(label, labels)
            number = number_of(amount)
            if problem:
                report("key.credit", problem)
            elif number is None:
                report("key.credit", f"选项 {label} 的得分应为数，实际为{shown(amount)}")
            else:
                found[str(label)] = number
        top = sum(v for v in found.values() if v > 0)
        if "credit_max" in value:
            given = number_of(value["credit_max"])
            if given is None or given <= 0:
                report(
                    "key.credit_max",
                    f"credit_max 应为大于 0 的数，实际为{shown(value['credit_max'])}",
                )
                return None
            top = min(top, given)
        if len(found) != len(credit) or key is None:
            return None
        if top <= 0:
            report("key.credit", "credit 中至少应有一个选项得分大于 0")
            return None
        if sum(found.get(a, 0) for a in key["answer"]) < top:
            report("key.credit", "按 credit 计分，正确答案得不到满分 credit_max")
            return None
        return {**key, "credit": dict(sorted(found.items())), "credit_max": top}

    def key_to_source(self, key: Mapping[str, Any]) -> Any:
        if "credit" not in key:
            return key.get("answer")
        return {
            "answer": list(key["answer"]),
            "credit": {k: _plain(v) for k, v in key["credit"].items()},
            "credit_max": _plain(key["credit_max"]),
        }

    def key_from_cell(self, text: str) -> Any:
        """ "ACD", "A,C,D", or with the file's credit "AC；A=1；C=1；D=-1；满分=2"."""
        head, *parts = [p.strip() for p in _folded(text).split(";")]
        found = [p for p in _LABEL_SPLIT.split(head) if p]
        answer = list(found[0]) if len(found) == 1 and len(found[0]) > 1 else found
        if not parts:
            return answer
        key: dict[str, Any] = {"answer": answer, "credit": {}}
        for part in parts:
            name, _, amount = part.partition("=")
            number: Any = _cell_number(amount)
            if name.strip() == "满分":
                key["credit_max"] = number
            else:
                key["credit"][name.strip()] = number
        return key

    def key_to_cell(self, key: Mapping[str, Any]) -> str:
        cell = "".join(key["answer"])
        if "credit" in key:
            cell += "".join(f"；{k}={_plain(v)}" for k, v in key["credit"].items())
            cell += f"；满分={_plain(key['credit_max'])}"
        return cell

    def normalise_response(self, labels: Sequence[str], response: dict[str, Any]) -> dict[str, Any]:
        only_keys(response, "choices")
        choices = response["choices"]
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ResponseRejected("多选题的作答应为选项列表")
        if any(c not in labels for c in choices):
            raise ResponseRejected("所选选项不属于本题")
        chosen = set(choices)
        # One stored form per choice set: the bank's order, no repeats.
        return {"choices": [label for label in labels if label in chosen]} if chosen else {}

    def score(
        self,
        key: Mapping[str, Any],
        full: Decimal,
        response: Mapping[str, Any],
        multiple_rule: MultipleChoiceRule,
    ) -> ItemOutcome:
        """PARTIAL follows the common rule "少选按比例得分、错选不得分" (several national and
        provincial theory exams): any option outside the key scores 0; a correct proper
        subset scores points × chosen / required, rounded half-up to 0.01 (a 2-point item
        with 2 of 3 correct options gives 1.33). ALL_OR_NOTHING (全对得分) is what many
        national 职业技能鉴定 banks use: only the exact set scores. The blueprint chooses."""
        answer = key.get("answer")
        if (
            not isinstance(answer, list)
            or not answer
            or not all(isinstance(a, str) for a in answer)
        ):
            raise ValueError("multiple_choice key needs {'answer': [label, ...]}")
        required = set(answer)
        raw = response.get("choices")
        if raw is None or raw == []:
            return blank(full)
        if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
            return right_or_wrong(False, full)
        chosen = set(raw)  # a label sent twice is one choice
        if "credit" in key:
            # The file's own partial credit replaces the paper's multiple-choice rule.
            credit = key["credit"]
            got = sum((dec(credit.get(c, 0)) for c in chosen), Decimal(0))
            return credited(full, got, dec(key["credit_max"]))
        if chosen == required:
            return right_or_wrong(True, full)
        if multiple_rule == MultipleChoiceRule.ALL_OR_NOTHING or not chosen <= required:
            return right_or_wrong(False, full)
        return partial(full, len(chosen), len(required))

    def key_text(self, key: Mapping[str, Any], letters: Mapping[str, str] | None = None) -> str:
        text = shown_labels(key.get("answer") or [], letters)
        if "credit" not in key:
            return text
        each = "，".join(
            f"{shown_labels([k], letters)} {_plain(v):+g}" for k, v in key["credit"].items()
        )
        return f"{text}（按选项计分：{each}，满分 {_plain(key['credit_max']):g}）"

    def response_text(
        self, response: Mapping[str, Any], letters: Mapping[str, str] | None = None
    ) -> str:
        choices = response.get("choices")
        return shown_labels(choices, letters) if isinstance(choices, list) else ""
