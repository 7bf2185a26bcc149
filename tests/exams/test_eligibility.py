"""申报条件 as data (exams.eligibility): every route of DOMAIN.md §3 and its boundaries."""

from datetime import date
from typing import Any

import pytest

from app.exams import eligibility
from app.exams.eligibility import NotExaminable, evaluate, routes_for
from app.exams.facts import Award, Education, HolderFacts, PriorCertificate

DAY = date(2026, 6, 1)
OCC = "6-31-01-03"


def cert(level: str, on: date = date(2023, 6, 10), occupation: str = OCC) -> PriorCertificate:
    return PriorCertificate(level_code=level, occupation_code=occupation, obtained_on=on)


def facts(**kw: Any) -> HolderFacts:
    return HolderFacts(**kw)


def route(level: str, f: HolderFacts, jiping: list[PriorCertificate] | None = None) -> str:
    return evaluate(level, f, DAY, jiping or [], occupation_code=OCC).route_code


# --- 五级 ---------------------------------------------------------------------------------


def test_junior_one_year_exactly_at_the_threshold() -> None:
    assert route("junior", facts(years_in_occupation=1)) == "years"
    assert route("junior", facts(years_in_occupation=0.9)) == ""


def test_junior_apprenticeship() -> None:
    assert route("junior", facts(apprenticeship_completed=True)) == "apprenticeship"


def test_junior_refused_says_what_is_missing_per_route() -> None:
    ev = evaluate("junior", facts(years_in_occupation=0.5), DAY, occupation_code=OCC)
    assert not ev.qualified
    assert ev.missing == [
        "需从事本职业满 1 年：从业 0.5 年",
        "需学徒期满（完成学徒培训）：未完成学徒培训",
        "需获得可晋升至本等级的技能竞赛奖项：无竞赛获奖记录",
    ]


# --- 四级 ---------------------------------------------------------------------------------


def test_intermediate_certificate_and_four_years() -> None:
    f = facts(prior_certificates=[cert("junior")], years_in_occupation=4)
    assert route("intermediate", f) == "certificate_years"
    f = facts(prior_certificates=[cert("junior")], years_in_occupation=3.9)
    assert route("intermediate", f) == ""


def test_a_higher_certificate_counts_a_lower_does_not() -> None:
    assert route("intermediate", facts(prior_certificates=[cert("senior")], years_in_occupation=4))
    ev = evaluate(
        "senior", facts(prior_certificates=[cert("junior")], years_in_occupation=9), DAY,
        occupation_code=OCC,
    )  # fmt: skip
    assert "需四级证书且从事本职业满 5 年：现有五级证书 2023-06 取得，无四级证书，从业 9 年" in (
        ev.missing
    )


def test_a_certificate_of_another_occupation_does_not_count() -> None:
    f = facts(prior_certificates=[cert("junior", occupation="4-04-05-01")], years_in_occupation=4)
    ev = evaluate("intermediate", f, DAY, occupation_code=OCC)
    assert not ev.qualified
    assert (
        ev.missing[0]
        == "需五级证书且从事本职业满 4 年：无本职业五级证书（现有证书为其他职业），从业 4 年"
    )


def test_a_certificate_obtained_after_the_day_does_not_count() -> None:
    f = facts(prior_certificates=[cert("junior", on=date(2026, 7, 1))], years_in_occupation=5)
    assert route("intermediate", f) == ""


def test_intermediate_six_years() -> None:
    assert route("intermediate", facts(years_in_occupation=6)) == "years"
    assert route("intermediate", facts(years_in_occupation=5.99)) == ""


def test_intermediate_technical_school_graduate_and_final_year_student() -> None:
    grad = facts(education=Education.TECHNICAL_SCHOOL, graduation_date=date(2025, 6, 30))
    assert route("intermediate", grad) == "school"
    student = facts(
        education=Education.TECHNICAL_SCHOOL,
        final_year_student=True,
        graduation_date=date(2026, 6, 30),
    )
    assert route("intermediate", student) == "school"
    # Not final-year and not yet graduated: no.
    later = facts(education=Education.TECHNICAL_SCHOOL, graduation_date=date(2027, 6, 30))
    ev = evaluate("intermediate", later, DAY, occupation_code=OCC)
    assert not ev.qualified
    assert "尚未毕业" in ev.missing[2]


