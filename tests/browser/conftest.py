"""A real browser for the widget and console tests: Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from bot.bench.stack import ROOT, Stack

CHROMIUM = os.environ.get("IHS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `make test` installs Debian's package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def create_agent(stack: Stack, username: str, password: str, role: str = "agent",
                 display_name: str | None = None) -> None:
    """An agent account in the stack's store, made the way `make agent USER=...` makes it."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "bot.gateway.agents", username, "--role", role]
    if display_name:
        command += ["--name", display_name]
    subprocess.run(command, input=password + "\n", text=True, check=True, cwd=ROOT, env=stack.env,
                   capture_output=True)
