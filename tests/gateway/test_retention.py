"""Retention: what is older than the period goes, by a job that runs by itself; the rest stays."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.gateway import db, store
from bot.gateway.main import create_app
from bot.gateway.models import AuditEntry, Message, Ticket, utcnow
from bot.gateway.rasa import RasaClient
from bot.gateway.retention import purge
from bot.gateway.settings import GatewaySettings
from tests.asyncio_thread import run as run_async

CLOSED = "http://127.0.0.1:9"  # nothing listens: erasing Rasa's tracker fails and is only logged


async def _scenario(url: str) -> dict[str, object]:
    engine = db.make_engine(url)
    await db.upgrade(engine)
    sessions = db.sessionmaker(engine)
    rasa = RasaClient(CLOSED, None, 0.5)
    now = utcnow()
    try:
        async with sessions() as session:
            old, _ = await store.create_conversation(session, "sv", "web", language_locked=False)
            recent, _ = await store.create_conversation(session, "en", "web", language_locked=False)
            old.updated_at = now - dt.timedelta(days=31)
            session.add_all([
                Message(conversation_id=old.id, role="user", text="mitt personnummer är ...", language="sv"),
                Message(conversation_id=recent.id, role="user", text="hello", language="en"),
                Ticket(conversation_id=None, language="sv", channel="web", question="ring mig", email="a@b.se",
                       consent_at=now, created_at=now - dt.timedelta(days=40)),
                Ticket(conversation_id=None, language="sv", channel="web", question="ring mig", email="c@d.se",
                       consent_at=now, created_at=now - dt.timedelta(days=2)),
                AuditEntry(action="login", created_at=now - dt.timedelta(days=400)),
                AuditEntry(action="login", created_at=now - dt.timedelta(days=300)),
            ])
            await session.commit()
        deleted = await purge(sessions, rasa, 30, now=now)
        async with sessions() as session:
            return {
                "deleted": deleted,
                "old": await session.get(type(old), old.id),
                "recent": await session.get(type(recent), recent.id),
                "messages": (await session.execute(select(Message.conversation_id))).scalars().all(),
                "tickets": (await session.execute(select(Ticket.email))).scalars().all(),
                "audit": (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one(),
                "recent_id": recent.id,
            }
    finally:
        await rasa.close()
        await engine.dispose()


def test_purge_deletes_what_is_older_than_the_period_and_keeps_the_rest(tmp_path: Path) -> None:
    result = run_async(_scenario(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"))
    assert result["deleted"] == 1
    assert result["old"] is None and result["recent"] is not None
    assert result["messages"] == [result["recent_id"]]
    assert result["tickets"] == ["c@d.se"]
    assert result["audit"] == 1  # agent actions are kept a year


def test_the_job_runs_by_itself_in_the_running_gateway(tmp_path: Path) -> None:
    settings = GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", rasa_url=CLOSED,
                               rasa_timeout_s=0.5, retention_days=2 / 86400, retention_interval_s=0.5)
    with TestClient(create_app(settings)) as client:
        created = client.post("/api/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {created['token']}"}
        url = f"/api/v1/conversations/{created['conversation_id']}/messages"
        assert client.get(url, headers=auth).status_code == 200
        deadline = time.monotonic() + 15
        while client.get(url, headers=auth).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert client.get(url, headers=auth).status_code in (401, 404)
