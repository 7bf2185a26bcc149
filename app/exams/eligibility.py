"""申报条件 (eligibility to register for a level), as data: DOMAIN.md §3's routes per
level of 新八级工, plus the competition route and 特才特评. Any one route qualifies; each
route is a list of requirements, and an evaluation says which route qualifies, or for
each route what is missing ("需四级证书且从事本职业满 5 年：现有四级证书 2023-06 取得，
从业 3 年"). Pure: plain data in, plain data out.

Readings of DOMAIN.md §3, named here because they decide cases:
- "Years" is the candidate's recorded cumulative years in this or a related occupation
  (HolderFacts.years_in_occupation), whatever the certificate's date.
- "Holds a 五级 certificate" is read as: a certificate of exactly that level or a higher
  one, in the same occupation (a 四级 holder also holds what a 五级 route asks), obtained
  on or before the day of the evaluation. External certificates the centre entered and
  Jiping's own valid ones both count; one entered without its occupation is taken to be
  of the occupation applied for (the form and the roster ask for exactly that one).
- Final-year students (在校应届毕业生) count as graduates where DOMAIN.md says so (the
  technical-school route to 四级); the flag is on the requirement, so another level's
  school route can admit them when an occupation standard does.
- 1+X levels have no 申报条件 in DOMAIN.md: they are open to anyone. 学徒工, 特级技师 and
  首席技师 are not registered for exams (enterprise apprenticeship and 评聘)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.exams.facts import COLLEGE, EDUCATION_NAMES, Education, HolderFacts, PriorCertificate
from app.reference.levels import Award, Level, Scheme, get_level

TECHNICAL_SCHOOLS = (
    Education.TECHNICAL_SCHOOL,
    Education.SENIOR_TECHNICAL_SCHOOL,
    Education.TECHNICIAN_COLLEGE,
)  # 技工院校, every tier
ACCREDITED_VOCATIONAL = (Education.SECONDARY_VOCATIONAL, Education.HIGHER_VOCATIONAL)
SENIOR_SCHOOLS = (Education.SENIOR_TECHNICAL_SCHOOL, Education.TECHNICIAN_COLLEGE)
SPECIAL_RECOGNITION_FROM = 4  # 特才特评: 高级工 (order 4) or above


def _years(n: float) -> str:
    return f"{n:g}"


def _grade(code: str) -> str:
    lv = get_level(code)
    return lv.grade_name or lv.name


def _month(d: date | None) -> str:
    return f"{d:%Y-%m}" if d else "日期未填"


@dataclass(frozen=True)
class Check:
    ok: bool
    shown: str  # what the candidate has, as the sentence says it


@dataclass(frozen=True)
class Evidence:
    """What a requirement reads: the facts, the certificates held (external and Jiping's),
    the plan's occupation, the level applied for and the day."""

    facts: HolderFacts
    certificates: Sequence[PriorCertificate]
    occupation_code: str
    level: Level
    on_date: date


@dataclass(frozen=True)
class Years:
    at_least: float

    @property
    def text(self) -> str:
        return f"从事本职业满 {_years(self.at_least)} 年"

    def check(self, e: Evidence) -> Check:
        have = e.facts.years_in_occupation
        return Check(have >= self.at_least, f"从业 {_years(have)} 年")


@dataclass(frozen=True)
class Certificate:
    """A certificate of this level or higher, in the occupation applied for."""

    level_code: str

    @property
    def text(self) -> str:
        return f"{_grade(self.level_code)}证书"

    def check(self, e: Evidence) -> Check:
        wanted = get_level(self.level_code).order
        same: list[tuple[int, PriorCertificate]] = []
        other = False
        for c in e.certificates:
            try:
                lv = get_level(c.level_code)
            except KeyError:
                continue
            if lv.scheme != Scheme.SKILL_LEVEL or (c.obtained_on and c.obtained_on > e.on_date):
                continue
            if c.occupation_code and c.occupation_code != e.occupation_code:
                other = other or lv.order >= wanted
                continue
            same.append((lv.order, c))
        meeting = sorted(
            (x for x in same if x[0] >= wanted),
            key=lambda x: (x[0], x[1].obtained_on or date.max),
        )
        if meeting:
            c = meeting[0][1]
            return Check(True, f"现有{_grade(c.level_code)}证书 {_month(c.obtained_on)} 取得")
        if same:
            c = max(same, key=lambda x: x[0])[1]
            return Check(
                False,
                f"现有{_grade(c.level_code)}证书 {_month(c.obtained_on)} 取得，无{self.text}",
            )
        if other:
            return Check(False, f"无本职业{self.text}（现有证书为其他职业）")
        return Check(False, f"无{self.text}")


@dataclass(frozen=True)
class School:
    """A graduate of one of these schools (an accredited programme where it says so)."""

    kinds: tuple[Education, ...]
    name: str
    accredited_kinds: tuple[Education, ...] = ()  # these count only when accredited
    final_year_counts: bool = False  # 在校应届毕业生 count as graduates

    @property
    def text(self) -> str:
        return f"{self.name}毕业" + ("（含应届毕业生）" if self.final_year_counts else "")

    def check(self, e: Evidence) -> Check:
        f = e.facts
        if f.education is None:
            return Check(False, "未填写学历")
        school = EDUCATION_NAMES[f.education]
        if f.education in self.accredited_kinds and not f.school_type_accredited:
            return Check(False, f"{school}（专业未经评估认可）")
        if f.education not in self.kinds and f.education not in self.accredited_kinds:
            return Check(False, f"学历为{school}")
        if f.final_year_student:
            if self.final_year_counts:
                return Check(True, f"{school}应届毕业生")
            return Check(False, f"{school}在读（应届毕业生不适用）")
        if f.graduation_date and f.graduation_date > e.on_date:
            return Check(False, f"{school}，毕业时间 {_month(f.graduation_date)} 尚未毕业")
        when = f"，{_month(f.graduation_date)} 毕业" if f.graduation_date else ""
        return Check(True, f"{school}毕业{when}")


@dataclass(frozen=True)
class Flag:
    """A yes/no fact: apprenticeship completed, a 预备技师 certificate."""

    attr: str
    yes: str
    no: str

    @property
    def text(self) -> str:
        return self.yes

    def check(self, e: Evidence) -> Check:
        ok = bool(getattr(e.facts, self.attr))
        return Check(ok, self.yes if ok else self.no)


@dataclass(frozen=True)
class CompetitionAward:
    """A recognised competition award promoting to this level or higher (竞赛晋级)."""

    @property
    def text(self) -> str:
        return "获得可晋升至本等级的技能竞赛奖项"

    def check(self, e: Evidence) -> Check:
        for a in e.facts.awards:
            try:
                lv = get_level(a.promotes_to)
            except KeyError:
                continue
            if (
                lv.scheme == e.level.scheme
                and lv.order >= e.level.order
                and not (a.won_on and a.won_on > e.on_date)
            ):
                return Check(True, f"{a.name}（可晋升至{_grade(lv.code)}）")
        if e.facts.awards:
            return Check(False, "所获竞赛奖项不能晋升至本等级")
        return Check(False, "无竞赛获奖记录")


@dataclass(frozen=True)
class SpecialRecognition:
    """特才特评: the employer recognises the candidate directly, with its recorded basis."""

    @property
    def text(self) -> str:
        return "用人单位特才特评（记录依据）"

    def check(self, e: Evidence) -> Check:
        basis = e.facts.special_recognition.strip()
        return Check(bool(basis), f"依据：{basis}" if basis else "未记录特才特评依据")


Requirement = Years | Certificate | School | Flag | CompetitionAward | SpecialRecognition


@dataclass(frozen=True)
class Route:
    code: str  # stable, stored on the registration
    requirements: tuple[Requirement, ...]

    @property
    def text(self) -> str:
        return "且".join(r.text for r in self.requirements)


@dataclass(frozen=True)
class RouteResult:
    route: Route
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def found(self) -> str:
        return "，".join(c.shown for c in self.checks)

    @property
    def sentence(self) -> str:
        """需四级证书且从事本职业满 5 年：现有四级证书 2023-06 取得，从业 3 年"""
        return f"需{self.route.text}：{self.found}"


@dataclass(frozen=True)
class Evaluation:
    level_code: str
    results: tuple[RouteResult, ...]
    open: bool = False  # no 申报条件 (1+X)

    @property
    def qualifying(self) -> RouteResult | None:
        return next((r for r in self.results if r.ok), None)

    @property
    def qualified(self) -> bool:
        return self.open or self.qualifying is not None

    @property
    def route_code(self) -> str:
        if self.open:
            return OPEN
        q = self.qualifying
        return q.route.code if q else ""

    @property
    def summary(self) -> str:
        level = get_level(self.level_code).display
        if self.open:
            return f"{level}不设申报条件"
        q = self.qualifying
        if q:
            return f"符合{level}申报条件：{q.route.text}（{q.found}）"
        return f"不符合{level}申报条件"

    @property
    def missing(self) -> list[str]:
        """For each route, what is missing (empty when one route qualifies)."""
        return [] if self.qualified else [r.sentence for r in self.results]


OPEN = "open"
COMPETITION = Route("competition", (CompetitionAward(),))
SPECIAL = Route("special_recognition", (SpecialRecognition(),))

_TECH_OR_ACCREDITED = School(
    TECHNICAL_SCHOOLS,
    "技工学校或经评估认可的中等及以上职业学校",
    accredited_kinds=ACCREDITED_VOCATIONAL,
    final_year_counts=True,
)
_SENIOR_OR_ACCREDITED_HIGHER = School(
    SENIOR_SCHOOLS,
    "高级技工学校、技师学院或经评估认可的高等职业学校",
    accredited_kinds=(Education.HIGHER_VOCATIONAL,),
)
_COLLEGE = School(COLLEGE, "大专及以上学历")
_SENIOR_SCHOOL = School(SENIOR_SCHOOLS, "高级技工学校或技师学院")

# DOMAIN.md §3, in its order; the competition route and 特才特评 are added per level.
ROUTES: dict[str, tuple[Route, ...]] = {
    "junior": (
        Route("years", (Years(1),)),
        Route(
            "apprenticeship",
            (Flag("apprenticeship_completed", "学徒期满（完成学徒培训）", "未完成学徒培训"),),
        ),
    ),
    "intermediate": (
        Route("certificate_years", (Certificate("junior"), Years(4))),
        Route("years", (Years(6),)),
        Route("school", (_TECH_OR_ACCREDITED,)),
    ),
    "senior": (
        Route("certificate_years", (Certificate("intermediate"), Years(5))),
        Route("certificate_school", (Certificate("intermediate"), _SENIOR_OR_ACCREDITED_HIGHER)),
        Route("college_certificate_years", (_COLLEGE, Certificate("intermediate"), Years(2))),
    ),
    "technician": (
        Route("certificate_years", (Certificate("senior"), Years(4))),
        Route("certificate_school_years", (Certificate("senior"), _SENIOR_SCHOOL, Years(3))),
        Route(
            "preparatory_technician_years",
            (Flag("preparatory_technician", "预备技师证书", "无预备技师证书"), Years(2)),
        ),
    ),
    "senior_technician": (Route("certificate_years", (Certificate("technician"), Years(4))),),
}


class NotExaminable(ValueError):
    """学徒工, 特级技师, 首席技师: awarded without registering for an exam."""


def routes_for(level_code: str) -> tuple[Route, ...]:
    """Every route to the level: DOMAIN.md §3's, the competition route, and 特才特评 from
    高级工. () for a 1+X level (open)."""
    level = get_level(level_code)
    if level.scheme == Scheme.ONE_PLUS_X:
        return ()
    if level.award not in (Award.EXAM, Award.EXAM_AND_REVIEW):
        raise NotExaminable(f"{level.display}不通过考试报名认定")
    extra = (COMPETITION, SPECIAL) if level.order >= SPECIAL_RECOGNITION_FROM else (COMPETITION,)
    return ROUTES[level.code] + extra


def route_text(level_code: str, route_code: str) -> str:
    """A stored route code as a sentence ("" when unknown)."""
    if route_code == OPEN:
        return "不设申报条件"
    try:
        return next((r.text for r in routes_for(level_code) if r.code == route_code), "")
    except (KeyError, NotExaminable):
        return ""


def _evidence(
    level: Level,
    facts: HolderFacts,
    on_date: date,
    jiping_certificates: Sequence[PriorCertificate],
    occupation_code: str,
) -> Evidence:
    return Evidence(
        facts=facts,
        certificates=[*facts.prior_certificates, *jiping_certificates],
        occupation_code=occupation_code,
        level=level,
        on_date=on_date,
    )


def evaluate(
    level_code: str,
    facts: HolderFacts,
    on_date: date,
    jiping_certificates: Sequence[PriorCertificate] = (),
    *,
    occupation_code: str,
) -> Evaluation:
    """Which route to the level the candidate qualifies by on `on_date`, or, for each
    route, what is missing. `jiping_certificates`: the person's valid certificates issued
    by Jiping (found by ID number), counted with those in `facts`."""
    level = get_level(level_code)
    routes = routes_for(level.code)
    if level.scheme == Scheme.ONE_PLUS_X:
        return Evaluation(level.code, (), open=True)
    evidence = _evidence(level, facts, on_date, jiping_certificates, occupation_code)
    return Evaluation(
        level.code,
        tuple(
            RouteResult(route, tuple(req.check(evidence) for req in route.requirements))
            for route in routes
        ),
    )


def holds_certificate(
    level_code: str,
    facts: HolderFacts,
    on_date: date,
    jiping_certificates: Sequence[PriorCertificate] = (),
    *,
    occupation_code: str,
) -> Check:
    """The certificate requirement alone: a certificate of `level_code` or higher in the
    occupation on `on_date`, read as the routes read it (企业评聘 asks for the level below
    the post)."""
    level = get_level(level_code)
    evidence = _evidence(level, facts, on_date, jiping_certificates, occupation_code)
    return Certificate(level.code).check(evidence)
