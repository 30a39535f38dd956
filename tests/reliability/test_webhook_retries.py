"""Webhooks while Stripe's API fails, hangs or crawls: the retries end in one payment."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.checkout import Shopper, order_rows, pay
from tests.support.http import LiveServer, free_port
from tests.support.stripe_sandbox import (
    Receiver,
    SandboxServer,
    delivery_of,
    eventually,
    standalone_sandbox,
)


@pytest.fixture(scope="module")
def wired(
    store_env: Callable[..., dict[str, str]],
) -> Iterator[tuple[SandboxServer, LiveServer]]:
    """A sandbox that sends its webhooks straight to a store process, retrying with backoff."""
    port = free_port()
    store_url = f"http://127.0.0.1:{port}"
    with standalone_sandbox(
        Receiver(url=store_url),
        api_key="sk_test_webhook_retries",
        SANDBOX_WEBHOOK_URL=f"{store_url}/webhooks/stripe",
        SANDBOX_RETRY_SECONDS="0.3",
        SANDBOX_MAX_ATTEMPTS="10",
        SANDBOX_DELIVERY_TIMEOUT="3",
        SANDBOX_SETTLE_SECONDS="86400",
    ) as sandbox:
        server = LiveServer(store_env(sandbox, PUBLIC_URL=store_url, PORT=str(port)))
        server.start()
        yield sandbox, server
        server.stop()


@pytest.fixture
def ledger_sandbox(wired: tuple[SandboxServer, LiveServer]) -> SandboxServer:
    return wired[0]


@pytest.mark.parametrize(
    ("fault", "refused"),
    [
        ({"error_rate": 1.0}, True),  # Stripe's API answers 500 to the store's question
        ({"timeout_rate": 1.0, "hang_seconds": 3.0}, True),  # ... or never answers in time
        ({"latency_ms": 1200}, False),  # ... or answers, slowly
    ],
    ids=["failing", "timing-out", "slow"],
)
async def test_webhooks_the_store_could_not_confirm_are_retried_until_paid_once(
    wired: tuple[SandboxServer, LiveServer], fault: dict[str, float], refused: bool
) -> None:
    sandbox, server = wired

    async def paid() -> bool:
        row = await delivery_of(sandbox, session_id)
        return bool(row and row["delivered"]) and (await order_rows())[0]["status"] == "paid"

    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        httpx.AsyncClient(base_url=sandbox.url) as control,
    ):
        session_id = await Shopper(http, sandbox).start_checkout({"dripper-v60": "1"})
        assert (await control.put("/_sandbox/faults", json=fault)).status_code == 200
        try:
            await pay(sandbox, session_id)  # the buyer closes the tab: only the webhook is left
            if not refused:
                await eventually(paid, within=30)
                return

            async def refused_twice() -> bool:
                row = await delivery_of(sandbox, session_id)
                return bool(row and row["attempts"] >= 2 and not row["delivered"])

            await eventually(refused_twice, within=30)
            row = await delivery_of(sandbox, session_id)
            # A 500 from Stripe is the store's 503 (Stripe retries it); only a question that
            # never comes back may leave the delivery without an answer (0) in time.
            expected = {503} if "error_rate" in fault else {0, 503}
            assert row is not None and row["last_status"] in expected
            [order] = await order_rows()
            assert order["status"] == "pending"  # never paid without Stripe's word
        finally:
            assert (await control.put("/_sandbox/faults", json={})).status_code == 200
        await eventually(paid, within=30)
