"""reconcile: lost webhooks, closed tabs and crashes end with Stripe's word applied, once."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from app.db import utcnow
from app.orders.reconcile import reconcile
from app.orders.tables import Order, OrderLine
from app.payments.gateway import PaymentGateway
from tests.support.checkout import Shopper, order_rows, pay, status_of, webhook_for
from tests.support.http import ROOT, LiveServer
from tests.support.stripe_sandbox import Receiver, SandboxServer, eventually, get_json


async def age(order_id: int, minutes: int = 10) -> None:
    """Make an order look as if nothing happened to it for a while."""
    then = utcnow() - timedelta(minutes=minutes)
    await Order.update({Order.updated_at: then, Order.created_at: then}).where(Order.id == order_id)


async def test_a_paid_order_whose_buyer_and_webhook_never_came_back_is_paid(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver, gateway: PaymentGateway
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    order_id = (await order_rows())[0]["id"]
    await pay(store_sandbox, session_id)  # the tab closes
    # Stripe delivered the webhook, but it never reached the store (the receiver took it).
    await webhook_for(receiver, "checkout.session.completed", session_id)
    await age(order_id)
    report = await reconcile(gateway)
    assert await status_of(order_id) == "paid"
    assert f"order {order_id}: pending -> paid" in report.changed
    assert report.checked == 1  # the one stale order there is


async def test_young_orders_are_left_to_their_buyers(
    shopper: Shopper, gateway: PaymentGateway
) -> None:
    await shopper.start_checkout({"mug-350": "1"})
    report = await reconcile(gateway)
    assert report.checked == 0 and report.abandoned == []
    assert await status_of((await order_rows())[0]["id"]) == "pending"


async def test_an_order_that_never_got_a_session_is_marked_failed(
    gateway: PaymentGateway,
) -> None:
    # What a crash between storing the order and creating its session leaves behind.
    order = Order(visitor_id="v" * 24, checkout_token="t" * 22, currency="usd",
                  subtotal_cents=1800, shipping_cents=490, total_cents=2290)  # fmt: skip
    await order.save()
    await OrderLine(order=order.id, sku="mug-350", name="Stoneware mug", unit_price_cents=1800,
                    quantity=1).save()  # fmt: skip
    young = await reconcile(gateway)
    assert order.id not in young.abandoned
    await age(order.id)
    report = await reconcile(gateway)
    assert report.abandoned == [order.id]
    assert await status_of(order.id) == "failed"


async def test_undelivered_events_are_replayed(
    shopper: Shopper, store_sandbox: SandboxServer, gateway: PaymentGateway, store_faults: Any
) -> None:
    await store_faults(drop_rate=1.0)  # every webhook is lost
    session_id = await shopper.start_checkout({"beans-250": "2"})
    order_id = (await order_rows())[0]["id"]
    await pay(store_sandbox, session_id)

    async def undelivered() -> bool:
        page = await get_json(store_sandbox, "/v1/events?delivery_success=false&limit=100")
        return any(e["data"]["object"].get("id") == session_id for e in page["data"])

    await eventually(undelivered)
    report = await reconcile(gateway)
    assert report.replayed >= 1
    assert await status_of(order_id) == "paid"


async def test_a_lost_session_id_is_found_again_from_its_event(
    shopper: Shopper, store_sandbox: SandboxServer, gateway: PaymentGateway, store_faults: Any
) -> None:
    """A crash after Stripe created the session but before the store saved its id."""
    await store_faults(drop_rate=1.0)
    session_id = await shopper.start_checkout({"mug-350": "2"})
    order_id = (await order_rows())[0]["id"]
    await Order.update({Order.stripe_session_id: None}).where(Order.id == order_id)
    await pay(store_sandbox, session_id)
    await age(order_id, minutes=2)  # too young to be called abandoned

    async def undelivered() -> bool:
        page = await get_json(store_sandbox, "/v1/events?delivery_success=false&limit=100")
        return any(e["data"]["object"].get("id") == session_id for e in page["data"])

    await eventually(undelivered)
    await reconcile(gateway)
    [order] = await order_rows()
    assert (order["stripe_session_id"], order["status"]) == (session_id, "paid")


async def test_reconciles_running_at_once_apply_each_change_once(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    gateway: PaymentGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.orders")
    session_id = await shopper.start_checkout({"mug-350": "1"})
    order_id = (await order_rows())[0]["id"]
    await pay(store_sandbox, session_id)
    await age(order_id)
    await asyncio.gather(*(reconcile(gateway) for _ in range(4)))
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("order ")] == [
        f"order {order_id} -> paid"
    ]


@pytest.mark.usefixtures("live_server")
def test_the_command_prints_what_it_did(live_server: LiveServer, test_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "litestar", "--app", "app.main:create_app", "reconcile"],
        cwd=ROOT,
        env=test_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "stale order(s)" in result.stdout and "undelivered event(s)" in result.stdout
