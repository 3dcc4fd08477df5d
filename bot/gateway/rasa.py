"""Talking to Rasa's REST channel and HTTP API."""
from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with nothing although it should have (action server down)."""


class RasaClient:
    def __init__(self, base_url: str, token: str | None, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._token = token

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[dict]:
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": conversation_id, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa did not answer: {exc!r}") from exc
        if not isinstance(messages, list):
            raise RasaUnavailable(f"Rasa answered with {type(messages).__name__}, expected a list")
        return messages

    async def status(self) -> dict | None:
        """Rasa's /status, or None when it is not up or has no model loaded."""
        try:
            response = await self._client.get("/status", params=self._auth())
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        data = response.json()
        return data if data.get("model_file") else None

    async def erase(self, conversation_id: str) -> None:
        """Replace the conversation's tracker with nothing (Rasa has no delete)."""
        await self._client.put(f"/conversations/{conversation_id}/tracker/events", json=[],
                               params=self._auth())

    async def append_events(self, conversation_id: str, events: list[dict]) -> None:
        """Append tracker events, e.g. pause while a person has the conversation, resume after."""
        response = await self._client.post(f"/conversations/{conversation_id}/tracker/events", json=events,
                                           params={**self._auth(), "include_events": "NONE"})
        response.raise_for_status()

    def _auth(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}
