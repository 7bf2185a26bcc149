"""Subsidy policies as data: one YAML file per policy in app/subsidies/policies/
(documented in its README.md), read and checked here. Pure: a policy is plain data; the
engine (subsidies.engine) evaluates it."""

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.reference.levels import Scheme, is_level
from app.reference.regions import is_division_code

POLICY_DIR = Path(__file__).resolve().parent / "policies"

GOVERNMENTS = ("national", "province", "city")
NATIONAL = "000000"  # the region of a national policy
PAYEES = ("holder", "employer", "training_provider")
AMOUNT_KINDS = ("fixed_per_level", "local_standard", "up_to", "monthly")
CONDITIONS = (
    "employment_in",
    "work_region_within",
    "age_between",
    "no_monthly_pension",
    "any_of_groups",
    "after_subsidised_training",
    "graduation_year_graduate",
    "first_assessment",
    "newly_recruited_within_months",
    "no_talent_apartment",
    "insured_months_or_benefit",
    "at_most_per_year",
    "not_with_training_subsidy_for_same_course",
)
GROUPS = (
    "graduation_year_graduate",
    "school_leaver",
    "rural_migrant",
    "registered_unemployed",
    "hard_to_employ",
)


class PolicyInvalid(ValueError):
    """A policy file that cannot be used: file, field and what is wrong."""


@dataclass(frozen=True)
class Split:
    """Part paid on the certificate, the rest once a condition is shown in time."""

    initial_percent: int  # 90
    deferred_condition: str  # stable_employment
    deadline_months: int  # 3


@dataclass(frozen=True)
class Amount:
    kind: str  # AMOUNT_KINDS
    per_level: dict[str, int]  # yuan: the amount, the cap, the default standard, per month
    months: int = 0  # monthly
    split: Split | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    region: str  # the issuing 行政区划; the holder's workplace must lie within it
    government: str
    document: str  # 文号 / the measure's item
    source: str
    valid_from: date
    valid_to: date  # inclusive
    scheme: Scheme
    levels: tuple[str, ...]
    occupation_codes: tuple[str, ...]  # () = any
    occupation_keywords: tuple[str, ...]  # the occupation's name contains one; () = any
    conditions: tuple[tuple[str, Any], ...]
    amount: Amount
    payee: str
    item: str  # what it funds: the same item is not paid by two governments
    combination_group: str  # one policy of a group per certificate (从新、从优、从高)
    claim_months: int = 12
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise PolicyInvalid(f"{where}: 缺少字段 {key}")
    value = data[key]
    if not isinstance(value, kind):
        raise PolicyInvalid(f"{where}: 字段 {key} 的类型不对")
    return value


