"""events remember failed dispatch tries and the error (issue 18, poison events)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

An event whose dispatch keeps failing is tried EVENT_DISPATCH_MAX_TRIES times and then marked
failed with its error, instead of stopping every later event.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dispatch_tries", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("dispatch_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("dispatch_error")
        batch_op.drop_column("dispatch_tries")
