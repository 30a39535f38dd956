"""The owner refunds from an order's page: once at Stripe, Stripe's figure kept, mistakes said."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar

from app.audit.tables import AuditEntry
from app.orders.tables import Order
from app.owner.tables import OwnerSession
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable, Refunded
from app.settings import Settings
from tests.reliability.ledger import (
    Ledger,
    balanced_ledger,  # noqa: F401 - a fixture
    charges_since,
    newest_refund,
    newest_session,
    sessions_since,
)
from tests.support.checkout import Shopper, deliver, order_rows, webhook_for
from tests.support.http import browser_like, csrf_token, texts_of
from tests.support.owner import (
    FORM_TOKEN,
    OWNER_HTMX,
    OwnerBrowser,
    at_stripe,
    audit,
    beside,
    form_in,
    money,
    order_row,
    paid_order,
    panel,
    prefilled,
    refund_form,
    refundable,
    submit,
    timeline,
    typed,
)
from tests.support.stripe_sandbox import Receiver, SandboxServer, refund

pytestmark = pytest.mark.usefixtures("balanced_ledger")

# Stripe gave no answer (a 500, a timeout): the owner is told it may have refunded.
STRIPE_UNSURE = "Stripe did not answer, so this refund may or may not have gone through."
TOO_MUCH = "a cent more than Stripe charged"


# --- reading the owner's order page -------------------------------------------------------------


def has_refund_form(page: str) -> bool:
    return 'id="refund-form"' in page


# --- what the store and Stripe hold -------------------------------------------------------------


async def bought(shopper: Shopper) -> tuple[int, int]:
    """A paid order (paid_order's) and what Stripe charged for it (as the order keeps it)."""
    order_id = await paid_order(shopper)
    return order_id, (await order_row(order_id))["paid_cents"]


# --- the owner's forms --------------------------------------------------------------------------


def hold_stripes_answer(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[Refunded], Awaitable[None]]
) -> None:
    """Run `meanwhile` after Stripe made a refund and before the store applies its answer."""
    real = PaymentGateway.refund_payment

    async def held(self: PaymentGateway, **call: Any) -> Refunded:
        refunded = await real(self, **call)
        await meanwhile(refunded)
        return refunded

    monkeypatch.setattr(PaymentGateway, "refund_payment", held)


# --- refunding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
async def test_the_amount_form_asks_to_confirm_the_amount_and_refunds_nothing_yet(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, htmx: bool
) -> None:
    order_id, paid = await bought(shopper)
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert (prefilled(page), refundable(page)) == ("", paid)  # empty: nothing refunds by itself
    form = {**form_in(page), "amount": "5", "step": "review"}
    review = await submit(owner, order_id, form, htmx=htmx)
    assert review.status_code == 200, review.text
    assert '<button type="submit" class="button">Refund $5.00</button>' in review.text
    assert 'name="step"' not in review.text and prefilled(review.text) is None  # no box: a step
    assert 'type="hidden" name="amount" value="5"' in review.text
    assert FORM_TOKEN.search(review.text).group(1) == form["form_token"]  # the same refund
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("paid", 0)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (0, 0)
    assert await audit(order_id) == []

    too_much = await submit(owner, order_id, {**form, "amount": typed(paid + 1)}, htmx=htmx)
    assert too_much.status_code == 422
    assert beside(too_much.text, "amount-error") == f"At most {money(paid)} can be refunded."
    assert prefilled(too_much.text) == typed(paid + 1)

    confirmed = {k: v for k, v in form.items() if k != "step"}  # what the confirm step posts
    done = await submit(owner, order_id, confirmed, htmx=htmx)
    assert done.status_code == (200 if htmx else 303), done.text
    assert (await order_row(order_id))["refunded_cents"] == 500


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
async def test_a_partial_refund_keeps_stripes_figure(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, htmx: bool
) -> None:
    order_id, paid = await bought(shopper)
    response = await owner.refund(order_id, "5.00", htmx=htmx)
    if htmx:
        assert response.status_code == 200, response.text
        assert "<html" not in response.text  # the panel alone, swapped in place
        assert "Refunded $5.00; $5.00 in all." in response.text
        assert panel(response.text)["refunded-cents"] == "500"
    else:
        assert response.status_code == 303
        assert response.headers["location"] == f"/owner/orders/{order_id}"

    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("partially_refunded", 500)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (500, 1)
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert panel(page)["status"] == "partially_refunded"
    assert panel(page)["refunded-cents"] == "500"
    # Never pre-filled after a refund (the next Enter would refund the rest); it says what is left.
    assert (prefilled(page), refundable(page)) == ("", paid - 500)
    [entry] = await audit(order_id)
    assert entry["actor"] == "alice" and entry["reference"].startswith("re_")
    assert "$5.00" in entry["detail"]
    [action] = timeline(page, "owner")
    assert action.startswith("Refunded: $5.00") and action.endswith("by alice")
    assert "Paid → Partially refunded" in timeline(page, "status")


