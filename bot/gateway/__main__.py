"""`python -m bot.gateway`: serve the gateway with uvicorn."""
from __future__ import annotations

import logging

import uvicorn

from bot.gateway.main import create_app
from bot.gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request to Rasa and to Telegram at INFO: a sixth of the gateway's CPU per message
    # in `make bench`'s profile, and nothing the access log does not say. Failures are still logged.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                timeout_keep_alive=settings.keep_alive_s)


if __name__ == "__main__":
    main()
