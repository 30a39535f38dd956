"""Security as Chromium sees it: no CSP violation in a purchase, safe cookies, no secrets shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from playwright.async_api import Browser, Page, Response, expect

from app.settings import Settings
from tests.support.browser import CSP_LISTENER, GOOD_CARD, MUG, csp_violations, fill_card
from tests.support.browser import browser as browser
from tests.support.browser import chromium_path as chromium_path
from tests.support.http import ROOT, LiveServer, running
from tests.support.stripe_sandbox import WEBHOOK_SECRET, SandboxServer

pytestmark = pytest.mark.browser


def never_shown(env: dict[str, str]) -> list[str]:
    """Secrets and internals no page of a store with this environment may carry."""
    where = env.get("DATABASE_URL") or env["SQLITE_PATH"]
    return [
        env["SECRET_KEY"], WEBHOOK_SECRET, env["STRIPE_SECRET_KEY"], "whsec_", "sk_test_",
        "Traceback", str(ROOT), where, "asyncpg", "sqlite3", "piccolo",
    ]  # fmt: skip


class Watch:
    """Everything a page's browser saw from the store: CSP reports, console errors, responses."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.violations: list[str] = []
        self.pages: list[Response] = []
        self.html: dict[str, str] = {}

    def attach(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("response", self._response)
        return page

    def _console(self, message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text:
            self.violations.append(text)

    def _response(self, response: Response) -> None:
        if response.url.startswith(self.store):
            self.pages.append(response)

    async def before_leaving(self, page: Page) -> None:
        self.violations += await csp_violations(page)
        if page.url.startswith(self.store):
            self.html[page.url] = await page.content()


@pytest.fixture
async def store_server(
    store_env: Callable[..., dict[str, str]],
    store_sandbox: SandboxServer,
    store_processes: list[LiveServer],
) -> AsyncIterator[LiveServer]:
    """The store with real keys: Stripe's hosted page is on another origin than the shop."""
    import asyncio

    env = store_env()
    # Another host name than the sandbox's 127.0.0.1, as Stripe's is: cookies ignore the port, so
    # on one host name the shop's and the hosted page's CSRF cookies would overwrite each other.
    env["PUBLIC_URL"] = env["PUBLIC_URL"].replace("127.0.0.1", "localhost")
    server = LiveServer(env)
    store_processes.append(server)
    await asyncio.to_thread(server.start)
    yield server


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
async def test_a_purchase_breaks_no_csp_rule_and_shows_no_secret(
    browser: Browser,
    store_server: LiveServer,
    store_sandbox: SandboxServer,
    store_env: Callable[..., dict[str, str]],
    javascript: bool,
) -> None:
    context = await browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    await context.add_init_script(CSP_LISTENER)
    watch = Watch(store_server.url)
    page = watch.attach(await context.new_page())
    try:
        await page.goto(store_server.url + "/")
        await page.get_by_role("button", name=f"One more: {MUG}").click()
        await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("1")
        await watch.before_leaving(page)
        await page.get_by_role("button", name="Buy").click()
        # The CSP's form-action names Stripe's origin: without it the plain form's redirect stops.
        await page.wait_for_url(f"{store_sandbox.url}/pay/cs_test_*")
        await watch.before_leaving(page)
        await fill_card(page, GOOD_CARD)
        await page.wait_for_url(f"{store_server.url}/checkout/success?session_id=cs_test_*")
        await expect(
            page.get_by_role("heading", name="Thank you: payment received")
        ).to_be_visible()
        await watch.before_leaving(page)
        for path in ("/", "/no-such-page", "/checkout"):
            await page.goto(store_server.url + path)
            await watch.before_leaving(page)

        cookies = {c["name"]: c for c in await context.cookies(store_server.url)}
        assert {"visitor", "csrftoken"} <= set(cookies)
        for cookie in cookies.values():
            assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax"), cookie

        assert watch.violations == []
        html = [r for r in watch.pages if "text/html" in r.headers.get("content-type", "")]
        assert {re.sub(r"\?.*", "", r.url) for r in html} >= {
            f"{store_server.url}/",
            f"{store_server.url}/checkout/success",
        }
        for response in html:
            assert response.headers.get("cache-control") == "no-store", response.url
        assert len(watch.html) >= 4
        for url, body in watch.html.items():
            assert [s for s in never_shown(store_env()) if s in body] == [], url
    finally:
        await context.close()


async def test_under_https_every_cookie_is_secure(
    store_settings: Callable[..., Settings],
) -> None:
    from app.main import create_app

    application = create_app(store_settings(PUBLIC_URL="https://shop.example"))
    async with (
        running(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="https://shop.example"
        ) as http,
    ):
        page = await http.get("/")
    cookies = page.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"__Host-visitor", "__Host-csrftoken"}
    for cookie in cookies:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie
