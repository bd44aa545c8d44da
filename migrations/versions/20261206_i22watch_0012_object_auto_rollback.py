"""objects may roll back by themselves when a new version fails (issue 22)

Revision ID: i22watch_0012
Revises: i22metrics_0011
Create Date: 2026-12-06 17:40:00

The owner's choice, off by default: a recently deployed version failing noticeably more than
the version before it is rolled back by the system (`backend.monitoring.object_health`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i22watch_0012"
down_revision: str | None = "i22metrics_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("durable_object", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_rollback", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("durable_object", schema=None) as batch_op:
        batch_op.drop_column("auto_rollback")
