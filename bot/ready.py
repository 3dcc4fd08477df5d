"""Waits until the whole product answers, says so, then idles (honcho stops all when one exits)."""
from __future__ import annotations

import os
import sys
import time

import httpx


def wait_ready(url: str, timeout_s: float) -> bool:
    """Poll the gateway's health until Rasa reports a loaded model (an open port is not enough)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).json().get("ready"):
                return True
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    return False


def main() -> int:
    url = f"http://{os.environ.get('IHS_HOST', '127.0.0.1')}:{os.environ.get('IHS_PORT', '8000')}"
    started = time.monotonic()
    print(f"waiting for Rasa to load its model (about a minute) ...", flush=True)
    if not wait_ready(url, float(os.environ.get("IHS_READY_TIMEOUT", "300"))):
        print("the product did not become ready in time; see the rasa and gateway lines above", flush=True)
        return 1
    print(f"ready after {time.monotonic() - started:.0f} s: open {url}/ (API docs: {url}/docs)", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