def test_intermediate_secondary_vocational_only_when_accredited() -> None:
    plain = facts(education=Education.SECONDARY_VOCATIONAL)
    ev = evaluate("intermediate", plain, DAY, occupation_code=OCC)
    assert not ev.qualified
    assert "专业未经评估认可" in ev.missing[2]
    ok = facts(education=Education.SECONDARY_VOCATIONAL, school_type_accredited=True)
    assert route("intermediate", ok) == "school"
    assert route("intermediate", facts(education=Education.HIGH_SCHOOL)) == ""


# --- 三级 ---------------------------------------------------------------------------------


def test_senior_certificate_and_five_years_the_issue_sentence() -> None:
    f = facts(prior_certificates=[cert("intermediate")], years_in_occupation=3)
    ev = evaluate("senior", f, DAY, occupation_code=OCC)
    assert ev.missing[0] == "需四级证书且从事本职业满 5 年：现有四级证书 2023-06 取得，从业 3 年"
    f = facts(prior_certificates=[cert("intermediate")], years_in_occupation=5)
    assert route("senior", f) == "certificate_years"


def test_senior_certificate_and_senior_school() -> None:
    for school in (Education.SENIOR_TECHNICAL_SCHOOL, Education.TECHNICIAN_COLLEGE):
        f = facts(prior_certificates=[cert("intermediate")], education=school)
        assert route("senior", f) == "certificate_school"
    higher = facts(prior_certificates=[cert("intermediate")], education=Education.HIGHER_VOCATIONAL)
    assert route("senior", higher) == ""  # 高职 counts when accredited, or via 大专 + 2 years
    accredited = higher.model_copy(update={"school_type_accredited": True})
    assert route("senior", accredited) == "certificate_school"
    # DOMAIN.md admits final-year students at 四级 only.
    student = facts(
        prior_certificates=[cert("intermediate")],
        education=Education.TECHNICIAN_COLLEGE,
        final_year_student=True,
    )
    assert route("senior", student) == ""


def test_senior_college_certificate_and_two_years() -> None:
    f = facts(
        education=Education.BACHELOR,
        prior_certificates=[cert("intermediate")],
        years_in_occupation=2,
    )
    assert route("senior", f) == "college_certificate_years"
    assert route("senior", f.model_copy(update={"years_in_occupation": 1.5})) == ""
    assert route("senior", f.model_copy(update={"prior_certificates": []})) == ""


# --- 二级 ---------------------------------------------------------------------------------


def test_technician_certificate_and_four_years() -> None:
    f = facts(prior_certificates=[cert("senior")], years_in_occupation=4)
    assert route("technician", f) == "certificate_years"
    assert route("technician", f.model_copy(update={"years_in_occupation": 3.5})) == ""


def test_technician_certificate_senior_school_and_three_years() -> None:
    f = facts(
        prior_certificates=[cert("senior")],
        education=Education.TECHNICIAN_COLLEGE,
        years_in_occupation=3,
    )
    assert route("technician", f) == "certificate_school_years"
    assert route("technician", f.model_copy(update={"years_in_occupation": 2.9})) == ""


def test_technician_preparatory_technician_and_two_years() -> None:
    f = facts(preparatory_technician=True, years_in_occupation=2)
    assert route("technician", f) == "preparatory_technician_years"
    assert route("technician", f.model_copy(update={"years_in_occupation": 1.9})) == ""
    assert route("technician", facts(years_in_occupation=2)) == ""


# --- 一级 ---------------------------------------------------------------------------------


def test_senior_technician_certificate_and_four_years() -> None:
    f = facts(prior_certificates=[cert("technician")], years_in_occupation=4)
    assert route("senior_technician", f) == "certificate_years"
    assert route("senior_technician", f.model_copy(update={"years_in_occupation": 3})) == ""
    f = facts(prior_certificates=[cert("senior")], years_in_occupation=20)
    assert route("senior_technician", f) == ""


