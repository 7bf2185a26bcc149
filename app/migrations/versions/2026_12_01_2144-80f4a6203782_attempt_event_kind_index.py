"""An index for the proctor console's recent-events query (attempt, kind, time).

Revision ID: 80f4a6203782
Revises: bb26c0145c05
Create Date: 2026-12-01 21:44:30.831398
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '80f4a6203782'
down_revision: str | None = 'bb26c0145c05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attemptevent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attemptevent_attempt_id_kind_at", ["attempt_id", "kind", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attemptevent", schema=None) as batch_op:
        batch_op.drop_index("ix_attemptevent_attempt_id_kind_at")
