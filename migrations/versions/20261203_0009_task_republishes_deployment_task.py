"""task republishes, deployment task

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

Nothing lost: a task counts how often its message was handed to the broker again because no
worker had it, and a deployment remembers the job that runs it, so a job that ended without
finishing the deployment fails its row too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("republishes", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deployment_task_id"), ["task_id"], unique=False)
        batch_op.create_foreign_key("fk_deployment_task_id", "task", ["task_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_deployment_task_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_deployment_task_id"))
        batch_op.drop_column("task_id")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("republishes")
