"""Error bodies that say in one sentence what was wrong; never a 500 for bad input."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


def _describe(error: dict) -> str:
    location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
    if error.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    if error.get("type") == "missing":
        return f"The field '{location}' is required."
    if error.get("type") == "extra_forbidden":
        return f"The field '{location}' is not allowed."
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"The field '{location}' is invalid: {message}." if location else f"{message}."


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
        return JSONResponse({"detail": _describe(errors[0]) if errors else "The request is invalid."},
                            status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "Something went wrong on our side; please try again."},
                            status_code=500)
