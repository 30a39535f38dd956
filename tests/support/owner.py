"""The store's owner in tests: an account, a signed-in browser, and orders to look at."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.audit.tables import AuditEntry
from app.money import format_amount, format_money
from app.orders.tables import Order
from app.owner.accounts import add_owner
from app.settings import Settings
from tests.reliability.ledger import charge_of
from tests.support.checkout import Shopper, order_rows, pay
from tests.support.http import browser_like, csrf_token, texts_of
from tests.support.stripe_sandbox import SandboxServer

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


def panel(page: str) -> dict[str, str]:
    """The order panel's data-* attributes (status, total-cents, refunded-cents, …)."""
    match = re.search(r'<section id="owner-order"([^>]*)>', page)
    assert match, "the response has no order panel"
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', match.group(1)))


def timeline(page: str, kind: str) -> list[str]:
    """The timeline's entries of one kind ("status", "stripe" or "owner"), without their time."""
    return [text.partition(" UTC ")[2] for text in texts_of(page, "li", f"timeline-{kind}")]


def typed(cents: int) -> str:
    """An amount as the owner types it: 1250 -> "12.50"."""
    return format_amount(cents, "usd")


def money(cents: int) -> str:
    return format_money(cents, "usd")


async def order_row(order_id: int) -> dict[str, Any]:
    row = await Order.select().where(Order.id == order_id).first()
    assert row is not None
    return row


async def audit(order_id: int, action: str = "refunded") -> list[dict[str, Any]]:
    return await (
        AuditEntry.select()
        .where((AuditEntry.order_id == order_id) & (AuditEntry.action == action))
        .order_by(AuditEntry.id)
    )


@asynccontextmanager
async def another_owner(
    app: Litestar, settings: Settings, name: str
) -> AsyncIterator[OwnerBrowser]:
    """An owner besides alice, signed in on a browser of their own."""
    await add_owner(name, OWNER_PASSWORD)
    async with browser_like(app, settings.public_url) as http:
        browser = OwnerBrowser(http)
        assert (await browser.sign_in(name, OWNER_PASSWORD)).status_code == 303
        yield browser


@pytest.fixture
async def bob(
    stripe_store: Litestar, settings: Settings, owner: OwnerBrowser
) -> AsyncIterator[OwnerBrowser]:
    async with another_owner(stripe_store, settings, "bob") as browser:
        yield browser


class _Rows(HTMLParser):
    """The data-order-id of every row inside the element with a given id."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.ids: list[int] = []
        self._open: list[str] = []  # tags open inside the element; empty: outside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self._open:
            self._open.append(tag)
            if tag == "tr" and found.get("data-order-id"):
                self.ids.append(int(str(found["data-order-id"])))
        elif found.get("id") == self.element_id:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag in self._open:
            while self._open.pop() != tag:
                pass


def orders_in(page: str, element_id: str) -> list[int]:
    parser = _Rows(element_id)
    parser.feed(page)
    return parser.ids


def prefilled(page: str) -> str | None:
    """The refund form's amount field as the page fills it in; None without a refund form."""
    match = re.search(r'<input id="amount"[^>]*\bvalue="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def beside(page: str, element_id: str) -> str | None:
    """The text of the message with this id (amount-error, note-error), if the page has one."""
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    return html.unescape(match.group(1)).strip() if match else None


async def at_stripe(sandbox: SandboxServer, payment_intent: str) -> tuple[int, int]:
    """(amount refunded, number of refunds) of a payment, from the sandbox's own record."""
    charge = await charge_of(sandbox, payment_intent)
    return (charge.amount_refunded, charge.refunds) if charge else (0, 0)


def refundable(page: str) -> int | None:
    """What the refund form says can still be refunded, in cents; None without a refund form."""
    match = re.search(r'id="refund-form"[^>]*\bdata-refundable-cents="(\d+)"', page)
    return int(match.group(1)) if match else None


def form_in(page: str) -> dict[str, str]:
    """The refund form as a page (or a fragment) shows it, confirmed: the amount typed back
    beside an error, else all it allows (the box starts empty: the owner types an amount)."""
    token, most = FORM_TOKEN.search(page), refundable(page)
    assert token and most is not None, "no refund form here"
    return {"amount": prefilled(page) or typed(most), "form_token": token.group(1)}


async def refund_form(
    browser: OwnerBrowser, order_id: int, amount: str | None = None
) -> dict[str, str]:
    """Open the order page and fill in its refund form: `amount`, or all it allows."""
    form = form_in((await browser.page(f"/owner/orders/{order_id}")).text)
    return form if amount is None else {**form, "amount": amount}


async def submit(
    browser: OwnerBrowser, order_id: int, form: dict[str, str], *, htmx: bool = True
) -> httpx.Response:
    return await browser.post(f"/owner/orders/{order_id}/refund", form, htmx=htmx)
