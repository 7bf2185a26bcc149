"""Per-item scores of an attempt (objective scoring of the theory paper)."""

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class ItemScore(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    awarded: float
    max_points: float
    outcome: str = Field(max_length=16)  # correct | partial | wrong | blank
