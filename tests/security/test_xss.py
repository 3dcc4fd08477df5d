"""XSS: every payload of xss_payloads.txt, sent through the widget's API, the agent API and Telegram, is shown
as text and never run, in the agent console and the widget in a real browser, and escaped in Telegram's HTML.

Where the payloads go (each payload takes every one of these paths):
- a talent sends it through the conversation API (as the widget does), in web conversations of 25 payloads
  each (the per-conversation rate limit is 30 a minute). In the first one the talent says "I want to talk to a
  person" and "/affirm" before the payloads, which then arrive while queued and are watched live, one by one,
  in the console's queue preview; in the next one the bot answers the payloads and the talent asks for a person
  afterwards; in the others the talent asks first (with the "talk to a person" button: Rasa is the slow part);
- an agent sends it as a message in a web conversation (the widget renders agent text with its Markdown
  renderer) and in a Telegram conversation (rendered to Telegram HTML by bot/channels/telegram/render.py);
- a Telegram user sends it through the webhook (the first 25 to the bot, then /human; the rest while queued).
The agent's display name is a payload too. Every conversation ends up claimed by the agent, so the console can
open it (and the shared queue, at most 50 long, is not filled). The conversations are made one after the
other: the gateway's SQLite store answers some concurrent writes with 500 "database is locked".

What is checked:
- the console (/console): each conversation's item in the list (preview of the last message), its transcript,
  summary and notes;
- the widget on the demo page (/), resuming each web conversation from localStorage: the whole transcript;
- Telegram: every sendMessage to the chats, parse_mode HTML: no tag but the renderer's own <b> and
  <a href="http(s)://…">, and the visible text is the payload, character for character.
The browser does not apply the pages' Content-Security-Policy (Playwright's bypass_csp), so a payload that
got into the DOM would run: what is tested is the rendering, not the CSP behind it. Execution is detected by
alert/confirm/prompt/print replaced before any script runs (window.__xss), the page's dialog event, requests
for the payloads' "x" images, extra frames and page errors; markup by scanning the rendered messages for any
element the renderer does not make. test_the_detectors_catch_markup_rendered_with_innerHTML shows on a page of
its own, which renders the same payloads with innerHTML, that each of these detectors does fire.

The browser is Debian's Chromium driven by Playwright as in tests/browser, but in a thread of its own: the
sync API cannot run twice in one thread, and tests/browser's session-scoped `browser` stays open in the main
thread for the rest of a `make test` run.
"""
from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from bot import messages
from bot.bench.stack import Stack
from bot.channels.telegram import texts
from bot.privacy.redact import redact
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, create_agent
from tests.channels.telegram.conftest import query
from tests.channels.telegram.fake_bot_api import Call, FakeBotApi, visible_text
from tests.channels.telegram.talent import TelegramTalent
from tests.conftest import Talent

pytestmark = pytest.mark.e2e

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")
MAX_MESSAGE_CHARS = 2000       # IHS_MAX_MESSAGE_CHARS
PER_CONVERSATION = 25          # payloads per web conversation, under the rate limit of 30 a minute
TO_BOT_WEB = 1                 # web conversations whose payloads the bot answers (the rest arrive while queued)
TO_BOT_TELEGRAM = 25           # Telegram payloads the bot answers (the rest arrive while queued)
PASSWORD = "correct horse battery staple"
AGENT_NAME = '"><img src=x onerror=alert(1)>'
TIMEOUT_MS = 30_000
SETTLE_S = 0.6                 # time for onerror/onload/autofocus handlers to fire before reading the sensors


def load_payloads() -> list[str]:
    """The payloads: every line after the leading block of '#' comment lines."""
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return lines[start:]


PAYLOADS = load_payloads()


# ------------------------------------------------------------------------------------------- sensors

# Before any script of the page runs: a record of calls to the marker functions (in frames, also on the top
# window). With override=false the real functions stay, so the page's dialog event is what notices them.
SENSORS = """
((override) => {
  window.__xss = [];
  if (!override) return;
  const report = (entry) => {
    window.__xss.push(entry);
    try { if (window.top !== window && window.top.__xss) window.top.__xss.push("frame " + entry); } catch (e) {}
  };
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function (...args) { report(name + "(" + args.map(String).join(", ") + ")"); };
  }
})(%s);
"""

