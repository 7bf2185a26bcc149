"""Certificate numbers (证书编号), as pure functions: formats, prefixes, validation.

职业技能等级证书 (人社鉴发〔2019〕2号, DOMAIN.md §4) have 22 characters:

| positions | meaning |
|---|---|
| 1 | evaluator type: Y employer (用人单位), S social evaluation organisation |
| 2–5 | evaluator code filed nationally, 0000 if filed provincially |
| 6–7 | province code |
| 8–13 | evaluator or site serial assigned by the province |
| 14–15 | issue year, YY |
| 16 | level digit (五级 5 … 一级 1) |
| 17–22 | serial |

特级技师 / 首席技师 (enterprise 评聘) and 1+X certificates have no national layout: each
is a per-scheme template a centre sets (`NumberFormat`), with Jiping's defaults below. The
serial always comes last, so everything before it is the number's prefix, which includes
the year: serials are counted per prefix (hence per year), from 1, without gaps
(certificates.service.allocate_serial)."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.reference.identifiers import PROVINCES, normalise_resident_id
from app.reference.levels import Level, Scheme

NATIONAL_LENGTH = 22


class NumberKind(StrEnum):
    """Which numbering a level's certificates follow."""

    SKILL_LEVEL = "skill_level"  # 五级 … 一级: the national 22-character layout
    ENTERPRISE = "enterprise"  # 特级技师 / 首席技师: the centre's template
    ONE_PLUS_X = "one_plus_x"  # 1+X: the 培训评价组织's template


NATIONAL_TEMPLATE = "{type}{national}{province}{site}{yy}{level}{serial:6}"
# Jiping's defaults where no national layout exists (a centre may set its own):
# the national layout with T (特级技师) or C (首席技师) as the level character, and for
# 1+X the evaluator code, the four-digit year, the level (1 初级, 2 中级, 3 高级) and a
# seven-digit serial.
DEFAULT_TEMPLATES = {
    NumberKind.SKILL_LEVEL: NATIONAL_TEMPLATE,
    NumberKind.ENTERPRISE: NATIONAL_TEMPLATE,
    NumberKind.ONE_PLUS_X: "X{national}{yyyy}{level}{serial:7}",
}
ENTERPRISE_LEVEL_CHARS = {"principal_technician": "T", "chief_technician": "C"}

# Each field a template may use, with its width and what its characters may be.
_FIELDS: dict[str, tuple[int, str]] = {
    "type": (1, "[YS]"),
    "national": (4, "[0-9]"),
    "province": (2, "[0-9]"),
    "site": (6, "[0-9]"),
    "yy": (2, "[0-9]"),
    "yyyy": (4, "[0-9]"),
    "level": (1, "[0-9A-Z]"),
}
_TOKEN = re.compile(r"\{(\w+)(?::(\d+))?\}")
_LITERAL = re.compile(r"[A-Z0-9-]*")
SERIAL_WIDTHS = range(4, 11)


class NumberFormatInvalid(ValueError):
    """A template that cannot number certificates; the message says why, in Chinese."""


@dataclass(frozen=True)
class EvaluatorCodes:
    """The codes a centre's certificates carry (centre settings)."""

    evaluator_type: str  # Y or S
    national_code: str  # 4 digits, 0000 when filed provincially
    province_code: str  # 2 digits
    site_serial: str  # 6 digits, assigned by the province


# What the level character may be under each kind of numbering.
LEVEL_CHARS = {
    NumberKind.SKILL_LEVEL: "[1-5]",
    NumberKind.ENTERPRISE: "[TC]",
    NumberKind.ONE_PLUS_X: "[1-3]",
}


@dataclass(frozen=True)
class NumberFormat:
    template: str
    level_chars: str = "[0-9A-Z]"  # a regex class: LEVEL_CHARS of the format's kind

    def __post_init__(self) -> None:
        problem = template_problem(self.template)
        if problem:
            raise NumberFormatInvalid(problem)

    @property
    def serial_width(self) -> int:
        last = list(_TOKEN.finditer(self.template))[-1]
        return int(last.group(2))

    @property
    def pattern(self) -> re.Pattern[str]:
        parts, pos = [], 0
        for m in _TOKEN.finditer(self.template):
            parts.append(re.escape(self.template[pos : m.start()]))
            name, width = m.group(1), m.group(2)
            if name == "serial":
                parts.append(f"(?P<serial>[0-9]{{{width}}})")
            else:
                size, chars = _FIELDS[name]
                chars = self.level_chars if name == "level" else chars
                parts.append(f"(?P<{name}>{chars}{{{size}}})")
            pos = m.end()
        return re.compile("".join(parts) + r"\Z")

    def matches(self, number: str) -> bool:
        """Whether a number could have been issued under this format: its layout, a real
        province where it has one, a serial from 1."""
        m = self.pattern.match(number)
        if m is None or int(m.group("serial")) == 0:
            return False
        groups = m.groupdict()
        return "province" not in groups or groups["province"] in PROVINCES

    def prefix(self, codes: EvaluatorCodes, *, level_char: str, issued: date) -> str:
        """Everything before the serial: what serials are counted per."""
        values = {
            "type": codes.evaluator_type,
            "national": codes.national_code,
            "province": codes.province_code,
            "site": codes.site_serial,
            "yy": f"{issued.year % 100:02d}",
            "yyyy": f"{issued.year:04d}",
            "level": level_char,
        }
        head = self.template[: list(_TOKEN.finditer(self.template))[-1].start()]
        return _TOKEN.sub(lambda m: values[m.group(1)], head)

    def number(self, prefix: str, serial: int) -> str:
        width = self.serial_width
        if not 1 <= serial < 10**width:
            raise ValueError(f"流水号 {serial} 超出 {width} 位")
        return f"{prefix}{serial:0{width}d}"


