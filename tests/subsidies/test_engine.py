"""The subsidy engine, policy by policy (DOMAIN.md §6), at its boundaries."""

from dataclasses import replace
from datetime import date

import pytest

from app.exams.facts import Education, Employment, HolderFacts, PriorCertificate, Training
from app.subsidies.engine import CertificateCase, PastSubsidy, age_on, evaluate
from app.subsidies.policies import PolicyInvalid, parse_policy, policy_by_id, shipped_policies

POLICIES = shipped_policies()
HN = "340403"  # a district of 淮南 (340400)
WH = "340202"  # 芜湖


def case(level: str = "technician", on: date = date(2026, 3, 10), **kw) -> CertificateCase:
    base = CertificateCase(
        number="S000034000118262000001",
        scheme="one_plus_x" if level.startswith("x_") else "skill_level",
        level_code=level,
        occupation_code="6-31-01-03",
        occupation_name="电工",
        issued_on=on,
        holder_birth=date(1990, 5, 1),
    )
    return replace(base, **kw)


def applying(
    c: CertificateCase, f: HolderFacts, history: list[PastSubsidy] | None = None
) -> dict[str, int]:
    return {d.policy.id: d.amount for d in evaluate(c, f, history or [], POLICIES) if d.applies}


def decision(c: CertificateCase, f: HolderFacts, policy_id: str, history=None):
    return next(d for d in evaluate(c, f, history or [], POLICIES) if d.policy.id == policy_id)


EMPLOYEE = HolderFacts(employment=Employment.ENTERPRISE_EMPLOYEE, work_region=HN)


@pytest.mark.parametrize(
    ("level", "amount"),
    [
        ("technician", 3500),
        ("senior_technician", 5000),
        ("principal_technician", 6500),
        ("chief_technician", 8000),
    ],
)
def test_technician_training_pays_per_level_to_enterprise_employees(level: str, amount: int):
    got = applying(case(level), EMPLOYEE)
    assert got["huainan-technician-training"] == amount
    d = decision(case(level), EMPLOYEE, "huainan-technician-training")
    assert "企业职工 ✓" in d.explanation() and f"→ {amount} 元" in d.explanation()


def test_technician_training_needs_an_enterprise_employee_in_huainan_and_a_covered_level():
    flexible = EMPLOYEE.model_copy(update={"employment": Employment.FLEXIBLE})
    assert "huainan-technician-training" not in applying(case(), flexible)
    elsewhere = EMPLOYEE.model_copy(update={"work_region": WH})
    assert "huainan-technician-training" not in applying(case(), elsewhere)
    assert "huainan-technician-training" not in applying(case("senior"), EMPLOYEE)
    unknown = decision(case(), HolderFacts(), "huainan-technician-training")
    assert "未登记就业状态" in unknown.explanation()


@pytest.mark.parametrize(
    ("day", "applies"),
    [
        (date(2025, 12, 31), False),
        (date(2026, 1, 1), True),
        (date(2030, 12, 31), True),
        (date(2031, 1, 1), False),
    ],
)
def test_the_validity_window_is_inclusive(day: date, applies: bool):
    assert ("huainan-technician-training" in applying(case(on=day), EMPLOYEE)) is applies


TRAINED = HolderFacts(
    employment=Employment.REGISTERED_UNEMPLOYED,
    work_region=HN,
    trainings=[Training(course="电工技能培训", provider="淮南技师学院", ends_on=date(2026, 2, 28))],
)


def test_employment_training_pays_90_percent_now_and_10_later():
    d = decision(case("intermediate"), TRAINED, "huainan-employment-training")
    assert d.applies and d.amount == 1500
    assert [(t.kind, t.amount, t.due_months) for t in d.tranches] == [
        ("initial", 1350, 0),
        ("deferred", 150, 3),
    ]
    assert d.course == "电工技能培训"


@pytest.mark.parametrize(
    ("birth", "applies"),
    [
        (date(2010, 3, 10), True),  # 16 on the issue date
        (date(2010, 3, 11), False),  # 16 tomorrow
        (date(1960, 3, 10), False),  # 66 that day
        (date(1960, 3, 11), True),  # 65 until tomorrow
    ],
)
def test_employment_training_age_16_to_65_on_the_issue_date(birth: date, applies: bool):
    c = case("intermediate", holder_birth=birth)
    assert decision(c, TRAINED, "huainan-employment-training").applies is applies