# Elements made from payload markup. `text` selectors must hold text only; `rich` selectors may hold only
# what the widget's renderer makes (p, br, ul, ol, li, strong, http(s) links with a hidden "new tab" span).
# Everywhere in the document and its open shadow roots: no on* attribute, no javascript:/vbscript:/data: URL
# (but the demo page's empty icon "data:,"), no frame, object, embed, base or refresh, no script but ours.
SCAN = """
({host, text, rich, scripts}) => {
  const root = host ? document.getElementById(host).shadowRoot : document;
  const bad = [];
  const show = (el) => (el.outerHTML || el.nodeName).slice(0, 160);
  for (const sel of text) {
    for (const box of root.querySelectorAll(sel)) {
      for (const el of box.querySelectorAll("*")) bad.push("element in " + sel + ": " + show(el));
    }
  }
  const TAGS = new Set(["p", "br", "ul", "ol", "li", "strong", "a", "span"]);
  const ATTRS = new Set(["class", "href", "target", "rel", "start"]);
  for (const sel of rich) {
    for (const box of root.querySelectorAll(sel)) {
      for (const el of box.querySelectorAll("*")) {
        const ok = TAGS.has(el.localName) && el.namespaceURI === "http://www.w3.org/1999/xhtml"
          && [...el.attributes].every((a) => ATTRS.has(a.name))
          && (el.localName !== "a" || (/^https?:\\/\\//.test(el.getAttribute("href") || "")
              && el.getAttribute("target") === "_blank" && el.getAttribute("rel") === "noopener noreferrer"))
          && (el.localName !== "span" || (el.className === "visually-hidden" && el.parentElement.localName === "a"));
        if (!ok) bad.push("element in " + sel + ": " + show(el));
      }
    }
  }
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "code", "background",
                             "values", "to", "from", "srcset", "poster", "srcdoc"]);
  const FORBIDDEN = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
                             "isindex", "bgsound", "keygen", "xss", "marquee", "noscript", "xmp", "plaintext"]);
  const walk = (node) => {
    for (const el of node.querySelectorAll("*")) {
      if (FORBIDDEN.has(el.localName)) bad.push("forbidden element: " + show(el));
      if (el.localName === "meta" && el.hasAttribute("http-equiv")) bad.push("meta refresh: " + show(el));
      if (el.localName === "script") {
        const src = el.getAttribute("src");
        if (!src || !scripts.includes(new URL(src, location.href).pathname)) bad.push("script: " + show(el));
      }
      for (const a of el.attributes) {
        const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
        if (/^on/i.test(a.name)) bad.push("handler attribute: " + show(el));
        else if (URL_ATTRS.has(a.name) && (/^(javascript|vbscript):/.test(value)
                 || (value.startsWith("data:") && value !== "data:,"))) bad.push("script URL: " + show(el));
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return bad;
}
"""

# The elements under `sel` (in the widget's shadow root when host is set) whose text is exactly each payload,
# and whether one of them is rendered (visible, if scrolled to).
VISIBLE = """
({host, sel, payloads}) => {
  const root = host ? document.getElementById(host).shadowRoot : document;
  const nodes = [...root.querySelectorAll(sel)];
  return payloads.filter((p) => !nodes.some((n) => n.textContent === p && n.checkVisibility()));
}
"""

TEXTS = """
({host, sel}) => {
  const root = host ? document.getElementById(host).shadowRoot : document;
  return [...root.querySelectorAll(sel)].map((n) => n.textContent);
}
"""

# Requests that only markup from a payload makes: its images named "x" or "1", and the <base> payload's host.
SUSPICIOUS_REQUEST = re.compile(r"^https?://[^/]+/(x|1|x:alert\(1\))([?#].*)?$|^https?://evil\.example/|^data:text/html")


class Watch:
    """Dialogs, page errors, popups and payload-made requests of one page; with window.__xss, what ran."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.popups: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", lambda r: self.requests.append(r.url) if SUSPICIOUS_REQUEST.search(r.url) else None)
        page.on("popup", lambda p: self.popups.append(p.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        try:
            dialog.dismiss()
        except Exception:  # noqa: BLE001 - the page may be gone already
            pass

    def ran(self, settle_s: float = SETTLE_S) -> list[str]:
        """Everything that says a payload ran (or loaded): empty when all is well. Waiting lets handlers fire
        and Playwright deliver the page's events (a plain sleep would not: events arrive inside its calls)."""
        self.page.wait_for_timeout(settle_s * 1000)
        called = self.page.evaluate("window.__xss || []")
        found = [f"dialog {d}" for d in self.dialogs] + [f"popup {u}" for u in self.popups]
        found += [f"request {u}" for u in self.requests] + [f"page error {e}" for e in self.errors]
        for frame in self.page.frames:
            if frame is not self.page.main_frame:
                found.append(f"extra frame {frame.url}")
        found += [f"called {c}" for c in called]
        return found


def new_context(browser: Browser, override: bool = True) -> BrowserContext:
    # bypass_csp: the pages' Content-Security-Policy is not applied, so injected markup would run.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(SENSORS % ("true" if override else "false"))
    return context


_RAN = re.compile(r"(^|: )(called |dialog |request |page error |extra frame |popup )")
_MARKUP = re.compile(r"(^|: )(element in |forbidden element|handler attribute|script URL|script: |meta refresh)")


