"""The owner ships a paid order: once, audited, on the packing slip and in the buyer's pages."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.db import utcnow
from app.orders.tables import Order
from app.owner.accounts import add_owner, remove_owner
from app.settings import Settings
from tests.reliability.ledger import balanced_ledger  # noqa: F401 - a fixture
from tests.support.checkout import Shopper, order_rows, pay
from tests.support.http import HTMX, browser_like, csrf_token, texts_of
from tests.support.owner import (
    OWNER_HTMX,
    OWNER_PASSWORD,
    OwnerBrowser,
    audit,
    money,
    order_row,
    orders_in,
    owner_browser,
    paid_order,
    panel,
    timeline,
    typed,
)
from tests.support.stripe_sandbox import DEFAULT_ADDRESS, SandboxServer, submit_card

pytestmark = pytest.mark.usefixtures("balanced_ledger")

CARRIER, TRACKING = "DHL Express", "JD014600006281234567"
ALREADY = "This order was already marked shipped."
REFUNDED = "This order was refunded in full: there is nothing to ship."
UNPRINTABLE = "The {} has characters that cannot be printed."


async def ship(
    browser: OwnerBrowser,
    order_id: int,
    carrier: str = CARRIER,
    tracking: str = TRACKING,
    *,
    htmx: bool = True,
) -> httpx.Response:
    """Open the order page (its CSRF token) and submit the ship form."""
    await browser.page(f"/owner/orders/{order_id}")
    fields = {"carrier": carrier, "tracking_number": tracking}
    return await browser.post(f"/owner/orders/{order_id}/ship", fields, htmx=htmx)


def errors(page: str) -> list[str]:
    return texts_of(page, "p", "field-error")


def fulfilment_of(row: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return row["fulfilment"], row["carrier"], row["tracking_number"]


async def session_of(order_id: int) -> str:
    return str((await order_row(order_id))["stripe_session_id"])


# --- shipping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
async def test_shipping_a_paid_order_records_who_when_and_how(
    owner: OwnerBrowser, shopper: Shopper, htmx: bool
) -> None:
    order_id = await paid_order(shopper)
    before = utcnow()
    response = await ship(owner, order_id, htmx=htmx)
    if htmx:
        assert response.status_code == 200, response.text
        assert "<html" not in response.text  # the panel alone, swapped in place
        assert panel(response.text)["fulfilment"] == "shipped"
        assert "Marked shipped." in response.text
        assert 'id="ship-form"' not in response.text
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/owner/orders/{order_id}"

    row = await order_row(order_id)
    assert fulfilment_of(row) == ("shipped", CARRIER, TRACKING)
    assert row["status"] == "paid"  # the payment's status is another matter
    assert before <= row["shipped_at"] <= utcnow()
    [entry] = await audit(order_id, "shipped")
    assert (entry["actor"], entry["detail"]) == ("alice", f"{CARRIER} {TRACKING}")

    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert (panel(page)["fulfilment"], panel(page)["status"]) == ("shipped", "paid")
    assert 'id="ship-form"' not in page and f'action="/owner/orders/{order_id}/ship"' not in page
    assert timeline(page, "owner") == [f"Shipped: {CARRIER} {TRACKING} by alice"]
    [shipped] = texts_of(page, "p", "shipped")
    assert shipped.endswith(f"with {CARRIER} · tracking number {TRACKING}")


async def test_carrier_and_tracking_number_are_optional(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    response = await ship(owner, order_id, carrier="  ", tracking="")
    assert response.status_code == 200, response.text
    assert fulfilment_of(await order_row(order_id)) == ("shipped", None, None)
    [entry] = await audit(order_id, "shipped")
    assert entry["detail"] == ""
    assert timeline(response.text, "owner") == ["Shipped by alice"]
    [shipped] = texts_of(response.text, "p", "shipped")
    assert "tracking" not in shipped and " with " not in shipped


async def test_the_longest_carrier_and_tracking_number_fit(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    carrier, tracking = "C" * 100, "9" * 100
    assert (await ship(owner, order_id, carrier, tracking)).status_code == 200
    assert fulfilment_of(await order_row(order_id)) == ("shipped", carrier, tracking)


async def test_two_owners_shipping_at_once_ship_once(
    owner: OwnerBrowser, bob: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    for browser in (owner, bob):
        await browser.page(f"/owner/orders/{order_id}")
    responses = await asyncio.gather(
        *(
            browser.post(
                f"/owner/orders/{order_id}/ship",
                {"carrier": name, "tracking_number": f"{name}-1"},
                htmx=True,
            )
            for browser, name in ((owner, "alice"), (bob, "bob"))
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    [loser] = [r for r in responses if r.status_code == 409]
    assert errors(loser.text) == [ALREADY]
    assert panel(loser.text)["fulfilment"] == "shipped"
    winner = "alice" if responses[0].status_code == 200 else "bob"
    [entry] = await audit(order_id, "shipped")
    assert (entry["actor"], entry["detail"]) == (winner, f"{winner} {winner}-1")
    assert fulfilment_of(await order_row(order_id)) == ("shipped", winner, f"{winner}-1")


async def test_shipping_again_is_refused_and_changes_nothing(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    assert (await ship(owner, order_id)).status_code == 200
    first = await order_row(order_id)
    for htmx in (True, False):
        again = await ship(owner, order_id, "UPS", "1Z999", htmx=htmx)
        assert again.status_code == 409
        assert errors(again.text) == [ALREADY]
        assert ("<html" in again.text) is not htmx  # a page without htmx, the panel with it
    assert await order_row(order_id) == first
    assert len(await audit(order_id, "shipped")) == 1


# --- shipping and refunds ------------------------------------------------------------------------


async def test_a_fully_refunded_order_cannot_be_shipped(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    paid = (await order_row(order_id))["paid_cents"]
    assert (await owner.refund(order_id, typed(paid))).status_code == 200
    assert (await order_row(order_id))["status"] == "refunded"
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert 'id="ship-form"' not in page

    response = await ship(owner, order_id)
    assert response.status_code == 409
    assert errors(response.text) == [REFUNDED]
    row = await order_row(order_id)
    assert (row["status"], *fulfilment_of(row), row["shipped_at"]) == (
        "refunded",
        "unfulfilled",
        None,
        None,
        None,
    )
    assert await audit(order_id, "shipped") == []


async def test_a_partially_refunded_order_still_ships(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    assert (await owner.refund(order_id, "5.00")).status_code == 200
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert panel(page)["status"] == "partially_refunded" and 'id="ship-form"' in page

    response = await ship(owner, order_id)
    assert response.status_code == 200, response.text
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"], row["fulfilment"]) == (
        "partially_refunded",
        500,
        "shipped",
    )


async def test_refunding_after_shipping_still_works(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id = await paid_order(shopper)
    paid = (await order_row(order_id))["paid_cents"]
    assert (await ship(owner, order_id)).status_code == 200
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert 'id="refund-form"' in page  # a parcel lost on the way is still refundable

    partial = await owner.refund(order_id, "5.00")
    assert partial.status_code == 200, partial.text
    assert panel(partial.text)["fulfilment"] == "shipped"
    rest = await owner.refund(order_id, typed(paid - 500))
    assert rest.status_code == 200, rest.text
    assert f"Refunded {money(paid - 500)}; {money(paid)} in all." in rest.text
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("refunded", paid)
    assert fulfilment_of(row) == ("shipped", CARRIER, TRACKING)
    actions = timeline(rest.text, "owner")
    assert actions[0] == f"Shipped: {CARRIER} {TRACKING} by alice"
    assert [a.split(":")[0] for a in actions[1:]] == ["Refunded", "Refunded"]


# --- what cannot be shipped, and bad input -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "carrier", "tracking", "message", "shown"),
    [
        ("carrier", "C" * 101, TRACKING, "Keep the carrier under 100 characters.", "C" * 101),
        (
            "tracking_number",
            CARRIER,
            "9" * 101,
            "Keep the tracking number under 100 characters.",
            "9" * 101,
        ),
        (
            "carrier",
            "D\x00HL",
            TRACKING,
            UNPRINTABLE.format("carrier"),
            "DHL",
        ),
        (
            "carrier",
            "DHL\x1b[31m",
            TRACKING,
            UNPRINTABLE.format("carrier"),
            "DHL[31m",
        ),
        (
            "tracking_number",
            CARRIER,
            "1Z\n999",
            UNPRINTABLE.format("tracking number"),
            "1Z999",
        ),
        (
            "tracking_number",
            CARRIER,
            "1Z\u202e999",  # right-to-left override: it would print the number backwards
            UNPRINTABLE.format("tracking number"),
            "1Z999",
        ),
    ],
    ids=["carrier too long", "tracking too long", "NUL", "escape", "newline", "bidi override"],
)
async def test_a_bad_carrier_or_tracking_number_is_said_beside_its_field(
    owner: OwnerBrowser,
    shopper: Shopper,
    field: str,
    carrier: str,
    tracking: str,
    message: str,
    shown: str,
) -> None:
    order_id = await paid_order(shopper)
    before = await order_row(order_id)
    other = "tracking_number" if field == "carrier" else "carrier"
    for htmx in (True, False):
        response = await ship(owner, order_id, carrier, tracking, htmx=htmx)
        assert response.status_code == 422, response.text
        page = response.text
        assert ("<html" in page) is not htmx
        beside = re.search(
            rf'<input id="{field}"[^>]*>\s*<p class="field-error" id="ship-error" role="alert">'
            r"([^<]*)</p>",
            page,
        )
        assert beside and html.unescape(beside.group(1)) == message
        bad_input = re.search(rf'<input id="{field}"[^>]*>', page)
        good_input = re.search(rf'<input id="{other}"[^>]*>', page)
        assert bad_input and good_input
        assert 'aria-invalid="true" aria-describedby="ship-error"' in bad_input.group(0)
        assert "aria-invalid" not in good_input.group(0)
        # What was typed is kept (less what cannot be printed), so it can be corrected.
        assert f'value="{html.escape(shown)}"' in bad_input.group(0)
        for control in ("\x00", "\x1b", "\u202e"):
            assert control not in page
        assert errors(page) == [message]
    assert await order_row(order_id) == before
    assert await audit(order_id, "shipped") == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("pending", "awaiting payment"),
        ("needs_review", "under review"),
        ("canceled", "canceled"),
    ],
)
async def test_an_order_that_is_not_paid_cannot_be_shipped(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, status: str, words: str
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    if status == "needs_review":
        await Order.update({Order.status: "canceled"}).where(Order.id == order["id"])
        await pay(store_sandbox, session_id)
        await shopper.success(session_id)  # paid after it was canceled: held for review
    elif status == "canceled":
        await shopper.cancel(session_id)
    before = await order_row(order["id"])
    assert before["status"] == status
    page = (await owner.page(f"/owner/orders/{order['id']}")).text
    assert 'id="ship-form"' not in page

    response = await ship(owner, order["id"])
    assert response.status_code == 409
    assert errors(response.text) == [f"Only paid orders can be shipped; this one is {words}."]
    assert await order_row(order["id"]) == before
    assert await audit(order["id"], "shipped") == []


async def test_an_order_that_does_not_exist_is_a_404(owner: OwnerBrowser) -> None:
    await owner.page("/owner/")
    response = await owner.post("/owner/orders/999999/ship", {"carrier": "DHL"}, htmx=True)
    assert response.status_code == 404
    assert (await owner.page("/owner/orders/999999/slip")).status_code == 404
    assert await audit(999999, "shipped") == []


async def test_without_a_session_nothing_is_shipped(
    stripe_store: Litestar, settings: Settings, owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    path = f"/owner/orders/{order_id}/ship"
    fields = {"carrier": CARRIER, "tracking_number": TRACKING}
    async with browser_like(stripe_store, settings.public_url) as stranger:
        token = csrf_token((await stranger.get("/owner/login")).text)
        plain = await stranger.post(path, data={**fields, "_csrf_token": token})
        assert plain.status_code == 303 and plain.headers["location"] == "/owner/login"
        htmx = await stranger.post(path, data={**fields, "_csrf_token": token}, headers=OWNER_HTMX)
        assert htmx.headers.get("hx-redirect") == "/owner/login"
        slip = await stranger.get(f"/owner/orders/{order_id}/slip")
        assert slip.status_code == 303 and slip.headers["location"] == "/owner/login"
        assert "Ada Lovelace" not in slip.text
        # A buyer's own cookies grant nothing here either.
        buyer = await shopper.http.post(path, data={**fields, "_csrf_token": shopper.csrf})
        assert (buyer.status_code, buyer.headers.get("location")) == (303, "/owner/login")
    # Signed in, but the form lacks its CSRF token (another site posting it, say).
    forged = await owner.http.post(path, data=fields)
    assert forged.status_code == 403
    assert fulfilment_of(await order_row(order_id)) == ("unfulfilled", None, None)
    assert await audit(order_id, "shipped") == []


# --- the dashboard's queue -----------------------------------------------------------------------


async def test_the_dashboard_lists_paid_unshipped_orders_oldest_first(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    # Placed first, paid last: the queue is in the order they were placed.
    first = await shopper.start_checkout({"mug-350": "1"})
    await shopper.open_shop()
    second = await paid_order(shopper, {"beans-250": "1"})
    await pay(store_sandbox, first)
    await shopper.success(first)
    first_id = int((await order_rows())[0]["id"])
    third = await paid_order(shopper, {"dripper-v60": "1"})
    partly = await paid_order(shopper, {"mug-350": "3"})
    assert (await owner.refund(partly, "1.00")).status_code == 200
    refunded = await paid_order(shopper, {"mug-350": "1"})
    assert (await owner.refund(refunded, typed(2290))).status_code == 200
    await shopper.open_shop()
    await shopper.start_checkout({"mug-350": "2"})  # pending: nothing to ship yet

    board = (await owner.page("/owner/")).text
    assert orders_in(board, "to-ship") == [first_id, second, third, partly]
    assert orders_in(board, "review-queue") == []

    assert (await ship(owner, second)).status_code == 200
    assert (await ship(owner, partly)).status_code == 200
    board = (await owner.page("/owner/")).text
    assert orders_in(board, "to-ship") == [first_id, third]
    # Shipped orders say so in the other lists.
    latest = re.search(rf'<tr id="latest-{second}" data-order-id="{second}".*?</tr>', board, re.S)
    assert latest and '<span class="status status-shipped">Shipped</span>' in latest.group(0)


async def test_the_queue_says_when_there_is_nothing_to_ship(owner: OwnerBrowser) -> None:
    board = (await owner.page("/owner/")).text
    assert orders_in(board, "to-ship") == []
    section = re.search(r'<section id="to-ship".*?</section>', board, re.S)
    assert section and "Paid and not yet sent" not in section.group(0)


# --- the packing slip ----------------------------------------------------------------------------


async def test_the_packing_slip_has_the_address_and_lines_and_no_prices(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper, {"mug-350": "2", "beans-250": "1"})
    slip = await owner.page(f"/owner/orders/{order_id}/slip")
    assert slip.status_code == 200
    page = slip.text
    section = re.search(r'<section class="packing-slip".*?</section>', page, re.S)
    assert section
    assert f'data-order-id="{order_id}"' in section.group(0)
    assert f"order #{order_id}" in section.group(0)
    address = re.search(r'<address class="ship-to">(.*?)</address>', page, re.S)
    assert address and [html.unescape(p) for p in address.group(1).split("<br>")] == [
        DEFAULT_ADDRESS["shippingName"],
        DEFAULT_ADDRESS["shippingAddressLine1"],
        DEFAULT_ADDRESS["shippingAddressLine2"],
        "Springfield, IL 62701",
        "US",
    ]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert sorted(rows) == [
        ("1", "House blend beans, 250 g", "beans-250"),
        ("2", "Stoneware mug", "mug-350"),
    ]
    # What it cost is no business of whoever opens the parcel.
    assert not re.search(r"\$\s?\d", page)
    assert "data-total-cents" not in page and "data-shipping-cents" not in page
    assert "Refund" not in page and "_csrf_token" not in page
    assert 'class="no-print"' in page  # the way back and the hint do not print


async def test_a_slip_without_an_address_says_so(owner: OwnerBrowser, shopper: Shopper) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    slip = (await owner.page(f"/owner/orders/{order['id']}/slip")).text
    assert "No address was given for this order." in slip
    assert '<address class="ship-to">' not in slip


# --- the buyer's side ----------------------------------------------------------------------------


def listed_order(page: str, order_id: int) -> str:
    """One order's item under My orders (up to the next order, or the list's end)."""
    start = page.find(f'<li class="order" id="order-{order_id}" data-order-id="{order_id}"')
    assert start >= 0, "the order is not listed under My orders"
    end = page.find('<li class="order" ', start + 1)
    return page[start : end if end >= 0 else page.index("</ol>", start)]


async def test_the_buyer_sees_shipped_and_the_tracking_number(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    session_id = await session_of(order_id)
    mine = (await shopper.http.get("/orders", headers=HTMX)).text
    assert "status-shipped" not in mine and 'class="shipped"' not in mine

    carrier, tracking = "Royal Mail & <i>Co</i>", "RM<script>1</script>GB"
    assert (await ship(owner, order_id, carrier, tracking)).status_code == 200
    shipped_on = (await order_row(order_id))["shipped_at"].strftime("%-d %b %Y")

    fragment = (await shopper.http.get("/orders", headers=HTMX)).text
    shop = (await shopper.http.get("/")).text
    receipt = (await shopper.success(session_id)).text
    for page in (fragment, shop, receipt):
        item = listed_order(page, order_id)
        assert '<span class="status status-shipped">Shipped</span>' in item
        assert texts_of(item, "p", "shipped") == [
            f"Shipped {shipped_on} with {carrier} · tracking number {tracking}"
        ]
        assert texts_of(item, "span", "tracking") == [tracking]
        assert "<i>Co</i>" not in page and "<script>1" not in page
        assert "RM&lt;script&gt;1&lt;/script&gt;GB" in page
    # The receipt's own summary says it too, above My orders.
    receipt_part = re.search(r'<section id="receipt" class="receipt".*?</section>', receipt, re.S)
    assert receipt_part and texts_of(receipt_part.group(0), "span", "tracking") == [tracking]


async def test_an_unshipped_order_says_nothing_of_shipping(shopper: Shopper) -> None:
    await paid_order(shopper)
    mine = (await shopper.http.get("/orders", headers=HTMX)).text
    assert "status-shipped" not in mine and "tracking number" not in mine
    assert 'data-fulfilment="unfulfilled"' in mine


# --- the queue's query ---------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Any]]]:
    """Every statement the store's tables send, as asyncpg gets it: the SQL and its arguments."""
    engine = Order._meta.db
    statements: list[tuple[str, list[Any]]] = []
    run = type(engine).run_querystring

    async def recorded(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        if self is engine:
            statements.append(querystring.compile_string(engine_type="postgres"))
        return await run(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(type(engine), "run_querystring", recorded)
    return statements


def literal(value: Any) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


async def to_ship_plan(owner: OwnerBrowser, sent: list[tuple[str, list[Any]]], waiting: int) -> str:
    """With 100,000 orders shipped and one waiting: PostgreSQL's generic plan of the queue."""
    then = utcnow() - timedelta(days=30)
    await Order.raw(
        """
        INSERT INTO shop_order (visitor_id, checkout_token, status, currency, subtotal_cents,
                                shipping_cents, total_cents, refunded_cents, created_at,
                                updated_at, fulfilment, shipped_at)
        SELECT 'bulk', 'shipped-' || n, 'paid', 'usd', 1800, 490, 2290, 0, {}, {}, 'shipped', {}
          FROM generate_series(1, 100000) AS n
        """,
        then,
        then,
        then,
    )
    await Order.raw("ANALYZE shop_order")
    sent.clear()
    board = (await owner.page("/owner/")).text
    assert orders_in(board, "to-ship") == [waiting]
    [(sql, args)] = [(q, a) for q, a in sent if re.search(r"WHERE.*fulfilment", q, re.S)]
    # asyncpg prepares what it is sent; after a few runs PostgreSQL may plan it generically,
    # without looking at the arguments: the queue must still be read through its index.
    execute = f"EXECUTE to_ship ({', '.join(map(literal, args))})" if args else "EXECUTE to_ship"
    async with Order._meta.db.transaction():
        await Order.raw("SET LOCAL plan_cache_mode = force_generic_plan")
        await Order.raw(f"PREPARE to_ship AS {sql}")
        rows = await Order.raw(f"EXPLAIN {execute}")
        await Order.raw("DEALLOCATE to_ship")
    return "\n".join(row["QUERY PLAN"] for row in rows)


async def test_the_queue_is_read_through_its_index_however_many_orders_are_shipped(
    owner: OwnerBrowser, shopper: Shopper, sent: list[tuple[str, list[Any]]], engine_name: str
) -> None:
    if engine_name != "postgres":
        pytest.skip("query plans are PostgreSQL's")
    waiting = await paid_order(shopper)
    try:
        plan = await to_ship_plan(owner, sent, waiting)
    finally:
        # Made-up orders Stripe never saw: gone before the ledger is kept.
        await Order.delete().where(Order.visitor_id == "bulk")
    assert "shop_order_to_ship" in plan and "Seq Scan" not in plan, plan


async def test_formatting_characters_in_the_address_show_as_codes_and_are_kept_as_given(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    # U+202E turns the rest of a line around, U+200B and U+FEFF hide, U+2066/U+2069 isolate.
    name, line1 = "\u202eevil Ada", "12\u200b Analytical\ufeff \u2066Row\u2069"
    session_id = await shopper.start_checkout({"mug-350": "1"})
    async with httpx.AsyncClient() as buyer:
        paid = await submit_card(
            buyer,
            f"{shopper.sandbox.url}/pay/{session_id}",
            "4242 4242 4242 4242",
            address={"shippingName": name, "shippingAddressLine1": line1},
        )
    assert paid.status_code == 303, paid.text
    await shopper.success(session_id)
    [order] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    # Stored as Stripe gave it: it is evidence of what the buyer typed.
    assert (order["ship_name"], order["ship_line1"]) == (name, line1)

    shown = ["[U+202E]evil Ada", "12[U+200B] Analytical[U+FEFF] [U+2066]Row[U+2069]"]
    slip = (await owner.page(f"/owner/orders/{order['id']}/slip")).text
    address = re.search(r'<address class="ship-to">(.*?)</address>', slip, re.S)
    assert address and [html.unescape(p) for p in address.group(1).split("<br>")][:2] == shown
    page = (await owner.page(f"/owner/orders/{order['id']}")).text
    [ship_to] = texts_of(page, "dd", "ship-to")
    assert ship_to.startswith(shown[0] + shown[1])  # (the <br> between them reads as nothing)
    for text in (slip, page):
        raw = {"\u202e", "\u200b", "\ufeff", "\u2066", "\u2069"} & set(text)
        assert not raw, [text[max(0, text.index(c) - 80) : text.index(c) + 20] for c in raw]
    csv = await owner.http.get("/owner/orders.csv")
    assert "[U+202E]evil Ada" in csv.text and "\u202e" not in csv.text


async def test_an_owner_removed_and_added_again_does_not_inherit_the_old_history(
    owner: OwnerBrowser, shopper: Shopper, stripe_store: Litestar, settings: Settings
) -> None:
    order_id = await paid_order(shopper)
    assert (await ship(owner, order_id)).status_code == 200
    [before] = await audit(order_id, "shipped")
    await remove_owner("alice")
    new_id = await add_owner("alice", OWNER_PASSWORD)
    assert before["actor_id"] != new_id  # the entry keeps the owner by id
    async with owner_browser(stripe_store, settings, signed_in=True) as new_alice:
        page = (await new_alice.page(f"/owner/orders/{order_id}")).text
    assert timeline(page, "owner") == [f"Shipped: {CARRIER} {TRACKING} by alice (a removed owner)"]
