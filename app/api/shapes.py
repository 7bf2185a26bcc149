"""The base of the API's answer models.

An answer model declares what the API shows of a service object; it is filled from the
object's attributes (dataclass fields, properties, table columns), never copied field by
field, so a field added to both sides needs no third edit. Where the API shows the
service's own shape unchanged, the route answers with that type itself (a dataclass or a
table model) and there is no model here at all. A model that differs from its service
object says how in its docstring (fields left out, added or flattened)."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class Shape(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def as_utc(value: datetime | None) -> datetime | None:
    """The database keeps UTC without a zone; the API says it is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# A stored (naive, UTC) time, answered with its zone.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
