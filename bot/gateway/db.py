"""Database engine, sessions and migrations (Alembic, run at start-up)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    if parsed.get_backend_name() == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
            cursor = dbapi_connection.cursor()
            # WAL lets the transcript be read while a reply is written; foreign keys make erasure cascade.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()
            # SQLAlchemy starts transactions itself (below), as BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection) -> None:  # noqa: ANN001 - a sync Connection
            # A deferred transaction that reads and then writes fails at once ("database is locked") when
            # another writer got in between; taking the write lock at the start makes it wait its turn.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration."""
    def _run(connection) -> None:  # noqa: ANN001 - a sync Connection
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together would race to create the same tables: one migrates, the
            # others wait for it and then find nothing to do.
            await connection.execute(text("SELECT pg_advisory_xact_lock(742051)"))
        await connection.run_sync(_run)
