"""The payments gateway: Stripe's objects turned into plain values, over the real stripe library."""

from __future__ import annotations

import secrets
import time

from app.payments.gateway import LineItem, PaymentGateway, session_from
from tests.support.stripe_sandbox import SandboxServer


def test_a_session_as_an_event_carries_it_becomes_plain_values() -> None:
    session = session_from(
        {
            "id": "cs_test_a1",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 2900,
            "currency": "usd",
            "payment_intent": {"id": "pi_123", "object": "payment_intent"},
            "metadata": {"order_id": "7"},
            "livemode": True,
        }
    )
    assert (session.payment_intent, session.metadata["order_id"]) == ("pi_123", "7")
    assert session.livemode is True
    assert session_from({"id": "cs_test_a2"}).livemode is False  # no word is no live payment


async def test_a_created_session_round_trips_through_stripe(
    gateway: PaymentGateway, store_sandbox: SandboxServer
) -> None:
    created = await gateway.create_checkout_session(
        order_id=41,
        order_token="token-for-the-gateway-test",
        lines=[LineItem("Stoneware mug", 1800, 2)],
        currency="usd",
        success_url="http://127.0.0.1:9/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/checkout/cancel",
        expires_at=int(time.time()) + 3600,
        idempotency_key=f"gateway-test-{secrets.token_hex(8)}",
    )
    fetched = await gateway.retrieve_checkout_session(created.id)

    assert created.url and created.url.startswith(store_sandbox.url)
    assert (fetched.id, fetched.status, fetched.payment_status) == (created.id, "open", "unpaid")
    assert (fetched.amount_total, fetched.currency, fetched.livemode) == (3600, "usd", False)
    assert fetched.metadata == {"order_id": "41", "checkout_token": "token-for-the-gateway-test"}