async def test_a_second_partial_refund_adds_up_at_stripe(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id, paid = await bought(shopper)
    for amount in ("5.00", "10.00"):
        assert (await owner.refund(order_id, amount)).status_code == 200
    rest = paid - 1500
    response = await owner.refund(order_id, typed(rest))  # exactly what is refundable
    assert response.status_code == 200, response.text
    assert f"Refunded {money(rest)}; {money(paid)} in all." in response.text
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("refunded", paid)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (paid, 3)
    details = [entry["detail"].split()[0] for entry in await audit(order_id)]
    assert details == ["$5.00", "$10.00", money(rest)]
    changes = timeline(response.text, "status")
    assert changes[-2:] == ["Paid → Partially refunded", "Partially refunded → Refunded"]


async def test_the_refund_webhook_afterwards_changes_nothing(
    owner: OwnerBrowser, shopper: Shopper, receiver: Receiver, store_sandbox: SandboxServer
) -> None:
    order_id = await paid_order(shopper)
    assert (await owner.refund(order_id, "5.00")).status_code == 200
    before = await order_row(order_id)
    body, signature = await webhook_for(receiver, "charge.refunded", before["payment_intent_id"])
    for _ in range(2):  # and its retry
        assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert await order_row(order_id) == before
    assert await at_stripe(store_sandbox, before["payment_intent_id"]) == (500, 1)
    assert len(await audit(order_id)) == 1
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert [entry.split()[:2] for entry in timeline(page, "stripe")] == [
        ["Stripe:", "charge.refunded"]  # recorded once, the replay not at all
    ]


async def test_the_refund_webhook_arriving_first_agrees(
    owner: OwnerBrowser, shopper: Shopper, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = await paid_order(shopper)

    async def webhook_first(refunded: Refunded) -> None:
        body, signature = await webhook_for(receiver, "charge.refunded", refunded.refund_id)
        assert (await deliver(shopper.http, body, signature)).status_code == 200
        assert (await order_row(order_id))["refunded_cents"] == 500

    hold_stripes_answer(monkeypatch, webhook_first)
    response = await owner.refund(order_id, "5.00")
    assert response.status_code == 200, response.text
    assert panel(response.text)["refunded-cents"] == "500"
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("partially_refunded", 500)
    assert len(await audit(order_id)) == 1
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert timeline(page, "status").count("Paid → Partially refunded") == 1


async def test_an_older_figure_arriving_late_never_undoes_a_newer_one(
    owner: OwnerBrowser,
    shopper: Shopper,
    receiver: Receiver,
    store_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id, paid = await bought(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]

    async def another_refund_lands_first(_: Refunded) -> None:
        await refund(store_sandbox, intent, 1000)  # from Stripe's dashboard, say
        body, signature = await webhook_for(
            receiver, "charge.refunded", intent, amount_refunded=1500
        )
        assert (await deliver(shopper.http, body, signature)).status_code == 200

    hold_stripes_answer(monkeypatch, another_refund_lands_first)
    response = await owner.refund(order_id, "5.00")  # Stripe answers "500 refunded in all"
    assert response.status_code == 200, response.text
    assert panel(response.text)["refunded-cents"] == "1500"
    assert (prefilled(response.text), refundable(response.text)) == ("", paid - 1500)
    assert (await order_row(order_id))["refunded_cents"] == 1500
    assert await at_stripe(store_sandbox, intent) == (1500, 2)


@pytest.mark.parametrize("at_once", [False, True], ids=["one after another", "at the same time"])
async def test_the_same_form_submitted_twice_refunds_once(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer, at_once: bool
) -> None:
    order_id = await paid_order(shopper)
    form = await refund_form(owner, order_id, "5.00")
    if at_once:
        responses = await asyncio.gather(*(submit(owner, order_id, form) for _ in range(2)))
    else:
        responses = [await submit(owner, order_id, form) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert [panel(r.text)["refunded-cents"] for r in responses] == ["500", "500"]
    row = await order_row(order_id)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (500, 1)
    assert row["refunded_cents"] == 500
    assert len(await audit(order_id)) == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter an amount."),
        ("abc", "Enter an amount like 12.50, with at most 2 decimals."),
        ("-1", "Enter an amount like 12.50, with at most 2 decimals."),
        ("0", "Enter an amount above zero."),
        ("1e3", "Enter an amount like 12.50, with at most 2 decimals."),
        ("1.234", "Enter an amount like 12.50, with at most 2 decimals."),
        (TOO_MUCH, "At most {paid} can be refunded."),
    ],
)
async def test_a_bad_amount_is_said_beside_the_field_and_sends_nothing(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
    store_faults: Callable[..., Awaitable[None]],
    amount: str,
    message: str,
) -> None:
    order_id, paid = await bought(shopper)
    before = await order_row(order_id)
    if amount == TOO_MUCH:
        amount, message = typed(paid + 1), message.format(paid=money(paid))
    form = await refund_form(owner, order_id, amount)
    await store_faults(error_rate=1.0)  # had the store asked Stripe, it would answer 503
    for htmx in (True, False):
        response = await submit(owner, order_id, form, htmx=htmx)
        assert response.status_code == 422, response.text
        assert beside(response.text, "amount-error") == message
        assert prefilled(response.text) == amount  # as typed, to correct it
        assert ("<html" in response.text) is not htmx
    await store_faults()
    assert await at_stripe(store_sandbox, before["payment_intent_id"]) == (0, 0)
    assert await order_row(order_id) == before
    assert await audit(order_id) == []


@pytest.mark.parametrize(
    "trouble", [{"error_rate": 1.0}, {"latency_ms": 2500}], ids=["stripe fails", "too slow"]
)
async def test_when_stripe_fails_nothing_is_refunded_and_the_same_form_works_later(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
    store_faults: Callable[..., Awaitable[None]],
    trouble: dict[str, float],
) -> None:
    order_id = await paid_order(shopper)
    before = await order_row(order_id)
    form = await refund_form(owner, order_id, "5.00")
    await store_faults(**trouble)  # the store's Stripe timeout is 2 s
    response = await submit(owner, order_id, form)
    assert response.status_code == 503, response.text
    assert STRIPE_UNSURE in (beside(response.text, "amount-error") or "")
    assert form_in(response.text) == form  # shown again as it was sent, its token too
    await store_faults()
    assert await order_row(order_id) == before
    assert await at_stripe(store_sandbox, before["payment_intent_id"]) == (0, 0), (
        "the sandbox refunds nothing it did not answer"
    )

    for _ in range(2):  # the same form again, and once more: one refund
        response = await submit(owner, order_id, form)
        assert response.status_code == 200, response.text
    assert await at_stripe(store_sandbox, before["payment_intent_id"]) == (500, 1)
    assert (await order_row(order_id))["refunded_cents"] == 500


async def test_when_stripes_answer_is_lost_trying_again_refunds_once(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = await paid_order(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]

    async def answer_lost(_: Refunded) -> None:
        monkeypatch.undo()  # only this once
        raise PaymentServiceUnavailable("timed out reading Stripe's answer")

    hold_stripes_answer(monkeypatch, answer_lost)
    response = await owner.refund(order_id, "5.00")
    assert response.status_code == 503, response.text
    assert await at_stripe(store_sandbox, intent) == (500, 1)  # Stripe did refund

    again = form_in(response.text)  # "Try again": the form as the answer showed it
    assert again["amount"] == "5.00"
    for _ in range(2):  # and once more
        response = await submit(owner, order_id, again)
        assert response.status_code == 200, response.text
    assert await at_stripe(store_sandbox, intent) == (500, 1)
    assert (await order_row(order_id))["refunded_cents"] == 500
    assert len(await audit(order_id)) == 1


async def test_two_owners_refunding_in_full_at_once_refund_once(
    owner: OwnerBrowser, bob: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id, paid = await bought(shopper)
    forms = [await refund_form(browser, order_id) for browser in (owner, bob)]
    assert [form["amount"] for form in forms] == [typed(paid)] * 2
    responses = await asyncio.gather(
        *(
            submit(browser, order_id, form)
            for browser, form in zip((owner, bob), forms, strict=True)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes in ([200, 409], [200, 422]), [r.text for r in responses]
    [loser] = [r for r in responses if r.status_code != 200]
    said = " ".join(texts_of(loser.text, "p", "field-error"))
    assert "Stripe refused" in said or "no payment left to refund" in said, said

    row = await order_row(order_id)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (paid, 1)
    assert (row["status"], row["refunded_cents"]) == ("refunded", paid)
    [winner] = [r for r in responses if r.status_code == 200]
    [entry] = await audit(order_id)
    assert entry["actor"] == ("alice" if winner is responses[0] else "bob")


async def test_more_than_stripe_has_left_is_refused_by_stripe_and_said(
    owner: OwnerBrowser, shopper: Shopper, receiver: Receiver, store_sandbox: SandboxServer
) -> None:
    order_id, paid = await bought(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]
    await refund(store_sandbox, intent, 700)  # in Stripe's dashboard; its webhook not here yet
    response = await owner.refund(order_id, typed(paid))  # all the store knows of
    assert response.status_code == 422, response.text
    assert beside(response.text, "amount-error") == (
        f"Stripe refused: Refund amount ({money(paid)}) is greater than unrefunded amount on "
        f"charge ({money(paid - 700)}). Nothing was refunded."
    )
    assert prefilled(response.text) == typed(paid)
    assert await at_stripe(store_sandbox, intent) == (700, 1)
    [refused] = await audit(order_id, "refund_refused")
    assert refused["actor"] == "alice"
    assert await audit(order_id) == []

    body, signature = await webhook_for(receiver, "charge.refunded", intent)
    assert (await deliver(shopper.http, body, signature)).status_code == 200
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert (panel(page)["refunded-cents"], prefilled(page)) == ("700", "")
    assert refundable(page) == paid - 700


async def test_a_full_refund_ends_refunding(
    owner: OwnerBrowser, shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    order_id, paid = await bought(shopper)
    form = await refund_form(owner, order_id)
    response = await submit(owner, order_id, form)
    assert response.status_code == 200, response.text
    assert panel(response.text)["status"] == "refunded"
    assert not has_refund_form(response.text)
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert not has_refund_form(page)
    assert "Paid → Refunded" in timeline(page, "status")

    again = await submit(owner, order_id, {**form, "form_token": "another-form"})
    assert again.status_code == 409
    assert "no payment left to refund" in " ".join(texts_of(again.text, "p", "field-error"))
    row = await order_row(order_id)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (paid, 1)


async def test_an_unpaid_order_cannot_be_refunded(owner: OwnerBrowser, shopper: Shopper) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    [order] = [o for o in await order_rows() if o["stripe_session_id"] == session_id]
    page = (await owner.page(f"/owner/orders/{order['id']}")).text
    assert panel(page)["status"] == "pending" and not has_refund_form(page)
    response = await submit(owner, order["id"], {"amount": "1.00", "form_token": "a-form"})
    assert response.status_code == 409
    assert "no payment left to refund" in " ".join(texts_of(response.text, "p", "field-error"))
    assert not has_refund_form(response.text)
    assert await order_row(order["id"]) == order
    assert await audit(order["id"]) == []


async def test_without_a_session_nothing_is_refunded(
    stripe_store: Litestar,
    settings: Settings,
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
) -> None:
    order_id = await paid_order(shopper)
    form = await refund_form(owner, order_id)
    path = f"/owner/orders/{order_id}/refund"
    async with browser_like(stripe_store, settings.public_url) as stranger:
        token = csrf_token((await stranger.get("/owner/login")).text)
        fields = {**form, "_csrf_token": token}
        plain = await stranger.post(path, data=fields)
        assert plain.status_code == 303 and plain.headers["location"] == "/owner/login"
        htmx = await stranger.post(path, data=fields, headers=OWNER_HTMX)
        assert htmx.headers.get("hx-redirect") == "/owner/login"
    # Signed in, but the form lacks its CSRF token (another site posting it, say).
    forged = await owner.http.post(path, data=form)
    assert forged.status_code == 403
    row = await order_row(order_id)
    assert (row["status"], row["refunded_cents"]) == ("paid", 0)
    assert await at_stripe(store_sandbox, row["payment_intent_id"]) == (0, 0)


async def test_the_ledger_finds_a_refund_the_store_missed_until_its_webhook(
    shopper: Shopper, receiver: Receiver, store_sandbox: SandboxServer
) -> None:
    sessions, refunds = await newest_session(store_sandbox), await newest_refund(store_sandbox)
    order_id = await paid_order(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]
    await refund(store_sandbox, intent, 700)  # in Stripe's dashboard, not through the store

    async def problems() -> list[str]:
        orders, opened = await Order.select(), await sessions_since(store_sandbox, sessions)
        return Ledger(orders, opened, await charges_since(store_sandbox, refunds)).problems()

    assert await problems() == [
        f"order {order_id} says 0 refunded, Stripe 700 ({intent})",
        f"order {order_id} is paid; Stripe says partially_refunded",
    ]
    body, signature = await webhook_for(receiver, "charge.refunded", intent)
    assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert await problems() == []
    assert (await order_row(order_id))["refunded_cents"] == 700


# --- the audit trail of a refund -----------------------------------------------------------------


async def owner_trail(order_id: int) -> list[tuple[str, str]]:
    """The owner's entries about an order, oldest first: (action, detail)."""
    rows = await (
        AuditEntry.select(AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.order_id == order_id)
        .order_by(AuditEntry.id)
    )
    return [(row["action"], row["detail"]) for row in rows]


@pytest.mark.parametrize(
    ("trouble", "error"),
    [({"error_rate": 1.0}, "APIError"), ({"latency_ms": 2500}, "APIConnectionError")],
    ids=["stripe answers 500", "stripe times out"],
)
async def test_a_refund_is_on_record_before_stripe_is_asked_and_its_outcome_after(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_faults: Callable[..., Awaitable[None]],
    owner_account: int,
    trouble: dict[str, float],
    error: str,
) -> None:
    order_id = await paid_order(shopper)
    form = await refund_form(owner, order_id, "5.00")
    await store_faults(**trouble)
    assert (await submit(owner, order_id, form)).status_code == 503
    # A 500 or no answer at all: Stripe may have refunded, so the outcome is "unknown".
    assert await owner_trail(order_id) == [
        ("refund_requested", "$5.00"),
        ("refund_unknown", f"$5.00: {error}"),
    ]
    await store_faults()
    response = await submit(owner, order_id, form)
    assert response.status_code == 200, response.text
    trail = await owner_trail(order_id)
    assert [action for action, _ in trail[2:]] == ["refund_requested", "refunded"]
    page = (await owner.page(f"/owner/orders/{order_id}")).text
    assert timeline(page, "owner")[0] == f"Refund unknown: $5.00: {error} by alice"
    [session] = await OwnerSession.select(OwnerSession.id)
    rows = await AuditEntry.select().where(AuditEntry.order_id == order_id)
    assert {(r["actor_id"], r["session_id"], r["address"]) for r in rows} == {
        (owner_account, session["id"], "127.0.0.1")
    }


async def test_a_refund_whose_answer_was_lost_is_on_record_as_unknown(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = await paid_order(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]

    async def answer_lost(_: Refunded) -> None:
        monkeypatch.undo()
        raise PaymentServiceUnavailable("timed out reading Stripe's answer")

    hold_stripes_answer(monkeypatch, answer_lost)
    response = await owner.refund(order_id, "5.00")
    assert response.status_code == 503
    assert await at_stripe(store_sandbox, intent) == (500, 1)  # Stripe did refund
    assert await owner_trail(order_id) == [
        ("refund_requested", "$5.00"),
        ("refund_unknown", "$5.00: timed out reading Stripe's answer"),
    ]
    # Trying again learns what happened: the same refund, now on record once.
    assert (await submit(owner, order_id, form_in(response.text))).status_code == 200
    assert [action for action, _ in await owner_trail(order_id)][2:] == [
        "refund_requested",
        "refunded",
    ]


async def test_a_refund_the_store_failed_to_write_down_still_leaves_the_owners_rows(
    owner: OwnerBrowser,
    shopper: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = await paid_order(shopper)
    intent = (await order_row(order_id))["payment_intent_id"]

    async def write_fails(*_: object, **__: object) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("app.owner.actions.apply_refund", write_fails)
    assert (await owner.refund(order_id, "5.00")).status_code == 500
    assert await at_stripe(store_sandbox, intent) == (500, 1)
    [(requested, asked), (refunded, said)] = await owner_trail(order_id)
    assert (requested, asked, refunded) == ("refund_requested", "$5.00", "refunded")
    assert said.startswith("$5.00 (re_")
    assert said.endswith("; the order was not updated (RuntimeError)")
    assert (await order_row(order_id))["refunded_cents"] == 0
    monkeypatch.undo()
    body, signature = await webhook_for(receiver, "charge.refunded", intent)  # Stripe's word
    assert (await deliver(shopper.http, body, signature)).status_code == 200
    assert (await order_row(order_id))["refunded_cents"] == 500
