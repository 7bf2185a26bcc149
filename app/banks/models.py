"""Question banks (题库), items and their versions.

An item's content never changes in place: an edit (or a re-import with different content)
adds an ItemVersion, and exam forms point at versions, so a running or finished exam keeps
exactly the question it was built with."""

import secrets
from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class ItemStatus(StrEnum):
    ACTIVE = "active"  # 可用
    RETIRED = "retired"  # 停用: kept for old exams, never drawn again


def new_items_stamp() -> str:
    return secrets.token_hex(8)


class QuestionBank(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("centre_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    occupation_id: int = Field(foreign_key="occupation.id")
    level_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    # 鉴定要素细目表: [{"area": "A", "name": ..., "weight": 30,
    #                   "points": [{"code": "001", "name": ..., "importance": "X"}]}]
    outline: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # 互斥题: [{"items": ["DG4-B002-008", "DG4-B002-009"], "reason": ...}]; a paper holds
    # at most one item of each group.
    enemy_groups: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    source_name: str = Field(default="", max_length=255)  # file name of the last import
    # sha256 of the last imported file, "" once an item was edited since: an import of a
    # file with this digest is known to change nothing and is not parsed again.
    content_digest: str = Field(default="", max_length=64)
    # A new random value whenever the bank's drawable items change (banks.service
    # items_changed): the key of every instance's cache of converted pools
    # (exams.blueprints). Random rather than a counter, so that a change rolled back never
    # leaves its value behind for a later change to reuse.
    items_stamp: str = Field(default_factory=new_items_stamp, max_length=32)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class Item(SQLModel, table=True):
    """A question's identity in a bank; its content lives in versions."""

    __table_args__ = (UniqueConstraint("bank_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="questionbank.id", index=True)
    external_id: str = Field(max_length=64)  # the item ID in the bank file
    status: str = Field(default=ItemStatus.ACTIVE, max_length=16)
    current_version: int = 1


class ItemVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    version: int = 1
    item_type: str = Field(max_length=32)  # ItemType
    stem: str
    # Choice items: [{"label": "A", "text": ...}, ...] in the bank's order; [] otherwise.
    options: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    # single_choice: {"answer": "B"}; multiple_choice: {"answer": ["A", "C"]};
    # true_false: {"answer": true}; fill_in: {"accepted": [...]} or
    # {"numeric": {"value": 220, "tolerance": 0.5}, "unit": "V"}
    key: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    points: float | None = None  # default points; the blueprint section sets the paper's
    area_code: str = Field(max_length=8)  # 鉴定范围 A, B, ...
    point_code: str = Field(max_length=8)  # 鉴定点 001, ...
    importance: str = Field(max_length=1)  # X / Y / Z
    difficulty: int  # 1..5
    level_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    explanation: str = ""
    content_digest: str = Field(max_length=64)  # sha256 of the normalised content
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class PracticalTask(SQLModel, table=True):
    """操作技能考核试题: a practical task's identity in a bank; its content lives in
    versions, like an item's (a marked exam keeps the rubric it was marked with)."""

    __table_args__ = (UniqueConstraint("bank_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="questionbank.id", index=True)
    external_id: str = Field(max_length=64)  # the task ID in the bank file
    status: str = Field(default=ItemStatus.ACTIVE, max_length=16)
    current_version: int = 1


class PracticalTaskVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("task_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="practicaltask.id", index=True)
    version: int = 1
    title: str = Field(max_length=200)
    level_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    minutes: int
    points: float  # the rubric's scored criteria add up to this
    instructions: str  # 试题内容与要求
    materials: list[str] = Field(default_factory=list, sa_type=JSON)  # 材料、工具与设备
    # 评分表: [{"code": "A1", "name": ..., "points": 10, "step": 0.5, "earns": ...,
    #   "deductions": [{"text": ..., "points": 1}], "veto": false}, ...] in the file's order
    rubric: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    content_digest: str = Field(max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
