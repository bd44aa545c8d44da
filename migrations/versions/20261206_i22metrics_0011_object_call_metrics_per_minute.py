"""object call metrics per minute (issue 22)

Revision ID: i22metrics_0011
Revises: 0010
Create Date: 2026-12-06 17:09:49.193636

Calls of deployed objects as per-minute aggregates (rolled up into hours later): counts,
errors by kind, a fixed-bucket latency histogram, the last error. See backend/metrics.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "i22metrics_0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_call_minute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("function", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_seconds", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors_error", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors_timeout", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors_memory", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors_forbidden", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors_output", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_1", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_2", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_3", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_5", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_7", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_10", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_15", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_20", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_30", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_50", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_70", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_100", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_150", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_200", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_300", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_500", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_700", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_1000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_1500", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_2000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_3000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_5000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_7000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_10000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_15000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_20000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_30000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_le_60000", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_over", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ms_sum", sa.Float(), server_default="0", nullable=False),
        sa.Column("ms_max", sa.Float(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["durable_object.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "object_id",
            "version",
            "function",
            "period_seconds",
            "period_start",
            name="uq_object_call_minute_period",
        ),
    )
    with op.batch_alter_table("object_call_minute", schema=None) as batch_op:
        batch_op.create_index(
            "ix_object_call_minute_period", ["period_start", "object_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("object_call_minute", schema=None) as batch_op:
        batch_op.drop_index("ix_object_call_minute_period")

    op.drop_table("object_call_minute")