def parse_policy(data: Any, where: str) -> Policy:
    if not isinstance(data, dict):
        raise PolicyInvalid(f"{where}: 应为一个映射（字段: 值）")
    unknown = set(data) - {
        "id", "name", "region", "government", "document", "source", "valid_from",
        "valid_to", "covers", "conditions", "amount", "payee", "item",
        "combination_group", "claim_months", "note",
    }  # fmt: skip
    if unknown:
        raise PolicyInvalid(f"{where}: 未知字段 {', '.join(sorted(unknown))}")
    region = str(_need(data, "region", (str, int), where))
    government = _need(data, "government", str, where)
    if government not in GOVERNMENTS:
        raise PolicyInvalid(f"{where}: government 应为 {'/'.join(GOVERNMENTS)}")
    if not (is_division_code(region) or (government == "national" and region == NATIONAL)):
        raise PolicyInvalid(f"{where}: region {region} 不是行政区划代码（全国政策写 000000）")
    valid_from = _need(data, "valid_from", date, where)
    valid_to = _need(data, "valid_to", date, where)
    if valid_to < valid_from:
        raise PolicyInvalid(f"{where}: valid_to 早于 valid_from")
    covers = _need(data, "covers", dict, where)
    scheme = Scheme(_need(covers, "scheme", str, f"{where} covers"))
    levels = tuple(_need(covers, "levels", list, f"{where} covers"))
    bad = [lv for lv in levels if not is_level(lv)]
    if bad or not levels:
        raise PolicyInvalid(f"{where} covers: 未知等级 {', '.join(map(str, bad)) or '（空）'}")
    conditions = []
    for n, cond in enumerate(data.get("conditions") or []):
        if not isinstance(cond, dict) or len(cond) != 1:
            raise PolicyInvalid(f"{where} conditions[{n}]: 每个条件写成一个 名称: 值")
        ((name, value),) = cond.items()
        if name not in CONDITIONS:
            raise PolicyInvalid(f"{where} conditions[{n}]: 未知条件 {name}")
        if name == "any_of_groups" and not set(value) <= set(GROUPS):
            raise PolicyInvalid(f"{where} conditions[{n}]: 未知人群 {set(value) - set(GROUPS)}")
        conditions.append((name, value))
    amount_data = _need(data, "amount", dict, where)
    kind = _need(amount_data, "kind", str, f"{where} amount")
    if kind not in AMOUNT_KINDS:
        raise PolicyInvalid(f"{where} amount: kind 应为 {'/'.join(AMOUNT_KINDS)}")
    per_level = {
        str(k): int(v) for k, v in _need(amount_data, "per_level", dict, f"{where} amount").items()
    }
    if set(per_level) != set(levels):
        raise PolicyInvalid(f"{where} amount: per_level 应恰好列出 covers 的每个等级")
    split = None
    if "split" in amount_data:
        s = amount_data["split"]
        split = Split(
            int(s["initial_percent"]), str(s["deferred_condition"]), int(s["deadline_months"])
        )
        if not 0 < split.initial_percent < 100:
            raise PolicyInvalid(f"{where} amount.split: initial_percent 应在 1–99 之间")
    months = int(amount_data.get("months", 0))
    if kind == "monthly" and months <= 0:
        raise PolicyInvalid(f"{where} amount: 按月发放须写 months")
    payee = data.get("payee", "holder")
    if payee not in PAYEES:
        raise PolicyInvalid(f"{where}: payee 应为 {'/'.join(PAYEES)}")
    return Policy(
        id=_need(data, "id", str, where),
        name=_need(data, "name", str, where),
        region=region,
        government=government,
        document=_need(data, "document", str, where),
        source=str(data.get("source", "")),
        valid_from=valid_from,
        valid_to=valid_to,
        scheme=scheme,
        levels=levels,
        occupation_codes=tuple(covers.get("occupation_codes") or ()),
        occupation_keywords=tuple(covers.get("occupation_keywords") or ()),
        conditions=tuple(conditions),
        amount=Amount(kind=kind, per_level=per_level, months=months, split=split),
        payee=payee,
        item=_need(data, "item", str, where),
        combination_group=str(data.get("combination_group") or data["id"]),
        claim_months=int(data.get("claim_months", 12)),
        note=str(data.get("note", "")),
    )


def load_policy_file(path: Path) -> Policy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第 {mark.line + 1} 行" if mark is not None else ""
        raise PolicyInvalid(f"{path.name}{line}: YAML 格式错误") from exc
    return parse_policy(data, path.name)


@lru_cache
def shipped_policies() -> tuple[Policy, ...]:
    """The policies that ship with Jiping (DOMAIN.md §6), checked at first use."""
    policies = tuple(load_policy_file(p) for p in sorted(POLICY_DIR.glob("*.yaml")))
    ids = [p.id for p in policies]
    if len(set(ids)) != len(ids):
        raise PolicyInvalid("政策 id 重复")
    return policies


def policy_by_id(policy_id: str) -> Policy:
    for p in shipped_policies():
        if p.id == policy_id:
            return p
    raise KeyError(policy_id)
