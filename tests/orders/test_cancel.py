"""GET /checkout/cancel: the session is closed at Stripe first; a paid order is never canceled."""

from __future__ import annotations

from typing import Any

import httpx

from app.payments.gateway import PaymentGateway
from tests.support.checkout import Shopper, order_rows, pay, status_of
from tests.support.http import texts_of
from tests.support.stripe_sandbox import SandboxServer


async def test_cancel_closes_the_session_and_brings_the_cart_back(
    shopper: Shopper, gateway: PaymentGateway
) -> None:
    session_id = await shopper.start_checkout({"beans-250": "3", "dripper-v60": "1"})
    page = await shopper.cancel(session_id)
    assert page.status_code == 200
    assert texts_of(page.text, "div", "notice") == [
        "Payment canceled: nothing was charged. Your cart is as you left it."
    ]
    assert 'name="qty-beans-250" value="3"' in page.text
    assert 'name="qty-dripper-v60" value="1"' in page.text
    assert 'data-total-cents="7349"' in page.text
    [order] = await order_rows()
    assert order["status"] == "canceled"
    assert f'data-order-id="{order["id"]}" data-status="canceled"' in page.text
    assert (await gateway.retrieve_checkout_session(session_id)).status == "expired"
    assert (await shopper.cancel(session_id)).status_code == 200  # again: nothing new happens
    assert await status_of(order["id"]) == "canceled"


async def test_a_paid_order_is_never_canceled(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, session_id)
    response = await shopper.cancel(session_id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/checkout/success?session_id={session_id}"
    assert (await order_rows())[0]["status"] == "paid"


async def test_a_canceled_session_cannot_be_paid(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await shopper.cancel(session_id)
    async with httpx.AsyncClient() as buyer:
        page = await buyer.get(f"{store_sandbox.url}/pay/{session_id}")
    assert "This checkout session has expired" in page.text
    assert 'name="cardNumber"' not in page.text
    assert (await order_rows())[0]["status"] == "canceled"


async def test_someone_elses_or_an_unknown_session_is_not_found(
    shopper: Shopper, other_shopper: Shopper
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    assert (await other_shopper.cancel(session_id)).status_code == 404
    assert (await shopper.cancel("cs_test_" + "Q" * 58)).status_code == 404
    assert (await shopper.cancel("not-a-session")).status_code == 400
    assert (await order_rows())[0]["status"] == "pending"


async def test_when_stripe_cannot_be_reached_nothing_is_canceled(
    shopper: Shopper, store_faults: Any
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await store_faults(error_rate=1.0)
    response = await shopper.cancel(session_id)
    assert response.status_code == 503
    assert "could not cancel just now" in response.text
    assert (await order_rows())[0]["status"] == "pending"
