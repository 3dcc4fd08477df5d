"""The agent API: the kontaktcenter console's (and the tests') way in."""
from __future__ import annotations

import asyncio
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import APIRouter, HTTPException, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi import Path as PathParam

from bot.gateway import accounts, events, store, summary
from bot.gateway.agent_schemas import AgentAccount, AgentView, LoggedIn, Login, Text, Transfer
from bot.gateway.deps import (
    AGENT_COOKIE,
    CSRF_COOKIE,
    CheckedAgent,
    CurrentAgent,
    Handoff,
    Settings,
    Supervisor,
    SupervisorReading,
    agent_login,
)
from bot.gateway.handoff import HandoffError, aware
from bot.gateway.limits import drain_websocket
from bot.gateway.models import Agent, AuditEntry, Conversation, Note, Ticket, utcnow
from bot.gateway.ratelimit import LoginThrottle
from bot.gateway.routes.conversations import origin_allowed
from bot.gateway.schemas import MAX_ID, ErrorBody
from bot.privacy import redact

# Every error has the body {"detail": "<one sentence>"} (bot.gateway.errors), as in the conversation API.
_ERRORS = {
    400: {"model": ErrorBody, "description": "Malformed request"},
    401: {"model": ErrorBody, "description": "Not logged in, or the session has ended"},
    403: {"model": ErrorBody, "description": "Missing X-CSRF-Token, or not allowed for this agent or role"},
    404: {"model": ErrorBody, "description": "Unknown conversation, ticket or agent"},
    409: {"model": ErrorBody, "description": "Not possible in the conversation's or account's current state"},
    413: {"model": ErrorBody, "description": "Request body over the size limit"},
    422: {"model": ErrorBody, "description": "Invalid field"},
    429: {"model": ErrorBody, "description": "Too many failed logins (see Retry-After)"},
}
router = APIRouter(prefix="/api/v1/agent", tags=["agent"], responses=_ERRORS)
CANNED = Path(__file__).resolve().parents[3] / "config" / "canned_replies.yml"


def _agent_view(agent: Agent) -> AgentView:
    return AgentView(id=agent.id, username=agent.username, display_name=agent.display_name,
                     role=agent.role, active=agent.active)


def _raise(exc: HandoffError) -> None:
    raise HTTPException(exc.status, exc.detail) from exc


@router.post("/login", response_model=LoggedIn)
async def login(body: Login, request: Request, response: Response, settings: Settings) -> LoggedIn:
    """Log in; sets an HttpOnly session cookie. Send the returned csrf_token as X-CSRF-Token on changes."""
    client = request.client.host if request.client else "?"
    throttle: LoginThrottle = request.app.state.login_throttle
    wait = await throttle.retry_after(body.username, client)
    if wait:
        raise HTTPException(429, "Too many failed logins; try again later.", headers={"Retry-After": str(wait)})
    async with request.app.state.sessions() as session:
        agent = await accounts.authenticate(session, body.username, body.password)
        if agent is None:
            await throttle.failed(body.username, client)
            raise HTTPException(401, "The username or password is wrong.")
        await throttle.succeeded(body.username, client)
        token, csrf = await accounts.open_session(session, agent)
        session.add(_audit(agent.id, "login"))
        await session.commit()
    cookie = {"httponly": True, "samesite": "strict", "secure": bool(settings.cookie_secure), "path": "/"}
    response.set_cookie(AGENT_COOKIE, token, **cookie)
    response.set_cookie(CSRF_COOKIE, csrf, **(cookie | {"httponly": False}))
    return LoggedIn(agent=_agent_view(agent), csrf_token=csrf)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(login: CheckedAgent, request: Request) -> Response:
    """End the session."""
    async with request.app.state.sessions() as session:
        await accounts.close_session(session, login.token)
        session.add(_audit(login.agent.id, "logout"))
        await session.commit()
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(AGENT_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=LoggedIn)
async def me(login: CurrentAgent) -> LoggedIn:
    """Who is logged in, and the session's CSRF token."""
    return LoggedIn(agent=_agent_view(login.agent), csrf_token=login.session.csrf_token)


@router.get("/queue")
async def queue(login: CurrentAgent, request: Request, settings: Settings, lang: str = "en") -> dict:
    """Talents waiting for a person (oldest first) and the conversations the agent has (all, for supervisors)."""
    async with request.app.state.sessions() as session:
        mine = None if login.agent.role == "supervisor" else login.agent.id
        conversations = await store.handoffs(session, mine)
        items = [await _item(session, c, lang if lang in ("en", "sv") else "en") for c in conversations]
        online = await accounts.agents_online(session, dt.timedelta(minutes=settings.agent_idle_minutes))
    return {"queued": [i for i in items if i["state"] == "queued"],
            "active": [i for i in items if i["state"] == "active"], "agents_online": online}


