"""Points belong to the paper; enemy item groups; core (X) share and mandatory points.

Blueprint sections used to draw only items whose own points equalled the section's.
Existing blueprints keep exactly that meaning: each of their sections gets
"only_item_points" (the old filter, now explicit); new sections set the points of every
item they draw, and an item's own points are an optional default.

Revision ID: ffd793e70a1c
Revises: d788fe0b35bf
Create Date: 2026-12-01 21:31:58.226559
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ffd793e70a1c"
down_revision: str | None = "d788fe0b35bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

blueprint = sa.table("blueprint", sa.column("id", sa.Integer), sa.column("sections", sa.JSON))


def _sections(transform: str) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(blueprint.c.id, blueprint.c.sections)).all():
        sections = row.sections if isinstance(row.sections, list) else json.loads(row.sections)
        for s in sections:
            if transform == "up":
                s.setdefault("only_item_points", s["points"])
            else:
                s.pop("only_item_points", None)
        bind.execute(
            blueprint.update().where(blueprint.c.id == row.id).values(sections=sections)
        )


def upgrade() -> None:
    with op.batch_alter_table("blueprint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("core_min_share", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("mandatory_points", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("blueprint", schema=None) as batch_op:
        batch_op.alter_column("core_min_share", server_default=None)
        batch_op.alter_column("mandatory_points", server_default=None)

    with op.batch_alter_table("itemversion", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.FLOAT(), nullable=True)

    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("enemy_groups", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.alter_column("enemy_groups", server_default=None)

    _sections("up")


def downgrade() -> None:
    _sections("down")
    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.drop_column("enemy_groups")
    op.execute("UPDATE itemversion SET points = 1 WHERE points IS NULL")
    with op.batch_alter_table("itemversion", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.FLOAT(), nullable=False)
    with op.batch_alter_table("blueprint", schema=None) as batch_op:
        batch_op.drop_column("mandatory_points")
        batch_op.drop_column("core_min_share")
