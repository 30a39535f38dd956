"""Headless Chromium (Debian's, never a downloaded one) for every browser test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, async_playwright

from tests.support.http import LiveServer
from tests.support.owner import OWNER_NAME, OWNER_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Recorded in the page itself so a test can read every violation the page saw.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Chromium (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield chromium
        await chromium.close()


async def _context(browser: Browser, *, javascript: bool) -> BrowserContext:
    context = await browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    await context.add_init_script(CSP_LISTENER)
    return context


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await _context(browser, javascript=True)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def page_without_js(browser: Browser) -> AsyncIterator[Page]:
    context = await _context(browser, javascript=False)
    yield await context.new_page()
    await context.close()


async def csp_violations(page: Page) -> list[str]:
    violations: list[str] = await page.evaluate("window.__csp || []")
    return violations


@asynccontextmanager
async def another_browser(browser: Browser, **options: Any) -> AsyncIterator[Page]:
    """A second person at another computer: a context of its own, recording CSP violations."""
    context = await browser.new_context(**options)
    context.set_default_timeout(10_000)
    await context.add_init_script(CSP_LISTENER)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, live_server: LiveServer) -> None:
    await page.goto(live_server.url + "/owner/login")
    await page.locator("#username").fill(OWNER_NAME)
    await page.locator("#password").fill(OWNER_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/owner/")


def panel(page: Page) -> Locator:
    return page.locator("section#owner-order")