def template_problem(template: str) -> str | None:
    """None for a usable template, else what is wrong with it."""
    tokens = list(_TOKEN.finditer(template))
    if not tokens or tokens[-1].group(1) != "serial" or tokens[-1].end() != len(template):
        return "编号格式必须以流水号 {serial:N} 结尾"
    names = [m.group(1) for m in tokens]
    unknown = [n for n in names if n not in _FIELDS and n != "serial"]
    if unknown:
        return f"编号格式含未知字段：{', '.join(unknown)}"
    if names.count("serial") != 1:
        return "编号格式只能有一个流水号"
    width = tokens[-1].group(2)
    if width is None or int(width) not in SERIAL_WIDTHS:
        return "流水号位数须为 4 到 10 位，例如 {serial:6}"
    if "yy" not in names and "yyyy" not in names:
        return "编号格式须含年份 {yy} 或 {yyyy}（流水号按年编排）"
    literals = _TOKEN.split(template)[::3]
    if not all(_LITERAL.fullmatch(lit) for lit in literals):
        return "编号格式中的固定字符只能是大写字母、数字或 -"
    if any(m.group(2) for m in tokens[:-1]):
        return "只有流水号可以指定位数"
    return None


NATIONAL_FORMAT = NumberFormat(NATIONAL_TEMPLATE, LEVEL_CHARS[NumberKind.SKILL_LEVEL])


def kind_of(level: Level) -> NumberKind:
    if level.scheme == Scheme.ONE_PLUS_X:
        return NumberKind.ONE_PLUS_X
    if level.code in ENTERPRISE_LEVEL_CHARS:
        return NumberKind.ENTERPRISE
    return NumberKind.SKILL_LEVEL


def level_char(level: Level) -> str:
    """The level's character in a number: digit 16 of the national layout (五级 5 … 一级
    1), T/C for 特级/首席技师, 1–3 for 1+X 初级–高级."""
    if level.certificate_digit:
        return level.certificate_digit
    if level.code in ENTERPRISE_LEVEL_CHARS:
        return ENTERPRISE_LEVEL_CHARS[level.code]
    if level.scheme == Scheme.ONE_PLUS_X:
        return str(level.order)
    raise ValueError(f"{level.name} 不颁发职业技能等级证书")


def national_number_problem(number: str) -> str | None:
    """None for a well-formed 22-character 职业技能等级证书 number, else which position is
    wrong. Used for issued numbers and for what people type into the public lookup."""
    n = normalise_number(number)
    if len(n) != NATIONAL_LENGTH:
        return f"证书编号应为 {NATIONAL_LENGTH} 位，输入了 {len(n)} 位"
    if n[0] not in "YS":
        return "第 1 位应为评价机构类型 Y（用人单位）或 S（社会培训评价组织）"
    if not n[1:].isdigit() or not n[1:].isascii():
        return "第 2–22 位应全为数字"
    if n[5:7] not in PROVINCES:
        return f"第 6–7 位 {n[5:7]} 不是省级行政区划代码"
    if n[15] not in "12345":
        return f"第 16 位等级代码 {n[15]} 无效（应为 1–5：一级至五级）"
    if n[16:] == "000000":
        return "第 17–22 位流水号不能为 000000"
    return None


def codes_problem(codes: EvaluatorCodes) -> str | None:
    """None when the centre's codes can number national certificates, else what to fix."""
    if codes.evaluator_type not in ("Y", "S"):
        return "评价机构类型应为 Y 或 S"
    if not re.fullmatch(r"[0-9]{4}", codes.national_code):
        return "全国备案编码应为 4 位数字（省级备案填 0000）"
    if codes.province_code not in PROVINCES:
        return "省份代码无效"
    if not re.fullmatch(r"[0-9]{6}", codes.site_serial) or codes.site_serial == "000000":
        return "评价机构（站点）序列号应为省级人社部门分配的 6 位数字"
    return None


def number_problem(number: str, formats: Callable[[], Iterable[NumberFormat]]) -> str | None:
    """For lookup input: None when the number fits the national layout or one of the
    formats in use, else the national layout's sentence (what most numbers are).
    `formats` is asked only for a number outside the national layout: reading the
    centres' templates takes a query that most lookups need not make."""
    n = normalise_number(number)
    problem = national_number_problem(n)
    if problem is None or any(f.matches(n) for f in formats()):
        return None
    return problem


def normalise_number(number: str) -> str:
    """As typed: full-width characters, spaces and lower case are the same number."""
    return "".join(normalise_resident_id(number).split())
