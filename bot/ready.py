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


def warm_up_actions(url: str) -> None:
    """Make the action server load its model now rather than on the first question."""
    tracker = {"sender_id": "warm-up", "slots": {}, "latest_message": {"text": "", "intent": {}, "entities": []},
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": None}
    try:
        httpx.post(f"{url}/webhook", json={"next_action": "action_warm_up", "sender_id": "warm-up",
                                           "tracker": tracker, "domain": {}}, timeout=120)
    except httpx.HTTPError as exc:
        print(f"warning: the action server did not warm up: {exc!r}", flush=True)


def main() -> int:
    url = f"http://{os.environ.get('IHS_HOST', '127.0.0.1')}:{os.environ.get('IHS_PORT', '8000')}"
    started = time.monotonic()
    print("waiting for Rasa to load its model (about a minute) ...", flush=True)
    if not wait_ready(url, float(os.environ.get("IHS_READY_TIMEOUT", "300"))):
        print("the product did not become ready in time; see the rasa and gateway lines above", flush=True)
        return 1
    warm_up_actions(os.environ.get("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook").removesuffix("/webhook"))
    print(f"ready after {time.monotonic() - started:.0f} s: open {url}/ (API docs: {url}/docs)", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
