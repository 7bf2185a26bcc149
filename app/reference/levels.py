"""Certification levels as data (DOMAIN.md §1).

新八级工: eight levels, low to high. 1+X: 初级, 中级, 高级."""

from dataclasses import dataclass
from enum import StrEnum


class Scheme(StrEnum):
    SKILL_LEVEL = "skill_level"  # 职业技能等级 (新八级工)
    ONE_PLUS_X = "one_plus_x"  # 1+X 职业技能等级证书


class Award(StrEnum):
    APPRENTICESHIP = "apprenticeship"  # enterprise apprenticeship
    EXAM = "exam"  # 职业技能等级认定
    EXAM_AND_REVIEW = "exam_and_review"  # exam + 综合评审
    ENTERPRISE_APPOINTMENT = "enterprise_appointment"  # enterprise 评聘


@dataclass(frozen=True)
class Level:
    code: str
    scheme: Scheme
    order: int
    name: str  # 初级工
    grade_name: str  # 五级 ("" when none)
    award: Award
    certificate_digit: str  # digit 16 of the certificate number; "" when the scheme has its own

    @property
    def display(self) -> str:
        """As printed on a certificate: 二级/技师."""
        return f"{self.grade_name}/{self.name}" if self.grade_name else self.name

    @property
    def needs_review(self) -> bool:
        """技师 and 高级技师 add 综合评审 to the exam."""
        return self.award == Award.EXAM_AND_REVIEW


LEVELS: tuple[Level, ...] = (
    Level("apprentice", Scheme.SKILL_LEVEL, 1, "学徒工", "", Award.APPRENTICESHIP, ""),
    Level("junior", Scheme.SKILL_LEVEL, 2, "初级工", "五级", Award.EXAM, "5"),
    Level("intermediate", Scheme.SKILL_LEVEL, 3, "中级工", "四级", Award.EXAM, "4"),
    Level("senior", Scheme.SKILL_LEVEL, 4, "高级工", "三级", Award.EXAM, "3"),
    Level("technician", Scheme.SKILL_LEVEL, 5, "技师", "二级", Award.EXAM_AND_REVIEW, "2"),
    Level(
        "senior_technician", Scheme.SKILL_LEVEL, 6, "高级技师", "一级", Award.EXAM_AND_REVIEW, "1"
    ),
    Level(
        "principal_technician",
        Scheme.SKILL_LEVEL,
        7,
        "特级技师",
        "",
        Award.ENTERPRISE_APPOINTMENT,
        "",
    ),
    Level(
        "chief_technician", Scheme.SKILL_LEVEL, 8, "首席技师", "", Award.ENTERPRISE_APPOINTMENT, ""
    ),
    Level("x_junior", Scheme.ONE_PLUS_X, 1, "初级", "", Award.EXAM, ""),
    Level("x_intermediate", Scheme.ONE_PLUS_X, 2, "中级", "", Award.EXAM, ""),
    Level("x_senior", Scheme.ONE_PLUS_X, 3, "高级", "", Award.EXAM, ""),
)

_BY_CODE = {lv.code: lv for lv in LEVELS}
# Accept the ways staff write a level: code, 中级工, 四级, 四级/中级工.
_ALIASES: dict[str, str] = {}
for _lv in LEVELS:
    if _lv.scheme == Scheme.SKILL_LEVEL:
        _ALIASES[_lv.name] = _lv.code
        if _lv.grade_name:
            _ALIASES[_lv.grade_name] = _lv.code
            _ALIASES[_lv.display] = _lv.code


def get_level(code: str) -> Level:
    """The level for a code or a Chinese name; KeyError when there is none."""
    key = str(code).strip()
    key = _ALIASES.get(key, key)
    return _BY_CODE[key]


def is_level(code: str) -> bool:
    try:
        get_level(code)
    except KeyError:
        return False
    return True


def levels_of(scheme: Scheme) -> list[Level]:
    return [lv for lv in LEVELS if lv.scheme == scheme]


def examinable_levels(scheme: Scheme) -> list[Level]:
    """Levels awarded through an exam that this platform delivers."""
    return [lv for lv in levels_of(scheme) if lv.award in (Award.EXAM, Award.EXAM_AND_REVIEW)]
