"""conversations by campaign in id order: exports read a campaign in keyset pages

Revision ID: c6d1e8a2f4b3
Revises: a3c41f0d9b52
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c6d1e8a2f4b3"
down_revision: str | None = "a3c41f0d9b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_campaign_id", "conversations", ["campaign_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_campaign_id", table_name="conversations")
