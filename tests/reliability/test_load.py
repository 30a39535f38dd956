"""A bounded load on loopback: hundreds of buyers at once, then a burst of duplicate webhooks."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from tests.support.checkout import Shopper, deliver, order_rows, session_id_of
from tests.support.http import HTMX, LiveServer
from tests.support.stripe_sandbox import Receiver, SandboxServer, eventually, submit_card

BUYERS = 100  # at once, per round
PAYING_EVERY = 5  # one buyer in five pays and comes back
DUPLICATES = 4  # copies of each webhook in the burst
STRIPE_LATENCY_MS = 60
GOOD_CARD = "4242 4242 4242 4242"


@pytest.fixture
async def loaded_store(
    store_env: Callable[..., dict[str, str]],
    store_processes: list[LiveServer],
    store_faults: object,
) -> AsyncIterator[LiveServer]:
    server = LiveServer(store_env(STRIPE_TIMEOUT_SECONDS="10"))
    store_processes.append(server)
    await asyncio.to_thread(server.start)
    await store_faults(latency_ms=STRIPE_LATENCY_MS)  # type: ignore[operator]
    yield server


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def buyer(n: int, url: str, store_sandbox: SandboxServer, seen: Counter[int]) -> str | None:
    """Browse, change quantities, buy; some pay. Returns the session if the buyer paid."""
    limits = httpx.Limits(max_connections=2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        shopper = Shopper(http, store_sandbox)
        seen[(await shopper.open_shop()).status_code] += 1
        form = {"_csrf_token": shopper.csrf, "qty-beans-250": str(n % 5)}
        for op in ("inc:mug-350", "inc:mug-350", "dec:mug-350"):
            response = await http.post("/cart", data={**form, "op": op}, headers=HTMX)
            seen[response.status_code] += 1
        bought = await shopper.buy({"beans-250": str(n % 5), "mug-350": "1"})
        seen[bought.status_code] += 1
        assert bought.status_code == 200, bought.text[:300]
        session_id = session_id_of(bought.headers["hx-redirect"])
        if n % PAYING_EVERY:
            return None
        async with httpx.AsyncClient(timeout=60) as card_holder:  # the hosted page, loaded too
            paid = await submit_card(
                card_holder, f"{store_sandbox.url}/pay/{session_id}", GOOD_CARD
            )
        assert paid.status_code == 303, paid.text[:300]
        page = await shopper.success(session_id)
        seen[page.status_code] += 1
        assert "Thank you: payment received" in page.text
        return session_id


def completed_webhooks(receiver: Receiver, sessions: set[str]) -> list[tuple[bytes, str]]:
    """Stripe's signed deliveries for these sessions, each read once."""
    found = {}
    for delivery in receiver.deliveries:
        event = json.loads(delivery.body)
        session = event["data"]["object"].get("id")
        if event["type"] == "checkout.session.completed" and session in sessions:
            found[session] = (delivery.body, delivery.signature)
    return list(found.values())


async def one_round(
    url: str, store_sandbox: SandboxServer, receiver: Receiver, buyers: int, seen: Counter[int]
) -> Counter[str]:
    paid = [
        s
        for s in await asyncio.gather(*(buyer(n, url, store_sandbox, seen) for n in range(buyers)))
        if s
    ]

    async def all_sent() -> list[tuple[bytes, str]] | None:
        hooks = completed_webhooks(receiver, set(paid))
        return hooks if len(hooks) == len(paid) else None

    hooks = await eventually(all_sent, within=30)
    async with httpx.AsyncClient(base_url=url, timeout=60) as stripe:
        burst = await asyncio.gather(
            *(deliver(stripe, *hook) for hook in hooks for _ in range(DUPLICATES))
        )
    for response in burst:
        seen[response.status_code] += 1
    return Counter(response.json()["outcome"] for response in burst)


async def test_hundreds_of_buyers_and_a_webhook_burst_lose_and_double_nothing(
    loaded_store: LiveServer, store_sandbox: SandboxServer, receiver: Receiver
) -> None:
    seen: Counter[int] = Counter()
    url = loaded_store.url
    await one_round(url, store_sandbox, receiver, 20, seen)  # warm up: imports, pools, caches
    rounds = [await one_round(url, store_sandbox, receiver, BUYERS, seen)]
    after_first = rss_kib(loaded_store.pid)
    rounds.append(await one_round(url, store_sandbox, receiver, BUYERS, seen))
    after_second = rss_kib(loaded_store.pid)

    assert not [status for status in seen if status >= 500], seen
    payers = len(range(0, BUYERS, PAYING_EVERY))
    for outcomes in rounds:
        assert outcomes == {"applied": payers, "duplicate": payers * (DUPLICATES - 1)}
    orders = await order_rows()
    assert len(orders) == 20 + 2 * BUYERS
    assert len({order["stripe_session_id"] for order in orders}) == len(orders)
    assert Counter(o["status"] for o in orders) == {
        "paid": len(range(0, 20, PAYING_EVERY)) + 2 * payers,
        "pending": 20 - len(range(0, 20, PAYING_EVERY)) + 2 * (BUYERS - payers),
    }
    # The same work again must not need much more memory: nothing piles up per request.
    assert after_second - after_first < 0.25 * after_first, (after_first, after_second)
