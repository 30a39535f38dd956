"""Shipping at Checkout through the API: what create accepts, prices and refuses, as Stripe does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_sandbox.conftest import session_params, shipping, shipping_rate_data
from tests.stripe_sandbox.schema import schema_problems
from tests.support.stripe_sandbox import Receiver, SandboxServer

SUBTOTAL = 2 * 1450 + 1800


async def test_a_session_with_shipping_charges_the_first_rate_on_top_of_the_items(
    new_session: Any,
) -> None:
    session = await new_session(**shipping())

    body = session.to_dict()
    rate = body["shipping_cost"]["shipping_rate"]
    assert rate.startswith("shr_")
    assert (body["amount_subtotal"], body["amount_total"]) == (SUBTOTAL, SUBTOTAL + 490)
    assert body["total_details"] == {"amount_discount": 0, "amount_shipping": 490, "amount_tax": 0}
    assert body["shipping_cost"] == {
        "amount_subtotal": 490,
        "amount_tax": 0,
        "amount_total": 490,
        "shipping_rate": rate,
    }
    assert body["shipping_options"] == [{"shipping_amount": 490, "shipping_rate": rate}]
    assert body["shipping_address_collection"] == {"allowed_countries": ["US", "CA"]}
    # stripe-python 16's API version: nothing collected yet, and no top-level shipping_details.
    assert body["collected_information"]["shipping_details"] is None
    assert "shipping_details" not in body
    for part, schema in [
        ("shipping_cost", "payment_pages_checkout_session_shipping_cost"),
        ("total_details", "payment_pages_checkout_session_total_details"),
        (
            "shipping_address_collection",
            "payment_pages_checkout_session_shipping_address_collection",
        ),
    ]:
        assert schema_problems(body[part], schema) == [], part
    assert (
        schema_problems(
            body["shipping_options"][0], "payment_pages_checkout_session_shipping_option"
        )
        == []
    )


async def test_free_shipping_costs_nothing_but_is_still_the_chosen_rate(new_session: Any) -> None:
    session = await new_session(**shipping(0, "Free shipping"))

    assert session.amount_total == session.amount_subtotal == SUBTOTAL
    assert session.total_details.amount_shipping == 0
    assert session.shipping_cost.amount_total == 0
    assert session.shipping_cost.shipping_rate == session.shipping_options[0].shipping_rate


async def test_a_session_without_shipping_has_none(new_session: Any) -> None:
    session = await new_session()

    assert session.shipping_cost is None
    assert session.shipping_options == []
    assert session.shipping_address_collection is None
    assert session.total_details.amount_shipping == 0
    assert session.amount_total == SUBTOTAL


async def test_an_expanded_rate_is_the_shipping_rate_object(
    stripe_client: Any, new_session: Any
) -> None:
    created = await new_session(**shipping())

    session = await stripe_client.v1.checkout.sessions.retrieve_async(
        created.id, {"expand": ["shipping_cost.shipping_rate", "shipping_options.shipping_rate"]}
    )

    rate = session.shipping_cost.shipping_rate.to_dict()
    assert schema_problems(rate, "shipping_rate") == []
    assert rate["id"] == created.shipping_cost.shipping_rate
    assert (rate["object"], rate["type"], rate["display_name"]) == (
        "shipping_rate",
        "fixed_amount",
        "Standard shipping",
    )
    assert rate["fixed_amount"] == {"amount": 490, "currency": "usd"}
    assert rate["delivery_estimate"] == {
        "maximum": {"unit": "business_day", "value": 5},
        "minimum": {"unit": "business_day", "value": 2},
    }
    assert session.shipping_options[0].shipping_rate.to_dict() == rate


async def test_a_later_session_can_name_a_stored_rate(new_session: Any) -> None:
    first = await new_session(**shipping(650, "Express"))
    rate = first.shipping_cost.shipping_rate

    again = await new_session(
        shipping_address_collection={"allowed_countries": ["CA"]},
        shipping_options=[{"shipping_rate": rate}],
    )

    assert again.shipping_cost.shipping_rate == rate
    assert again.amount_total == SUBTOTAL + 650
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await new_session(shipping_options=[{"shipping_rate": "shr_nothing_like_it"}])
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
    assert raised.value.param == "shipping_options[0][shipping_rate]"


async def test_up_to_five_options_and_the_first_is_selected(new_session: Any) -> None:
    options = [shipping_rate_data(amount, f"Rate {amount}") for amount in (700, 0, 300, 900, 50)]

    session = await new_session(shipping_options=options)

    assert [o.shipping_amount for o in session.shipping_options] == [700, 0, 300, 900, 50]
    assert session.shipping_cost.shipping_rate == session.shipping_options[0].shipping_rate
    assert session.amount_total == SUBTOTAL + 700
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await new_session(shipping_options=[*options, shipping_rate_data(1)])
    assert (raised.value.http_status, raised.value.param) == (400, "shipping_options")


def _rate(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = shipping_rate_data()["shipping_rate_data"]
    for key, value in changes.items():
        data = _set(data, key.split("__"), value)
    return {"shipping_rate_data": data}


def _set(data: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    head, *rest = path
    if not rest:
        changed = {**data, head: value}
        return {k: v for k, v in changed.items() if v is not None}
    return {**data, head: _set(data[head], rest, value)}


RATE = "shipping_options[0][shipping_rate_data]"


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        (
            {"shipping_address_collection": {"allowed_countries": ["US", "XX"]}},
            "shipping_address_collection[allowed_countries][1]",
            None,
        ),
        # One of the countries Stripe does not ship to (its enum leaves it out).
        (
            {"shipping_address_collection": {"allowed_countries": ["AS"]}},
            "shipping_address_collection[allowed_countries][0]",
            None,
        ),
        (
            {"shipping_address_collection": {"allowed_countries": ""}},
            "shipping_address_collection[allowed_countries]",
            "parameter_invalid_empty",
        ),
        (
            {"shipping_address_collection": {"countries": ["US"]}},
            "shipping_address_collection[countries]",
            "parameter_unknown",
        ),
        (
            {"shipping_options": [_rate(delivery_estimate__minimum__unit="fortnight")]},
            f"{RATE}[delivery_estimate][minimum][unit]",
            None,
        ),
        (
            {"shipping_options": [_rate(delivery_estimate__maximum__value=0)]},
            f"{RATE}[delivery_estimate][maximum][value]",
            None,
        ),
        (
            {"shipping_options": [_rate(delivery_estimate__maximum__value=1)]},
            f"{RATE}[delivery_estimate][minimum][value]",
            None,
        ),
        (
            {"shipping_options": [_rate(delivery_estimate__minimum__value=None)]},
            f"{RATE}[delivery_estimate][minimum][value]",
            "parameter_missing",
        ),
        (
            {"shipping_options": [_rate(display_name=None)]},
            f"{RATE}[display_name]",
            "parameter_missing",
        ),
        ({"shipping_options": [_rate(display_name="x" * 101)]}, f"{RATE}[display_name]", None),
        (
            {"shipping_options": [_rate(fixed_amount=None)]},
            f"{RATE}[fixed_amount]",
            "parameter_missing",
        ),
        (
            {"shipping_options": [_rate(fixed_amount__amount=-1)]},
            f"{RATE}[fixed_amount][amount]",
            None,
        ),
        (
            {"shipping_options": [_rate(fixed_amount__amount="4.90")]},
            f"{RATE}[fixed_amount][amount]",
            "parameter_invalid_integer",
        ),
        (
            {"shipping_options": [_rate(fixed_amount__currency="eur")]},
            f"{RATE}[fixed_amount][currency]",
            None,
        ),
        ({"shipping_options": [_rate(type="calculated")]}, f"{RATE}[type]", None),
        ({"shipping_options": [_rate(colour="blue")]}, f"{RATE}[colour]", "parameter_unknown"),
        (
            {"shipping_options": [{**_rate(), "shipping_rate": "shr_123"}]},
            RATE,
            None,
        ),
        # The line items already cost the most one payment may: shipping can't go on top.
        (
            {
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 99_999_999,
                            "product_data": {"name": "Everything"},
                        },
                        "quantity": 1,
                    }
                ],
                "shipping_options": [_rate()],
            },
            "line_items",
            "amount_too_large",
        ),
    ],
)
async def test_bad_shipping_parameters_are_refused_at_create(
    stripe_client: Any,
    receiver: Receiver,
    params: dict[str, Any],
    param: str,
    code: str | None,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(session_params(receiver, **params))

    assert raised.value.http_status == 400
    assert raised.value.param == param
    if code:
        assert raised.value.code == code


async def test_a_stripe_version_that_is_no_version_is_refused(
    sandbox: SandboxServer, new_session: Any
) -> None:
    session = await new_session()
    for version in ("yesterday", "2023-02-30", "2023-08-16.<b>"):
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            response = await http.get(
                f"/v1/checkout/sessions/{session.id}",
                headers={"Authorization": f"Bearer {sandbox.api_key}", "Stripe-Version": version},
            )
        assert response.status_code == 400, version
        assert response.json()["error"]["type"] == "invalid_request_error"
