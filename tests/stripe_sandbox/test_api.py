"""Contract tests: stripe-python's StripeClient against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_sandbox.conftest import line_items, session_params
from tests.support.stripe_sandbox import API_KEY, Receiver, SandboxServer, make_client


async def test_create_computes_amounts_and_carries_what_was_sent(
    stripe_client: Any, receiver: Receiver, sandbox: SandboxServer
) -> None:
    session = await stripe_client.v1.checkout.sessions.create_async(session_params(receiver))

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_subtotal == session.amount_total == 2 * 1450 + 1800
    assert session.currency == "usd"
    assert session.metadata.to_dict() == {"order_id": "42"}
    assert session.client_reference_id == "order-42"
    assert session.livemode is False
    assert session.payment_intent is None
    # The placeholder is substituted only on the redirect, never in the object.
    assert session.success_url.endswith("session_id={CHECKOUT_SESSION_ID}")
    assert session.cancel_url == f"{receiver.url}/checkout/cancel"
    assert session.url == f"{sandbox.url}/pay/{session.id}"
    assert session.expires_at - session.created == 24 * 3600


async def test_retrieve_expands_line_items_and_lists_them(
    stripe_client: Any, receiver: Receiver
) -> None:
    created = await stripe_client.v1.checkout.sessions.create_async(session_params(receiver))

    session = await stripe_client.v1.checkout.sessions.retrieve_async(
        created.id, {"expand": ["line_items"]}
    )
    items = session.line_items.data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("House blend beans, 250 g", 2, 2900),
        ("Stoneware mug", 1, 1800),
    ]
    assert items[0].price.unit_amount == 1450
    assert items[0].id.startswith("li_")

    first = await stripe_client.v1.checkout.sessions.line_items.list_async(created.id, {"limit": 1})
    assert [i.description for i in first.data] == ["House blend beans, 250 g"]
    assert first.has_more is True
    rest = await stripe_client.v1.checkout.sessions.line_items.list_async(
        created.id, {"starting_after": first.data[0].id}
    )
    assert [i.description for i in rest.data] == ["Stoneware mug"]
    assert rest.has_more is False


async def test_retrieve_of_an_unknown_session_is_404(stripe_client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.retrieve_async("cs_test_nothing_here")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


async def test_expire_closes_the_session_once(stripe_client: Any, receiver: Receiver) -> None:
    created = await stripe_client.v1.checkout.sessions.create_async(session_params(receiver))

    expired = await stripe_client.v1.checkout.sessions.expire_async(created.id)
    assert expired.status == "expired"
    assert expired.url is None

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.expire_async(created.id)
    assert 'status of "expired"' in str(raised.value.user_message)


async def test_expires_at_inside_the_window_is_kept(stripe_client: Any, receiver: Receiver) -> None:
    wanted = int(time.time()) + 3600
    session = await stripe_client.v1.checkout.sessions.create_async(
        session_params(receiver, expires_at=wanted)
    )
    assert session.expires_at == wanted


async def test_same_idempotency_key_replays_the_first_session(
    stripe_client: Any, receiver: Receiver
) -> None:
    key = secrets.token_hex(8)
    params = session_params(receiver)

    first = await stripe_client.v1.checkout.sessions.create_async(params, {"idempotency_key": key})
    again = await stripe_client.v1.checkout.sessions.create_async(params, {"idempotency_key": key})

    assert again.id == first.id
    assert again.to_dict() == first.to_dict()


async def test_same_idempotency_key_with_other_parameters_is_refused(
    stripe_client: Any, receiver: Receiver
) -> None:
    key = secrets.token_hex(8)
    await stripe_client.v1.checkout.sessions.create_async(
        session_params(receiver), {"idempotency_key": key}
    )
    with pytest.raises(stripe.IdempotencyError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(
            session_params(receiver, client_reference_id="another-order"),
            {"idempotency_key": key},
        )
    assert raised.value.http_status == 400


async def test_concurrent_requests_with_one_key_create_one_session(
    receiver: Receiver, sandbox: SandboxServer
) -> None:
    key = secrets.token_hex(8)
    clients = [make_client(sandbox.url, retries=3) for _ in range(6)]
    params = session_params(receiver)

    sessions = await asyncio.gather(
        *(c.v1.checkout.sessions.create_async(params, {"idempotency_key": key}) for c in clients)
    )

    assert len({session.id for session in sessions}) == 1


async def test_an_error_is_replayed_for_its_idempotency_key(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": secrets.token_hex(8)}
    form = {"success_url": "https://shop.example/ok", "colour": "blue"}
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        first = await http.post("/v1/checkout/sessions", data=form, headers=headers)
        again = await http.post("/v1/checkout/sessions", data=form, headers=headers)

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def _item(**price_data: Any) -> list[dict[str, Any]]:
    data = {"currency": "usd", "unit_amount": 100, "product_data": {"name": "Mug"}, **price_data}
    return [{"price_data": data, "quantity": 1}]


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"colour": "blue"}, "parameter_unknown", "colour"),
        (
            {
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 1,
                            "foo": "x",
                            "product_data": {"name": "Mug"},
                        },
                        "quantity": 1,
                    }
                ]
            },
            "parameter_unknown",
            "line_items[0][price_data][foo]",
        ),
        ({"success_url": None}, "parameter_missing", "success_url"),
        (
            {"line_items": [{"price_data": {"currency": "usd", "unit_amount": 5}, "quantity": 1}]},
            "parameter_missing",
            "line_items[0][price_data][product_data]",
        ),
        (
            {"line_items": _item(unit_amount="12.50")},
            "parameter_invalid_integer",
            "line_items[0][price_data][unit_amount]",
        ),
        ({"mode": "donation"}, None, "mode"),
        (
            {"line_items": _item(tax_behavior="sometimes")},
            None,
            "line_items[0][price_data][tax_behavior]",
        ),
        (
            {"payment_intent_data": {"capture_method": "later"}},
            None,
            "payment_intent_data[capture_method]",
        ),
    ],
)
async def test_parameters_are_checked_against_stripes_schema(
    stripe_client: Any, receiver: Receiver, change: dict[str, Any], code: str | None, param: str
) -> None:
    params = {k: v for k, v in {**session_params(receiver), **change}.items() if v is not None}

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(params)

    error = raised.value
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.code == code
    assert error.param == param
    assert error.json_body["error"]["message"]


@pytest.mark.parametrize("offset", [10 * 60, 25 * 3600])
async def test_expires_at_outside_30_minutes_to_24_hours_is_refused(
    stripe_client: Any, receiver: Receiver, offset: int
) -> None:
    params = session_params(receiver, expires_at=int(time.time()) + offset)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(params)
    assert raised.value.param == "expires_at"


async def test_a_wrong_api_key_is_refused(sandbox: SandboxServer, receiver: Receiver) -> None:
    wrong = make_client(sandbox.url, key="sk_test_not_the_one")
    with pytest.raises(stripe.AuthenticationError) as raised:
        await wrong.v1.checkout.sessions.create_async(session_params(receiver))
    assert raised.value.http_status == 401
    assert "sk_test_not_the_one" not in str(raised.value.json_body)


async def test_no_api_key_is_a_401_in_stripes_shape(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        response = await http.get("/v1/events")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert API_KEY not in response.text


async def test_line_items_must_share_one_currency(stripe_client: Any, receiver: Receiver) -> None:
    euro = {"currency": "eur", "unit_amount": 900, "product_data": {"name": "Mug"}}
    items = [*line_items(("Beans", 1450, 1)), {"price_data": euro, "quantity": 1}]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(
            session_params(receiver, line_items=items)
        )
    assert raised.value.param == "line_items[1][price_data][currency]"
