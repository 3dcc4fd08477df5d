"""Alembic environment: runs on the connection that bot.gateway.db.upgrade hands over."""
from __future__ import annotations

from alembic import context

from bot.gateway.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.gateway.db.upgrade (it passes the connection)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
