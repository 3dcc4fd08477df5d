"""Liveness and readiness."""
from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict:
    """`ready` is true once Rasa reports a loaded model."""
    status = await request.app.state.rasa.status()
    return {"status": "ok", "ready": status is not None,
            "model": status.get("model_file") if status else None}
