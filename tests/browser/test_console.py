"""The kontaktcenter console in a real browser, against the real stack: a talent talks through the API,
an agent answers in the console."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, Route, expect

from bot.bench.stack import ROOT, Stack
from tests.browser.conftest import create_agent
from tests.conftest import Talent

pytestmark = pytest.mark.e2e

CONSOLE = ROOT / "bot" / "static" / "console"
PASSWORD = "correct horse battery staple"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>']
REASON_LABELS = {"Asked for a person", "Question about their own case", "Complaint", "Emergency",
                 "The bot could not answer", "Not given"}


# ------------------------------------------------------------------------------------------- helpers

def new_agent(stack: Stack, role: str = "agent", name: str | None = None) -> str:
    username = f"{role[:3]}{uuid.uuid4().hex[:10]}"
    create_agent(stack, username, PASSWORD, role=role, display_name=name or f"Agent {username[-4:]}")
    return username


def log_in(page: Page, stack: Stack, username: str, password: str = PASSWORD) -> None:
    if not page.url.endswith("/console"):
        page.goto(f"{stack.url}/console")
    form = page.locator("#view-login")
    expect(form).to_be_visible()
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("#view-queue")).to_be_visible()
    # Live updates are on: whatever the talent does next reaches this page without a reload.
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def log_out(page: Page) -> None:
    page.locator("#logout").click()
    expect(page.locator("#view-login")).to_be_visible()


@contextmanager
def agent_client(stack: Stack, username: str) -> Iterator[httpx.Client]:
    """An agent's API session, as the console holds it: session cookie plus the CSRF header."""
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        response = client.post("/api/v1/agent/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


def queue_talent(api: httpx.Client, before: list[str] = (), language: str = "sv") -> Talent:
    """A talent who asks for a person and accepts; an agent must be logged in for the queue to open."""
    talent = Talent(api, language=language)
    for text in before:
        talent.say(text)
    ask = "Jag vill prata med en människa" if language == "sv" else "I want to talk to a real person please"
    offer = talent.say(ask)
    assert offer["replies"][0]["meta"]["outcome"] == "handoff", offer
    accepted = talent.say("/affirm")
    assert accepted["handoff"]["state"] == "queued", accepted
    return talent


def queue_item(page: Page, talent: Talent) -> Locator:
    return page.locator(f'#queued-list > li[data-conversation-id="{talent.id}"]')


def claim_in_console(page: Page, talent: Talent) -> None:
    item = queue_item(page, talent)
    expect(item).to_be_visible()
    item.get_by_role("button", name="Claim").click()
    expect(page.locator("#view-conversation")).to_be_visible()
    expect(page.locator("#conv-state")).to_have_text("Active")


def serious(results: dict) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def tab_to(page: Page, target: Locator, limit: int = 60) -> int:
    """Press Tab until `target` has the focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return presses
    pytest.fail(f"{target} never received the focus after {limit} presses of Tab")


# ------------------------------------------------------------------------------------------- tests

def test_agent_takes_over_a_swedish_conversation_and_hands_it_back(stack: Stack, api: httpx.Client,
                                                                   page: Page) -> None:
    username = new_agent(stack, name="Anna")
    log_in(page, stack, username)

    talent = queue_talent(api)
    item = queue_item(page, talent)
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-language", "sv")
    expect(item.locator(".fact-language")).to_contain_text("Swedish (sv)")
    expect(item.locator(".fact-channel")).to_contain_text("Web chat")
    assert item.locator(".fact-reason .tag").inner_text() in REASON_LABELS
    waiting = item.locator(".waiting")
    expect(waiting).to_have_text(re.compile(r"^Waiting \d+ s$"))
    first = waiting.inner_text()
    expect(waiting).not_to_have_text(first, timeout=12_000)  # the waiting time keeps counting

    item.get_by_role("button", name="Claim").click()
    expect(page.locator("#conv-state")).to_have_text("Active")
    expect(page.locator("#conv-title")).to_be_focused()
    expect(page.locator("#conv-summary")).to_contain_text("Jag vill prata med en människa")
    transcript = page.locator("#transcript")
    expect(transcript).to_have_attribute("role", "log")
    expect(transcript).to_have_attribute("aria-live", "polite")
    expect(transcript.locator(".msg-user").first).to_contain_text("Jag vill prata med en människa")
    expect(transcript.locator(".msg-bot").first).to_be_visible()
    expect(transcript.locator(".msg-system").last).to_contain_text("Anna")  # "Anna … har anslutit"
    for role, label in (("user", "Talent"), ("bot", "Bot"), ("system", "System")):
        expect(transcript.locator(f".msg-{role} .msg-who").first).to_have_text(label)
    expect(page.locator("#conv-agent")).to_have_text("Anna")
    # Canned replies in the conversation's language.
    expect(page.locator("#canned-select option").nth(1)).to_have_text("Hälsning")

    reply = page.locator("#reply-text")
    reply.fill("Hej! Jag hjälper dig.")
    reply.press("Enter")
    expect(transcript.locator(".msg-agent")).to_contain_text("Hej! Jag hjälper dig.")
    expect(reply).to_have_value("")
    agent_messages = [m for m in talent.transcript()["messages"] if m["role"] == "agent"]
    assert [m["text"] for m in agent_messages] == ["Hej! Jag hjälper dig."]

    # Shift+Enter is a new line, not a send.
    reply.press("Shift+Enter")
    reply.type("x")
    expect(reply).to_have_value("\nx")
    reply.fill("")

    said = talent.say("Tack, mitt personnummer är 811228-9874")
    # The bot stays silent while a person has the conversation; the only reply allowed is the gateway's
    # one-time warning not to send personal data.
    assert [r for r in said["replies"] if (r.get("meta") or {}).get("intent") != "pii_warning"] == [], said
    live = transcript.locator(".msg-user").filter(has_text="Tack, mitt personnummer")
    expect(live).to_contain_text("[personnummer]")
    assert "811228-9874" not in live.inner_text()
    assert "811228-9874" not in transcript.inner_text()

    note = f"Privat anteckning {uuid.uuid4().hex[:6]}"
    page.locator("#note-text").fill(note)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#conv-notes")).to_contain_text(note)
    assert note not in str(talent.transcript())

    page.get_by_role("button", name="Close conversation").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close conversation").click()
    expect(page.locator("#conv-state")).to_have_text("Closed")
    expect(page.locator("#reply-form")).to_be_hidden()
    expect(page.locator(f'#mine-list > li[data-conversation-id="{talent.id}"]')).to_have_count(0)

    again = talent.say("Hur ställer jag mig i bostadskön i Stockholm?")
    assert again["replies"], again
    assert again["replies"][0]["meta"]["outcome"] == "answer", again
    assert again["handoff"]["state"] not in ("queued", "active")


def test_talent_markup_is_shown_as_text_and_never_run(stack: Stack, api: httpx.Client, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    username = new_agent(stack)
    log_in(page, stack, username)

    talent = queue_talent(api, before=XSS[:2], language="en")
    talent.say(XSS[2])  # while queued: the preview shows it
    item = queue_item(page, talent)
    expect(item.locator(".item-preview")).to_have_text(XSS[2])
    assert item.locator("img, svg, script").count() == 0

    item.get_by_role("button", name="Claim").click()
    expect(page.locator("#conv-state")).to_have_text("Active")
    transcript = page.locator("#transcript")
    for payload in XSS:
        expect(transcript.locator(".msg-user .msg-text").filter(has_text=payload).first).to_have_text(payload)
    summary = page.locator("#conv-summary")
    for payload in XSS:
        expect(summary).to_contain_text(payload)

    talent.say(XSS[0])  # during the handoff: arrives live
    expect(transcript.locator(".msg-user .msg-text").filter(has_text=XSS[0])).to_have_count(2)
    page.locator("#note-text").fill(XSS[2])
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#conv-notes .note-text")).to_have_text([XSS[2]])

    view = page.locator("#view-conversation")
    assert view.locator("img, svg, script, iframe").count() == 0
    assert transcript.locator("*").evaluate_all(
        "nodes => nodes.filter(n => [...n.attributes].some(a => a.name.startsWith('on'))).length") == 0
    assert dialogs == []


def test_login_errors_and_what_the_api_refuses(stack: Stack, api: httpx.Client, page: Page) -> None:
    first, second = new_agent(stack), new_agent(stack)

    page.goto(f"{stack.url}/console")
    form = page.locator("#view-login")
    form.get_by_label("Username").fill(first)
    form.get_by_label("Password").fill("not the password")
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    expect(page.locator("#login-error")).to_have_attribute("role", "alert")
    expect(page.locator("#view-queue")).to_be_hidden()
    expect(form.get_by_label("Password")).to_be_focused()
    form.get_by_role("button", name="Log in").click()  # empty password: said before asking the server
    expect(page.locator("#login-error")).to_have_text("Enter your username and password.")

    unauthenticated = api.get("/api/v1/agent/queue")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["detail"]

    with agent_client(stack, first) as one, agent_client(stack, second) as two:
        talent = queue_talent(api)
        path = f"/api/v1/agent/conversations/{talent.id}"
        assert one.post(f"{path}/claim").status_code == 200
        assert two.post(f"{path}/claim").status_code == 409
        refused = two.post(f"{path}/messages", json={"text": "I am not the agent of this one"})
        assert refused.status_code == 403, refused.text
        no_csrf = one.post(f"{path}/messages", json={"text": "hello"}, headers={"X-CSRF-Token": ""})
        assert no_csrf.status_code == 403, no_csrf.text
        assert one.post(f"{path}/messages", json={"text": "Hello, I can help."}).status_code == 201
        texts = [m["text"] for m in talent.transcript()["messages"] if m["role"] == "agent"]
        assert texts == ["Hello, I can help."]


def test_supervisor_creates_an_agent_who_can_then_log_in(stack: Stack, page: Page) -> None:
    supervisor = new_agent(stack, role="supervisor", name="Sara Supervisor")
    log_in(page, stack, supervisor)
    expect(page.locator("#who-role")).to_have_text("Supervisor")
    page.get_by_role("link", name="Agents").click()
    expect(page.locator("#agents-title")).to_be_focused()

    username = f"new{uuid.uuid4().hex[:8]}"
    form = page.locator("#agent-form")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill("Nils Ny")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Save agent").click()
    expect(page.locator("#agent-form-error")).not_to_be_empty()  # under 12 characters: refused
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Role").select_option("agent")
    form.get_by_role("button", name="Save agent").click()
    expect(page.locator("#agent-form-status")).to_have_text(f"Saved {username}.")
    row = page.locator(f'#agents-body tr[data-username="{username}"]')
    expect(row).to_contain_text("Nils Ny")
    expect(row).to_contain_text("Agent")
    expect(row).to_contain_text("Active")

    log_out(page)
    log_in(page, stack, username)
    expect(page.locator("#who-name")).to_have_text("Nils Ny")
    expect(page.locator("#nav-agents-item")).to_be_hidden()  # not a supervisor

    log_out(page)
    log_in(page, stack, supervisor)
    page.get_by_role("link", name="Agents").click()
    page.get_by_role("button", name=f"Deactivate {username}").click()
    expect(row).to_contain_text("Deactivated")
    log_out(page)
    form = page.locator("#view-login")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")


def test_language_switch_changes_the_interface_and_is_remembered(stack: Stack, page: Page,
                                                                 browser: Browser) -> None:
    page.goto(f"{stack.url}/console")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")  # the browser says en-GB
    expect(page.locator("#login-title")).to_have_text("Log in")

    page.get_by_role("button", name="Svenska").click()
    expect(html).to_have_attribute("lang", "sv")
    expect(page.locator("#login-title")).to_have_text("Logga in")
    expect(page.locator("#view-login").get_by_label("Användarnamn")).to_be_visible()
    expect(page.get_by_role("button", name="Svenska")).to_have_attribute("aria-pressed", "true")
    assert page.title().startswith("Kontaktcenterkonsol")

    page.reload()
    expect(html).to_have_attribute("lang", "sv")
    expect(page.locator("#login-title")).to_have_text("Logga in")

    username = new_agent(stack)
    form = page.locator("#view-login")
    form.get_by_label("Användarnamn").fill(username)
    form.get_by_label("Lösenord").fill(PASSWORD)
    form.get_by_role("button", name="Logga in").click()
    expect(page.locator("#queue-title")).to_have_text("Kö")
    expect(page.get_by_role("link", name="Återuppringningar")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("#queue-title")).to_have_text("Queue")
    expect(page.get_by_role("link", name="Call-back tickets")).to_be_visible()

    swedish = browser.new_context(locale="sv-SE")
    try:
        other = swedish.new_page()
        other.goto(f"{stack.url}/console")
        expect(other.locator("html")).to_have_attribute("lang", "sv")
        expect(other.locator("#login-title")).to_have_text("Logga in")
    finally:
        swedish.close()


def test_no_serious_accessibility_violations(stack: Stack, api: httpx.Client, page: Page) -> None:
    axe = Axe()
    page.goto(f"{stack.url}/console")
    expect(page.locator("#view-login")).to_be_visible()
    assert serious(axe.run(page).response) == []

    username = new_agent(stack)
    log_in(page, stack, username)
    talent = queue_talent(api, before=["Hur öppnar jag ett bankkonto?"])
    expect(queue_item(page, talent)).to_be_visible()
    assert serious(axe.run(page).response) == []

    claim_in_console(page, talent)
    expect(page.locator("#transcript .msg-user").first).to_be_visible()
    expect(page.locator("#canned-select option").nth(1)).to_be_attached()
    assert serious(axe.run(page).response) == []


def test_log_in_claim_and_reply_with_the_keyboard_only(stack: Stack, api: httpx.Client, page: Page) -> None:
    username = new_agent(stack)
    page.goto(f"{stack.url}/console")
    expect(page.locator("#view-login")).to_be_visible()

    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()  # the skip link comes first
    page.keyboard.press("Enter")
    expect(page.locator("#login-title")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#login-username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#login-password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#view-queue")).to_be_visible()
    expect(page.locator("#queue-title")).to_be_focused()  # focus follows the view
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")

    talent = queue_talent(api)
    claim = queue_item(page, talent).get_by_role("button", name="Claim")
    expect(claim).to_be_visible()
    tab_to(page, claim)
    page.keyboard.press("Enter")
    expect(page.locator("#conv-state")).to_have_text("Active")
    expect(page.locator("#conv-title")).to_be_focused()

    tab_to(page, page.locator("#reply-text"))
    page.keyboard.type("Hej från tangentbordet")
    page.keyboard.press("Enter")
    expect(page.locator("#transcript .msg-agent")).to_contain_text("Hej från tangentbordet")
    expect(page.locator("#reply-text")).to_be_focused()


def test_console_runs_under_a_strict_content_security_policy(stack: Stack, api: httpx.Client,
                                                             page: Page) -> None:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    served = api.get("/console")
    if "content-security-policy" not in served.headers:
        # Until the gateway sends the header itself, the browser gets it added on the way.
        def add_csp(route: Route) -> None:
            response = route.fetch()
            route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})
        page.route(re.compile(r".*/console$"), add_csp)

    username = new_agent(stack)
    with agent_client(stack, username):  # an agent online, so the talent can be queued
        talent = queue_talent(api, before=[XSS[0]])
    page.goto(f"{stack.url}/console")
    form = page.locator("#view-login")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    claim_in_console(page, talent)
    expect(page.locator("#transcript .msg-user .msg-text").first).to_have_text(XSS[0])
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("#conv-state")).to_have_text("Pågående")
    assert violations == []


def test_page_source_has_no_inline_code_and_no_html_sinks() -> None:
    html = (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script>"
    assert not re.search(r"\son\w+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html) and "<style" not in html, "inline style"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "nothing is loaded from elsewhere"
    script = (CONSOLE / "console.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"style\"", ".style."):
        assert sink not in script, sink
    assert not list(Path(CONSOLE).glob("*.map"))
