"""The store's owner in tests: an account, a signed-in browser, and orders to look at."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from app.owner.accounts import add_owner
from app.settings import Settings
from tests.support.checkout import Shopper, order_rows, pay
from tests.support.http import browser_like, csrf_token

OWNER_NAME = "alice"
OWNER_PASSWORD = "correct horse battery staple"
# htmx's request headers for a form on the owner's order page.
OWNER_HTMX = {
    "HX-Request": "true",
    "HX-Request-Type": "partial",
    "HX-Target": "section#owner-order",
}
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class OwnerBrowser:
    """A browser on the owner's pages: its own cookies and the CSRF token of its last page."""

    http: httpx.AsyncClient
    csrf: str = ""

    async def sign_in(
        self, username: str = OWNER_NAME, password: str = OWNER_PASSWORD
    ) -> httpx.Response:
        form = await self.http.get("/owner/login")
        self.csrf = csrf_token(form.text)
        return await self.http.post(
            "/owner/login",
            data={"username": username, "password": password, "_csrf_token": self.csrf},
        )

    async def page(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        if 'name="_csrf_token"' in response.text:
            self.csrf = csrf_token(response.text)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, htmx: bool = False
    ) -> httpx.Response:
        fields = {"_csrf_token": self.csrf, **(data or {})}
        return await self.http.post(path, data=fields, headers=OWNER_HTMX if htmx else {})

    async def refund(self, order_id: int, amount: str, *, htmx: bool = True) -> httpx.Response:
        """Open the order page and submit its refund form with `amount`."""
        page = await self.page(f"/owner/orders/{order_id}")
        match = FORM_TOKEN.search(page.text)
        assert match, "the order page has no refund form"
        data = {"amount": amount, "form_token": match.group(1)}
        return await self.post(f"/owner/orders/{order_id}/refund", data, htmx=htmx)


@asynccontextmanager
async def owner_browser(
    app: Litestar, settings: Settings, address: str = "127.0.0.1", *, signed_in: bool = False
) -> AsyncIterator[OwnerBrowser]:
    """A new browser (from `address`) on the owner's pages; signed in as the owner if asked."""
    async with browser_like(app, settings.public_url, client=(address, 4000)) as http:
        browser = OwnerBrowser(http)
        if signed_in:
            response = await browser.sign_in()
            assert response.status_code == 303, response.text
        yield browser


@pytest.fixture
async def owner_account() -> int:
    return await add_owner(OWNER_NAME, OWNER_PASSWORD)


@pytest.fixture
async def owner(
    stripe_store: Litestar, settings: Settings, owner_account: int
) -> AsyncIterator[OwnerBrowser]:
    """A signed-in owner on the store with keys (the one `shopper` buys from)."""
    async with owner_browser(stripe_store, settings, signed_in=True) as browser:
        yield browser


async def paid_order(shopper: Shopper, quantities: dict[str, str] | None = None) -> int:
    """An order the shopper bought and paid for, confirmed by the success page; its id."""
    session_id = await shopper.start_checkout(quantities or {"mug-350": "2"})
    await pay(shopper.sandbox, session_id)
    page = await shopper.success(session_id)
    assert "Thank you: payment received" in page.text
    rows = [row for row in await order_rows() if row["stripe_session_id"] == session_id]
    return int(rows[0]["id"])
