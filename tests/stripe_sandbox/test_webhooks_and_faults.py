"""Webhooks signed as Stripe signs them and retried, and the faults tests and benchmarks inject."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_sandbox.conftest import events_for, session_params
from tests.support.stripe_sandbox import (
    WEBHOOK_SECRET,
    Receiver,
    SandboxServer,
    eventually,
    make_client,
)


async def _delivery(http: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    response = await http.get(f"/_sandbox/events/{event_id}/delivery")
    assert response.status_code == 200
    record: dict[str, Any] = response.json()
    return record


async def test_a_webhook_is_signed_and_retried_after_a_500(
    stripe_client: Any, new_session: Any, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.fail_next = 1
    session = await new_session()
    await stripe_client.v1.checkout.sessions.expire_async(session.id)
    [event] = await events_for(stripe_client, session.id, "checkout.session.expired")

    deliveries = await eventually(lambda: _accepted(receiver, event.id), within=10)

    assert [d.status for d in deliveries] == [500, 200]
    for delivery in deliveries:
        verified = stripe.Webhook.construct_event(
            delivery.body.decode(), delivery.signature, WEBHOOK_SECRET
        )
        assert verified.id == event.id
        assert verified.type == "checkout.session.expired"
        assert verified.data.object.id == session.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            deliveries[0].body.decode(), deliveries[0].signature, "whsec_someone_else"
        )
    record = await eventually(lambda: _settled(http, event.id))
    assert (record["delivered"], record["attempts"]) == (True, 2)
    listed = await stripe_client.v1.events.list_async({"delivery_success": True, "limit": 100})
    assert event.id in {e.id for e in listed.data}


async def _accepted(receiver: Receiver, event_id: str) -> list[Any]:
    deliveries = receiver.for_event(event_id)
    return deliveries if any(d.status == 200 for d in deliveries) else []


async def _settled(http: httpx.AsyncClient, event_id: str) -> dict[str, Any] | None:
    record = await _delivery(http, event_id)
    return None if record["pending"] else record


async def test_dropped_deliveries_are_recorded_as_failed(
    stripe_client: Any, new_session: Any, receiver: Receiver, http: httpx.AsyncClient, faults: Any
) -> None:
    await faults(drop_rate=1)
    session = await new_session()
    await stripe_client.v1.checkout.sessions.expire_async(session.id)
    [event] = await events_for(stripe_client, session.id, "checkout.session.expired")

    record = await eventually(lambda: _settled(http, event.id))

    assert record["delivered"] is False
    assert record["attempts"] == 3
    assert receiver.for_event(event.id) == []
    failed = await stripe_client.v1.events.list_async({"delivery_success": False, "limit": 100})
    assert event.id in {e.id for e in failed.data}
    assert (await stripe_client.v1.events.retrieve_async(event.id)).pending_webhooks == 1


async def test_injected_500s_reach_the_client_as_api_errors(
    stripe_client: Any, receiver: Receiver, faults: Any
) -> None:
    await faults(error_rate=1)

    with pytest.raises(stripe.APIError) as raised:
        await stripe_client.v1.checkout.sessions.create_async(session_params(receiver))

    assert raised.value.http_status == 500
    assert raised.value.json_body["error"]["type"] == "api_error"


async def test_a_hung_request_is_a_client_timeout(
    sandbox: SandboxServer, receiver: Receiver, faults: Any
) -> None:
    await faults(timeout_rate=1, hang_seconds=3)
    impatient = make_client(sandbox.url, timeout=0.5)

    with pytest.raises(stripe.APIConnectionError):
        await impatient.v1.checkout.sessions.create_async(session_params(receiver))


async def test_added_latency_outlasts_a_short_timeout_but_not_a_long_one(
    sandbox: SandboxServer, receiver: Receiver, faults: Any
) -> None:
    await faults(latency_ms=1500)

    with pytest.raises(stripe.APIConnectionError):
        await make_client(sandbox.url, timeout=0.3).v1.checkout.sessions.create_async(
            session_params(receiver)
        )
    session = await make_client(sandbox.url, timeout=10).v1.checkout.sessions.create_async(
        session_params(receiver)
    )
    assert session.status == "open"
