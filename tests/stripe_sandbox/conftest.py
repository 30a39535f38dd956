"""Sandbox-only fixtures: a real StripeClient on the standalone sandbox, and session parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.support.stripe_sandbox import Receiver, SandboxServer, make_client


@pytest.fixture(scope="session")
def stripe_client(sandbox: SandboxServer) -> Any:
    """The store's way to Stripe: stripe-python's StripeClient over HTTP."""
    return make_client(sandbox.url)


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client for the hosted page: its own cookies, no redirects followed."""
    async with httpx.AsyncClient(base_url=sandbox.url, follow_redirects=False) as browser:
        yield browser


def line_items(*prices: tuple[str, int, int]) -> list[dict[str, Any]]:
    return [
        {
            "price_data": {
                "currency": "usd",
                "unit_amount": amount,
                "product_data": {"name": name},
            },
            "quantity": quantity,
        }
        for name, amount, quantity in prices
    ]


def shipping_rate_data(amount: int = 490, name: str = "Standard shipping") -> dict[str, Any]:
    """A rate as the store sends it: fixed, in dollars, 2 to 5 business days."""
    return {
        "shipping_rate_data": {
            "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": "usd"},
            "display_name": name,
            "delivery_estimate": {
                "minimum": {"unit": "business_day", "value": 2},
                "maximum": {"unit": "business_day", "value": 5},
            },
        }
    }


def shipping(amount: int = 490, name: str = "Standard shipping") -> dict[str, Any]:
    """The store's shipping parameters: the US and Canada, one rate."""
    return {
        "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
        "shipping_options": [shipping_rate_data(amount, name)],
    }


def session_params(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {
        "mode": "payment",
        "line_items": line_items(("House blend beans, 250 g", 1450, 2), ("Stoneware mug", 1800, 1)),
        "success_url": f"{receiver.url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{receiver.url}/checkout/cancel",
        "client_reference_id": "order-42",
        "metadata": {"order_id": "42"},
        **overrides,
    }


@pytest.fixture
def new_session(stripe_client: Any, receiver: Receiver) -> Callable[..., Awaitable[Any]]:
    async def create(**overrides: Any) -> Any:
        return await stripe_client.v1.checkout.sessions.create_async(
            session_params(receiver, **overrides)
        )

    return create


async def events_for(stripe_client: Any, session_id: str, event_type: str) -> list[Any]:
    page = await stripe_client.v1.events.list_async({"type": event_type, "limit": 100})
    return [event for event in page.data if event.data.object.id == session_id]
