"""Audit log: who did what, when and why (kept ≥ 5 years, DOMAIN.md §7), as a hash chain
(app/audit/chain.py): entries are only ever appended, through `service.record`."""

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
    # The chain, set once as the recording unit of work commits (service._seal): its
    # gap-free place from 1, the previous entry's hash, its own. NULL only inside that
    # unit; the verifier names a committed entry without a place.
    seq: int | None = Field(default=None, unique=True)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's head (链头): one row, the last entry's seq and hash. Appending locks it,
    so entries take their places one after another whichever instance writes them; it
    also remembers entries cut off the end of the log."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
