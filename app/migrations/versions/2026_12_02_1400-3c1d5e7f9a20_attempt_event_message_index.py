"""An index for the exam page's latest-messages query (registration, kind, id).

Revision ID: 3c1d5e7f9a20
Revises: e8cbb027fc53
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '3c1d5e7f9a20'
down_revision: str | None = 'e8cbb027fc53'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attemptevent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attemptevent_registration_id_kind_id",
            ["registration_id", "kind", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("attemptevent", schema=None) as batch_op:
        batch_op.drop_index("ix_attemptevent_registration_id_kind_id")
