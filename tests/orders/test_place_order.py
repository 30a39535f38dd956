"""POST /checkout: the order is stored first, then exactly one Checkout Session is opened for it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from app.catalog.tables import Product
from app.orders.tables import Order
from app.payments.gateway import PaymentGateway
from tests.support.checkout import (
    Shopper,
    line_rows,
    order_rows,
    pay,
    session_id_of,
    status_of,
)
from tests.support.http import texts_of
from tests.support.stripe_sandbox import SandboxServer, get_json


async def test_buy_stores_the_order_then_sends_the_buyer_to_stripe(
    shopper: Shopper, gateway: PaymentGateway
) -> None:
    response = await shopper.buy({"beans-250": "2", "dripper-v60": "1"})
    assert response.status_code == 200
    url = response.headers["hx-redirect"]
    [order] = await order_rows()
    assert order["status"] == "pending"
    # 58.99 of products: over the free-shipping threshold, so Stripe is asked for the products.
    assert (order["subtotal_cents"], order["shipping_cents"]) == (2 * 1450 + 2999, 0)
    assert (order["total_cents"], order["currency"]) == (2 * 1450 + 2999, "usd")
    assert order["stripe_session_url"] == url
    assert await line_rows() == [
        {
            "sku": "beans-250",
            "name": "House blend beans, 250 g",
            "unit_price_cents": 1450,
            "quantity": 2,
        },
        {
            "sku": "dripper-v60",
            "name": "Pour-over dripper",
            "unit_price_cents": 2999,
            "quantity": 1,
        },
    ]

    session = await gateway.retrieve_checkout_session(session_id_of(url))
    assert session.id == order["stripe_session_id"]
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5899, "usd")
    assert (session.amount_subtotal, session.amount_shipping) == (5899, 0)
    assert session.client_reference_id == str(order["id"])
    assert session.metadata == {
        "order_id": str(order["id"]),
        "checkout_token": order["checkout_token"],
    }


async def test_the_session_asks_for_the_right_things(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "3"})
    [order] = await order_rows()
    session = await _raw_session(store_sandbox, session_id)
    assert session["mode"] == "payment"
    assert session["success_url"].endswith("/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert session["cancel_url"].endswith("/checkout/cancel?session_id={CHECKOUT_SESSION_ID}")
    assert 30 * 60 <= session["expires_at"] - time.time() <= 31 * 60
    [item] = session["line_items"]["data"]
    assert (item["quantity"], item["amount_total"], item["description"]) == (
        3,
        5400,
        "Stoneware mug",
    )
    assert session["metadata"]["order_id"] == str(order["id"])


async def test_a_plain_form_buy_is_a_303_to_the_session(shopper: Shopper) -> None:
    response = await shopper.buy({"mug-350": "1"}, htmx=False)
    assert response.status_code == 303
    [order] = await order_rows()
    assert response.headers["location"] == order["stripe_session_url"]


async def test_prices_come_from_the_database_at_purchase(
    shopper: Shopper, gateway: PaymentGateway
) -> None:
    await shopper.open_shop()
    await Product.update({Product.price_cents: 1999}).where(Product.sku == "mug-350")
    session_id = session_id_of(
        (await shopper.buy({"mug-350": "2"}, price_cents="1", total="1", status="paid")).headers[
            "hx-redirect"
        ]
    )
    [order] = await order_rows()
    # 2 x 19.99 = 39.98 of products, a cent under free shipping: the flat 4.90 on top.
    assert (order["subtotal_cents"], order["shipping_cents"]) == (3998, 490)
    assert (order["total_cents"], order["status"]) == (4488, "pending")
    session = await gateway.retrieve_checkout_session(session_id)
    assert (session.amount_subtotal, session.amount_shipping, session.amount_total) == (
        3998,
        490,
        4488,
    )


@pytest.mark.parametrize(
    "quantities",
    [
        {},
        {"mug-350": "0"},
        {"mug-350": "-1"},
        {"mug-350": "100"},
        {"mug-350": "1e3"},
        {"gold": "1"},
    ],
)
async def test_a_bad_or_empty_cart_stores_nothing_and_never_asks_stripe(
    shopper: Shopper, store_faults: Any, quantities: dict[str, str]
) -> None:
    # Were Stripe asked, every call would fail with a 500 and the answer would be a 503.
    await store_faults(error_rate=1.0)
    response = await shopper.buy(quantities)
    assert response.status_code == 422
    assert 'id="cart"' in response.text
    assert await order_rows() == []


async def test_an_empty_cart_is_refused_in_words(shopper: Shopper) -> None:
    response = await shopper.buy({"mug-350": "0"})
    assert texts_of(response.text, "div", "notice") == [
        "Your cart is empty: choose at least one product."
    ]


async def test_a_resubmitted_form_goes_to_the_same_session(shopper: Shopper) -> None:
    await shopper.open_shop()
    token = shopper.checkout_token
    first = await shopper.buy({"mug-350": "1"}, token=token)
    again = await shopper.buy({"mug-350": "1"}, token=token)
    plain = await shopper.buy({"mug-350": "1"}, token=token, htmx=False)
    assert first.headers["hx-redirect"] == again.headers["hx-redirect"] == plain.headers["location"]
    assert len(await order_rows()) == 1


async def test_someone_elses_token_opens_nothing(shopper: Shopper, other_shopper: Shopper) -> None:
    await shopper.start_checkout({"mug-350": "1"})
    [order] = await order_rows()
    response = await other_shopper.buy({"mug-350": "5"}, token=order["checkout_token"])
    assert response.status_code == 409
    assert order["stripe_session_url"] not in response.text
    assert len(await order_rows()) == 1


async def test_a_paid_form_submitted_again_says_it_is_paid(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    token = shopper.checkout_token
    await pay(store_sandbox, session_id)
    await shopper.success(session_id)
    again = await shopper.buy({"mug-350": "1"}, token=token)
    assert again.headers["hx-redirect"] == f"/checkout/success?session_id={session_id}"
    assert len(await order_rows()) == 1


@pytest.mark.parametrize("fault", [{"error_rate": 1.0}, {"timeout_rate": 1.0}])
async def test_when_stripe_fails_the_buyer_is_told_and_can_try_again(
    shopper: Shopper, store_faults: Any, fault: dict[str, float]
) -> None:
    await store_faults(**fault, hang_seconds=5.0)
    failed = await shopper.buy({"mug-350": "2"})
    assert failed.status_code == 503
    [notice] = texts_of(failed.text, "div", "notice")
    assert "unavailable" in notice and "Nothing was charged" in notice and "try again" in notice
    assert "Traceback" not in failed.text and '"error"' not in failed.text
    assert 'name="qty-mug-350" value="2"' in failed.text  # the cart is kept
    [order] = await order_rows()
    assert order["status"] == "failed" and order["stripe_session_id"] is None

    await store_faults()
    retried = await shopper.buy({"mug-350": "2"})  # the re-rendered cart's fresh token
    assert retried.status_code == 200 and "hx-redirect" in retried.headers
    assert [row["status"] for row in await order_rows()] == ["failed", "pending"]


async def test_a_slow_stripe_still_completes(shopper: Shopper, store_faults: Any) -> None:
    await store_faults(latency_ms=800)
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = await order_rows()
    assert order["stripe_session_id"] == session_id
    assert await status_of(order["id"]) == "pending"


async def test_ten_concurrent_submits_of_one_form_make_one_order_and_one_session(
    shopper: Shopper, store_sandbox: SandboxServer, store_faults: Any
) -> None:
    newest_before = (await get_json(store_sandbox, "/v1/checkout/sessions?limit=1"))["data"]
    await shopper.open_shop()
    await store_faults(latency_ms=300)  # keep the first request in flight while the others arrive
    responses = await asyncio.gather(*(shopper.buy({"mug-350": "1"}) for _ in range(10)))
    urls = {response.headers.get("hx-redirect") for response in responses}
    assert len(urls) == 1 and None not in urls
    assert await Order.count() == 1
    order_id = (await order_rows())[0]["id"]
    after = f"&ending_before={newest_before[0]['id']}" if newest_before else ""
    opened = (await get_json(store_sandbox, f"/v1/checkout/sessions?limit=100{after}"))["data"]
    assert [s["metadata"]["order_id"] for s in opened] == [str(order_id)]


async def _raw_session(store_sandbox: SandboxServer, session_id: str) -> dict[str, Any]:
    session: dict[str, Any] = await get_json(
        store_sandbox, f"/v1/checkout/sessions/{session_id}?expand[]=line_items"
    )
    return session
