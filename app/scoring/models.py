"""Per-item scores of an attempt (objective scoring of the theory paper), and the
examiners' marks of the responses that people mark."""

from pydantic import NaiveDatetime
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class ItemScore(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    awarded: float
    max_points: float
    outcome: str = Field(max_length=16)  # correct | partial | wrong | blank | pending


class ResponseMark(SQLModel, table=True):
    """One examiner's mark for one response to an item marked by people (简答, 论述/计算),
    in the order given: the first two are the double marking (双评), a third is asked for
    when they differ by more than the tolerance (三评). Never changed once given."""

    __table_args__ = (UniqueConstraint("attempt_id", "position", "marker_id"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    marker_id: int = Field(foreign_key="staffuser.id", index=True)
    score: float
    comment: str = ""
    marked_at: NaiveDatetime = Field(default_factory=utcnow)


class ResponseArbitration(SQLModel, table=True):
    """仲裁: the chief examiner's score for a response whose third mark is beyond the
    tolerance from both of the first two, with the reason and the marks decided on."""

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    chief_id: int = Field(foreign_key="staffuser.id")
    score: float
    reason: str
    marks: list[float] = Field(default_factory=list, sa_type=JSON)
    decided_at: NaiveDatetime = Field(default_factory=utcnow)
