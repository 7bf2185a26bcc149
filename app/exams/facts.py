"""A candidate's record (考生档案): the facts eligibility (申报条件) and subsidies reason
about, captured at registration and kept on the candidate. Plain data, validated here;
the rules that read them are pure functions elsewhere (subsidies.engine)."""

import logging
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.reference.identifiers import credit_code_problem, normalise_credit_code
from app.reference.levels import Scheme, get_level
from app.reference.regions import is_division_code

log = logging.getLogger(__name__)


def _skill_level(value: str, *, blank: bool) -> str:
    """A 新八级工 level as its code; staff may write 四级, 中级工 or 四级/中级工."""
    text = value.strip()
    if not text and blank:
        return ""
    try:
        level = get_level(text)
    except KeyError:
        level = None
    if level is None or level.scheme != Scheme.SKILL_LEVEL:
        raise ValueError("等级应为五级、四级、三级、二级或一级（或写作初级工、中级工……）")
    return level.code


class Education(StrEnum):
    NONE = "none"  # 初中及以下
    HIGH_SCHOOL = "high_school"  # 普通高中
    SECONDARY_VOCATIONAL = "secondary_vocational"  # 中等职业学校（经评估认可）
    TECHNICAL_SCHOOL = "technical_school"  # 技工学校
    SENIOR_TECHNICAL_SCHOOL = "senior_technical_school"  # 高级技工学校
    TECHNICIAN_COLLEGE = "technician_college"  # 技师学院
    HIGHER_VOCATIONAL = "higher_vocational"  # 高等职业学校（大专）
    BACHELOR = "bachelor"  # 本科及以上


EDUCATION_NAMES = {
    Education.NONE: "初中及以下",
    Education.HIGH_SCHOOL: "普通高中",
    Education.SECONDARY_VOCATIONAL: "中等职业学校",
    Education.TECHNICAL_SCHOOL: "技工学校",
    Education.SENIOR_TECHNICAL_SCHOOL: "高级技工学校",
    Education.TECHNICIAN_COLLEGE: "技师学院",
    Education.HIGHER_VOCATIONAL: "高等职业学校（大专）",
    Education.BACHELOR: "本科及以上",
}
COLLEGE = (Education.HIGHER_VOCATIONAL, Education.BACHELOR)  # 大专及以上


class Employment(StrEnum):
    ENTERPRISE_EMPLOYEE = "enterprise_employee"  # 企业职工
    EMPLOYED = "employed"  # 其他在职
    FLEXIBLE = "flexible"  # 灵活就业
    UNEMPLOYED = "unemployed"  # 失业
    REGISTERED_UNEMPLOYED = "registered_unemployed"  # 登记失业
    STUDENT = "student"  # 在校学生


EMPLOYMENT_NAMES = {
    Employment.ENTERPRISE_EMPLOYEE: "企业职工",
    Employment.EMPLOYED: "在职",
    Employment.FLEXIBLE: "灵活就业",
    Employment.UNEMPLOYED: "失业",
    Employment.REGISTERED_UNEMPLOYED: "登记失业",
    Employment.STUDENT: "在校学生",
}


class PriorCertificate(BaseModel):
    """A certificate held before: external ones entered by the centre (Jiping's own are
    found by ID number)."""

    model_config = ConfigDict(extra="forbid")

    level_code: str
    occupation_code: str = ""
    number: str = ""
    obtained_on: date | None = None

    @field_validator("level_code")
    @classmethod
    def _level(cls, value: str) -> str:
        return _skill_level(value, blank=False)


class Training(BaseModel):
    """补贴性培训 taken: the course a training subsidy pays for."""

    model_config = ConfigDict(extra="forbid")

    course: str
    provider: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


class Award(BaseModel):
    """A recognised skills competition result (竞赛获奖)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    promotes_to: str = ""  # the level it may promote to directly
    won_on: date | None = None

    @field_validator("promotes_to")
    @classmethod
    def _level(cls, value: str) -> str:
        return _skill_level(value, blank=True)


def stored(facts: "HolderFacts") -> dict[str, Any]:
    """As kept in Candidate.facts: JSON, what is left at its default left out (two
    records are the same when their stored forms are equal)."""
    return facts.model_dump(mode="json", exclude_defaults=True)


def recorded(data: Mapping[str, Any] | None, *, invalid_as_unknown: bool = False) -> "HolderFacts":
    """A stored record read back (nothing stored: nothing known). `invalid_as_unknown`:
    one that no longer validates (a rule tightened since it was kept) counts as unknown
    facts, logged, where a reader must not fail on it (subsidies on an issued
    certificate); otherwise it raises pydantic's ValidationError."""
    try:
        return HolderFacts.model_validate(data or {})
    except ValidationError:
        if not invalid_as_unknown:
            raise
        log.warning("holder facts do not validate; evaluated as unknown")
        return HolderFacts()


class HolderFacts(BaseModel):
    """What is known of a candidate, on the day it is read. Every field has an empty
    default: an unknown fact fails the rules that need it, and says so."""

    model_config = ConfigDict(extra="forbid")

    education: Education | None = None
    school_type_accredited: bool = False  # the school's programme is an accredited one
    graduation_date: date | None = None
    final_year_student: bool = False
    years_in_occupation: float = Field(default=0, ge=0, le=60)
    apprenticeship_completed: bool = False
    preparatory_technician: bool = False  # 预备技师 certificate
    prior_certificates: list[PriorCertificate] = Field(default_factory=list)
    employment: Employment | None = None
    employer_name: str = ""
    employer_credit_code: str = ""
    work_region: str = ""  # 行政区划 of the workplace, e.g. 340400 淮南
    unemployment_insurance_months: int = Field(default=0, ge=0, le=600)
    receiving_unemployment_benefit: bool = False
    monthly_pension: bool = False
    hard_to_employ: bool = False  # 就业困难人员
    rural_migrant: bool = False  # 农村转移劳动者
    school_leaver: bool = False  # 城乡未继续升学的应届初高中毕业生
    newly_recruited_on: date | None = None  # 新引进（全职）
    talent_apartment: bool = False  # 已提供人才公寓
    trainings: list[Training] = Field(default_factory=list)
    awards: list[Award] = Field(default_factory=list)
    special_recognition: str = ""  # 特才特评: its basis (the employer's decision)

    @field_validator("employer_credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        value = normalise_credit_code(value) if value else ""
        if value:
            problem = credit_code_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("work_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip()
        if value and not is_division_code(value):
            raise ValueError("工作地应为 6 位行政区划代码，例如 340400（淮南市）")
        return value
