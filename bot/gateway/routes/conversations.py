"""The conversation API: the widget's and every other client's."""
from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, HTTPException, Request, Response, WebSocket, WebSocketDisconnect, status

from bot.gateway.deps import AuthorizedConversation, Limits, Service, Settings, authorize
from bot.gateway.limits import drain_websocket
from bot.gateway.schemas import (
    ConversationCreated,
    ErrorBody,
    Feedback,
    MessageReplies,
    NewConversation,
    NewMessage,
    Transcript,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

_ERRORS = {
    400: {"model": ErrorBody, "description": "Malformed request"},
    401: {"model": ErrorBody, "description": "Missing token"},
    403: {"model": ErrorBody, "description": "Wrong token"},
    404: {"model": ErrorBody, "description": "Unknown conversation"},
    413: {"model": ErrorBody, "description": "Message over the size limit"},
    422: {"model": ErrorBody, "description": "Invalid field"},
    429: {"model": ErrorBody, "description": "Over the rate limit (see Retry-After)"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationCreated,
             responses={k: _ERRORS[k] for k in (400, 413, 422, 429)})
async def create_conversation(service: Service, settings: Settings, limits: Limits, request: Request,
                              body: NewConversation | None = None) -> ConversationCreated:
    """Start a conversation; the returned token authorises everything else about it."""
    await limits.check(client=_client(request))
    body = body or NewConversation()
    conversation, token = await service.create(body.language, body.channel, settings.default_language)
    return ConversationCreated(conversation_id=conversation.id, token=token)


@router.post("/{conversation_id}/messages", response_model=MessageReplies, responses=_ERRORS)
async def post_message(conversation: AuthorizedConversation, body: NewMessage, service: Service,
                       settings: Settings, limits: Limits, request: Request) -> MessageReplies:
    """Send the talent's message; the bot's replies come back in the response (and over the websocket)."""
    await limits.check(client=_client(request), conversation_id=conversation.id)
    place = getattr(request.state, "arrival", None)
    if place is not None:
        await place.wait()  # messages of one conversation are handled in the order they arrived
    if len(body.text) > settings.max_message_chars:
        raise HTTPException(413, f"The message is longer than {settings.max_message_chars} characters.")
    outcome = await service.post(conversation.id, body.text, body.language, body.client_message_id)
    return MessageReplies(replies=outcome.replies, language=outcome.language, handoff=outcome.handoff)


@router.get("/{conversation_id}/messages", response_model=Transcript, responses=_ERRORS)
async def get_transcript(conversation: AuthorizedConversation, service: Service) -> Transcript:
    """The whole conversation: the talent's, the bot's and agents' messages, in order."""
    return Transcript(conversation_id=conversation.id, language=conversation.language,
                      handoff=await service.handoff_of(conversation.id),
                      messages=await service.transcript(conversation.id))


@router.post("/{conversation_id}/feedback", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def give_feedback(conversation: AuthorizedConversation, body: Feedback, service: Service) -> Response:
    """Thumbs up or down on one of the bot's answers."""
    if not await service.feedback(conversation.id, body.message_id, body.value):
        raise HTTPException(404, f"There is no bot message with the id {body.message_id} in this conversation.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_conversation(conversation: AuthorizedConversation, service: Service) -> Response:
    """Erase the conversation everywhere it is kept."""
    await service.erase(conversation.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.websocket("/{conversation_id}/ws")
async def conversation_events(websocket: WebSocket, conversation_id: str, token: str = "") -> None:
    """Pushed events: messages (bot, agent), typing and handoff state. Authorise with ?token=."""
    settings = websocket.app.state.settings
    if not origin_allowed(websocket, settings.allowed_origins):
        await websocket.close(code=4403, reason="origin not allowed")
        return
    try:
        await authorize(websocket.app.state.sessions, conversation_id, token)
    except HTTPException as exc:
        await websocket.close(code=4000 + exc.status_code, reason=str(exc.detail)[:120])
        return
    pubsub = websocket.app.state.pubsub
    queue = pubsub.subscribe(conversation_id)
    await websocket.accept()
    try:
        receiver = asyncio.create_task(drain_websocket(websocket, settings.max_body_bytes))
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                event = getter.result()
                await websocket.send_json(event)
                if event.get("type") == "erased":
                    await websocket.close()
                    break
            else:
                getter.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        pubsub.unsubscribe(conversation_id, queue)
        with contextlib.suppress(Exception):
            receiver.cancel()


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers always send Origin: only the gateway's own pages and the allow-listed sites may connect.
    Clients without an Origin (not a browser) cannot carry a victim's credentials, so they pass."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    return origin is None or origin in allowed or origin in (f"http://{host}", f"https://{host}")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
