"""reconcile in bounded batches: a cap on Stripe calls per run, least recently asked first."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from app.catalog.shipping import STANDARD
from app.db import utcnow
from app.orders.reconcile import reconcile
from app.orders.tables import Order
from app.payments.gateway import (
    CheckoutSession,
    GatewayConfig,
    LineItem,
    PaymentGateway,
    ShippingOffer,
)
from tests.support.stripe_sandbox import WEBHOOK_SECRET, SandboxServer

STANDARD_OFFER = ShippingOffer(
    STANDARD.name, STANDARD.amount_cents, STANDARD.min_business_days, STANDARD.max_business_days
)


class CountingGateway(PaymentGateway):
    """The store's gateway, counting the sessions it asks Stripe about."""

    def __init__(self, config: GatewayConfig) -> None:
        super().__init__(config)
        self.asked: list[str] = []

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        self.asked.append(session_id)
        return await super().retrieve_checkout_session(session_id)


@pytest.fixture
async def counting(store_sandbox: SandboxServer) -> AsyncIterator[CountingGateway]:
    gateway = CountingGateway(
        GatewayConfig(store_sandbox.api_key, WEBHOOK_SECRET, store_sandbox.url)
    )
    yield gateway
    await gateway.close()


async def stale_orders(gateway: PaymentGateway, count: int) -> list[str]:
    """`count` pending orders, each with an open session, untouched for ten minutes or more:
    the later one was stored, the longer ago it was touched."""

    async def session(n: int) -> str:
        opened = await gateway.create_checkout_session(
            order_id=100_000 + n, order_token=f"stale-{n}",
            lines=[LineItem("Stoneware mug", 1800, 1)], currency="usd",
            success_url="http://127.0.0.1/s", cancel_url="http://127.0.0.1/c",
            expires_at=int(time.time()) + 1900, idempotency_key=f"stale-{n}-{secrets.token_hex(4)}",
            shipping=STANDARD_OFFER, ship_to=("US", "CA"),
        )  # fmt: skip
        return opened.id

    sessions = []
    for start in range(0, count, 25):
        sessions += await asyncio.gather(
            *(session(n) for n in range(start, min(count, start + 25)))
        )
    then = utcnow() - timedelta(minutes=10)
    await Order.insert(
        *(
            Order(
                visitor_id=f"visitor-{n}",
                checkout_token=f"stale-{n}",
                currency="usd",
                subtotal_cents=1800,
                shipping_cents=STANDARD_OFFER.amount,
                total_cents=1800 + STANDARD_OFFER.amount,
                stripe_session_id=sid,
                created_at=then,
                updated_at=then - timedelta(seconds=n),
            )
            for n, sid in enumerate(sessions)
        )
    )
    return sessions


async def test_a_run_asks_stripe_about_a_bounded_batch_oldest_first(
    counting: CountingGateway,
) -> None:
    """The reported load: every run asked about every stale order (here 250, at 25 calls/s)."""
    sessions = await stale_orders(counting, 250)
    reports = []
    for _ in range(3):
        reports.append(await reconcile(counting, max_checks=100))
    asked = [sid for sid in counting.asked if sid in set(sessions)]
    assert [report.checked for report in reports] == [100, 100, 50]
    assert sorted(asked) == sorted(sessions)  # three runs cover every order, each once
    assert asked[:100] == sessions[::-1][:100]  # the longest untouched first
    assert "left 150 stale order(s) for the next run: at most 100 are asked about per run" in (
        reports[0].lines()
    )
    assert not any(line.startswith("left") for line in reports[2].lines())


async def test_a_run_right_after_another_does_not_ask_again(counting: CountingGateway) -> None:
    sessions = await stale_orders(counting, 5)
    first = await reconcile(counting)
    second = await reconcile(counting)
    assert (first.checked, second.checked) == (5, 0)
    assert sorted(counting.asked) == sorted(sessions)
    # Once the remembered ask is as old as a stale order, the order is asked about again.
    await Order.update({Order.checked_at: utcnow() - timedelta(minutes=6)}, force=True)
    assert (await reconcile(counting)).checked == 5
