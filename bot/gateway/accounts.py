"""Agent accounts and their login sessions: argon2 password hashes, server-side sessions with a CSRF token."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.gateway.models import Agent, AgentSession, utcnow

ROLES = ("agent", "supervisor")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps the time the same, so usernames cannot be probed.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def check_new_account(username: str, password: str | None, role: str) -> None:
    if not USERNAME.match(username):
        raise ValueError(f"username {username!r} must be 2-64 characters: lower-case letters, digits, . _ -")
    if role not in ROLES:
        raise ValueError(f"role {role!r} must be one of {ROLES}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"password must be at least {MIN_PASSWORD} characters")


async def save_agent(session: AsyncSession, username: str, password: str | None, role: str,
                     display_name: str | None) -> tuple[Agent, bool]:
    """Create the agent, or update it (password only when given); returns (agent, created)."""
    check_new_account(username, password, role)
    agent = await get_by_username(session, username)
    created = agent is None
    if agent is None:
        if password is None:
            raise ValueError(f"a password is required to create the agent {username!r}")
        agent = Agent(username=username, display_name=display_name or username, role=role, active=True,
                      password_hash=_hasher.hash(password))
        session.add(agent)
    else:
        agent.role, agent.active = role, True
        if display_name:
            agent.display_name = display_name
        if password is not None:
            agent.password_hash = _hasher.hash(password)
    await session.commit()
    return agent, created


async def get_by_username(session: AsyncSession, username: str) -> Agent | None:
    result = await session.execute(select(Agent).where(Agent.username == username))
    return result.scalar_one_or_none()


async def authenticate(session: AsyncSession, username: str, password: str) -> Agent | None:
    agent = await get_by_username(session, username)
    try:
        _hasher.verify(agent.password_hash if agent else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if agent is None or not agent.active:
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(password)
        await session.commit()
    return agent


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, agent: Agent) -> tuple[str, str]:
    """A new login: returns (cookie token, CSRF token); only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(AgentSession(id=_token_id(token), agent_id=agent.id, csrf_token=csrf))
    await session.commit()
    return token, csrf


async def resume_session(session: AsyncSession, token: str, idle: dt.timedelta) -> tuple[Agent, AgentSession] | None:
    """The agent behind a cookie token, if the session exists, is not idle too long and the agent is active."""
    found = await session.get(AgentSession, _token_id(token))
    if found is None:
        return None
    now = utcnow()
    last_seen = found.last_seen if found.last_seen.tzinfo else found.last_seen.replace(tzinfo=dt.UTC)
    if now - last_seen > idle:
        await session.delete(found)
        await session.commit()
        return None
    agent = await session.get(Agent, found.agent_id)
    if agent is None or not agent.active:
        return None
    if now - last_seen > dt.timedelta(seconds=20):  # don't write on every request
        found.last_seen = now
        await session.commit()
    return agent, found


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.id == _token_id(token)))
    await session.commit()


async def agents_online(session: AsyncSession, idle: dt.timedelta) -> int:
    result = await session.execute(select(func.count(func.distinct(AgentSession.agent_id))).where(
        AgentSession.last_seen >= utcnow() - idle))
    return int(result.scalar_one())


async def list_agents(session: AsyncSession) -> list[Agent]:
    return list((await session.execute(select(Agent).order_by(Agent.username))).scalars())


async def deactivate(session: AsyncSession, agent: Agent) -> None:
    agent.active = False
    await session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id))
    await session.commit()
