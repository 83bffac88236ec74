"""One local stack and one Chromium per module; a fresh browser context (cookies) per test.

Debian's Chromium is used (``/usr/bin/chromium``); Playwright's own browser download does
not work here and is never run. Without Chromium the module is skipped, except in CI (``CI``
set in the environment), where a missing browser is a failure: ``scripts/system-deps.sh``
installs it, so a skip there would hide a broken setup.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.stack import RunningStack, start_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-password-1"
TIMEOUT_MS = 15_000  # per action/assertion; the stack itself has its own start timeout


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    """Skip (or, in CI, fail) before anything is started when there is no browser to drive."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        problem = f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {problem}")
        pytest.skip(f"browser tests need Debian's Chromium: {problem}")
    return CHROMIUM


@pytest.fixture(scope="module")
def stack(chromium_path: Path) -> Iterator[RunningStack]:
    running = start_stack(PASSWORD)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageErrors:
    """Uncaught script errors and console errors seen by a page (CSP violations show here)."""

    messages: list[str] = field(default_factory=list)

    def unexpected(self, *expected: str) -> list[str]:
        """Messages containing none of ``expected`` (nor the browser's own favicon probe)."""
        allowed = ("favicon.ico", *expected)
        return [m for m in self.messages if not any(a in m for a in allowed)]


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def new_page(browser, page_errors: PageErrors):
    """``new_page()`` opens a page in a brand-new context (no cookies shared with others)."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1024, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.messages.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                page_errors.messages.append(f"console {msg.type}: {msg.text} @ {msg.location}")
                if msg.type == "error"
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