def test_employment_training_refuses_pensioners_employees_and_people_outside_the_groups():
    pension = TRAINED.model_copy(update={"monthly_pension": True})
    assert not decision(case("intermediate"), pension, "huainan-employment-training").applies
    employee = TRAINED.model_copy(update={"employment": Employment.ENTERPRISE_EMPLOYEE})
    assert not decision(case("intermediate"), employee, "huainan-employment-training").applies
    flexible_no_group = TRAINED.model_copy(update={"employment": Employment.FLEXIBLE})
    d = decision(case("intermediate"), flexible_no_group, "huainan-employment-training")
    assert not d.applies and "不属于" in d.explanation()
    migrant = flexible_no_group.model_copy(update={"rural_migrant": True})
    assert decision(case("intermediate"), migrant, "huainan-employment-training").applies
    untrained = TRAINED.model_copy(update={"trainings": []})
    assert not decision(case("intermediate"), untrained, "huainan-employment-training").applies
    after = TRAINED.model_copy(
        update={"trainings": [Training(course="x", ends_on=date(2026, 4, 1))]}
    )
    assert not decision(case("intermediate"), after, "huainan-employment-training").applies


GRADUATE = HolderFacts(
    education=Education.HIGHER_VOCATIONAL, graduation_date=date(2026, 6, 30), work_region=HN
)


def test_graduate_assessment_only_in_the_graduation_year_and_only_the_first_certificate():
    assert (
        applying(case("senior", on=date(2026, 7, 5)), GRADUATE)["huainan-graduate-assessment"]
        == 800
    )
    assert "huainan-graduate-assessment" not in applying(
        case("senior", on=date(2027, 1, 5)), GRADUATE
    )
    second = case("senior", on=date(2026, 7, 5), earlier_certificates=1)
    assert "huainan-graduate-assessment" not in applying(second, GRADUATE)
    external = GRADUATE.model_copy(
        update={"prior_certificates": [PriorCertificate(level_code="intermediate")]}
    )
    assert "huainan-graduate-assessment" not in applying(
        case("senior", on=date(2026, 7, 5)), external
    )
    school = GRADUATE.model_copy(update={"education": Education.TECHNICAL_SCHOOL})
    assert "huainan-graduate-assessment" not in applying(
        case("senior", on=date(2026, 7, 5)), school
    )


RECRUIT = HolderFacts(
    employment=Employment.ENTERPRISE_EMPLOYEE, work_region=HN, newly_recruited_on=date(2025, 10, 1)
)


@pytest.mark.parametrize(
    ("level", "monthly"), [("senior", 400), ("technician", 600), ("senior_technician", 800)]
)
def test_rent_is_monthly_for_36_months(level: str, monthly: int):
    d = decision(case(level), RECRUIT, "huainan-skilled-rent")
    assert d.applies and d.amount == monthly * 36
    assert [(t.kind, t.amount, t.month) for t in d.tranches] == [("month", monthly, 1)]


def test_rent_needs_a_recent_recruit_without_a_talent_apartment():
    apartment = RECRUIT.model_copy(update={"talent_apartment": True})
    assert not decision(case(), apartment, "huainan-skilled-rent").applies
    old_hire = RECRUIT.model_copy(update={"newly_recruited_on": date(2024, 12, 1)})
    assert not decision(case(), old_hire, "huainan-skilled-rent").applies
    assert not decision(case("intermediate"), RECRUIT, "huainan-skilled-rent").applies


def test_wuhu_1x_ended_with_2025():
    facts = HolderFacts(
        employment=Employment.EMPLOYED,
        work_region=WH,
        trainings=[Training(course="工业互联网实施与运维")],
    )
    iiot = {"occupation_name": "工业互联网实施与运维", "occupation_code": "1X-GYHLW"}
    in_2025 = case("x_intermediate", on=date(2025, 12, 31), **iiot)
    assert applying(in_2025, facts)["wuhu-1x-industrial-internet"] == 2000
    assert "wuhu-1x-industrial-internet" not in applying(
        case("x_intermediate", on=date(2026, 1, 1), **iiot), facts
    )
    other = case("x_intermediate", on=date(2025, 6, 1), occupation_name="物流管理")
    assert "wuhu-1x-industrial-internet" not in applying(other, facts)


INSURED = HolderFacts(employment=Employment.ENTERPRISE_EMPLOYEE, unemployment_insurance_months=12)


@pytest.mark.parametrize(
    ("level", "cap"), [("junior", 1000), ("intermediate", 1500), ("senior", 2000)]
)
def test_national_upgrade_in_2024_for_the_insured(level: str, cap: int):
    assert applying(case(level, on=date(2024, 6, 1)), INSURED)["national-skill-upgrade"] == cap
    assert "national-skill-upgrade" not in applying(case(level, on=date(2025, 1, 1)), INSURED)
    short = INSURED.model_copy(update={"unemployment_insurance_months": 11})
    assert "national-skill-upgrade" not in applying(case(level, on=date(2024, 6, 1)), short)
    benefit = short.model_copy(update={"receiving_unemployment_benefit": True})
    assert "national-skill-upgrade" in applying(case(level, on=date(2024, 6, 1)), benefit)