def summarise(problems: list[str], examples: int = 8) -> str:
    """Problems grouped: payloads that ran, markup that became elements, text not shown as sent."""
    groups: dict[str, list[str]] = {"ran": [], "became elements": [], "not shown as text": []}
    for problem in problems:
        key = "ran" if _RAN.search(problem) else "became elements" if _MARKUP.search(problem) else "not shown as text"
        groups[key].append(problem)
    lines = [f"{len(problems)} problems: " + ", ".join(f"{len(v)} {k}" for k, v in groups.items())]
    for key, found in groups.items():
        lines += [f"[{key}] {p[:300]}" for p in found[:examples]]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- Telegram HTML

_OWN_TAGS = re.compile(r'</?b>|<a href="https?://[^"<>]*">|</a>')
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#x27|#39);)")
_MARKDOWN = re.compile(r"\*\*(?P<bold>[^*\n]+?)\*\*|\[(?P<label>[^\]\n]+)\]\((?P<url>[^\s)]+)\)")


def telegram_html_problems(text: str) -> list[str]:
    """What is wrong with a sendMessage text (parse_mode HTML) built from untrusted text."""
    problems = []
    rest = _OWN_TAGS.sub("", text)
    if "<" in rest or ">" in rest:
        problems.append(f"unescaped < or > outside the renderer's own tags: {text[:200]!r}")
    if _ENTITY.search(text):
        problems.append(f"unescaped &: {text[:200]!r}")
    try:
        visible_text(text)
    except ValueError as exc:
        problems.append(f"{exc}: {text[:200]!r}")
    return problems


def telegram_visible(payload: str) -> str:
    """What the talent should see of a payload: its text, with the answers' **bold** and [label](url) applied."""
    return _MARKDOWN.sub(lambda m: m.group("bold") if m.group("bold") is not None else m.group("label"), payload)


def telegram_payload_problems(text: str, header: str, payload: str) -> list[str]:
    """A sendMessage text that should show `header` and then `payload` as the talent wrote it."""
    problems = telegram_html_problems(text)
    if not problems and visible_text(text) != header + telegram_visible(payload):
        problems.append(f"the talent sees {visible_text(text)[:200]!r}, not {payload[:200]!r}")
    return problems


# ------------------------------------------------------------------------------------------- the browser

