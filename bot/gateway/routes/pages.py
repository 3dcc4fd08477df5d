"""The pages the gateway serves: the demo page, the widget's script, the agent console and the privacy page."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).resolve().parents[2] / "static"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def demo_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    # Host pages embed this with one <script> tag from any origin.
    return FileResponse(STATIC / "widget" / "widget.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Cross-Origin-Resource-Policy": "cross-origin"})


@router.get("/console")
async def console_page() -> FileResponse:
    return FileResponse(STATIC / "console" / "index.html", media_type="text/html",
                        headers={"Cache-Control": "no-store"})


@router.get("/privacy")
async def privacy_page(request: Request) -> HTMLResponse:
    days = request.app.state.settings.retention_days
    page = (STATIC / "privacy.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{{retention_days}}", f"{days:g}"))
