"""Races: the success page and the webhook at once, many times over, move an order once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.support.checkout import Shopper, deliver, order_rows, pay, webhook_for
from tests.support.stripe_sandbox import Receiver, SandboxServer


async def test_twenty_success_pages_and_the_webhook_at_once_pay_the_order_once(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.orders")
    session_id = await shopper.start_checkout({"mug-350": "1", "beans-250": "1"})
    order_id = (await order_rows())[0]["id"]
    await pay(store_sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)

    pages = [shopper.success(session_id) for _ in range(20)]
    hooks = [deliver(shopper.http, body, signature) for _ in range(3)]
    responses = await asyncio.gather(*pages, *hooks)

    assert all(r.status_code == 200 for r in responses)
    assert all("Thank you: payment received" in r.text for r in responses[:20])
    outcomes = sorted(r.json()["outcome"] for r in responses[20:])
    assert outcomes == ["applied", "duplicate", "duplicate"]
    moves = [r.getMessage() for r in caplog.records if r.getMessage().startswith("order ")]
    assert moves == [f"order {order_id} -> paid"]
    [order] = await order_rows()
    assert order["status"] == "paid"
