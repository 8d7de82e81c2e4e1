"""early delivery reports

Revision ID: e4a7c2d9b1f0
Revises: c6d1e8a2f4b3
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a7c2d9b1f0"
down_revision: str | None = "c6d1e8a2f4b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_delivery_reports",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("provider_status", sa.String(length=32), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", name=op.f("pk_early_delivery_reports")),
    )
    with op.batch_alter_table("early_delivery_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_early_delivery_reports_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("early_delivery_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_delivery_reports_received_at"))
    op.drop_table("early_delivery_reports")
