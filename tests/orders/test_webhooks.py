"""POST /webhooks/stripe: only signed, fresh events count, each once, in any order."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar

from app.main import create_app
from app.settings import Settings
from tests.support.checkout import (
    Shopper,
    deliver,
    event_count,
    order_rows,
    pay,
    sign,
    status_of,
    webhook_for,
)
from tests.support.http import browser_like, running
from tests.support.stripe_sandbox import Receiver, SandboxServer, backdate


async def paid_checkout(shopper: Shopper, store_sandbox: SandboxServer) -> tuple[str, int]:
    session_id = await shopper.start_checkout({"mug-350": "2"})
    await pay(store_sandbox, session_id)
    return session_id, (await order_rows())[-1]["id"]


def _refusals(body: bytes) -> list[tuple[str, bytes, Callable[[], str | None]]]:
    """Each refusal's payload and its signature, made just before it is sent: a timestamp taken
    once for all of them moved a second closer to the tolerance while the others were sent."""

    def at(offset: int) -> Callable[[], str]:
        # From the next whole second: sent within a second, it is still over 300 s away.
        return lambda: sign(body, at=math.ceil(time.time()) + offset)

    return [
        ("no signature header", body, lambda: None),
        ("empty signature header", body, lambda: ""),
        ("garbage signature", body, lambda: "t=1,v1=abc"),
        ("signed with another secret", body, lambda: sign(body, secret="whsec_somebody_else")),
        ("signature of other bytes", body, lambda: sign(body + b" ")),
        ("older than five minutes", body, at(-302)),
        ("more than five minutes ahead", body, at(301)),
        ("not JSON, well signed", b"not json", lambda: sign(b"not json")),
        ("JSON but not an event", b"[1, 2]", lambda: sign(b"[1, 2]")),
    ]


async def test_every_unprovable_webhook_is_refused_and_stores_nothing(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    body, _ = await webhook_for(receiver, "checkout.session.completed", session_id)
    for why, payload, signed in _refusals(body):
        response = await deliver(shopper.http, payload, signed())
        assert response.status_code == 400, why
        assert WEBHOOK_WORDS.isdisjoint(response.text.split()), why
    assert await event_count() == 0
    assert await status_of(order_id) == "pending"


WEBHOOK_WORDS = {"whsec_contract_tests_only", "Traceback"}


async def test_without_a_configured_secret_every_webhook_is_refused(
    store_sandbox: SandboxServer,
    receiver: Receiver,
    shopper: Shopper,
    store_settings: Callable[..., Settings],
) -> None:
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    settings = store_settings(STRIPE_WEBHOOK_SECRET="")
    app: Litestar = create_app(settings)
    async with running(app), browser_like(app, settings.public_url) as http:
        assert (await deliver(http, body, signature)).status_code == 400
    assert await status_of(order_id) == "pending"


async def test_the_webhook_needs_no_csrf_token_but_nothing_else_is_exempt(
    shopper: Shopper,
) -> None:
    response = await shopper.http.post("/webhooks/stripe", content=b"{}")
    assert response.status_code == 400  # refused for its signature, not for CSRF
    assert (await shopper.http.post("/cart", data={"qty-mug-350": "1"})).status_code == 403


async def test_webhook_without_any_redirect_pays_the_order(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    response = await deliver(shopper.http, body, signature)
    assert (response.status_code, response.json()) == (200, {"outcome": "applied"})
    assert await status_of(order_id) == "paid"
    assert await event_count() == 1


async def test_webhook_before_the_redirect_and_replays_change_nothing_more(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.orders")
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    assert (await deliver(shopper.http, body, signature)).json() == {"outcome": "applied"}
    for _ in range(3):
        replay = await deliver(shopper.http, body, signature)
        assert (replay.status_code, replay.json()) == (200, {"outcome": "duplicate"})
    page = await shopper.success(session_id)
    assert "Thank you: payment received" in page.text
    assert await event_count() == 1
    assert sum(r.getMessage() == f"order {order_id} -> paid" for r in caplog.records) == 1


async def test_a_late_expired_event_never_unpays_an_order(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    expired_id = await shopper.start_checkout({"beans-250": "1"})
    await backdate(store_sandbox, expired_id)
    expired_body, expired_sig = await webhook_for(receiver, "checkout.session.expired", expired_id)
    # Replay the expired session's event against a paid order's session id: Stripe is asked,
    # says complete and paid, and nothing moves backwards.
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    await shopper.success(session_id)
    event = json.loads(expired_body)
    event["id"] = "evt_late_" + session_id[-12:]
    event["data"]["object"]["id"] = session_id
    forged_body = json.dumps(event).encode()
    response = await deliver(shopper.http, forged_body, sign(forged_body))
    assert response.status_code == 200
    assert await status_of(order_id) == "paid"
    assert (await deliver(shopper.http, expired_body, expired_sig)).status_code == 200
    assert [row["status"] for row in await order_rows()] == ["expired", "paid"]


async def test_unknown_event_types_and_foreign_sessions_are_ignored(shopper: Shopper) -> None:
    customer = json.dumps({"id": "evt_1", "type": "customer.created", "data": {"object": {}}})
    response = await deliver(shopper.http, customer.encode(), sign(customer.encode()))
    assert (response.status_code, response.json()) == (200, {"outcome": "ignored"})
    stranger = {
        "id": "evt_2",
        "type": "checkout.session.completed",
        "data": {
            "object": {"id": "cs_test_someoneelse", "object": "checkout.session", "metadata": {}}
        },
    }
    body = json.dumps(stranger).encode()
    response = await deliver(shopper.http, body, sign(body))
    assert (response.status_code, response.json()) == (200, {"outcome": "ignored"})
    assert await event_count() == 0


async def test_refunds_move_a_paid_order_forward_only(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    from tests.support.stripe_sandbox import refund

    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    await shopper.success(session_id)
    [order] = await order_rows()
    payment_intent = order["payment_intent_id"]
    await refund(store_sandbox, payment_intent, amount=1000)
    partial = await webhook_for(receiver, "charge.refunded", payment_intent, refunded=False)
    assert (await deliver(shopper.http, *partial)).status_code == 200
    assert await status_of(order_id) == "partially_refunded"

    await refund(store_sandbox, payment_intent)  # the rest
    full = await webhook_for(receiver, "charge.refunded", payment_intent, refunded=True)
    assert (await deliver(shopper.http, *full)).status_code == 200
    [row] = await order_rows()
    # Two mugs at 18.00 and their 4.90 shipping: the whole charge came back.
    assert (row["status"], row["refunded_cents"]) == ("refunded", 4090)

    # The partial refund's event arriving again is a duplicate; the same partial figure arriving
    # late under an event id of its own is applied, and still cannot move the refund back.
    assert (await deliver(shopper.http, *partial)).json() == {"outcome": "duplicate"}
    late = json.loads(partial[0])
    late["id"] = f"{late['id']}_late"
    late_body = json.dumps(late).encode()
    assert (await deliver(shopper.http, late_body, sign(late_body))).status_code == 200
    [row] = await order_rows()
    assert (row["status"], row["refunded_cents"]) == ("refunded", 4090)


async def test_a_webhook_while_stripe_is_unreachable_is_a_503_and_is_not_recorded(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver, store_faults: Any
) -> None:
    session_id, order_id = await paid_checkout(shopper, store_sandbox)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    await store_faults(error_rate=1.0)
    assert (await deliver(shopper.http, body, signature)).status_code == 503
    assert await event_count() == 0
    await store_faults()
    assert (await deliver(shopper.http, body, signature)).json() == {"outcome": "applied"}
    assert await status_of(order_id) == "paid"
