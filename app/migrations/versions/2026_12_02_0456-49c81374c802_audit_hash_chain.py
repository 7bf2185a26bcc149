"""The audit log becomes a hash chain: each entry carries its place (seq), the previous
entry's hash and its own; one head row holds the last seq and hash. Entries recorded
before are chained in id order here, so the chain starts complete. Triggers refuse
UPDATE and DELETE of entries (TRUNCATE, which the tests use, fires no row trigger).

Revision ID: 49c81374c802
Revises: 9f992bc44a1a
Create Date: 2026-12-02 04:56:17.778333
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '49c81374c802'
down_revision: str | None = '9f992bc44a1a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
# The canonical form of app/audit/chain.py as of this revision, frozen here so that the
# migration keeps meaning what it meant (tests/audit/test_verify.py checks that what it
# writes verifies).
FIELDS = (
    "seq", "at", "actor_kind", "actor_id", "actor_name", "centre_id", "action",
    "object_type", "object_id", "reason", "detail", "prev_hash",
)


def _hash(fields: dict[str, Any]) -> str:
    body = {
        f: fields[f].isoformat(timespec="microseconds") if isinstance(fields[f], datetime)
        else fields[f]
        for f in FIELDS
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


entries = sa.table(
    "auditentry",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("actor_kind", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String),
    sa.column("centre_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("reason", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
head = sa.table("audithead", sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash", sa.String))

# An entry takes its place (seq, prev_hash, hash, from NULL) once, as the unit of work
# that recorded it commits; after that it never changes.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER auditentry_no_update BEFORE UPDATE ON auditentry"
    " WHEN OLD.seq IS NOT NULL OR NEW.action IS NOT OLD.action OR NEW.reason IS NOT OLD.reason"
    " OR NEW.detail IS NOT OLD.detail OR NEW.at IS NOT OLD.at OR NEW.actor_id IS NOT OLD.actor_id"
    " BEGIN SELECT RAISE(ABORT, 'auditentry is append-only'); END",
    "CREATE TRIGGER auditentry_no_delete BEFORE DELETE ON auditentry"
    " BEGIN SELECT RAISE(ABORT, 'auditentry is append-only'); END",
)
PG_TRIGGER = (
    "CREATE FUNCTION auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL"
    " AND (NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.centre_id, NEW.action,"
    " NEW.object_type, NEW.object_id, NEW.reason, NEW.detail::text)"
    " IS NOT DISTINCT FROM (OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_name, OLD.centre_id,"
    " OLD.action, OLD.object_type, OLD.object_id, OLD.reason, OLD.detail::text)"
    " THEN RETURN NEW; END IF;"
    " RAISE EXCEPTION 'auditentry is append-only (% refused)', TG_OP; END $$",
    "CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE ON auditentry"
    " FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()",
)


def _chain_existing() -> None:
    conn = op.get_bind()
    columns = [entries.c[f] for f in FIELDS if f not in ("seq", "prev_hash")]
    rows = conn.execute(sa.select(entries.c.id, *columns).order_by(entries.c.id)).mappings().all()
    seq, last = 0, GENESIS
    for row in rows:
        seq += 1
        fields = {**row, "seq": seq, "prev_hash": last, "detail": row["detail"] or {}}
        last = _hash(fields)
        conn.execute(
            entries.update()
            .where(entries.c.id == row["id"])
            .values(seq=seq, prev_hash=fields["prev_hash"], hash=last, detail=fields["detail"])
        )
    conn.execute(head.insert().values(id=1, seq=seq, hash=last))


def upgrade() -> None:
    op.create_table('audithead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audithead'))
    )
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _chain_existing()
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_auditentry_seq'), ['seq'])
    # After the batch: SQLite rebuilds a table to change it, and the rebuild drops its
    # triggers (a later migration that rebuilds auditentry must create them again).
    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else PG_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER auditentry_no_update")
        op.execute("DROP TRIGGER auditentry_no_delete")
    else:
        op.execute("DROP TRIGGER auditentry_append_only ON auditentry")
        op.execute("DROP FUNCTION auditentry_append_only()")
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_auditentry_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    op.drop_table('audithead')
