"""A bank's items stamp: the key of the converted-pool caches (exams.service).

Revision ID: bb26c0145c05
Revises: be93760b2e94
Create Date: 2026-12-01 21:32:40.692200
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'bb26c0145c05'
down_revision: str | None = 'be93760b2e94'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing banks start from the same stamp; any change to their items gives a new one.
    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "items_stamp",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="initial",
            )
        )
    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.alter_column("items_stamp", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("questionbank", schema=None) as batch_op:
        batch_op.drop_column("items_stamp")
