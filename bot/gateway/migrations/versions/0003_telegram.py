"""Telegram: which conversation each chat is in, and which updates were already processed.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_chats",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        # Erasing the conversation erases the mapping too, so a later message starts afresh.
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Agent replies are routed from a conversation to its chat.
    op.create_index("ix_telegram_chats_conversation", "telegram_chats", ["conversation_id"], unique=True)
    op.create_table(
        "telegram_updates",
        # The primary key is the de-duplication: a redelivered update_id fails to insert.
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_telegram_updates_received", "telegram_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_telegram_updates_received", "telegram_updates")
    op.drop_table("telegram_updates")
    op.drop_index("ix_telegram_chats_conversation", "telegram_chats")
    op.drop_table("telegram_chats")
