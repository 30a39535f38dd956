"""At most three open checkouts per visitor: a further Buy first closes the oldest at Stripe."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from app.orders.cancellation import MAX_OPEN_CHECKOUTS
from app.payments.gateway import PaymentGateway
from tests.support.checkout import Shopper, order_rows, pay, session_id_of
from tests.support.stripe_sandbox import SandboxServer


async def buy_from_a_fresh_page(shopper: Shopper, quantity: int = 1) -> str:
    """What a buyer does after going back: the page again, then Buy; returns the session id."""
    await shopper.open_shop()
    response = await shopper.buy({"mug-350": str(quantity)})
    assert response.status_code == 200, response.text
    return session_id_of(response.headers["hx-redirect"])


async def stripe_statuses(gateway: PaymentGateway, session_ids: list[str]) -> list[str]:
    return [(await gateway.retrieve_checkout_session(sid)).status for sid in session_ids]


async def test_ten_buys_leave_three_payable_sessions(
    shopper: Shopper, gateway: PaymentGateway
) -> None:
    sessions = [await buy_from_a_fresh_page(shopper, n % 3 + 1) for n in range(10)]
    assert len(set(sessions)) == 10  # every Buy, the 4th included, got its own session
    assert await stripe_statuses(gateway, sessions) == ["expired"] * 7 + ["open"] * 3
    assert [order["status"] for order in await order_rows()] == ["canceled"] * 7 + ["pending"] * 3


async def test_the_newest_checkout_can_always_be_paid(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    """A buyer who goes back and changes the cart again and again is never stuck."""
    for quantity in range(1, 6):
        session_id = await buy_from_a_fresh_page(shopper, quantity)
    await pay(store_sandbox, session_id)
    page = await shopper.success(session_id)
    assert "Thank you: payment received" in page.text
    assert [order["status"] for order in await order_rows()] == [
        "canceled",
        "canceled",
        "pending",
        "pending",
        "paid",
    ]


async def test_an_oldest_checkout_paid_meanwhile_is_recorded_as_paid_not_canceled(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    first = await buy_from_a_fresh_page(shopper)
    for _ in range(MAX_OPEN_CHECKOUTS - 1):
        await buy_from_a_fresh_page(shopper)
    await pay(store_sandbox, first)  # the buyer paid in another tab; no webhook has come yet
    await buy_from_a_fresh_page(shopper)
    orders = await order_rows()
    assert [order["status"] for order in orders] == ["paid"] + ["pending"] * 3


async def test_concurrent_buys_of_one_visitor_stay_within_the_limit(
    shopper: Shopper, gateway: PaymentGateway, store_faults: Any
) -> None:
    """The flood at once: every Buy is stored before any session exists."""
    tokens = []
    for _ in range(10):
        await shopper.open_shop()
        tokens.append(shopper.checkout_token)
    await store_faults(latency_ms=300)  # keep the Buys in flight together
    responses = await asyncio.gather(
        *(shopper.buy({"mug-350": "1"}, token=token) for token in tokens)
    )
    await store_faults()
    assert {response.status_code for response in responses} <= {200, 409}
    assert any(response.status_code == 200 for response in responses)
    orders = await order_rows()
    assert len(orders) == 10
    with_sessions = [o for o in orders if o["stripe_session_id"]]
    at_stripe = await stripe_statuses(gateway, [o["stripe_session_id"] for o in with_sessions])
    assert Counter(at_stripe)["open"] <= MAX_OPEN_CHECKOUTS
    for order, status in zip(with_sessions, at_stripe, strict=True):
        # Payable at Stripe exactly when the store still offers it.
        assert (status == "open") == (order["status"] == "pending"), (order, status)
    assert {o["status"] for o in orders} <= {"pending", "canceled"}
    assert sum(o["status"] == "pending" for o in orders) <= MAX_OPEN_CHECKOUTS


async def test_each_visitor_has_a_limit_of_their_own(
    shopper: Shopper, other_shopper: Shopper
) -> None:
    for _ in range(MAX_OPEN_CHECKOUTS):
        await buy_from_a_fresh_page(shopper)
    await buy_from_a_fresh_page(other_shopper)
    await buy_from_a_fresh_page(other_shopper)
    orders = await order_rows()
    assert [o["status"] for o in orders] == ["pending"] * (MAX_OPEN_CHECKOUTS + 2)
    assert len({o["visitor_id"] for o in orders}) == 2
