"""The subsidy engine: which subsidies a certificate triggers under the policies in force on
its issue date, with an explanation of every rule that matched or failed. Pure: plain data
in (the certificate, the holder's facts on the issue date, their subsidy history, the
policies, the local standards), decisions out.

Combination rules (DOMAIN.md §6): a policy is not paid twice for the same occupation and
level, nor for a lower level once a higher one of the occupation was paid; the national
upgrade subsidy at most 3 times per person per year and not with a training subsidy for
the same course; of overlapping policies (one combination group) the newest, most
favourable, highest applies (从新、从优、从高); an item a province funds is not paid again
by a city."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.exams.facts import COLLEGE, EMPLOYMENT_NAMES, Employment, HolderFacts
from app.reference.levels import get_level
from app.reference.regions import region_covers
from app.subsidies.policies import Policy

GROUP_NAMES = {
    "graduation_year_graduate": "毕业年度高校毕业生",
    "school_leaver": "城乡未继续升学的应届初高中毕业生",
    "rural_migrant": "农村转移劳动者",
    "registered_unemployed": "登记失业人员",
    "hard_to_employ": "就业困难人员",
}
# History records in these states count for the combination rules (the others were
# voided, rejected, expired or forfeited: nothing was or will be paid).
LIVE_STATES = ("awaiting_evidence", "pending", "approved", "paid")


@dataclass(frozen=True)
class CertificateCase:
    number: str
    scheme: str
    level_code: str
    occupation_code: str
    occupation_name: str
    issued_on: date
    holder_birth: date | None  # from the ID number
    earlier_certificates: int = 0  # the holder's certificates issued before this one


@dataclass(frozen=True)
class PastSubsidy:
    policy_id: str
    item: str
    combination_group: str
    occupation_code: str
    level_code: str
    state: str
    issued_on: date  # of the certificate that triggered it
    course: str = ""


@dataclass(frozen=True)
class Line:
    text: str
    ok: bool

    def __str__(self) -> str:
        return f"{self.text} {'✓' if self.ok else '✗'}"


@dataclass(frozen=True)
class Tranche:
    kind: str  # full / initial / deferred / month
    amount: int
    month: int = 0  # month of a monthly schedule, from 1
    due_months: int = 0  # deferred: the condition must be shown within this many months


@dataclass
class Decision:
    policy: Policy
    applies: bool
    lines: list[Line] = field(default_factory=list)
    amount: int = 0  # the whole entitlement (a monthly one: every month)
    tranches: list[Tranche] = field(default_factory=list)
    course: str = ""

    def explanation(self) -> str:
        head = f"{self.policy.name}："
        body = "；".join(str(line) for line in self.lines)
        tail = f" → {self.amount} 元" if self.applies else " → 不享受"
        return head + body + tail

    def refuse(self, text: str) -> None:
        self.lines.append(Line(text, False))
        self.applies = False


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def months_between(earlier: date, later: date) -> float:
    return (
        (later.year - earlier.year) * 12
        + (later.month - earlier.month)
        + (later.day - earlier.day) / 31
    )


def _groups(facts: HolderFacts, day: date) -> set[str]:
    groups = set()
    if graduation_year_graduate(facts, day):
        groups.add("graduation_year_graduate")
    if facts.school_leaver:
        groups.add("school_leaver")
    if facts.rural_migrant:
        groups.add("rural_migrant")
    if facts.employment == Employment.REGISTERED_UNEMPLOYED:
        groups.add("registered_unemployed")
    if facts.hard_to_employ:
        groups.add("hard_to_employ")
    return groups


def graduation_year_graduate(facts: HolderFacts, day: date) -> bool:
    """A college (大专及以上) graduate in the calendar year they graduate."""
    return (
        facts.education in COLLEGE
        and facts.graduation_date is not None
        and facts.graduation_date.year == day.year
    )


def training_course(facts: HolderFacts, day: date) -> str:
    """The subsidised course the certificate follows (the latest finished by the issue
    date), or ""."""
    done = [t for t in facts.trainings if t.ends_on is None or t.ends_on <= day]
    done.sort(key=lambda t: t.ends_on or date.min)
    return done[-1].course if done else ""


def _condition(
    name: str,
    value: Any,
    case: CertificateCase,
    facts: HolderFacts,
    history: list[PastSubsidy],
    policy: Policy,
) -> Line:
    day = case.issued_on
    if name == "employment_in":
        wanted = "、".join(EMPLOYMENT_NAMES[Employment(v)] for v in value)
        if facts.employment is None:
            return Line(f"未登记就业状态（需：{wanted}）", False)
        shown = EMPLOYMENT_NAMES[facts.employment]
        ok = facts.employment.value in value
        return Line(shown if ok else f"就业状态：{shown}（需：{wanted}）", ok)
    if name == "work_region_within":
        if not facts.work_region:
            return Line(f"未登记工作地（需在 {value} 内）", False)
        ok = region_covers(str(value), facts.work_region)
        return Line(f"工作地 {facts.work_region}" + ("" if ok else f"（需在 {value} 内）"), ok)
    if name == "age_between":
        low, high = value
        if case.holder_birth is None:
            return Line("出生日期不明", False)
        age = age_on(case.holder_birth, day)
        return Line(f"年龄 {age} 岁（{low}–{high}）", low <= age <= high)
    if name == "no_monthly_pension":
        return Line(
            "已按月领取养老金" if facts.monthly_pension else "未按月领取养老金",
            not facts.monthly_pension,
        )
    if name == "any_of_groups":
        mine = _groups(facts, day) & set(value)
        if mine:
            return Line("、".join(GROUP_NAMES[g] for g in sorted(mine)), True)
        return Line(f"不属于{'、'.join(GROUP_NAMES[g] for g in value)}中任一类", False)
    if name == "after_subsidised_training":
        course = training_course(facts, day)
        return Line(
            f"参加补贴性培训：{course}" if course else "未登记发证前完成的补贴性培训", bool(course)
        )
    if name == "graduation_year_graduate":
        ok = graduation_year_graduate(facts, day)
        grad = facts.graduation_date.isoformat() if facts.graduation_date else "未登记"
        return Line(
            f"毕业年度高校毕业生（毕业 {grad}）" if ok else f"非毕业年度高校毕业生（毕业 {grad}）",
            ok,
        )
    if name == "first_assessment":
        earlier = case.earlier_certificates + len(facts.prior_certificates)
        return Line("首次参加评价" if not earlier else f"此前已有 {earlier} 本证书", earlier == 0)
    if name == "newly_recruited_within_months":
        hired = facts.newly_recruited_on
        if hired is None:
            return Line("未登记新引进（全职）", False)
        ok = hired <= day and months_between(hired, day) <= float(value)
        return Line(
            f"{hired.isoformat()} 新引进" + ("" if ok else f"（需在发证前 {value} 个月内）"), ok
        )
    if name == "no_talent_apartment":
        return Line(
            "已提供人才公寓" if facts.talent_apartment else "未提供人才公寓",
            not facts.talent_apartment,
        )
    if name == "insured_months_or_benefit":
        months = facts.unemployment_insurance_months
        ok = months >= int(value) or facts.receiving_unemployment_benefit
        if facts.receiving_unemployment_benefit:
            return Line("正在领取失业保险金", True)
        return Line(f"失业保险参保 {months} 个月（需 ≥ {value}）", ok)
    if name == "at_most_per_year":
        used = sum(
            1
            for h in history
            if h.policy_id == policy.id and h.state in LIVE_STATES and h.issued_on.year == day.year
        )
        return Line(f"{day.year} 年已享受 {used} 次（每年至多 {value} 次）", used < int(value))
    if name == "not_with_training_subsidy_for_same_course":
        course = training_course(facts, day)
        clash = course and any(
            h.item == "training" and h.course == course and h.state in LIVE_STATES for h in history
        )
        return Line(
            f"同一课程（{course}）已享受培训补贴" if clash else "未就同一课程享受培训补贴",
            not clash,
        )
    raise ValueError(f"unknown condition {name}")


def _amount(
    policy: Policy, level_code: str, standards: dict[tuple[str, str], int]
) -> tuple[int, str]:
    base = policy.amount.per_level[level_code]
    kind = policy.amount.kind
    if kind == "fixed_per_level":
        return base, f"{base} 元"
    if kind == "local_standard":
        value = standards.get((policy.id, level_code), base)
        return value, f"当地标准 {value} 元"
    if kind == "up_to":
        value = min(base, standards.get((policy.id, level_code), base))
        return value, f"最高 {base} 元，按当地标准 {value} 元"
    months = policy.amount.months
    return base * months, f"每月 {base} 元 × {months} 个月"


def _tranches(policy: Policy, level_code: str, total: int) -> list[Tranche]:
    amount = policy.amount
    if amount.kind == "monthly":
        per_month = amount.per_level[level_code]
        return [Tranche("month", per_month, month=1)]  # later months as they come
    if amount.split is not None:
        first = total * amount.split.initial_percent // 100
        return [
            Tranche("initial", first),
            Tranche("deferred", total - first, due_months=amount.split.deadline_months),
        ]
    return [Tranche("full", total)]


def evaluate_policy(
    policy: Policy,
    case: CertificateCase,
    facts: HolderFacts,
    history: list[PastSubsidy],
    standards: dict[tuple[str, str], int],
) -> Decision:
    d = Decision(policy, applies=True)
    level = get_level(case.level_code)
    if case.scheme != policy.scheme.value or case.level_code not in policy.levels:
        d.refuse(f"{level.display}证书不在本政策范围内")
        return d
    d.lines.append(Line(level.display, True))
    if policy.occupation_codes and case.occupation_code not in policy.occupation_codes:
        d.refuse(f"职业 {case.occupation_name}（{case.occupation_code}）不在本政策范围内")
    if policy.occupation_keywords and not any(
        k in case.occupation_name for k in policy.occupation_keywords
    ):
        d.refuse(f"职业 {case.occupation_name} 不属于{'、'.join(policy.occupation_keywords)}")
    window = f"{policy.valid_from.isoformat()}–{policy.valid_to.isoformat()}"
    in_force = policy.in_force(case.issued_on)
    d.lines.append(
        Line(
            f"发证日期 {case.issued_on.isoformat()} {'在' if in_force else '不在'} {window} 内",
            in_force,
        )
    )
    d.applies = d.applies and in_force
    for name, value in policy.conditions:
        line = _condition(name, value, case, facts, history, policy)
        d.lines.append(line)
        d.applies = d.applies and line.ok
    # Not twice for the same occupation and level; not a lower level after a higher one.
    same_group = [
        h
        for h in history
        if h.combination_group == policy.combination_group
        and h.occupation_code == case.occupation_code
        and h.state in LIVE_STATES
    ]
    if any(h.level_code == case.level_code for h in same_group):
        d.refuse(f"已就{case.occupation_name}{level.display}享受过同类补贴")
    higher = [
        h for h in same_group if h.state == "paid" and get_level(h.level_code).order > level.order
    ]
    if higher:
        d.refuse(
            f"已享受{case.occupation_name}更高等级（{get_level(higher[0].level_code).display}）的同类补贴"
        )
    if d.applies:
        d.amount, shown = _amount(policy, case.level_code, standards)
        d.tranches = _tranches(policy, case.level_code, d.amount)
        d.course = training_course(facts, case.issued_on)
        d.lines.append(Line(shown, True))
    return d


def evaluate(
    case: CertificateCase,
    facts: HolderFacts,
    history: list[PastSubsidy],
    policies: tuple[Policy, ...] | list[Policy],
    standards: dict[tuple[str, str], int] | None = None,
) -> list[Decision]:
    """Every policy's decision for the certificate, the applicable ones first."""
    standards = standards or {}
    decisions = [evaluate_policy(p, case, facts, history, standards) for p in policies]
    applying = [d for d in decisions if d.applies]
    # 从新、从优、从高: one policy of a combination group per certificate.
    for group in {d.policy.combination_group for d in applying}:
        rivals = [d for d in applying if d.policy.combination_group == group]
        best = max(rivals, key=lambda d: (d.amount, d.policy.valid_from))
        for d in rivals:
            if d is not best:
                d.refuse(f"与{best.policy.name}重叠，按从新、从优、从高只享受后者")
    applying = [d for d in decisions if d.applies]
    # An item a province funds is not paid again by a city.
    for d in applying:
        if d.policy.government == "city" and any(
            o.applies and o.policy.government == "province" and o.policy.item == d.policy.item
            for o in applying
        ):
            d.refuse("省级已资助同一项目，市级不再重复补贴")
    # The national upgrade subsidy is not combined with a training subsidy for the course.
    for d in decisions:
        if (
            d.applies
            and d.policy.government == "national"
            and any(
                o.applies and o.policy.item == "training" and o.course and o.course == d.course
                for o in decisions
            )
        ):
            d.refuse(f"同一课程（{d.course}）已享受培训补贴，不再同时享受")
    for d in decisions:
        if not d.applies:
            d.amount, d.tranches = 0, []
    return sorted(decisions, key=lambda d: (not d.applies, d.policy.name))
