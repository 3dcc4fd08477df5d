"""Closed-loop load: N virtual talents, each holding conversations one after another for a while,
either through the gateway's conversation API or straight to Rasa's REST webhook."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import numpy as np

from bot import messages as texts
from bot.bench.workload import Script
from bot.knowledge.articles import LANGUAGES

# The gateway answers 200 with this text when Rasa or the action server did not answer in time.
UNAVAILABLE = {texts.text(lang, "unavailable") for lang in LANGUAGES}


@dataclass
class RunResult:
    target: str                      # "gateway" | "rasa"
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)  # answered messages only
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # the same, per kind of message
    errors: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    create_ms: list[float] = field(default_factory=list)     # POST /conversations (gateway only)
    conversations: int = 0
    handoffs_queued: int = 0
    elapsed_s: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    def merge(self, other: RunResult) -> None:
        self.latencies_ms += other.latencies_ms
        for kind, values in other.by_kind.items():
            self.by_kind.setdefault(kind, []).extend(values)
        self.errors.update(other.errors)
        self.outcomes.update(other.outcomes)
        self.create_ms += other.create_ms
        self.conversations += other.conversations
        self.handoffs_queued += other.handoffs_queued
        self.elapsed_s += other.elapsed_s

    def summary(self) -> dict:
        lat = np.asarray(self.latencies_ms, dtype=np.float64)

        def pct(q: float) -> float | None:
            return round(float(np.percentile(lat, q)), 1) if lat.size else None

        return {
            "messages": self.messages,
            "answered": int(lat.size),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "mean_ms": round(float(lat.mean()), 1) if lat.size else None,
            "max_ms": round(float(lat.max()), 1) if lat.size else None,
            # Throughput counts answered messages: errors (timeouts above all) are no service.
            "msgs_per_s": round(lat.size / self.elapsed_s, 2) if self.elapsed_s else None,
            "by_kind": {kind: {"n": len(values), "p50_ms": round(float(np.percentile(values, 50)), 1),
                               "p95_ms": round(float(np.percentile(values, 95)), 1)}
                        for kind, values in sorted(self.by_kind.items())},
            "conversations": self.conversations,
            "elapsed_s": round(self.elapsed_s, 1),
        }


class Feed:
    """The conversation scripts in a fixed order, shared by the virtual talents of one target and level."""

    def __init__(self, scripts: list[Script]) -> None:
        self._scripts = scripts
        self._next = 0

    def take(self) -> Script:
        script = self._scripts[self._next % len(self._scripts)]
        self._next += 1
        return script


async def _think(think_s: float, deadline: float) -> None:
    """A talent reading the answer and typing the next message (none by default: a stress test)."""
    if think_s > 0:
        await asyncio.sleep(max(0.0, min(random.uniform(0.5, 1.5) * think_s, deadline - time.monotonic())))


async def _gateway_talent(client: httpx.AsyncClient, feed: Feed, deadline: float, result: RunResult,
                          think_s: float) -> None:
    while time.monotonic() < deadline:
        script = feed.take()
        started = time.perf_counter()
        try:
            created = await client.post("/api/v1/conversations", json={"channel": "api"})
            created.raise_for_status()
            body = created.json()
        except (httpx.HTTPError, ValueError) as exc:
            result.errors[f"create: {type(exc).__name__}"] += 1
            await asyncio.sleep(0.05)
            continue
        result.create_ms.append((time.perf_counter() - started) * 1000)
        result.conversations += 1
        url = f"/api/v1/conversations/{body['conversation_id']}/messages"
        headers = {"Authorization": f"Bearer {body['token']}"}
        for message in script.messages:
            await _think(think_s, deadline)
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                response = await client.post(url, headers=headers, json={"text": message.text})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    result.errors[f"http {response.status_code}"] += 1
                    break
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                result.errors[type(exc).__name__] += 1
                break
            replies = data.get("replies") or []
            if not replies and message.text != "/affirm":
                result.errors["no reply"] += 1
                continue
            if any(r.get("text") in UNAVAILABLE for r in replies):
                result.errors["unavailable reply"] += 1
                continue
            result.latencies_ms.append(elapsed)
            result.by_kind.setdefault(message.kind, []).append(elapsed)
            if replies:
                result.outcomes[(replies[0].get("meta") or {}).get("outcome") or "?"] += 1
            if message.text == "/affirm" and (data.get("handoff") or {}).get("state") == "queued":
                result.handoffs_queued += 1


async def _rasa_talent(client: httpx.AsyncClient, feed: Feed, deadline: float, result: RunResult,
                       think_s: float) -> None:
    while time.monotonic() < deadline:
        script = feed.take()
        sender = f"bench-{uuid.uuid4().hex}"
        result.conversations += 1
        for message in script.messages:
            await _think(think_s, deadline)
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                response = await client.post("/webhooks/rest/webhook", json={
                    "sender": sender, "message": message.text,
                    "metadata": {"language": message.lang, "channel": "api"}})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    result.errors[f"http {response.status_code}"] += 1
                    break
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                result.errors[type(exc).__name__] += 1
                break
            if not isinstance(data, list) or not data:
                # Rasa answers [] with 200 when the action server failed.
                result.errors["no reply"] += 1
                continue
            result.latencies_ms.append(elapsed)
            result.by_kind.setdefault(message.kind, []).append(elapsed)
            custom = data[0].get("custom") if isinstance(data[0], dict) else None
            result.outcomes[((custom or {}).get("meta") or {}).get("outcome") or "?"] += 1


async def _run(target: str, url: str, feed: Feed, concurrency: int, seconds: float, grace_s: float,
               think_s: float) -> RunResult:
    result = RunResult(target, concurrency)
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    talent = _gateway_talent if target == "gateway" else _rasa_talent
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.monotonic()
        deadline = started + seconds
        tasks = [asyncio.create_task(talent(client, feed, deadline, result, think_s))
                 for _ in range(concurrency)]
        _, pending = await asyncio.wait(tasks, timeout=seconds + grace_s)
        result.elapsed_s = time.monotonic() - started
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            # An overloaded server would otherwise stretch the run without end: each talent still waiting
            # has one message in flight, counted as an error.
            result.errors[f"no answer {grace_s:g} s after the end"] += len(pending)
    return result


def run(target: str, url: str, feed: Feed, concurrency: int, seconds: float, grace_s: float = 15,
        think_s: float = 0.0) -> RunResult:
    """Drive `concurrency` talents for `seconds`, each pausing about `think_s` before each message;
    messages in flight at the end are awaited for up to `grace_s` and counted."""
    return asyncio.run(_run(target, url, feed, concurrency, seconds, grace_s, think_s))
