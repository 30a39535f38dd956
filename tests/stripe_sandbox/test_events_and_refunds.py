"""Events listed and filtered like Stripe's, and refunds that announce themselves."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_sandbox.conftest import events_for
from tests.stripe_sandbox.schema import schema_problems
from tests.support.stripe_sandbox import submit_card


async def _paid_session(new_session: Any, http: httpx.AsyncClient, stripe_client: Any) -> Any:
    session = await new_session()
    response = await submit_card(http, session.url, "4242424242424242")
    assert response.status_code == 303
    return await stripe_client.v1.checkout.sessions.retrieve_async(session.id)


async def test_events_filter_by_type_and_page_with_ending_before(
    stripe_client: Any, new_session: Any
) -> None:
    expired_ids = []
    for _ in range(3):
        session = await new_session()
        await stripe_client.v1.checkout.sessions.expire_async(session.id)
        expired_ids.append(session.id)

    newest = await stripe_client.v1.events.list_async(
        {"type": "checkout.session.expired", "limit": 2}
    )
    assert [e.data.object.id for e in newest.data] == expired_ids[:0:-1]
    assert newest.has_more is True
    assert all(e.id.startswith("evt_") and e.object == "event" for e in newest.data)

    newer = await stripe_client.v1.events.list_async(
        {"type": "checkout.session.expired", "ending_before": newest.data[-1].id, "limit": 10}
    )
    assert [e.data.object.id for e in newer.data] == [expired_ids[2]]

    by_types = await stripe_client.v1.events.list_async(
        {"types": ["checkout.session.expired", "charge.refunded"], "limit": 3}
    )
    assert {e.type for e in by_types.data} <= {"checkout.session.expired", "charge.refunded"}
    wildcard = await stripe_client.v1.events.list_async({"type": "checkout.session.*", "limit": 3})
    assert all(e.type.startswith("checkout.session.") for e in wildcard.data)

    one = await stripe_client.v1.events.retrieve_async(newest.data[0].id)
    assert one.type == "checkout.session.expired"
    assert one.data.object.id == expired_ids[2]
    assert one.data.object.object == "checkout.session"


async def test_events_filter_on_delivery_success(stripe_client: Any, new_session: Any) -> None:
    delivered = await stripe_client.v1.events.list_async({"delivery_success": True, "limit": 100})
    failed = await stripe_client.v1.events.list_async({"delivery_success": False, "limit": 100})
    assert not {e.id for e in delivered.data} & {e.id for e in failed.data}
    assert all(e.pending_webhooks == 0 for e in delivered.data)


async def test_partial_then_full_refund(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)

    partial = await stripe_client.v1.refunds.create_async(
        {"payment_intent": session.payment_intent, "amount": 500, "reason": "requested_by_customer"}
    )
    assert partial.id.startswith("re_")
    assert (partial.amount, partial.currency, partial.status) == (500, "usd", "succeeded")
    assert partial.payment_intent == session.payment_intent
    assert partial.charge.startswith("ch_")

    rest = await stripe_client.v1.refunds.create_async({"payment_intent": session.payment_intent})
    assert rest.amount == session.amount_total - 500

    refunded = await stripe_client.v1.events.list_async({"type": "charge.refunded", "limit": 100})
    charges = [e.data.object for e in refunded.data if e.data.object.id == partial.charge]
    # Newest first: the full refund, then the partial one.
    assert [(c.amount_refunded, c.refunded) for c in charges] == [
        (session.amount_total, True),
        (500, False),
    ]
    assert charges[0].payment_intent == session.payment_intent
    assert len(charges[0].refunds.data) == 2

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.refunds.create_async({"payment_intent": session.payment_intent})
    assert raised.value.code == "charge_already_refunded"


async def test_a_refund_larger_than_what_is_left_is_refused(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.refunds.create_async(
            {"payment_intent": session.payment_intent, "amount": session.amount_total + 1}
        )

    assert raised.value.code == "amount_too_large"
    assert raised.value.param == "amount"


async def test_an_unpaid_session_cannot_be_refunded(stripe_client: Any, new_session: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.refunds.create_async({"payment_intent": "pi_never_made"})
    assert raised.value.http_status == 404
    session = await new_session()
    assert await events_for(stripe_client, session.id, "charge.refunded") == []


async def test_an_expanded_charge_is_the_whole_charge_as_stripe_describes_it(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)

    refund = await stripe_client.v1.refunds.create_async(
        {"payment_intent": session.payment_intent, "amount": 700, "expand": ["charge"]}
    )

    body = refund.to_dict()
    assert schema_problems(body, "refund") == []
    charge = body["charge"]
    assert (charge["object"], charge["amount_refunded"], charge["refunded"]) == (
        "charge",
        700,
        False,
    )
    assert charge["payment_intent"] == session.payment_intent
    assert [r["id"] for r in charge["refunds"]["data"]] == [refund.id]
    announced = await stripe_client.v1.events.list_async({"type": "charge.refunded", "limit": 100})
    [event] = [e for e in announced.data if e.data.object.id == charge["id"]]
    assert schema_problems(event.data.object.to_dict(), "charge") == []
    assert event.data.object.to_dict() == charge


async def test_a_charge_stays_an_id_unless_expanded(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)

    refund = await stripe_client.v1.refunds.create_async(
        {"payment_intent": session.payment_intent, "amount": 100}
    )

    assert isinstance(refund.charge, str) and refund.charge.startswith("ch_")
    assert schema_problems(refund.to_dict(), "refund") == []


async def test_what_the_sandbox_cannot_expand_is_refused_before_refunding(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.refunds.create_async(
            {"payment_intent": session.payment_intent, "expand": ["charge", "payment_intent"]}
        )

    assert (raised.value.http_status, raised.value.param) == (400, "expand[1]")
    whole = await stripe_client.v1.refunds.create_async({"payment_intent": session.payment_intent})
    assert whole.amount == session.amount_total


async def test_one_idempotency_key_makes_one_refund(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await _paid_session(new_session, http, stripe_client)
    key = secrets.token_hex(8)
    params = {"payment_intent": session.payment_intent, "amount": 300, "expand": ["charge"]}

    first = await stripe_client.v1.refunds.create_async(params, {"idempotency_key": key})
    again = await stripe_client.v1.refunds.create_async(params, {"idempotency_key": key})

    assert again.id == first.id
    assert again.charge.amount_refunded == 300
    refunded = await stripe_client.v1.events.list_async({"type": "charge.refunded", "limit": 100})
    assert [
        e.data.object.amount_refunded for e in refunded.data if e.data.object.id == first.charge.id
    ] == [300]
    with pytest.raises(stripe.IdempotencyError) as raised:
        await stripe_client.v1.refunds.create_async(
            {**params, "amount": 301}, {"idempotency_key": key}
        )
    assert raised.value.http_status == 400
    assert raised.value.json_body["error"]["type"] == "idempotency_error"
