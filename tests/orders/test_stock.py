"""Stock: held at Buy, released when a checkout ends unpaid, taken when paid, never oversold."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from app.catalog.service import forget_displayed_products
from app.catalog.tables import Product
from app.db import utcnow
from app.orders.lifecycle import take
from app.orders.tables import Order
from tests.support.checkout import (
    Shopper,
    deliver,
    order_rows,
    pay,
    pay_later,
    session_id_of,
    status_of,
    webhook_for,
)
from tests.support.http import HTMX
from tests.support.stripe_sandbox import Receiver, SandboxServer, backdate, get_json, settle_now


async def stock(sku: str = "mug-350") -> tuple[int | None, int]:
    row = await Product.select(Product.on_hand, Product.held).where(Product.sku == sku).first()
    assert row is not None
    return row["on_hand"], row["held"]


async def set_stock(on_hand: int | None, sku: str = "mug-350") -> None:
    await Product.update({Product.on_hand: on_hand}).where(Product.sku == sku)
    forget_displayed_products()


async def session_count(sandbox: SandboxServer) -> int:
    return len((await get_json(sandbox, "/v1/checkout/sessions?limit=100"))["data"])


async def test_buy_holds_the_quantity_and_a_buy_beyond_what_is_left_gets_the_cart_back(
    shopper: Shopper, other_shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await set_stock(3)
    await shopper.start_checkout({"mug-350": "2"})
    assert await stock() == (3, 2)

    await other_shopper.open_shop()
    sessions_before = await session_count(store_sandbox)
    response = await other_shopper.buy({"mug-350": "2", "beans-250": "1"})
    assert response.status_code == 409
    assert "Only 1 left." in response.text
    # The quantity is lowered to what is left; the other product's stays as it was.
    assert 'name="qty-mug-350" value="1"' in response.text
    assert 'name="qty-beans-250" value="1"' in response.text
    assert len(await order_rows()) == 1  # nothing stored ...
    assert await session_count(store_sandbox) == sessions_before  # ... nothing sent to Stripe
    assert await stock() == (3, 2)
    assert await stock("beans-250") == (None, 0)  # the refused Buy's other hold rolled back

    # The lowered cart buys what is left.
    again = await other_shopper.buy({"mug-350": "1", "beans-250": "1"})
    assert again.status_code == 200, again.text
    assert await stock() == (3, 3)


async def test_a_made_to_order_product_is_never_short(shopper: Shopper) -> None:
    await shopper.start_checkout({"mug-350": "99"})
    assert await stock() == (None, 99)


async def test_the_database_refuses_holding_more_than_is_on_hand() -> None:
    await set_stock(2)
    with pytest.raises(Exception, match=r"(?i)check|product_stock"):
        await Product.update({Product.held: 3}).where(Product.sku == "mug-350")
    with pytest.raises(Exception, match=r"(?i)check|product_stock"):
        await Product.update({Product.on_hand: -1}).where(Product.sku == "mug-350")
    assert await stock() == (2, 0)


async def test_paying_takes_the_hold_off_the_shelf(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await set_stock(5)
    session_id = await shopper.start_checkout({"mug-350": "2"})
    await pay(store_sandbox, session_id)
    await shopper.success(session_id)
    await shopper.success(session_id)  # a reload takes nothing more
    assert await stock() == (3, 0)


async def test_an_expired_checkout_releases_its_hold(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    await set_stock(5)
    session_id = await shopper.start_checkout({"mug-350": "2"})
    await backdate(store_sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.expired", session_id)
    for _ in range(2):  # a replay releases nothing twice
        assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert (await order_rows())[0]["status"] == "expired"
    assert await stock() == (5, 0)


async def test_canceling_at_stripe_releases_the_hold(shopper: Shopper) -> None:
    await set_stock(5)
    session_id = await shopper.start_checkout({"mug-350": "2"})
    page = await shopper.cancel(session_id)
    assert page.status_code == 200
    assert (await order_rows())[0]["status"] == "canceled"
    assert await stock() == (5, 0)


@pytest.mark.parametrize(("outcome", "after"), [("succeed", (3, 0)), ("fail", (5, 0))])
async def test_a_delayed_payment_keeps_its_hold_until_it_settles(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    outcome: str,
    after: tuple[int, int],
) -> None:
    await set_stock(5)
    session_id = await shopper.start_checkout({"mug-350": "2"})
    await pay_later(store_sandbox, session_id, outcome=outcome)
    await shopper.success(session_id)
    order_id = (await order_rows())[0]["id"]
    assert await status_of(order_id) == "processing"
    assert await stock() == (5, 2)

    await settle_now(store_sandbox, session_id)
    kind = "async_payment_succeeded" if outcome == "succeed" else "async_payment_failed"
    body, signature = await webhook_for(receiver, f"checkout.session.{kind}", session_id)
    assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert await stock() == after


async def test_a_late_payment_with_none_left_needs_review_with_the_reason(
    shopper: Shopper, other_shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await set_stock(1)
    late = await shopper.start_checkout({"mug-350": "1"})
    [order] = await order_rows()
    assert await take("cancel", order["id"])  # the store gave up on it: the hold goes back
    assert await stock() == (1, 0)
    await other_shopper.start_checkout({"mug-350": "1"})  # ... and someone else holds it
    assert await stock() == (1, 1)

    await pay(store_sandbox, late)  # Stripe still took the first payment
    await shopper.success(late)
    flagged = (await Order.select().where(Order.id == order["id"]).first()) or {}
    assert flagged["status"] == "needs_review"
    assert flagged["review_reason"] == (
        "Paid after the order was canceled. Oversold: 0 of Stoneware mug left."
    )
    assert await stock() == (1, 1)  # the other buyer's hold stands


async def test_a_late_payment_with_some_left_takes_it(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await set_stock(3)
    late = await shopper.start_checkout({"mug-350": "2"})
    [order] = await order_rows()
    assert await take("cancel", order["id"])
    await pay(store_sandbox, late)
    await shopper.success(late)
    flagged = (await Order.select().where(Order.id == order["id"]).first()) or {}
    assert flagged["status"] == "needs_review"
    assert flagged["review_reason"] == "Paid after the order was canceled."
    assert await stock() == (1, 0)


async def test_a_price_changed_after_the_page_gets_the_cart_back_re_priced(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await shopper.open_shop()  # the page shows $18.00 a mug
    await Product.update({Product.price_cents: 2000, Product.price_changed_at: utcnow()}).where(
        Product.sku == "mug-350"
    )
    sessions_before = await session_count(store_sandbox)
    response = await shopper.buy({"mug-350": "1"})
    assert response.status_code == 409
    assert "Prices changed: please check the new total." in response.text
    assert "$20.00" in response.text  # the new price, read now rather than from the display
    assert await order_rows() == []
    assert await session_count(store_sandbox) == sessions_before

    # The re-priced cart is a page the buyer saw: its Buy goes through at the new price.
    response = await shopper.buy({"mug-350": "1"})
    assert response.status_code == 200, response.text
    [order] = await order_rows()
    assert order["subtotal_cents"] == 2000
    assert session_id_of(response.headers["hx-redirect"]) == order["stripe_session_id"]


async def test_the_cart_refuses_more_than_is_left_beside_the_field(
    shopper: Shopper,
) -> None:
    await set_stock(2)
    await shopper.open_shop()
    response = await shopper.http.post(
        "/cart", data={"_csrf_token": shopper.csrf, "qty-mug-350": "3"}, headers=HTMX
    )
    assert response.status_code == 422
    assert 'id="qty-mug-350-error">Only 2 left.</p>' in response.text
    assert 'name="qty-mug-350" value="3"' in response.text  # what was typed is kept
    step = await shopper.http.post(
        "/cart",
        data={"_csrf_token": shopper.csrf, "qty-mug-350": "2", "op": "inc:mug-350"},
        headers=HTMX,
    )
    assert step.status_code == 422 and "Only 2 left." in step.text


async def test_the_shop_says_sold_out_and_only_n_left(shopper: Shopper) -> None:
    await set_stock(0)
    await set_stock(3, "beans-250")
    page = (await shopper.open_shop()).text
    assert '<p class="stock sold-out" id="stock-mug-350">Sold out</p>' in page
    assert '<p class="stock few-left" id="stock-beans-250">Only 3 left</p>' in page
    mug = page.split('id="qty-mug-350"', 1)[1].split(">", 1)[0]
    assert "disabled" in mug
    [more] = re.findall(r'<button[^>]*aria-label="One more: Stoneware mug"[^>]*>', page)
    assert re.search(r"\sdisabled[\s>]", more), more
    beans = page.split('id="qty-beans-250"', 1)[1].split(">", 1)[0]
    assert 'data-max="3"' in beans and "disabled" not in beans
    assert "stock-dripper-v60" not in page  # made to order: nothing to say

    response = await shopper.buy({"mug-350": "1"})
    assert response.status_code == 409 and "Sold out." in response.text
    assert await order_rows() == []


async def test_a_buy_stripe_could_not_open_gives_its_hold_back(
    shopper: Shopper, store_faults: Callable[..., Awaitable[None]]
) -> None:
    await set_stock(2)
    await shopper.open_shop()
    await store_faults(error_rate=1.0)
    response = await shopper.buy({"mug-350": "2"})
    assert response.status_code == 503
    assert (await order_rows())[0]["status"] == "failed"  # the give_up arrow
    assert await stock() == (2, 0)
