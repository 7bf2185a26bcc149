"""Audit log: who did what, when and why (kept ≥ 5 years, DOMAIN.md §7)."""

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    actor_kind: str = Field(max_length=16)  # staff | candidate | system
    actor_id: int | None = None  # StaffUser.id or Registration.id
    actor_name: str = Field(default="", max_length=100)
    centre_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64)  # e.g. bank.import, attempt.extra_time
    object_type: str = Field(default="", max_length=32)
    object_id: int | None = None
    reason: str = Field(default="", max_length=500)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
