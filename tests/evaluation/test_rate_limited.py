"""The evaluator is one client address: it waits out the product's 429s instead of counting them as errors."""
from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.evaluation.__main__ import run_case
from tests.asyncio_thread import run as run_async


def _product_that_limits_new_conversations() -> FastAPI:
    app = FastAPI()
    calls = {"create": 0}

    @app.post("/api/v1/conversations")
    async def create() -> JSONResponse:
        calls["create"] += 1
        if calls["create"] == 1:
            return JSONResponse({"detail": "Too many requests for this client; try again in 1 seconds."},
                                status_code=429, headers={"Retry-After": "1"})
        return JSONResponse({"conversation_id": "c1", "token": "t"}, status_code=201)

    @app.post("/api/v1/conversations/c1/messages")
    async def message() -> dict:
        return {"language": "en", "handoff": {"state": "none"}, "replies": [
            {"text": "To get a personnummer you register with Skatteverket when you move here.",
             "meta": {"outcome": "answer", "topic": "personnummer"}, "sources": []}]}

    return app


def test_a_429_is_waited_out_and_the_case_is_scored() -> None:
    async def scenario():  # noqa: ANN202
        transport = httpx.ASGITransport(app=_product_that_limits_new_conversations())
        async with httpx.AsyncClient(transport=transport, base_url="http://product") as client:
            return await run_case(client, {"id": "t1", "lang": "en", "text": "How do I get a personnummer?",
                                           "expect": "personnummer"})

    result = run_async(scenario())
    assert result.error is None
    assert result.latency_ms is not None and result.latency_ms < 1000  # the wait is not the product's latency
    assert result.hit1
