"""Login throttling per client (device, established) and case-insensitive usernames.

Revision ID: e908fa0abd71
Revises: 688c9ecf42b7
Create Date: 2026-12-01 22:06:17.419620
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e908fa0abd71"
down_revision: str | Sequence[str] | None = 'ffd793e70a1c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(username: str) -> str:
    # accounts.throttle.normalise_username, frozen here as the migration's own copy.
    return unicodedata.normalize("NFKC", username).casefold().strip()


def upgrade() -> None:
    with op.batch_alter_table("loginfailure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "device",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("established", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_loginfailure_client_ip"), ["client_ip"], unique=False)

    with op.batch_alter_table("staffuser", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("username_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    conn = op.get_bind()
    users = sa.table("staffuser", sa.column("id"), sa.column("username"), sa.column("username_key"))
    seen: dict[str, str] = {}
    for user_id, username in conn.execute(sa.select(users.c.id, users.c.username)):
        key = _key(username)
        if key in seen:
            raise RuntimeError(
                f"staff usernames {seen[key]!r} and {username!r} are the same account once "
                "compared case-insensitively: rename one before migrating"
            )
        seen[key] = username
        conn.execute(users.update().where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table("staffuser", schema=None) as batch_op:
        batch_op.alter_column(
            "username_key", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        )
        batch_op.drop_constraint(batch_op.f("uq_staffuser_username"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_staffuser_username_key"), ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("staffuser", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staffuser_username_key"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_staffuser_username"), ["username"])
        batch_op.drop_column("username_key")

    with op.batch_alter_table("loginfailure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loginfailure_client_ip"))
        batch_op.drop_column("established")
        batch_op.drop_column("device")
