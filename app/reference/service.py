"""Occupations and evaluation centres."""

from sqlmodel import Session, col, select

from app.core.errors import Conflict, ValidationFailed
from app.core.text import clean_name, name_problem
from app.reference import regions
from app.reference.identifiers import PROVINCES, credit_code_problem, normalise_credit_code
from app.reference.models import EvaluationCentre, Occupation

# Occupations shipped with the product (职业分类大典, 2022 edition).
SHIPPED_OCCUPATIONS: tuple[tuple[str, str, str], ...] = (
    ("6-31-01-03", "电工", ""),
    # 工业互联网运维员 was announced as a new occupation after the 2022 大典; the code
    # below follows the bank files and is checked there (see question_banks/).
    ("6-31-01-13", "工业互联网运维员", ""),
)


def ensure_shipped_occupations(db: Session) -> list[Occupation]:
    found = []
    for code, name, direction in SHIPPED_OCCUPATIONS:
        occ = db.exec(
            select(Occupation).where(Occupation.code == code, Occupation.direction == direction)
        ).first()
        if occ is None:
            occ = Occupation(code=code, name=name, direction=direction)
            db.add(occ)
        found.append(occ)
    db.flush()
    return found


def list_occupations(db: Session) -> list[Occupation]:
    return list(db.exec(select(Occupation).order_by(Occupation.code, Occupation.direction)))


def occupation_by_code(db: Session, code: str, direction: str = "") -> Occupation | None:
    return db.exec(
        select(Occupation).where(Occupation.code == code, Occupation.direction == direction)
    ).first()


def create_centre(
    db: Session,
    *,
    name: str,
    credit_code: str,
    evaluator_type: str = "S",
    national_code: str = "0000",
    province_code: str = "34",
    region_code: str = "340400",
    address: str = "",
) -> EvaluationCentre:
    problems = []
    if problem := name_problem(name, label="评价机构名称", max_length=200):
        problems.append({"field": "name", "problem": problem})
    if problem := credit_code_problem(credit_code):
        problems.append({"field": "credit_code", "problem": problem})
    if evaluator_type not in ("Y", "S"):
        problems.append(
            {
                "field": "evaluator_type",
                "problem": "评价机构类型必须是 Y（用人单位）或 S（社会培训评价组织）",
            }
        )
    if not (len(national_code) == 4 and national_code.isascii() and national_code.isdigit()):
        problems.append(
            {"field": "national_code", "problem": "全国备案编码应为 4 位数字（省级备案填 0000）"}
        )
    if province_code not in PROVINCES:
        problems.append(
            {"field": "province_code", "problem": "省份代码应为有效的 2 位省级区划代码"}
        )
    if not (regions.is_division_code(region_code) and region_code[:2] == province_code):
        problems.append(
            {"field": "region_code", "problem": "行政区划代码应为 6 位数字，前 2 位为省份代码"}
        )
    if len(address) > 200:
        problems.append({"field": "address", "problem": "地址不能超过 200 个字符"})
    if problems:
        raise ValidationFailed("评价机构信息有误", code="invalid_centre", details=problems)
    code = normalise_credit_code(credit_code)
    if db.exec(select(EvaluationCentre).where(EvaluationCentre.credit_code == code)).first():
        raise Conflict(f"统一社会信用代码 {code} 已登记", code="centre_exists")
    centre = EvaluationCentre(
        name=clean_name(name),
        credit_code=code,
        evaluator_type=evaluator_type,
        national_code=national_code,
        province_code=province_code,
        region_code=region_code,
        address=address,
    )
    db.add(centre)
    db.flush()
    return centre


def centre_by_credit_code(db: Session, credit_code: str) -> EvaluationCentre | None:
    return db.exec(
        select(EvaluationCentre).where(
            EvaluationCentre.credit_code == normalise_credit_code(credit_code)
        )
    ).first()


def list_centres(db: Session, *, region_prefix: str | None = None) -> list[EvaluationCentre]:
    """All centres, or those under a region (a regulator's 行政区划: 340000 province,
    340400 prefecture, 340403 county; see `regions`)."""
    query = select(EvaluationCentre).order_by(EvaluationCentre.name)
    if region_prefix:
        prefix = regions.division_prefix(region_prefix)
        query = query.where(col(EvaluationCentre.region_code).startswith(prefix))
    return list(db.exec(query))
