"""Headless Chromium (Debian's, never a downloaded one) for every browser test."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, Request, async_playwright

from app.orders.tables import Order
from tests.support.http import LiveServer
from tests.support.owner import OWNER_NAME, OWNER_PASSWORD
from tests.support.stripe_sandbox import fill_address

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


# ---------------------------------------------------------------- buying, as a buyer does

MUG = "Stoneware mug"
GOOD_CARD = "4242 4242 4242 4242"


async def buy(page: Page, live_server: LiveServer, quantities: dict[str, str]) -> int:
    """Open the shop with these quantities, press Buy, land on the hosted page: the order's id."""
    query = "&".join(f"qty-{sku}={n}" for sku, n in quantities.items())
    await page.goto(f"{live_server.url}/?{query}")
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/cs_test_*")
    session_id = page.url.split("?")[0].rsplit("/", 1)[-1]
    row = await Order.select(Order.id).where(Order.stripe_session_id == session_id).first()
    assert row is not None, f"no order for {session_id}"
    return int(row["id"])


async def fill_card(page: Page, number: str = GOOD_CARD) -> None:
    """Fill in the hosted payment page (email, address, card) and press Pay."""
    await page.locator("#email").fill("ada@example.com")
    await fill_address(page)
    await page.locator("#cardNumber").fill(number)
    await page.locator("#cardExpiry").fill("12 / 34")
    await page.locator("#cardCvc").fill("123")
    await page.locator("#billingName").fill("Ada Lovelace")
    await page.get_by_role("button", name=re.compile(r"^Pay ")).click()


async def pay(page: Page) -> None:
    """Pay on the hosted page with a good card, and land back on the store's success page."""
    await fill_card(page)
    await page.wait_for_url("**/checkout/success?session_id=cs_test_*")


# ---------------------------------------------------------------- live pages (server-sent events)

# What a page's scripts see when its tab goes to the background (true) or comes back (false).
_VISIBILITY = """hidden => {
  if (hidden) {
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  } else {
    delete document.hidden;  // the own properties go: Document.prototype's getters show again
    delete document.visibilityState;
  }
  document.dispatchEvent(new Event('visibilitychange'));
}"""
# Every `name` event dispatched on the element, in order, into window.__heard.
_HEAR = """([selector, names]) => {
  window.__heard = window.__heard || [];
  const element = document.querySelector(selector);
  for (const name of names) element.addEventListener(name, () => window.__heard.push(name));
}"""


async def set_hidden(page: Page, hidden: bool) -> None:
    """As if the tab were sent to the background (True) or brought back (False)."""
    await page.evaluate(_VISIBILITY, hidden)


def requests_to(page: Page, path: str) -> list[Request]:
    """Every request the page sends from now on to `path` (any query string), as they go."""
    sent: list[Request] = []

    def record(request: Request) -> None:
        if urlsplit(request.url).path == path:
            sent.append(request)

    page.on("request", record)
    return sent


def console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


async def listen_on(page: Page, selector: str, *names: str) -> None:
    """Record every `names` event dispatched on the element (read them with `heard`)."""
    await page.evaluate(_HEAR, [selector, list(names)])


async def heard(page: Page) -> list[str]:
    events: list[str] = await page.evaluate("window.__heard || []")
    return events
