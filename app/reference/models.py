"""Reference data: occupations and evaluation centres (评价机构 / 考点)."""

from pydantic import NaiveDatetime
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Occupation(SQLModel, table=True):
    """An occupation from the 职业分类大典, with its 工种/direction ("" when none)."""

    __table_args__ = (UniqueConstraint("code", "direction"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, index=True)  # e.g. 6-31-01-03
    name: str = Field(max_length=100)  # 电工
    direction: str = Field(default="", max_length=100)  # 工种/方向


class EvaluationCentre(SQLModel, table=True):
    """评价机构: an employer (Y) or social evaluation organisation (S) that runs exams."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)  # 统一社会信用代码, check-digit valid
    evaluator_type: str = Field(default="S", max_length=1)  # Y employer, S social organisation
    national_code: str = Field(default="0000", max_length=4)  # 0000 when filed provincially
    province_code: str = Field(default="34", max_length=2)  # 34 = 安徽
    region_code: str = Field(default="340400", max_length=6)  # 行政区划 of the supervising 人社部门
    address: str = Field(default="", max_length=300)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