@router.post("/conversations/{conversation_id}/claim")
async def claim(conversation_id: str, login: CheckedAgent, handoff: Handoff, request: Request) -> dict:
    """Take a queued conversation: the talent is told a person has joined; the bot stays silent."""
    try:
        await handoff.claim(login.agent, conversation_id)
    except HandoffError as exc:
        _raise(exc)
    return await _detail(request, login.agent, conversation_id, handoff)


@router.get("/conversations/{conversation_id}")
async def conversation_detail(conversation_id: str, login: CurrentAgent, handoff: Handoff,
                              request: Request, lang: str = "en") -> dict:
    """The transcript (personal data masked), a one-paragraph summary, the articles used and the notes."""
    return await _detail(request, login.agent, conversation_id, handoff, lang)


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
async def agent_message(conversation_id: str, body: Text, login: CheckedAgent, handoff: Handoff) -> dict:
    """Write to the talent; it reaches them in real time on their channel."""
    try:
        message = await handoff.agent_message(login.agent, conversation_id, body.text)
    except HandoffError as exc:
        _raise(exc)
    return events.message_view(message)


@router.post("/conversations/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT)
async def agent_typing(conversation_id: str, login: CheckedAgent, handoff: Handoff, request: Request) -> Response:
    """Tell the talent the agent is writing (the widget shows a typing indicator)."""
    async with request.app.state.sessions() as session:
        try:
            conversation = await handoff.conversation_for(session, login.agent, conversation_id, write=True)
        except HandoffError as exc:
            _raise(exc)
    await events.to_talent(request.app.state.pubsub, conversation, {"type": "typing", "role": "agent"})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/conversations/{conversation_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(conversation_id: str, body: Text, login: CheckedAgent, handoff: Handoff) -> dict:
    """A private note for agents; the talent never sees it."""
    try:
        note = await handoff.note(login.agent, conversation_id, body.text)
    except HandoffError as exc:
        _raise(exc)
    return events.note_view(note, login.agent.display_name)


@router.post("/conversations/{conversation_id}/transfer")
async def transfer(conversation_id: str, body: Transfer, login: CheckedAgent, handoff: Handoff,
                   request: Request) -> dict:
    """Give the conversation to another agent."""
    try:
        await handoff.transfer(login.agent, conversation_id, body.username)
    except HandoffError as exc:
        _raise(exc)
    return await _detail(request, login.agent, conversation_id, handoff, allow_any=True)


@router.post("/conversations/{conversation_id}/close")
async def close(conversation_id: str, login: CheckedAgent, handoff: Handoff, request: Request) -> dict:
    """Hand the conversation back to the bot, which asks the talent for a rating."""
    try:
        await handoff.close(login.agent, conversation_id)
    except HandoffError as exc:
        _raise(exc)
    return await _detail(request, login.agent, conversation_id, handoff, allow_any=True)


@router.get("/tickets")
async def tickets(login: CurrentAgent, handoff: Handoff) -> dict:
    """Call-back requests left outside opening hours or when the queue was full (open ones first)."""
    return {"tickets": [_ticket_view(t) for t in await handoff.tickets()]}


@router.post("/tickets/{ticket_id}/done")
async def ticket_done(ticket_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], login: CheckedAgent,
                      handoff: Handoff) -> dict:
    """Mark a call-back as handled."""
    try:
        return _ticket_view(await handoff.ticket_done(login.agent, ticket_id))
    except HandoffError as exc:
        _raise(exc)
        raise


@router.get("/canned")
async def canned(login: CurrentAgent, language: str = "en") -> dict:
    """Canned replies in the conversation's language (English where there are none)."""
    replies = _canned().get(language) or _canned().get("en") or []
    return {"language": language if language in _canned() else "en", "replies": replies}


@router.get("/agents")
async def list_agents(login: SupervisorReading, request: Request) -> dict:
    """All agent accounts (supervisors only)."""
    async with request.app.state.sessions() as session:
        return {"agents": [_agent_view(a).model_dump() for a in await accounts.list_agents(session)]}


@router.post("/agents", status_code=status.HTTP_201_CREATED, response_model=AgentView)
async def save_agent(body: AgentAccount, login: Supervisor, request: Request) -> AgentView:
    """Create an agent, or update one (supervisors only)."""
    async with request.app.state.sessions() as session:
        try:
            agent, created = await accounts.save_agent(session, body.username, body.password, body.role,
                                                       body.display_name)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        session.add(_audit(login.agent.id, "agent_created" if created else "agent_updated",
                           {"username": agent.username, "role": agent.role}))
        await session.commit()
    return _agent_view(agent)


@router.post("/agents/{username}/deactivate", response_model=AgentView)
async def deactivate_agent(username: str, login: Supervisor, request: Request) -> AgentView:
    """Stop an agent from logging in; their sessions end at once (supervisors only)."""
    async with request.app.state.sessions() as session:
        agent = await accounts.get_by_username(session, username)
        if agent is None:
            raise HTTPException(404, f"There is no agent with the username '{username[:64]}'.")
        if agent.id == login.agent.id:
            raise HTTPException(409, "Supervisors cannot deactivate their own account.")
        await accounts.deactivate(session, agent)
        session.add(_audit(login.agent.id, "agent_deactivated", {"username": username}))
        await session.commit()
    return _agent_view(agent)


@router.websocket("/ws")
async def agent_events(websocket: WebSocket) -> None:
    """Queue changes, messages of handed-off conversations, notes and handoff states, as they happen."""
    settings = websocket.app.state.settings
    if not origin_allowed(websocket, []):  # the console is served by the gateway itself
        await websocket.close(code=4403, reason="origin not allowed")
        return
    try:
        login = await agent_login(websocket.app.state.sessions, settings, websocket.cookies.get(AGENT_COOKIE))
    except HTTPException:
        await websocket.close(code=4401, reason="log in as an agent first")
        return
    pubsub = websocket.app.state.pubsub
    feed = pubsub.subscribe(events.AGENTS)
    await websocket.accept()
    receiver = asyncio.create_task(drain_websocket(websocket, settings.max_body_bytes))
    try:
        while not receiver.done():
            getter = asyncio.create_task(feed.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            event = getter.result()
            if await _visible(websocket, login.agent, event):
                await websocket.send_json(event)
    except WebSocketDisconnect:
        pass
    finally:
        pubsub.unsubscribe(events.AGENTS, feed)
        receiver.cancel()


async def _visible(websocket: WebSocket, agent: Agent, event: dict) -> bool:
    """Agents see events of queued conversations and of their own; supervisors see all."""
    conversation_id = event.get("conversation_id")
    if conversation_id is None or agent.role == "supervisor":
        return True
    async with websocket.app.state.sessions() as session:
        conversation = await store.get_conversation(session, conversation_id)
    return conversation is not None and (conversation.agent_id == agent.id
                                         or conversation.handoff_state == "queued")


async def _item(session, conversation: Conversation, lang: str = "en") -> dict:  # noqa: ANN001 - AsyncSession
    agent = await session.get(Agent, conversation.agent_id) if conversation.agent_id else None
    last = await store.last_user_message(session, conversation.id)
    queued_at = aware(conversation.queued_at)
    return {
        "conversation_id": conversation.id,
        "state": conversation.handoff_state,
        "language": conversation.language,
        "channel": conversation.channel,
        "topic": conversation.topic,
        "topic_title": summary.topic_title(conversation.topic, lang),
        "reason": conversation.handoff_reason,
        "queued_at": queued_at.isoformat() if queued_at else None,
        "waiting_seconds": int((utcnow() - queued_at).total_seconds()) if queued_at else 0,
        "agent": {"username": agent.username, "display_name": agent.display_name} if agent else None,
        "preview": redact(last.text)[:200] if last else "",
    }


async def _detail(request: Request, agent: Agent, conversation_id: str, handoff: Handoff, lang: str = "en",
                  *, allow_any: bool = False) -> dict:
    async with request.app.state.sessions() as session:
        try:
            conversation = await handoff.conversation_for(session, agent, conversation_id)
        except HandoffError as exc:
            if not allow_any:
                _raise(exc)
            conversation = await store.get_conversation(session, conversation_id)
        transcript = [events.message_view(m, masked=True) for m in await store.transcript(session, conversation_id)]
        for message in transcript:
            message["agent"] = (message.get("meta") or {}).get("agent")
        notes = list((await session.execute(
            Note.__table__.select().where(Note.conversation_id == conversation_id).order_by(Note.id))).mappings())
        names = {a.id: a.display_name for a in await accounts.list_agents(session)}
        lang = lang if lang in ("en", "sv") else "en"
        item = await _item(session, conversation, lang)
    return {
        "conversation": item,
        "messages": transcript,
        "summary": summary.summarise(transcript, language=conversation.language, channel=conversation.channel,
                                     reason=conversation.handoff_reason, lang=lang),
        "articles": summary.articles_used(transcript, lang),
        "notes": [{"id": n["id"], "text": n["text"], "agent": names.get(n["agent_id"]),
                   "created_at": aware(n["created_at"]).isoformat()} for n in notes],
    }


def _ticket_view(ticket: Ticket) -> dict:
    return {"id": ticket.id, "conversation_id": ticket.conversation_id, "language": ticket.language,
            "channel": ticket.channel, "question": redact(ticket.question), "email": ticket.email,
            "created_at": aware(ticket.created_at).isoformat(), "status": ticket.status}


def _audit(agent_id: int | None, action: str, detail: dict | None = None) -> AuditEntry:
    return AuditEntry(agent_id=agent_id, action=action, detail=detail or {})


@lru_cache(maxsize=1)
def _canned() -> dict[str, list[dict]]:
    if not CANNED.exists():
        return {}
    data = yaml.safe_load(CANNED.read_text(encoding="utf-8")) or {}
    return {lang: [{"title": str(r["title"]), "text": str(r["text"])} for r in replies]
            for lang, replies in data.items() if isinstance(replies, list)}
