"""Two store processes on one database (PostgreSQL, or one SQLite file): pages and webhooks
spread across both, one move each."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from app.orders.tables import Order
from tests.support.checkout import Shopper, deliver, order_rows, pay, session_id_of, webhook_for
from tests.support.http import LiveServer
from tests.support.mail import Sink
from tests.support.stripe_sandbox import Receiver, SandboxServer

BUYERS = 8

# Seen by the database itself, whichever process made the change.
_POSTGRES = [
    "CREATE TABLE reliability_move (order_id int, old text, new text)",
    """CREATE FUNCTION reliability_record_move() RETURNS trigger AS $$
       BEGIN INSERT INTO reliability_move VALUES (NEW.id, OLD.status, NEW.status); RETURN NEW; END
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER reliability_move AFTER UPDATE OF status ON shop_order FOR EACH ROW
       WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION reliability_record_move()""",
]
_SQLITE = [
    "CREATE TABLE reliability_move (order_id int, old text, new text)",
    """CREATE TRIGGER reliability_move AFTER UPDATE OF status ON shop_order FOR EACH ROW
       WHEN OLD.status IS NOT NEW.status
       BEGIN INSERT INTO reliability_move VALUES (NEW.id, OLD.status, NEW.status); END""",
]
_DROP = {
    "postgres": [
        "DROP TRIGGER IF EXISTS reliability_move ON shop_order",
        "DROP FUNCTION IF EXISTS reliability_record_move",
        "DROP TABLE IF EXISTS reliability_move",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS reliability_move", "DROP TABLE IF EXISTS reliability_move"],
}


@pytest.fixture
async def moves(engine_name: str) -> AsyncIterator[None]:
    for statement in _POSTGRES if engine_name == "postgres" else _SQLITE:
        await Order.raw(statement)
    yield
    for statement in _DROP[engine_name]:
        await Order.raw(statement)


@pytest.fixture
async def two_stores(
    store_env: Callable[..., dict[str, str]], store_processes: list[LiveServer]
) -> list[LiveServer]:
    servers = [LiveServer(store_env()) for _ in range(2)]
    store_processes.extend(servers)
    await asyncio.gather(*(asyncio.to_thread(server.start) for server in servers))
    return servers


@pytest.mark.usefixtures("moves")
async def test_pages_and_webhooks_on_two_processes_move_each_order_once(
    two_stores: list[LiveServer], store_sandbox: SandboxServer, receiver: Receiver, mailbox: Sink
) -> None:
    a, b = two_stores
    # One cookie jar per buyer, used with both processes, as a browser behind a proxy would.
    buyers = [
        Shopper(httpx.AsyncClient(base_url=a.url, timeout=30), store_sandbox) for _ in range(BUYERS)
    ]
    try:
        for n, buyer in enumerate(buyers):
            await buyer.open_shop()  # the page and its tokens come from A ...
            if n % 2:
                buyer.http.base_url = httpx.URL(b.url)  # ... and B answers this one's Buy
        bought = await asyncio.gather(*(buyer.buy({"mug-350": "1"}) for buyer in buyers))
        sessions = [session_id_of(response.headers["hx-redirect"]) for response in bought]
        await asyncio.gather(*(pay(store_sandbox, session) for session in sessions))
        hooks = [await webhook_for(receiver, "checkout.session.completed", s) for s in sessions]

        async with (
            httpx.AsyncClient(base_url=a.url, timeout=30) as stripe_to_a,
            httpx.AsyncClient(base_url=b.url, timeout=30) as stripe_to_b,
        ):
            pages = [
                buyer.http.get(f"{server.url}/checkout/success?session_id={session}")
                for buyer, session in zip(buyers, sessions, strict=True)
                for server in (a, b, a, b)
            ]
            hooks_sent = [
                deliver(http, *hook) for hook in hooks for http in (stripe_to_a, stripe_to_b)
            ]
            results = await asyncio.gather(*pages, *hooks_sent)
    finally:
        await asyncio.gather(*(buyer.http.aclose() for buyer in buyers))

    shown, answered = results[: len(pages)], results[len(pages) :]
    assert all(page.status_code == 200 for page in shown)
    assert all("Thank you: payment received" in page.text for page in shown)
    # Each event counts once, whichever process took it; the other copy is a duplicate.
    outcomes = Counter(response.json()["outcome"] for response in answered)
    assert outcomes == {"applied": BUYERS, "duplicate": BUYERS}
    orders = await order_rows()
    assert [order["status"] for order in orders] == ["paid"] * BUYERS
    moved = await Order.raw("SELECT order_id, old, new FROM reliability_move ORDER BY order_id")
    assert moved == [{"order_id": o["id"], "old": "pending", "new": "paid"} for o in orders]
    # Both processes' senders share the outbox: one confirmation per order reaches the server.
    await mailbox.wait_for(BUYERS, seconds=20)
    await asyncio.sleep(2.5)  # a sender polls every 2 s here: a second copy would be in by now
    subjects = Counter(str(m.message["Subject"]) for m in mailbox.arrived)
    assert subjects == {f"Order #{o['id']} is confirmed": 1 for o in orders}
