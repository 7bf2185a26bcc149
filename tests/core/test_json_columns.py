"""JSON columns are written by core.db.json_text (orjson, json.dumps for what it refuses)."""

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.models import AuditEntry
from app.core.db import json_text


def test_json_text_keeps_chinese_as_itself_and_reads_back_the_same() -> None:
    value = {"text": "接地与接零", "choices": ["A", "C"], "points": 2.5, "none": None}
    written = json_text(value)
    assert "接地与接零" in written and "\\u" not in written
    assert json.loads(written) == value


def test_what_orjson_refuses_is_still_written() -> None:
    assert json.loads(json_text({"answer": 2**70 + 1})) == {"answer": 2**70 + 1}
    assert json.loads(json_text({3: "three"})) == {"3": "three"}  # as json.dumps does


def test_a_json_column_round_trips_through_the_database(engine: Engine) -> None:
    detail = {"说明": "考生重新登录", "ended": 1, "big": 2**70 + 1}
    with Session(engine) as db:
        entry = AuditEntry(actor_kind="system", action="test.json", detail=detail)
        db.add(entry)
        db.commit()
        entry_id = entry.id
    with Session(engine) as db:
        stored = db.get(AuditEntry, entry_id)
        assert stored is not None and stored.detail == detail


def test_json_value_reads_what_json_text_wrote_and_more() -> None:
    from app.core.db import json_value

    for value in ({"a": [1, 2.5, None, "答"]}, [], {"big": 2**70 + 1}, [-(2**63) - 1], "text"):
        assert json_value(json_text(value)) == value
        assert type(json_value(json_text(value))) is type(value)
    assert type(json_value(json_text({"big": 2**70 + 1}))["big"]) is int
    assert json_value('{"spaced": [1, 2]}') == {"spaced": [1, 2]}  # as json.dumps wrote them
    assert json_value(b'{"big": 1180591620717411303425}') == {"big": 2**70 + 1}  # psycopg
