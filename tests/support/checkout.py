"""A store with real keys against a standalone sandbox whose webhooks tests deliver themselves."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.orders.tables import Order, OrderLine, StripeEvent
from app.payments.gateway import GatewayConfig, PaymentGateway
from app.settings import Settings, load_settings
from tests.support.http import HTMX, browser_like, csrf_token, free_port, running
from tests.support.stripe_sandbox import (
    WEBHOOK_SECRET,
    Receiver,
    SandboxServer,
    fault_control,
    standalone_sandbox,
    submit_card,
    submit_later,
)

# The store's own sandbox account; delayed payments there settle only when a test says so.
STORE_API_KEY = "sk_test_store_tests"

TOKEN = re.compile(r'name="checkout_token" value="([^"]+)"')
PRICES_SEEN = re.compile(r'name="prices_seen" value="([0-9]+)"')


@pytest.fixture(scope="session")
def store_sandbox(receiver: Receiver) -> Iterator[SandboxServer]:
    """The sandbox the keyed store talks to; its webhooks go to the receiver, not the store."""
    with standalone_sandbox(
        receiver, api_key=STORE_API_KEY, SANDBOX_SETTLE_SECONDS="86400"
    ) as server:
        yield server


def keyed_env(test_env: dict[str, str], sandbox: SandboxServer, **overrides: str) -> dict[str, str]:
    return {
        **test_env,
        "STRIPE_SECRET_KEY": sandbox.api_key,
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_TIMEOUT_SECONDS": "2",
        **overrides,
    }


@pytest.fixture(scope="session")
def store_settings(
    test_env: dict[str, str], store_sandbox: SandboxServer
) -> Callable[..., Settings]:
    """Settings of an in-process store with real keys on the store sandbox; overrides by name."""

    def build(**overrides: str) -> Settings:
        return load_settings(keyed_env(test_env, store_sandbox, **overrides))

    return build


@pytest.fixture(scope="session")
def store_env(
    test_env: dict[str, str], store_sandbox: SandboxServer
) -> Callable[..., dict[str, str]]:
    """The environment of a store process with real keys (on the store sandbox unless another
    is named), on a port of its own."""

    def build(sandbox: SandboxServer | None = None, **overrides: str) -> dict[str, str]:
        port = free_port()
        address = {"PUBLIC_URL": f"http://127.0.0.1:{port}", "PORT": str(port)}
        return keyed_env(test_env, sandbox or store_sandbox, **{**address, **overrides})

    return build


@pytest.fixture(scope="session")
async def stripe_store(store_settings: Callable[..., Settings]) -> AsyncIterator[Litestar]:
    """The store in this process with real keys (on the store sandbox)."""
    async with running(create_app(store_settings())) as app:
        yield app


@pytest.fixture
async def gateway(store_sandbox: SandboxServer) -> AsyncIterator[PaymentGateway]:
    """The real stripe library, as the store uses it, for looking at what Stripe holds."""
    gateway = PaymentGateway(
        GatewayConfig(store_sandbox.api_key, WEBHOOK_SECRET, store_sandbox.url)
    )
    yield gateway
    await gateway.close()


@dataclass
class Shopper:
    """One browser: its own cookies, visiting the store and paying on the hosted page."""

    http: httpx.AsyncClient
    sandbox: SandboxServer
    csrf: str = ""
    checkout_token: str = ""
    prices_seen: str = ""  # which prices the last cart shown carried, as a browser sends back

    async def open_shop(self) -> httpx.Response:
        page = await self.http.get("/")
        self.csrf = csrf_token(page.text)
        self.checkout_token = _token(page.text)
        if match := PRICES_SEEN.search(page.text):
            self.prices_seen = match.group(1)
        return page

    async def buy(
        self,
        quantities: dict[str, str],
        *,
        htmx: bool = True,
        token: str | None = None,
        **extra: str,
    ) -> httpx.Response:
        if not self.csrf:
            await self.open_shop()
        fields = {
            "_csrf_token": self.csrf,
            "checkout_token": self.checkout_token if token is None else token,
            **({"prices_seen": self.prices_seen} if self.prices_seen else {}),
            **{f"qty-{sku}": q for sku, q in quantities.items()},
            **extra,
        }
        response = await self.http.post("/checkout", data=fields, headers=HTMX if htmx else {})
        if match := TOKEN.search(response.text):
            self.checkout_token = match.group(1)  # a re-rendered cart carries a fresh token
        if match := PRICES_SEEN.search(response.text):
            self.prices_seen = match.group(1)
        return response

    async def start_checkout(self, quantities: dict[str, str]) -> str:
        """Open the shop, buy, and return the Checkout Session id the store sent the buyer to."""
        await self.open_shop()
        response = await self.buy(quantities)
        assert response.status_code == 200, response.text
        return session_id_of(response.headers["hx-redirect"])

    async def success(self, session_id: str) -> httpx.Response:
        return await self.http.get(f"/checkout/success?session_id={session_id}")

    async def cancel(self, session_id: str) -> httpx.Response:
        return await self.http.get(f"/checkout/cancel?session_id={session_id}")


def session_id_of(url: str) -> str:
    match = re.search(r"(cs_test_[A-Za-z0-9]+)", url)
    assert match, f"no session id in {url}"
    return match.group(1)


def _token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the cart carries no checkout token"
    return match.group(1)


@pytest.fixture
async def shopper(
    stripe_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> AsyncIterator[Shopper]:
    async with browser_like(stripe_store, settings.public_url) as http:
        yield Shopper(http, store_sandbox)


@pytest.fixture
async def other_shopper(
    stripe_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> AsyncIterator[Shopper]:
    async with browser_like(stripe_store, settings.public_url) as http:
        yield Shopper(http, store_sandbox)


async def pay(sandbox: SandboxServer, session_id: str, card: str = "4242 4242 4242 4242") -> str:
    """Pay on the hosted page like a buyer; returns where it redirected, or the page it showed."""
    async with httpx.AsyncClient() as buyer:
        response = await submit_card(buyer, f"{sandbox.url}/pay/{session_id}", card)
    return response.headers.get("location", response.text)


async def pay_later(sandbox: SandboxServer, session_id: str, outcome: str = "succeed") -> str:
    async with httpx.AsyncClient() as buyer:
        response = await submit_later(buyer, f"{sandbox.url}/pay/{session_id}", outcome=outcome)
    return response.headers.get("location", response.text)


async def webhook_for(
    receiver: Receiver, event_type: str, about: str, **fields: object
) -> tuple[bytes, str]:
    """The signed delivery the sandbox sent for an event whose object mentions `about` (and has
    `fields`), exactly as the store would have received it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for delivery in receiver.deliveries:
            event = json.loads(delivery.body)
            obj = event["data"]["object"]
            if (
                event["type"] == event_type
                and about in json.dumps(obj)
                and all(obj.get(k) == v for k, v in fields.items())
            ):
                return delivery.body, delivery.signature
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {event_type} webhook about {about} with {fields}")


async def deliver(http: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    return await http.post("/webhooks/stripe", content=body, headers=headers)


def sign(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def order_rows() -> list[dict[str, Any]]:
    return await Order.select().order_by(Order.id)


async def line_rows() -> list[dict[str, Any]]:
    return await OrderLine.select(
        OrderLine.sku, OrderLine.name, OrderLine.unit_price_cents, OrderLine.quantity
    ).order_by(OrderLine.id)


async def event_count() -> int:
    return await StripeEvent.count()


async def status_of(order_id: int) -> str:
    row = await Order.select(Order.status).where(Order.id == order_id).first()
    assert row is not None
    return str(row["status"])


@pytest.fixture
async def store_faults(
    store_sandbox: SandboxServer,
) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """Trouble at the store's Stripe (error_rate=1.0, latency_ms=800, …); cleared afterwards."""
    async with fault_control(store_sandbox) as set_faults:
        yield set_faults
