"""conversations by identity and status: every turn looks up the sender's conversation in progress

Revision ID: f3b9d1c7a2e5
Revises: e4a7c2d9b1f0
Create Date: 2026-11-26 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f3b9d1c7a2e5"
down_revision: str | None = "e4a7c2d9b1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_identity_status", "conversations", ["identity_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_conversations_identity_status", table_name="conversations")
