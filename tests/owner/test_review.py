"""Orders held for review: why, shown to the owner; accepted once, with a note, or refunded."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.orders.tables import Order, OrderChange
from tests.reliability.ledger import balanced_ledger  # noqa: F401 - a fixture
from tests.support.checkout import Shopper, deliver, order_rows, pay, status_of, webhook_for
from tests.support.http import texts_of
from tests.support.owner import (
    OwnerBrowser,
    at_stripe,
    audit,
    beside,
    money,
    order_row,
    orders_in,
    paid_order,
    panel,
    refund_form,
    submit,
    timeline,
    typed,
)
from tests.support.stripe_sandbox import (
    Receiver,
    SandboxServer,
    get_json,
    refund,
    submit_card,
)

pytestmark = pytest.mark.usefixtures("balanced_ledger")

# One mug: Stripe charged 18.00 and 4.90 shipping; the order was changed to 0.01 and free.
MISMATCH = (
    "Stripe charged {charged} in all, $18.00 for the products and $4.90 for shipping; "
    "the order is $0.01 in all, $0.01 for the products and $0.00 for shipping."
)
LATE = "Paid after the order was canceled."
# The mismatch keeps the order's own figures consistent (products + shipping = total).
FLAGS = {
    "mismatch": {Order.subtotal_cents: 1, Order.shipping_cents: 0, Order.total_cents: 1},
    "late": {Order.status: "canceled"},
}
BUYER = "grace.hopper@example.org"


async def flagged_order(shopper: Shopper, sandbox: SandboxServer, flag: str) -> tuple[int, int]:
    """An order of one mug that Stripe was paid for but that the store holds for review: its
    total changed before paying ("mismatch"), or it was canceled before paying ("late").
    Its id, and what Stripe charged (the session's amount, as the sandbox holds it)."""
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    await Order.update(FLAGS[flag]).where(Order.id == order["id"])  # type: ignore[arg-type]
    await pay(sandbox, session_id)
    await shopper.success(session_id)
    assert await status_of(order["id"]) == "needs_review"
    session = await get_json(sandbox, f"/v1/checkout/sessions/{session_id}")
    return int(order["id"]), int(session["amount_total"])


async def accept(
    browser: OwnerBrowser, order_id: int, note: str, htmx: bool = True
) -> httpx.Response:
    await browser.page(f"/owner/orders/{order_id}")  # the accept form's CSRF token
    return await browser.post(f"/owner/orders/{order_id}/accept", {"note": note}, htmx=htmx)


async def changes_to(order_id: int, status: str) -> int:
    """How many times the order's status changed to `status` (the trigger's rows)."""
    count: int = await OrderChange.count().where(
        (OrderChange.order == order_id) & (OrderChange.to_status == status)
    )
    return count


def errors(page: str) -> str:
    return " ".join(texts_of(page, "p", "field-error"))


async def test_flagged_orders_say_why_and_wait_in_the_review_queue(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    mismatch, charged = await flagged_order(shopper, store_sandbox, "mismatch")
    late, _ = await flagged_order(shopper, store_sandbox, "late")
    fine = await paid_order(shopper)
    reasons = {mismatch: MISMATCH.format(charged=money(charged)), late: LATE}
    for order_id, reason in reasons.items():
        page = (await owner.page(f"/owner/orders/{order_id}")).text
        assert panel(page)["status"] == "needs_review"
        assert texts_of(page, "p", "review-reason") == [f"Needs review: {reason}"]
        assert "Under review" in texts_of(page, "span", "status")
        assert 'id="accept-form"' in page
    assert "$0.01" in (await owner.page(f"/owner/orders/{mismatch}")).text  # the order's total
    fine_page = (await owner.page(f"/owner/orders/{fine}")).text
    assert texts_of(fine_page, "p", "review-reason") == [] and 'id="accept-form"' not in fine_page

    dashboard = await owner.page("/owner/")
    assert dashboard.status_code == 200
    assert sorted(orders_in(dashboard.text, "review-queue")) == sorted([mismatch, late])
    assert fine in orders_in(dashboard.text, "owner-orders")  # among the latest, not for review


@pytest.mark.parametrize("note", ["", "   \n "], ids=["empty", "blank"])
async def test_accepting_needs_a_note(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, note: str
) -> None:
    order_id, _ = await flagged_order(shopper, store_sandbox, "mismatch")
    for htmx in (True, False):
        response = await accept(owner, order_id, note, htmx=htmx)
        assert response.status_code == 422, response.text
        assert beside(response.text, "note-error") == "Write why this order is fine to ship."
        assert 'id="accept-form"' in response.text
    assert await status_of(order_id) == "needs_review"
    assert await audit(order_id, "accepted") == []


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
async def test_accepting_with_a_note_makes_the_order_paid(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, htmx: bool
) -> None:
    order_id, _ = await flagged_order(shopper, store_sandbox, "mismatch")
    note = "Phoned the buyer: the price changed while they paid."
    response = await accept(owner, order_id, note, htmx=htmx)
    if htmx:
        assert response.status_code == 200, response.text
        assert panel(response.text)["status"] == "paid"
        assert "Accepted: the order is paid." in response.text
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/owner/orders/{order_id}"
    row = await order_row(order_id)
    assert row["status"] == "paid" and row["paid_at"] is not None
    [entry] = await audit(order_id, "accepted")
    assert (entry["actor"], entry["detail"]) == ("alice", note)
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert 'id="accept-form"' not in page
    assert timeline(page, "status")[-1] == "Under review → Paid"
    assert timeline(page, "owner") == [f"Accepted: {note} by alice"]


async def test_two_owners_accepting_at_once_accept_once(
    owner: OwnerBrowser, bob: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id, _ = await flagged_order(shopper, store_sandbox, "late")
    for browser in (owner, bob):
        await browser.page(f"/owner/orders/{order_id}")
    responses = await asyncio.gather(
        *(
            browser.post(f"/owner/orders/{order_id}/accept", {"note": f"{name} checked"}, htmx=True)
            for browser, name in ((owner, "alice"), (bob, "bob"))
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    [loser] = [r for r in responses if r.status_code == 409]
    assert "This order is no longer under review (it is paid)." in errors(loser.text)
    assert await changes_to(order_id, "paid") == 1
    [entry] = await audit(order_id, "accepted")
    winner = "alice" if responses[0].status_code == 200 else "bob"
    assert (entry["actor"], entry["detail"]) == (winner, f"{winner} checked")


async def test_a_paid_order_cannot_be_accepted(owner: OwnerBrowser, shopper: Shopper) -> None:
    order_id = await paid_order(shopper)
    before = await order_row(order_id)
    response = await accept(owner, order_id, "looks fine")
    assert response.status_code == 409
    assert "no longer under review" in errors(response.text)
    assert await order_row(order_id) == before
    assert await audit(order_id, "accepted") == []


@pytest.mark.parametrize("flag", ["mismatch", "late"])
async def test_a_flagged_order_can_be_refunded_in_full(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, flag: str
) -> None:
    order_id, charged = await flagged_order(shopper, store_sandbox, flag)
    form = await refund_form(owner, order_id)
    assert form["amount"] == typed(charged)  # all it allows: what Stripe charged, not the order
    response = await submit(owner, order_id, form)
    assert response.status_code == 200, response.text
    assert panel(response.text)["status"] == "refunded"
    assert 'id="accept-form"' not in response.text and 'id="refund-form"' not in response.text
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("refunded", charged)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (charged, 1)
    assert timeline(response.text, "status")[-1] == "Under review → Refunded"


async def test_the_buyers_email_is_what_they_typed_on_stripes_page(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    async with httpx.AsyncClient() as buyer:
        paid = await submit_card(
            buyer, f"{store_sandbox.url}/pay/{session_id}", "4242 4242 4242 4242", email=BUYER
        )
    assert paid.status_code == 303, paid.text
    await shopper.success(session_id)
    [row] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    session: dict[str, Any] = await get_json(store_sandbox, f"/v1/checkout/sessions/{session_id}")
    assert session["customer_details"]["email"] == BUYER  # the sandbox's own record
    assert (row["status"], row["buyer_email"]) == ("paid", BUYER)
    page = (await owner.page(f"/owner/orders/{row['id']}")).text
    assert texts_of(page, "dd", "email") == [BUYER]
    found = await owner.page(f"/owner/orders?q={BUYER.upper()}")
    assert orders_in(found.text, "owner-orders") == [row["id"]]


async def test_a_partial_refund_leaves_an_order_under_review_until_it_is_accepted(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id, _ = await flagged_order(shopper, store_sandbox, "mismatch")
    refunded = await owner.refund(order_id, "0.01")
    assert refunded.status_code == 200, refunded.text
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("needs_review", 1)
    dashboard = (await owner.page("/owner/")).text
    assert order_id in orders_in(dashboard, "review-queue")
    assert order_id not in orders_in(dashboard, "to-ship")
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert 'id="ship-form"' not in page and 'id="accept-form"' in page
    shipping = await owner.post(
        f"/owner/orders/{order_id}/ship", {"carrier": "UPS", "tracking_number": "1Z"}, htmx=True
    )
    assert shipping.status_code == 409
    assert (await order_row(order_id))["fulfilment"] == "unfulfilled"

    assert (await accept(owner, order_id, "Spoke to the buyer.")).status_code == 200
    assert (await order_row(order_id))["status"] == "partially_refunded"
    [entry] = await audit(order_id, "accepted")
    assert entry["detail"] == "Spoke to the buyer."
    shipping = await owner.post(
        f"/owner/orders/{order_id}/ship", {"carrier": "UPS", "tracking_number": "1Z"}, htmx=True
    )
    assert shipping.status_code == 200
    assert (await order_row(order_id))["fulfilment"] == "shipped"


async def test_a_partial_refund_made_in_stripes_dashboard_leaves_review_too(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    order_id, _ = await flagged_order(shopper, store_sandbox, "late")
    payment_intent = (await order_row(order_id))["payment_intent_id"]
    await refund(store_sandbox, payment_intent, amount=1)
    partial = await webhook_for(receiver, "charge.refunded", payment_intent, refunded=False)
    assert (await deliver(shopper.http, *partial)).json() == {"outcome": "applied"}
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("needs_review", 1)
    assert order_id in orders_in((await owner.page("/owner/")).text, "review-queue")

    await refund(store_sandbox, payment_intent)  # the rest: a full refund ends the review
    full = await webhook_for(receiver, "charge.refunded", payment_intent, refunded=True)
    assert (await deliver(shopper.http, *full)).json() == {"outcome": "applied"}
    assert (await order_row(order_id))["status"] == "refunded"
    assert order_id not in orders_in((await owner.page("/owner/")).text, "review-queue")
