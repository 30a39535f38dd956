"""The address on a paid session, where each API version has it, and in Stripe's described shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.stripe_sandbox.conftest import events_for, shipping
from tests.stripe_sandbox.schema import schema_problems
from tests.stripe_sandbox.test_shipping_hosted import STORED, TYPED
from tests.support.stripe_sandbox import SandboxServer, submit_card


async def test_the_charge_and_a_refund_reach_the_shipping(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())
    assert (await submit_card(http, session.url, "4242424242424242")).status_code == 303
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)

    refund = await stripe_client.v1.refunds.create_async(
        {"payment_intent": paid.payment_intent, "expand": ["charge"]}
    )

    assert refund.amount == 5190
    assert (refund.charge.amount, refund.charge.amount_refunded) == (5190, 5190)


async def _raw_session(sandbox: SandboxServer, session_id: str, version: str | None) -> Any:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    if version:
        headers["Stripe-Version"] = version
    async with httpx.AsyncClient(base_url=sandbox.url) as raw:
        response = await raw.get(f"/v1/checkout/sessions/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# Stripe's description here (tests/stripe_sandbox/spec/) is of 2023-08-16: the fields Stripe
# added to a session since, and shows to any later version (stripe_sandbox/versions.py), are
# exactly what it cannot name. Nothing else may differ.
NEWER_THAN_THE_SPEC: dict[str, list[str]] = {
    "2024-06-20": [
        f"checkout.session.{field}: not a property Stripe's schema has"
        for field in (
            "automatic_tax.liability",
            "automatic_tax.provider",
            "client_secret",
            "custom_text.after_submit",
            "custom_text.terms_of_service_acceptance",
            "payment_method_configuration_details",
            "ui_mode",
        )
    ]
}


@pytest.mark.parametrize("version", ["2023-08-16", None, "2024-06-20"])
async def test_older_api_versions_get_top_level_shipping_details(
    new_session: Any, http: httpx.AsyncClient, sandbox: SandboxServer, version: str | None
) -> None:
    session = await new_session(**shipping())
    assert (
        await submit_card(http, session.url, "4242424242424242", address=TYPED)
    ).status_code == 303

    body = await _raw_session(sandbox, session.id, version)

    assert body["shipping_details"] == STORED
    assert "collected_information" not in body
    assert body["shipping_cost"]["amount_total"] == 490
    assert schema_problems(body, "checkout.session") == NEWER_THAN_THE_SPEC.get(version or "", [])


async def test_each_api_version_has_the_address_where_stripe_put_it(
    new_session: Any, http: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    session = await new_session(**shipping())
    assert (
        await submit_card(http, session.url, "4242424242424242", address=TYPED)
    ).status_code == 303

    acacia = await _raw_session(sandbox, session.id, "2025-02-24.acacia")
    basil = await _raw_session(sandbox, session.id, "2025-03-31.basil")
    endive = await _raw_session(sandbox, session.id, "2026-10-28.endive")
    beta = await _raw_session(sandbox, session.id, "2026-10-28.endive; checkout_beta=v1")

    # Both in the month between collected_information's arrival and the old field's removal.
    assert (
        acacia["shipping_details"] == acacia["collected_information"]["shipping_details"] == STORED
    )
    assert basil["collected_information"] == {"shipping_details": STORED}
    assert "shipping_details" not in basil
    assert endive["collected_information"] == {
        "business_name": None,
        "individual_name": None,
        "shipping_details": STORED,
    }
    assert "shipping_details" not in endive
    assert beta == endive


async def test_the_completed_event_is_in_the_accounts_version_shape(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())
    assert (
        await submit_card(http, session.url, "4242424242424242", address=TYPED)
    ).status_code == 303

    [event] = await events_for(stripe_client, session.id, "checkout.session.completed")

    assert event.api_version == "2023-08-16"
    obj = event.data.object.to_dict()
    assert obj["shipping_details"] == STORED
    assert "collected_information" not in obj
    assert obj["amount_total"] == 5190
    assert schema_problems(obj, "checkout.session") == []


async def test_a_session_validates_against_stripes_description_in_the_old_shape(
    new_session: Any, http: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    plain = await new_session()
    shipped = await new_session(**shipping())
    assert (await submit_card(http, shipped.url, "4242424242424242")).status_code == 303

    for session_id in (plain.id, shipped.id):
        body = await _raw_session(sandbox, session_id, None)
        assert schema_problems(body, "checkout.session") == [], session_id
    async with httpx.AsyncClient(base_url=sandbox.url) as raw:
        expanded = await raw.get(
            f"/v1/checkout/sessions/{shipped.id}",
            params={"expand[]": ["line_items", "shipping_cost.shipping_rate"]},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        )
        listed = await raw.get(
            "/v1/checkout/sessions",
            params={"limit": 3},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        )
    assert schema_problems(expanded.json(), "checkout.session") == []
    assert expanded.json()["shipping_cost"]["shipping_rate"]["object"] == "shipping_rate"
    for body in listed.json()["data"]:
        assert schema_problems(body, "checkout.session") == []