class BrowserThread:
    """Chromium through Playwright's sync API, in a thread of its own; `run` calls a function there."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="xss-browser")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 600) -> Any:
        return self._pool.submit(self._call, fn, args).result(timeout)

    def _call(self, fn: Callable[..., Any], args: tuple) -> Any:
        if self._browser is None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                             headless=True)
        return fn(self._browser, *args)

    def close(self) -> None:
        def stop() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        self._pool.submit(stop).result(60)
        self._pool.shutdown()


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserThread]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `make test` installs Debian's package")
    thread = BrowserThread()
    yield thread
    thread.close()


# ------------------------------------------------------------------------------------------- the traffic

class AgentApi:
    """The agent, logged in to the agent API as the console is."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.client = httpx.Client(base_url=stack.url, timeout=60)
        login = self.client.post("/api/v1/agent/login", json={"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.client.headers["X-CSRF-Token"] = login.json()["csrf_token"]

    def claim(self, conversation_id: str) -> None:
        claimed = self.client.post(f"/api/v1/agent/conversations/{conversation_id}/claim")
        assert claimed.status_code == 200, claimed.text

    def say(self, conversation_id: str, text: str) -> None:
        sent = self.client.post(f"/api/v1/agent/conversations/{conversation_id}/messages", json={"text": text})
        assert sent.status_code == 201, sent.text

    def note(self, conversation_id: str, text: str) -> None:
        added = self.client.post(f"/api/v1/agent/conversations/{conversation_id}/notes", json={"text": text})
        assert added.status_code == 201, added.text

    def detail(self, conversation_id: str) -> dict:
        response = self.client.get(f"/api/v1/agent/conversations/{conversation_id}", params={"lang": "en"})
        assert response.status_code == 200, response.text
        return response.json()

    def queue(self) -> dict:
        response = self.client.get("/api/v1/agent/queue", params={"lang": "en"})
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Conversation:
    id: str
    channel: str                                   # "web" or "telegram"
    talent_payloads: list[str] = field(default_factory=list)
    agent_payloads: list[str] = field(default_factory=list)
    note_payloads: list[str] = field(default_factory=list)
    token: str | None = None                       # web: to resume it in the widget
    chat_id: int | None = None                     # telegram
    last_said: str | None = None                   # the talent's last message, when it was a payload
    claimed: bool = False


@dataclass
class Traffic:
    username: str
    agent: AgentApi
    conversations: list[Conversation]
    telegram_agent_chat: int
    telegram_talent_chats: list[int]
    live_preview: list[str]                        # problems seen in the console while W0 was queued
    live_checked: int


def hand_off(talent: Talent, spoken: bool = True) -> None:
    """The talent asks for a person (in words, or with the "talk to a person" button) and accepts; the
    conversation is then queued."""
    said = talent.say("I want to talk to a person" if spoken else "/human_handoff")
    if said["handoff"]["state"] == "offered":
        said = talent.say("/affirm")
    assert said["handoff"]["state"] in ("queued", "active"), said


def telegram_hand_off(tg: TelegramTalent) -> None:
    """/human, then the offer's first button ("Yes, please")."""
    yes = messages.text("en", "button_yes")
    before = len(tg.sent())
    tg.say("/human")
    offer = [c for c in tg.wait_sent(before + 1)[before:]
             if any(b.get("text") == yes for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row)]
    assert offer, [c.params for c in tg.sent()[before:]]
    tg.press(offer[-1], 0)


def telegram_conversation(stack: Stack, tg: TelegramTalent) -> str:
    rows = query(stack, "SELECT conversation_id FROM telegram_chats WHERE chat_id = ?", tg.chat_id)
    assert rows, f"no conversation for Telegram chat {tg.chat_id}"
    return rows[0][0]


def _wait_preview(page: Page, conversation_id: str, expected: str) -> bool:
    try:
        page.wait_for_function("""([id, text]) => {
            const p = document.querySelector(`#queued-list > li[data-conversation-id="${id}"] .item-preview`);
            return p !== null && p.textContent === text;
        }""", arg=[conversation_id, expected], timeout=10_000)
        return True
    except Exception:  # noqa: BLE001 - a timeout is reported as a problem
        return False


def console_log_in(page: Page, stack_url: str, username: str) -> None:
    page.goto(f"{stack_url}/console")
    form = page.locator("#view-login")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    page.locator("#view-queue").wait_for(state="visible")
    page.wait_for_function("document.getElementById('connection').dataset.state === 'open'")


def live_queue_phase(browser: Browser, stack_url: str, username: str, payloads: list[str]) -> tuple[Conversation, list[str]]:
    """A talent asks for a person, then sends payloads while queued; the console shows each as the preview."""
    problems: list[str] = []
    context = new_context(browser)
    try:
        page = context.new_page()
        watch = Watch(page)
        console_log_in(page, stack_url, username)
        with httpx.Client(base_url=stack_url, timeout=60) as api:
            talent = Talent(api, language="en")
            hand_off(talent)
            page.locator(f'#queued-list > li[data-conversation-id="{talent.id}"]').wait_for()
            for payload in payloads:
                talent.say(payload)
                if not _wait_preview(page, talent.id, redact(payload)[:200]):
                    problems.append(f"queue preview never showed {payload!r} as text")
                problems += page.evaluate(SCAN, {"host": None, "text": [".item-preview", ".item-title"], "rich": [],
                                                 "scripts": ["/static/console/console.js"]})
        problems += watch.ran()
    finally:
        context.close()
    return Conversation(talent.id, "web", talent_payloads=list(payloads), token=talent.token), problems


def _web_talent(stack: Stack, chunk: list[str], to_bot: bool) -> Conversation:
    """A talent sends payloads to the bot and then asks for a person, or asks first and sends them while queued."""
    with httpx.Client(base_url=stack.url, timeout=60) as api:
        talent = Talent(api, language="en")
        if not to_bot:
            hand_off(talent, spoken=False)
        for payload in chunk:
            talent.say(payload)
        if to_bot:
            hand_off(talent, spoken=False)
    return Conversation(talent.id, "web", talent_payloads=list(chunk), token=talent.token,
                        last_said=None if to_bot else chunk[-1])


def _web_agent(stack: Stack, username: str) -> Conversation:
    """The agent writes every payload to a web talent (the widget's Markdown renderer), and adds a few notes."""
    agent = AgentApi(stack, username)
    with httpx.Client(base_url=stack.url, timeout=60) as api:
        talent = Talent(api, language="en")
        hand_off(talent)
    agent.claim(talent.id)
    for payload in PAYLOADS:
        agent.say(talent.id, payload)
    notes = PAYLOADS[::10]
    for payload in notes:
        agent.note(talent.id, payload)
    agent.client.close()
    return Conversation(talent.id, "web", agent_payloads=list(PAYLOADS), note_payloads=notes, token=talent.token,
                        claimed=True)


def _telegram_talent(stack: Stack, telegram_api: FakeBotApi, part: list[str], to_bot: bool) -> Conversation:
    with httpx.Client(base_url=stack.url, timeout=60) as webhook:
        tg = TelegramTalent(webhook, telegram_api, stack.env["IHS_TELEGRAM_SECRET_TOKEN"])
        if not to_bot:
            telegram_hand_off(tg)
        for payload in part:
            tg.say(payload)
        if to_bot:
            telegram_hand_off(tg)
    return Conversation(telegram_conversation(stack, tg), "telegram", talent_payloads=list(part),
                        chat_id=tg.chat_id, last_said=None if to_bot else part[-1])


def _telegram_agent(stack: Stack, telegram_api: FakeBotApi, username: str) -> Conversation:
    """The agent writes every payload to a Telegram chat (bot/channels/telegram/render.py)."""
    agent = AgentApi(stack, username)
    with httpx.Client(base_url=stack.url, timeout=60) as webhook:
        tg = TelegramTalent(webhook, telegram_api, stack.env["IHS_TELEGRAM_SECRET_TOKEN"])
        telegram_hand_off(tg)
        conversation_id = telegram_conversation(stack, tg)
        before = len(tg.sent())
        agent.claim(conversation_id)
        for payload in PAYLOADS:
            agent.say(conversation_id, payload)
        # "… has joined" and then one message per payload.
        tg.wait_sent(before + 1 + len(PAYLOADS), timeout=120)
    agent.client.close()
    return Conversation(conversation_id, "telegram", agent_payloads=list(PAYLOADS), chat_id=tg.chat_id,
                        claimed=True)


def send_traffic(stack: Stack, telegram_api: FakeBotApi, chromium: BrowserThread) -> Traffic:
    """All payloads through every channel, one conversation after the other (the gateway's SQLite store refuses
    some concurrent writes with "database is locked"); the agent claims each one when its payloads are sent."""
    started = time.monotonic()
    username = f"xss{uuid.uuid4().hex[:8]}"
    create_agent(stack, username, PASSWORD, display_name=AGENT_NAME)
    agent = AgentApi(stack, username)  # logged in: an agent is online
    telegram_api.wait_for("setWebhook", timeout=60, where=lambda c: c.params.get("url", "").startswith(stack.url))
    chunks = [PAYLOADS[i:i + PER_CONVERSATION] for i in range(0, len(PAYLOADS), PER_CONVERSATION)]

    conversations: list[Conversation] = []

    def claimed(conversation: Conversation) -> None:
        if not conversation.claimed:
            agent.claim(conversation.id)
        conversations.append(conversation)

    # W0: queued first, each payload watched live in the console's queue.
    first, live_problems = chromium.run(live_queue_phase, stack.url, username, chunks[0])
    claimed(first)
    for n, chunk in enumerate(chunks[1:], start=1):
        claimed(_web_talent(stack, chunk, to_bot=n <= TO_BOT_WEB))
    claimed(_web_agent(stack, username))
    claimed(_telegram_talent(stack, telegram_api, PAYLOADS[:TO_BOT_TELEGRAM], to_bot=True))
    claimed(_telegram_talent(stack, telegram_api, PAYLOADS[TO_BOT_TELEGRAM:], to_bot=False))
    claimed(_telegram_agent(stack, telegram_api, username))
    print(f"\nXSS traffic: {len(conversations)} conversations in {time.monotonic() - started:.0f} s")
    telegram = [c for c in conversations if c.channel == "telegram"]
    return Traffic(username, agent, conversations, next(c.chat_id for c in telegram if c.agent_payloads),
                   [c.chat_id for c in telegram if c.talent_payloads], live_problems, len(chunks[0]))


@pytest.fixture(scope="module")
def traffic(stack: Stack, telegram_api: FakeBotApi, chromium: BrowserThread) -> Iterator[Traffic]:
    sent = send_traffic(stack, telegram_api, chromium)
    yield sent
    sent.agent.client.close()


# ------------------------------------------------------------------------------------------- the tests

def test_the_payload_file_is_a_usable_corpus() -> None:
    assert len(PAYLOADS) >= 120, len(PAYLOADS)
    assert len(set(PAYLOADS)) == len(PAYLOADS), [p for p, n in Counter(PAYLOADS).items() if n > 1]
    assert all(p.strip() and p == p.strip() for p in PAYLOADS), "no blank lines, no surrounding spaces"
    assert all(len(p) < MAX_MESSAGE_CHARS for p in PAYLOADS)
    assert not [p for p in PAYLOADS if p.startswith("/")], "a leading / makes a button payload or a command"
    # Personal data would be masked in the console and would change the text to compare.
    assert [p for p in PAYLOADS if redact(p) != p] == []
    assert [p for p in PAYLOADS if p.splitlines() != [p]] == [], "one payload per line"


def _innerhtml_probe(browser: Browser) -> dict:
    """The payloads rendered the wrong way: innerHTML, on a page of our own without a CSP."""
    probe = "http://xss-probe.test/"
    page_html = ("<!doctype html><meta charset=utf-8><title>probe</title><div id=out></div>"
                 "<script>window.render = (items) => { for (const p of items) { const d = document.createElement("
                 "'div'); d.className = 'bubble'; d.innerHTML = p; document.getElementById('out').append(d); } };"
                 "</script>")
    result: dict[str, Any] = {}
    for override in (True, False):
        context = new_context(browser, override=override)
        context.route(re.compile(r"^https?://xss-probe\.test/.*|^https?://evil\.example/.*"),
                      lambda route: route.fulfill(body=page_html if route.request.url == probe else "",
                                                  content_type="text/html"))
        try:
            page = context.new_page()
            watch = Watch(page)
            page.goto(probe)
            page.evaluate("(items) => window.render(items)", PAYLOADS if override else ["<img src=x onerror=alert(1)>"])
            ran = watch.ran(1.5)
            if override:
                result["called"] = page.evaluate("window.__xss")
                result["ran"] = ran
                result["requests"] = watch.requests
                result["scan"] = page.evaluate(SCAN, {"host": None, "text": [".bubble"], "rich": [],
                                                      "scripts": []})
                result["rich_scan"] = page.evaluate(SCAN, {"host": None, "text": [], "rich": [".bubble"],
                                                           "scripts": []})
                texts_ = page.evaluate(TEXTS, {"host": None, "sel": "#out > .bubble"})
                result["altered"] = [p for p, t in zip(PAYLOADS, texts_, strict=True) if t != p]
                result["invisible"] = page.evaluate(VISIBLE, {"host": None, "sel": "#out > .bubble",
                                                              "payloads": PAYLOADS[:10]})
                # Which payloads each bubble's own markup flags (children other than text).
                result["flagged"] = page.evaluate("""() => [...document.querySelectorAll('#out > .bubble')]
                    .map((b) => b.querySelector('*') !== null)""")
            else:
                result["dialogs"] = list(watch.dialogs)
        finally:
            context.close()
    return result


def test_the_detectors_catch_markup_rendered_with_innerHTML(chromium: BrowserThread) -> None:
    found = chromium.run(_innerhtml_probe)
    flagged = sum(found["flagged"])
    print(f"\ninnerHTML probe: {len(found['called'])} marker calls, {flagged}/{len(PAYLOADS)} payloads made "
          f"elements, {len(found['altered'])} not shown literally, {len(found['scan'])} scan findings, "
          f"{len(found['requests'])} payload requests")
    assert found["called"], "replacing alert & co. must notice a payload that runs"
    assert found["dialogs"], "the dialog event must notice a payload that runs"
    assert any(r.startswith("called ") for r in found["ran"]) and found["requests"]
    assert len(found["scan"]) >= flagged > len(PAYLOADS) // 2, "the scan must notice elements made from markup"
    assert len(found["rich_scan"]) > len(PAYLOADS) // 2, "the widget's element allow-list must notice them too"
    assert len(found["altered"]) > len(PAYLOADS) // 2, "the literal comparison must notice markup"
    assert found["invisible"], "the visibility spot check must notice a payload that is not shown"


def test_the_telegram_check_catches_unescaped_html() -> None:
    header = "👤 <b>Agent</b> · Case worker\n\n"
    shown = "👤 Agent · Case worker\n\n"
    special = [p for p in PAYLOADS if re.search("[<>&]", p)]
    passed = [p for p in special if not telegram_payload_problems(header + p, shown, p)]
    assert passed == [], "the check must refuse payloads sent without escaping"
    assert len(special) > len(PAYLOADS) * 0.8
    escaped = [p for p in PAYLOADS if telegram_payload_problems(header + html.escape(p), shown, p)
               and not _MARKDOWN.search(p)]
    assert escaped == [], escaped
    assert telegram_html_problems('<a href="javascript:alert(1)">x</a>')
    assert not telegram_html_problems('<b>x</b> <a href="https://example.org/?a=1&amp;b=2">y</a> &lt;')


def test_telegram_sends_every_payload_escaped(traffic: Traffic, telegram_api: FakeBotApi) -> None:
    label = texts.text("en", "agent_label")
    header = f"👤 {AGENT_NAME} · {label}\n\n"
    problems: list[str] = []
    chats = [traffic.telegram_agent_chat, *traffic.telegram_talent_chats]
    refused = [c for chat in chats for c in telegram_api.calls_of("sendMessage", chat_id=chat, ok=False)]
    assert refused == [], [(c.status, c.result, c.params.get("text", "")[:200]) for c in refused]
    sent: list[Call] = [c for chat in chats for c in telegram_api.calls_of("sendMessage", chat_id=chat)]
    for call in sent:
        assert call.params.get("parse_mode") == "HTML", call.params
        problems += telegram_html_problems(call.params["text"])
    shown = Counter(visible_text(c.params["text"]) for c in telegram_api.calls_of(
        "sendMessage", chat_id=traffic.telegram_agent_chat))
    missing = [p for p in PAYLOADS if shown[header + telegram_visible(p)] < 1]
    problems += [f"the talent does not see the agent's message as sent: {p!r}" for p in missing]
    assert problems == [], "\n".join(problems[:40])
    assert len(sent) >= len(PAYLOADS) * 2


def _conversation_checks(page: Page, conversation: Conversation, detail: dict, queue_item: dict | None) -> list[str]:
    problems: list[str] = []
    label = f"{conversation.channel} conversation {conversation.id}"
    page.evaluate("(id) => { location.hash = '#c/' + id; }", conversation.id)
    last = detail["messages"][-1]["id"]
    page.wait_for_function("""(last) => document.querySelector(
        `#transcript .msg[data-message-id="${last}"]`) !== null""", arg=str(last))
    if detail["notes"]:
        page.wait_for_function("(n) => document.querySelectorAll('#conv-notes .note').length === n",
                               arg=len(detail["notes"]))
    shown = page.evaluate("""() => [...document.querySelectorAll('#transcript .msg')].map((m) => [
        m.dataset.messageId, m.dataset.role, m.querySelector('.msg-text').textContent])""")
    expected = [[str(m["id"]), m["role"] if m["role"] in ("user", "bot", "agent", "system") else "system",
                 m["text"] or ""] for m in detail["messages"]]
    if shown != expected:
        diff = [(s, e) for s, e in zip(shown, expected, strict=False) if s != e][:5]
        problems.append(f"{label}: the transcript differs from what the API gave: {diff} "
                        f"({len(shown)} shown, {len(expected)} sent)")
    by_role = {role: Counter(t for _, r, t in shown if r == role) for role in ("user", "agent")}
    for role, payloads in (("user", conversation.talent_payloads), ("agent", conversation.agent_payloads)):
        missing = [p for p in payloads if by_role[role][p] < 1]
        problems += [f"{label}: {role} payload not in the transcript as text: {p!r}" for p in missing]
    summary = page.locator("#conv-summary").text_content()
    if summary != detail["summary"]:
        problems.append(f"{label}: summary {summary!r} is not the API's {detail['summary']!r}")
    if conversation.talent_payloads:
        quoted = " ".join(conversation.talent_payloads[0].split())[:139]
        if quoted not in summary:
            problems.append(f"{label}: the summary does not quote the first payload {quoted!r}")
    notes = page.evaluate(TEXTS, {"host": None, "sel": "#conv-notes .note-text"})
    problems += [f"{label}: note not shown as text: {p!r}" for p in conversation.note_payloads if p not in notes]
    if queue_item is not None:
        preview = page.evaluate("""(id) => {
            const p = document.querySelector(`#mine-list > li[data-conversation-id="${id}"] .item-preview`);
            return p && p.textContent; }""", conversation.id)
        if preview != (queue_item["preview"] or None):
            problems.append(f"{label}: list preview {preview!r} is not the API's {queue_item['preview']!r}")
    sample = (conversation.talent_payloads or conversation.agent_payloads)
    sample = sample[::max(1, len(sample) // 10)][:10]
    hidden = page.evaluate(VISIBLE, {"host": None, "sel": "#transcript .msg-text", "payloads": sample})
    problems += [f"{label}: payload not visible as text: {p!r}" for p in hidden]
    problems += [f"{label}: {p}" for p in page.evaluate(SCAN, {
        "host": None, "rich": ["#transcript .msg-extra"], "scripts": ["/static/console/console.js"],
        "text": ["#transcript .msg-text", "#transcript .msg-who", "#conv-summary",
                 "#conv-notes .note-text", ".item-preview", ".item-title", "#conv-agent", "#who-name",
                 "#conv-title"]})]
    return problems


def _console(browser: Browser, stack_url: str, traffic: Traffic, details: dict[str, dict],
             items: dict[str, dict]) -> list[str]:
    context = new_context(browser)
    try:
        page = context.new_page()
        watch = Watch(page)
        console_log_in(page, stack_url, traffic.username)
        page.wait_for_function("(ids) => ids.every((id) => document.querySelector("
                               "`#mine-list > li[data-conversation-id=\"${id}\"]`))",
                               arg=[c.id for c in traffic.conversations])
        problems: list[str] = []
        for conversation in traffic.conversations:
            problems += _conversation_checks(page, conversation, details[conversation.id], items.get(conversation.id))
        problems += watch.ran()
        return problems
    finally:
        context.close()


def test_the_console_shows_every_payload_as_text(stack: Stack, traffic: Traffic, chromium: BrowserThread) -> None:
    assert traffic.live_preview == [], summarise(traffic.live_preview)
    details = {c.id: traffic.agent.detail(c.id) for c in traffic.conversations}
    queue = traffic.agent.queue()
    items = {i["conversation_id"]: i for i in queue["queued"] + queue["active"]}
    for conversation in traffic.conversations:
        assert conversation.id in items, f"{conversation.id} is not in the agent's list"
        if conversation.last_said is not None:
            assert items[conversation.id]["preview"] == conversation.last_said[:200], items[conversation.id]
    problems = chromium.run(_console, stack.url, traffic, details, items)
    assert problems == [], summarise(problems)


def _widget(browser: Browser, stack_url: str, conversations: list[Conversation], transcripts: dict[str, dict]) -> list[str]:
    key = f"ihs-widget:{stack_url}/"
    problems: list[str] = []
    context = new_context(browser)
    try:
        for conversation in conversations:
            label = f"widget, conversation {conversation.id}"
            stored = json.dumps({"id": conversation.id, "token": conversation.token, "open": True, "lang": "en"})
            page = context.new_page()
            watch = Watch(page)
            page.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(stored)});")
            page.goto(f"{stack_url}/")
            roles = Counter(m["role"] for m in transcripts[conversation.id]["messages"])
            page.wait_for_function("""([users, agents]) => {
                const host = document.getElementById("ihs-chat-widget");
                const root = host && host.shadowRoot;
                return root !== null && root.querySelectorAll(".msg.user").length === users
                    && root.querySelectorAll(".msg.agent").length === agents;
            }""", arg=[roles["user"], roles["agent"]])
            users = Counter(page.evaluate(TEXTS, {"host": "ihs-chat-widget", "sel": ".msg.user .bubble"}))
            problems += [f"{label}: talent payload not shown as text: {p!r}"
                         for p in conversation.talent_payloads if users[p] < 1]
            agents = Counter(page.evaluate(TEXTS, {"host": "ihs-chat-widget", "sel": ".msg.agent .bubble"}))
            # Agent text goes through the widget's Markdown renderer: payloads without Markdown read as sent.
            plain = [p for p in conversation.agent_payloads if _plain_for_widget(p)]
            problems += [f"{label}: agent payload not shown as text: {p!r}" for p in plain if agents[p] < 1]
            for sel, payloads in ((".msg.user .bubble", conversation.talent_payloads), (".msg.agent .bubble", plain)):
                sample = payloads[::max(1, len(payloads) // 10)][:10]
                hidden = page.evaluate(VISIBLE, {"host": "ihs-chat-widget", "sel": sel, "payloads": sample})
                problems += [f"{label}: payload not visible as text in {sel}: {p!r}" for p in hidden]
            problems += [f"{label}: {p}" for p in page.evaluate(SCAN, {
                "host": "ihs-chat-widget", "scripts": ["/widget.js", "/static/demo.js"],
                "text": [".msg.user .bubble", ".msg .who span", ".notice"], "rich": [".msg.bot .bubble", ".msg.agent .bubble"]})]
            problems += [f"{label}: {r}" for r in watch.ran()]
            page.close()
    finally:
        context.close()
    return problems


def _plain_for_widget(payload: str) -> bool:
    """No Markdown the widget renders: **bold**, http(s) links, list items, headings."""
    return not (re.search(r"\*\*[^*\n]+\*\*", payload) or re.search(r"https?://", payload)
                or re.match(r"\s*(?:[-*•]|\d+[.)])\s+", payload) or re.match(r"#{1,6}\s+", payload))


def test_the_widget_shows_every_payload_as_text(stack: Stack, traffic: Traffic, chromium: BrowserThread,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    web = [c for c in traffic.conversations if c.channel == "web"]
    transcripts = {}
    with httpx.Client(base_url=stack.url, timeout=60) as api:
        for conversation in web:
            response = api.get(f"/api/v1/conversations/{conversation.id}/messages",
                               headers={"Authorization": f"Bearer {conversation.token}"})
            assert response.status_code == 200, response.text
            transcripts[conversation.id] = response.json()
    problems = chromium.run(_widget, stack.url, web, transcripts)
    assert problems == [], summarise(problems)

    telegram = [c for c in traffic.conversations if c.channel == "telegram"]
    surfaces = {
        "talent → widget API → console transcript": sum(len(c.talent_payloads) for c in web),
        "talent → widget API → widget transcript": sum(len(c.talent_payloads) for c in web),
        "agent → widget (Markdown renderer)": sum(len(c.agent_payloads) for c in web),
        "agent → console transcript": sum(len(c.agent_payloads) for c in web),
        "talent → Telegram webhook → console transcript": sum(len(c.talent_payloads) for c in telegram),
        "agent → Telegram sendMessage (HTML)": sum(len(c.agent_payloads) for c in telegram),
    }
    assert all(n == len(PAYLOADS) for n in surfaces.values()), surfaces
    with capsys.disabled():
        print(f"\nXSS: {len(PAYLOADS)} payloads × {len(surfaces)} surfaces checked "
              f"({len(PAYLOADS) * len(surfaces)} renderings): " + "; ".join(surfaces)
              + f"; also live in the console's queue preview ({traffic.live_checked} payloads), in summaries, "
              f"list previews, {len(PAYLOADS[::10])} notes and the agent's display name {AGENT_NAME!r}")

