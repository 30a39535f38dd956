"""SIGKILL at each step of a purchase: after a restart and reconcile, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.orders.tables import Order, StripeEvent
from tests.reliability.ledger import newest_session, sessions_since
from tests.reliability.pausable import PAUSE_AT, PAUSED_FILE, STEPS
from tests.support.checkout import Shopper, deliver, order_rows, pay, webhook_for
from tests.support.http import LiveServer
from tests.support.operator import age_orders, reconcile_command
from tests.support.stripe_sandbox import Receiver, SandboxServer, eventually

pytestmark = pytest.mark.usefixtures("postgres_only")


@pytest.mark.parametrize("step", STEPS)
async def test_a_store_killed_at_each_step_loses_and_doubles_nothing(
    step: str,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    store_processes: list[LiveServer],
    store_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    marker = tmp_path / "paused"
    env = store_env(**{PAUSE_AT: step, PAUSED_FILE: str(marker)})
    doomed = LiveServer(env, factory="tests.reliability.pausable:create_app")
    store_processes.append(doomed)
    await asyncio.to_thread(doomed.start)
    bookmark = await newest_session(store_sandbox)

    async with httpx.AsyncClient(base_url=doomed.url, timeout=30) as http:
        buyer = Shopper(http, store_sandbox)
        if step == "fulfilling":
            session_id = await buyer.start_checkout({"mug-350": "2"})
            await pay(store_sandbox, session_id)
            webhook = await webhook_for(receiver, "checkout.session.completed", session_id)
            in_flight = asyncio.create_task(deliver(http, *webhook))
        else:
            await buyer.open_shop()
            in_flight = asyncio.create_task(buyer.buy({"mug-350": "2"}))

        async def paused() -> bool:
            return await asyncio.to_thread(marker.exists)

        await eventually(paused, within=15)
        doomed.kill()
        with pytest.raises(httpx.TransportError):
            await in_flight

    [order] = await order_rows()
    opened = await sessions_since(store_sandbox, bookmark)
    if step == "order-stored":
        assert (order["status"], order["stripe_session_id"], opened) == ("pending", None, [])
    elif step == "session-created":
        assert (order["status"], order["stripe_session_id"]) == ("pending", None)
        assert [s["metadata"]["order_id"] for s in opened] == [str(order["id"])]
    else:
        # The webhook's transaction died with the process: not even the event id was kept.
        assert (order["status"], await StripeEvent.count()) == ("pending", 0)

    plain = {name: value for name, value in env.items() if not name.startswith("SHOP_TEST_")}
    revived = LiveServer(plain)
    store_processes.append(revived)
    await asyncio.to_thread(revived.start)
    if step == "fulfilling":
        # Stripe retries a delivery that got no answer; the restarted store applies it once.
        async with httpx.AsyncClient(base_url=revived.url) as http:
            assert (await deliver(http, *webhook)).json() == {"outcome": "applied"}
            assert (await deliver(http, *webhook)).json() == {"outcome": "duplicate"}
    await age_orders()
    report = await reconcile_command(plain)
    assert "stale order(s)" in report

    [after] = await order_rows()
    expected = {"order-stored": "failed", "session-created": "pending", "fulfilling": "paid"}
    assert after["status"] == expected[step], report
    if step == "session-created":
        # Adopted, not abandoned: the session Stripe opened is the order's again, still payable.
        assert after["stripe_session_id"] == opened[0]["id"]
        await pay(store_sandbox, after["stripe_session_id"])
        await age_orders()
        await reconcile_command(plain)
        assert (await Order.select(Order.status).first())["status"] == "paid"  # type: ignore[index]
