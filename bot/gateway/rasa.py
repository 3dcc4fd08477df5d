"""Talking to Rasa's REST channel and HTTP API, on one replica or several.

All messages of one conversation go to the same replica (rendezvous hashing on the conversation id):
Rasa's lock store is in memory, so two replicas handling one conversation at once could interleave its
tracker events. If that replica does not answer, the next in the conversation's order takes over; the
trackers are in a shared store, so nothing is lost.
"""
from __future__ import annotations

import hashlib
from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with nothing although it should have (action server down)."""


class RasaClient:
    def __init__(self, base_urls: str | list[str], token: str | None, timeout_s: float) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("IHS_RASA_URL or IHS_RASA_URLS must name at least one Rasa replica")
        self._clients = {url.rstrip("/"): httpx.AsyncClient(base_url=url, timeout=timeout_s) for url in urls}
        self._token = token

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    def replicas_for(self, conversation_id: str) -> list[str]:
        """The replicas in this conversation's order of preference (the same on every gateway)."""
        return sorted(self._clients, key=lambda url: hashlib.sha256(f"{url}|{conversation_id}".encode()).digest(),
                      reverse=True)

    async def _request(self, conversation_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        last: Exception | None = None
        for url in self.replicas_for(conversation_id):
            try:
                return await self._clients[url].request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = exc  # that replica is down: the next one has the same tracker
        raise RasaUnavailable(f"no Rasa replica answered: {last!r}")

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[dict]:
        try:
            response = await self._request(conversation_id, "POST", "/webhooks/rest/webhook",
                                           json={"sender": conversation_id, "message": text, "metadata": metadata})
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa did not answer: {exc!r}") from exc
        if not isinstance(messages, list):
            raise RasaUnavailable(f"Rasa answered with {type(messages).__name__}, expected a list")
        return messages

    async def status(self) -> dict | None:
        """The first replica's /status, or None when none is up with a model loaded."""
        for client in self._clients.values():
            try:
                response = await client.get("/status", params=self._auth())
            except httpx.HTTPError:
                continue
            if response.status_code == 200 and response.json().get("model_file"):
                return response.json()
        return None

    async def erase(self, conversation_id: str) -> None:
        """Replace the conversation's tracker with nothing (Rasa has no delete)."""
        response = await self._request(conversation_id, "PUT", f"/conversations/{conversation_id}/tracker/events",
                                       json=[], params=self._auth())
        response.raise_for_status()

    async def append_events(self, conversation_id: str, events: list[dict]) -> None:
        """Append tracker events, e.g. pause while a person has the conversation, resume after."""
        response = await self._request(conversation_id, "POST", f"/conversations/{conversation_id}/tracker/events",
                                       json=events, params={**self._auth(), "include_events": "NONE"})
        response.raise_for_status()

    def _auth(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}
