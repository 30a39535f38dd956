"""confirm_checkout through the success page: only Stripe's word moves an order, only forward."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.orders.tables import Order
from app.payments.gateway import PaymentGateway
from app.settings import Settings
from tests.support.checkout import (
    Shopper,
    deliver,
    order_rows,
    pay,
    pay_later,
    status_of,
    webhook_for,
)
from tests.support.http import browser_like
from tests.support.stripe_sandbox import Receiver, SandboxServer, backdate, eventually, settle_now


def transitions(caplog: pytest.LogCaptureFixture, order_id: int, status: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage() == f"order {order_id} -> {status}")


async def test_a_paid_session_makes_a_paid_order_once(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.orders")
    session_id = await shopper.start_checkout({"mug-350": "2"})
    [order] = await order_rows()
    success_url = f"{settings.public_url}/checkout/success?session_id={session_id}"
    assert await pay(store_sandbox, session_id) == success_url

    for _ in range(3):  # a reload, and another
        page = await shopper.success(session_id)
        assert page.status_code == 200
        assert "Thank you: payment received" in page.text
        assert f'data-order-id="{order["id"]}" data-status="paid"' in page.text
    [paid] = await order_rows()
    assert paid["status"] == "paid" and paid["paid_at"] is not None
    assert paid["payment_intent_id"].startswith("pi_")
    assert transitions(caplog, order["id"], "paid") == 1


async def test_before_paying_the_success_page_says_not_yet(shopper: Shopper) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    page = await shopper.success(session_id)
    assert "Waiting for the payment" in page.text
    assert (await order_rows())[0]["status"] == "pending"


async def test_the_receipt_alone_follows_the_order_for_its_own_visitor(
    shopper: Shopper, store_sandbox: SandboxServer, stripe_store: Litestar, settings: Settings
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    params, htmx = {"session_id": session_id}, {"HX-Request": "true"}
    waiting = await shopper.http.get("/checkout/receipt", params=params, headers=htmx)
    assert waiting.status_code == 200
    assert waiting.text.lstrip().startswith('<section id="receipt"') and "<html" not in waiting.text
    assert "Waiting for the payment" in waiting.text and "hx-trigger=" in waiting.text
    await pay(store_sandbox, session_id)
    await shopper.success(session_id)  # back from Stripe: the store confirms it
    paid = await shopper.http.get("/checkout/receipt", params=params, headers=htmx)
    assert "Thank you: payment received" in paid.text
    assert "hx-trigger=" not in paid.text  # settled: it stops re-fetching itself
    plain = await shopper.http.get("/checkout/receipt", params=params)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/checkout/success?session_id={session_id}"
    async with browser_like(stripe_store, settings.public_url) as stranger:
        other = await stranger.get("/checkout/receipt", params=params, headers=htmx)
        assert other.status_code == 404 and "Thank you" not in other.text


async def test_a_declined_card_leaves_the_order_awaiting_payment(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    answer = await pay(store_sandbox, session_id, card="4000 0000 0000 0002")
    assert "declined" in answer.lower()
    await shopper.success(session_id)
    assert (await order_rows())[0]["status"] == "pending"
    assert "/checkout/success" in await pay(
        store_sandbox, session_id
    )  # a good card after a bad one
    await shopper.success(session_id)
    assert (await order_rows())[0]["status"] == "paid"


@pytest.mark.parametrize(("outcome", "final"), [("succeed", "paid"), ("fail", "failed")])
async def test_a_delayed_payment_is_processing_until_it_settles(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver, outcome: str, final: str
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay_later(store_sandbox, session_id, outcome=outcome)
    page = await shopper.success(session_id)
    order_id = (await order_rows())[0]["id"]
    assert await status_of(order_id) == "processing"
    assert "Payment processing" in page.text

    await settle_now(store_sandbox, session_id)
    kind = "async_payment_succeeded" if outcome == "succeed" else "async_payment_failed"
    body, signature = await webhook_for(receiver, f"checkout.session.{kind}", session_id)
    assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert await status_of(order_id) == final


@pytest.mark.parametrize(
    ("change", "why"),
    [
        # One mug: 18.00 and 4.90 shipping, 22.90 charged.
        ({"total_cents": 1}, "Stripe charged $22.90 in all; the order is $0.01."),
        ({"currency": "eur"}, "Stripe charged in USD; the order is in EUR."),
        (
            {"subtotal_cents": 1700, "shipping_cents": 590},  # the same total, split otherwise
            "Stripe charged $18.00 for the products and $4.90 for shipping; "
            "the order is $17.00 for the products and $5.90 for shipping.",
        ),
    ],
    ids=["total", "currency", "products and shipping"],
)
async def test_a_payment_that_does_not_match_the_order_needs_review(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
    why: str,
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = await order_rows()
    await Order.update(change).where(Order.id == order["id"])  # type: ignore[arg-type]
    await pay(store_sandbox, session_id)
    page = await shopper.success(session_id)
    assert await status_of(order["id"]) == "needs_review"
    assert "We are checking this payment" in page.text
    assert (await order_rows())[0]["review_reason"] == why
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(str(order["id"]) in r.getMessage() and session_id in r.getMessage() for r in errors)


async def test_a_payment_for_a_closed_order_needs_review_not_paid(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = await order_rows()
    await Order.update({Order.status: "canceled"}).where(Order.id == order["id"])
    await pay(store_sandbox, session_id)
    await shopper.success(session_id)
    assert await status_of(order["id"]) == "needs_review"


async def test_an_expired_session_expires_the_order_and_stays_so(
    shopper: Shopper, store_sandbox: SandboxServer, gateway: PaymentGateway
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await backdate(store_sandbox, session_id)

    async def expired_at_stripe() -> bool:
        return (await gateway.retrieve_checkout_session(session_id)).status == "expired"

    await eventually(expired_at_stripe)
    page = await shopper.success(session_id)
    order_id = (await order_rows())[0]["id"]
    assert await status_of(order_id) == "expired"
    assert "Not paid" in page.text and "Nothing was charged" in page.text


async def test_a_malformed_session_id_is_a_400(shopper: Shopper) -> None:
    for bad in ["", "nope", "cs_test_", "cs_test_abc/../x", "cs_test_" + "a" * 300, "<script>"]:
        response = await shopper.http.get("/checkout/success", params={"session_id": bad})
        assert response.status_code == 400, bad
        assert "<html" in response.text


async def test_an_unknown_session_is_a_404_without_asking_stripe(
    shopper: Shopper, store_faults: Any
) -> None:
    await store_faults(
        error_rate=1.0
    )  # asking Stripe would end in the "could not reach" page instead
    response = await shopper.success("cs_test_" + "Z" * 58)
    assert response.status_code == 404


async def test_someone_elses_success_page_reveals_nothing_but_still_fulfils(
    shopper: Shopper, other_shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"dripper-v60": "1"})
    [order] = await order_rows()
    await pay(store_sandbox, session_id)
    page = await other_shopper.success(session_id)
    assert page.status_code == 200
    assert "Pour-over dripper" not in page.text and "$29.99" not in page.text
    assert f"#{order['id']}" not in page.text and "data-order-id" not in page.text
    assert await status_of(order["id"]) == "paid"


async def test_when_stripe_cannot_be_asked_the_page_says_so_and_changes_nothing(
    shopper: Shopper, store_sandbox: SandboxServer, store_faults: Any
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, session_id)
    await store_faults(error_rate=1.0)
    page = await shopper.success(session_id)
    assert page.status_code == 200
    assert "could not reach the payment service" in page.text
    assert (await order_rows())[0]["status"] == "pending"
    await store_faults()
    await shopper.success(session_id)
    assert (await order_rows())[0]["status"] == "paid"


async def test_success_page_is_not_cached(shopper: Shopper) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    response: httpx.Response = await shopper.success(session_id)
    assert response.headers["cache-control"] == "no-store"