def past(
    policy_id: str,
    level: str = "intermediate",
    state: str = "paid",
    on: date = date(2024, 3, 1),
    **kw,
) -> PastSubsidy:
    p = policy_by_id(policy_id)
    return PastSubsidy(
        policy_id=p.id, item=p.item, combination_group=p.combination_group,
        occupation_code=kw.get("occupation_code", "6-31-01-03"), level_code=level, state=state,
        issued_on=on, course=kw.get("course", ""),
    )  # fmt: skip


def test_national_upgrade_at_most_three_times_a_year():
    c = case("senior", on=date(2024, 9, 1))
    two = [past("national-skill-upgrade", "junior", occupation_code=f"X-{n}") for n in range(2)]
    assert "national-skill-upgrade" in applying(c, INSURED, two)
    three = [*two, past("national-skill-upgrade", "junior", occupation_code="X-3")]
    d = decision(c, INSURED, "national-skill-upgrade", three)
    assert not d.applies and "2024 年已享受 3 次" in d.explanation()
    voided = [*two, past("national-skill-upgrade", "junior", state="void", occupation_code="X-3")]
    assert "national-skill-upgrade" in applying(c, INSURED, voided)


def test_national_upgrade_not_with_a_training_subsidy_for_the_same_course():
    facts = INSURED.model_copy(
        update={"trainings": [Training(course="电工培训", ends_on=date(2024, 5, 1))]}
    )
    history = [past("huainan-employment-training", "junior", state="paid", course="电工培训")]
    d = decision(case("senior", on=date(2024, 6, 1)), facts, "national-skill-upgrade", history)
    assert not d.applies and "电工培训" in d.explanation()


def test_not_twice_for_the_same_occupation_and_level_nor_lower_after_higher():
    same = [past("huainan-technician-training", "technician", on=date(2026, 2, 1))]
    d = decision(case(), EMPLOYEE, "huainan-technician-training", same)
    assert not d.applies and "已就电工二级/技师享受过" in d.explanation()
    other_occupation = [
        past("huainan-technician-training", "technician", occupation_code="6-31-01-99")
    ]
    assert "huainan-technician-training" in applying(case(), EMPLOYEE, other_occupation)
    higher_paid = [past("huainan-technician-training", "senior_technician")]
    d = decision(case(), EMPLOYEE, "huainan-technician-training", higher_paid)
    assert not d.applies and "更高等级" in d.explanation()
    rejected = [past("huainan-technician-training", "technician", state="rejected")]
    assert "huainan-technician-training" in applying(case(), EMPLOYEE, rejected)


def _policy(**overrides):
    base = {
        "id": "p", "name": "测试政策", "region": "340000", "government": "province", "document": "x",
        "valid_from": date(2026, 1, 1), "valid_to": date(2030, 12, 31),
        "covers": {"scheme": "skill_level", "levels": ["technician"]},
        "conditions": [{"employment_in": ["enterprise_employee"]}],
        "amount": {"kind": "fixed_per_level", "per_level": {"technician": 3000}},
        "item": "skill_level_award", "combination_group": "g",
    }  # fmt: skip
    base.update(overrides)
    return parse_policy(base, "test.yaml")


def test_overlapping_policies_newest_most_favourable_highest_and_province_funded_items():
    city = policy_by_id("huainan-technician-training")
    richer = _policy(
        id="richer",
        combination_group=city.combination_group,
        amount={"kind": "fixed_per_level", "per_level": {"technician": 4000}},
    )
    got = {d.policy.id: d for d in evaluate(case(), EMPLOYEE, [], [city, richer])}
    assert got["richer"].applies and not got[city.id].applies
    assert "从新、从优、从高" in got[city.id].explanation()
    # A province policy funding the same item: the city does not pay it again.
    province = _policy(id="prov", combination_group="other")
    got = {d.policy.id: d for d in evaluate(case(), EMPLOYEE, [], [city, province])}
    assert got["prov"].applies and not got[city.id].applies
    assert "省级已资助同一项目" in got[city.id].explanation()


def test_a_policy_file_with_a_mistake_is_refused_with_where_and_what():
    with pytest.raises(PolicyInvalid, match=r"test\.yaml: 未知字段"):
        _policy(amout={})
    with pytest.raises(PolicyInvalid, match="未知条件"):
        _policy(conditions=[{"employed": True}])
    with pytest.raises(PolicyInvalid, match="per_level"):
        _policy(amount={"kind": "fixed_per_level", "per_level": {"senior": 1}})
    with pytest.raises(PolicyInvalid, match="valid_to"):
        _policy(valid_to=date(2025, 1, 1))


def test_the_six_shipped_policies_load():
    assert len(POLICIES) == 6


def test_age_on_counts_completed_years():
    assert age_on(date(2000, 2, 29), date(2016, 2, 28)) == 15
    assert age_on(date(2000, 2, 29), date(2016, 2, 29)) == 16
