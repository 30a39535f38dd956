"""My Orders: this browser's orders only, newest first, listening only while one is in flight."""

from __future__ import annotations

import re

import httpx

from app.orders.refunds import apply_refund
from app.visitor import COOKIE_NAME
from tests.support.checkout import Shopper, order_rows, pay
from tests.support.database import stored_order
from tests.support.http import HTMX, texts_of
from tests.support.stripe_sandbox import SandboxServer


def listed(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-order-id="(\d+)" data-status="([a-z_]+)"', html)


async def test_my_orders_lists_this_browsers_orders_newest_first(
    shopper: Shopper, other_shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    first = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, first)
    await shopper.success(first)
    await shopper.open_shop()
    await shopper.start_checkout({"beans-250": "2"})
    await other_shopper.start_checkout({"dripper-v60": "1"})
    mine, theirs = [row["id"] for row in await order_rows()][:2], (await order_rows())[2]["id"]

    fragment = await shopper.http.get("/orders", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="orders"')
    assert listed(fragment.text) == [(str(mine[1]), "pending"), (str(mine[0]), "paid")]
    assert "2 \u00d7 House blend beans, 250 g" in fragment.text and "$29.00" in fragment.text
    assert "Awaiting payment" in fragment.text and "Paid" in fragment.text
    assert str(theirs) not in [order_id for order_id, _ in listed(fragment.text)]
    assert "Pour-over dripper" not in fragment.text

    page = await shopper.http.get("/")
    assert listed(page.text) == listed(fragment.text)


async def test_it_listens_only_while_an_order_is_in_flight(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    empty = await shopper.http.get("/")
    assert "hx-sse:connect" not in empty.text and "hx-trigger" not in fragment_of(empty.text)
    session_id = await shopper.start_checkout({"mug-350": "1"})
    page = await shopper.http.get("/")
    assert re.search(r'hx-sse:connect="/orders/live\?since=\d+" hx-sse:close="settled"', page.text)
    listening = await shopper.http.get("/orders", headers=HTMX)
    assert (
        'hx-get="/orders" hx-trigger="orders-changed from:#live" hx-swap="outerMorph"'
        in listening.text
    )
    assert "every 3s" not in page.text  # a stream serves, so nothing polls
    await pay(store_sandbox, session_id)
    receipt = await shopper.success(session_id)
    assert "hx-sse:connect" not in receipt.text  # paid: nothing left to listen for
    settled = await shopper.http.get("/orders", headers=HTMX)
    assert listed(settled.text)[0][1] == "paid" and "hx-trigger" not in settled.text


def fragment_of(page: str) -> str:
    return page[page.index('<section id="orders"') :]


async def test_without_htmx_my_orders_is_the_shop_page(shopper: Shopper) -> None:
    response = await shopper.http.get("/orders")
    assert (response.status_code, response.headers["location"]) == (303, "/#orders")


async def test_an_order_paid_in_test_mode_says_so_wherever_it_is_shown(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    paid = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, paid)
    receipt = await shopper.success(paid)
    await shopper.open_shop()
    await shopper.start_checkout({"beans-250": "1"})  # not confirmed: Stripe has not spoken
    [paid_row, pending_row] = await order_rows()

    assert (paid_row["livemode"], pending_row["livemode"]) == (False, None)
    marks = texts_of(receipt.text, "span", "test-order")
    assert marks == ["Test order: nothing was charged"] * 2  # the receipt and My Orders
    fragment = await shopper.http.get("/orders", headers=HTMX)
    assert texts_of(fragment.text, "span", "test-order") == ["Test order: nothing was charged"]


async def test_a_settled_orders_change_shows_at_once(store_client: httpx.AsyncClient) -> None:
    """A settled order's row is rendered once per worker and kept (app/templating.py), keyed by
    everything it shows: the next page after any change shows the change."""
    await store_client.get("/")  # the visitor cookie
    visitor_id = store_client.cookies[COOKIE_NAME].partition(".")[0]
    mug = [("mug-350", "Stoneware mug", 1800, 1)]
    order_id = await stored_order("t-kept", mug, visitor_id=visitor_id, payment_intent_id="pi_kept")
    for _ in range(2):  # rendered, then served as kept
        page = (await store_client.get("/")).text
        assert listed(page) == [(str(order_id), "paid")] and "refunded" not in page

    assert await apply_refund(order_id, 500, fully=False)
    page = (await store_client.get("/")).text
    assert listed(page) == [(str(order_id), "partially_refunded")]
    assert "· refunded $5.00" in page
    assert await apply_refund(order_id, 700, fully=False)  # the same status, a new figure
    assert "· refunded $7.00" in (await store_client.get("/")).text