def test_jiping_certificates_count_with_entered_ones() -> None:
    f = facts(years_in_occupation=5)
    assert route("senior", f) == ""
    assert route("senior", f, jiping=[cert("intermediate", on=date(2024, 1, 5))]) == (
        "certificate_years"
    )


# --- competition and 特才特评 -------------------------------------------------------------


def test_competition_award_promoting_to_the_level() -> None:
    award = Award(name="全省技能大赛电工项目二等奖", promotes_to="三级", won_on=date(2025, 10, 1))
    assert route("senior", facts(awards=[award])) == "competition"
    assert route("intermediate", facts(awards=[award])) == "competition"  # and below
    ev = evaluate("technician", facts(awards=[award]), DAY, occupation_code=OCC)
    assert not ev.qualified
    assert "需获得可晋升至本等级的技能竞赛奖项：所获竞赛奖项不能晋升至本等级" in ev.missing
    future = Award(name="大赛", promotes_to="senior", won_on=date(2026, 9, 1))
    assert route("senior", facts(awards=[future])) == ""


def test_special_recognition_needs_its_basis_and_only_from_senior() -> None:
    basis = "某集团特才特评决定（2026）3 号"
    assert route("senior", facts(special_recognition=basis)) == "special_recognition"
    assert route("senior_technician", facts(special_recognition=basis)) == "special_recognition"
    ev = evaluate("senior", facts(), DAY, occupation_code=OCC)
    assert "需用人单位特才特评（记录依据）：未记录特才特评依据" in ev.missing
    assert route("intermediate", facts(special_recognition=basis)) == ""
    assert "special_recognition" not in {r.code for r in routes_for("intermediate")}
    assert "special_recognition" not in {r.code for r in routes_for("junior")}


# --- open and not examinable ---------------------------------------------------------------


def test_one_plus_x_levels_are_open() -> None:
    for code in ("x_junior", "x_intermediate", "x_senior"):
        ev = evaluate(code, facts(), DAY, occupation_code=OCC)
        assert ev.qualified and ev.open and ev.route_code == "open"
        assert ev.missing == []


@pytest.mark.parametrize("code", ["apprentice", "principal_technician", "chief_technician"])
def test_levels_without_an_exam_are_not_registered(code: str) -> None:
    with pytest.raises(NotExaminable):
        routes_for(code)


def test_every_examinable_level_has_its_routes_in_domain_order() -> None:
    codes = {lv: [r.code for r in routes_for(lv)] for lv in eligibility.ROUTES}
    assert codes == {
        "junior": ["years", "apprenticeship", "competition"],
        "intermediate": ["certificate_years", "years", "school", "competition"],
        "senior": [
            "certificate_years",
            "certificate_school",
            "college_certificate_years",
            "competition",
            "special_recognition",
        ],
        "technician": [
            "certificate_years",
            "certificate_school_years",
            "preparatory_technician_years",
            "competition",
            "special_recognition",
        ],
        "senior_technician": ["certificate_years", "competition", "special_recognition"],
    }


def test_summary_names_the_route_that_qualifies() -> None:
    f = facts(prior_certificates=[cert("junior")], years_in_occupation=4)
    ev = evaluate("intermediate", f, DAY, occupation_code=OCC)
    assert ev.summary == (
        "符合四级/中级工申报条件：五级证书且从事本职业满 4 年（现有五级证书 2023-06 取得，从业 4 年）"
    )
    assert (
        eligibility.route_text("intermediate", "certificate_years") == "五级证书且从事本职业满 4 年"
    )


def test_prior_certificate_levels_are_read_as_staff_write_them() -> None:
    assert PriorCertificate(level_code="四级/中级工").level_code == "intermediate"
    assert PriorCertificate(level_code="中级工").level_code == "intermediate"
    with pytest.raises(ValueError, match="等级应为"):
        PriorCertificate(level_code="中级")  # a 1+X level is not a 新八级工 certificate
