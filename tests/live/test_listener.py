"""The worker's listening connection: it comes back by itself, and the pages catch up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import asyncpg
import httpx
import pytest
from piccolo.engine.postgres import PostgresEngine

from app.live.hub import OWNERS, RESYNC, Change, Hub
from app.live.listener import PostgresListener
from app.live.notices import CHANNEL
from app.orders.tables import Order
from app.settings import Settings
from tests.support.checkout import Shopper, deliver, pay, webhook_for
from tests.support.http import HTMX, LiveServer
from tests.support.live import stream
from tests.support.stripe_sandbox import Receiver, SandboxServer, eventually


@pytest.fixture(autouse=True)
def postgres_only(engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite streams are in one process")


async def listening_backends(settings: Settings) -> list[int]:
    connection = await asyncpg.connect(settings.database.url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = $1 AND pid <> pg_backend_pid()",
            f'LISTEN "{CHANNEL}"',
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


async def terminate(settings: Settings, pids: list[int]) -> None:
    connection = await asyncpg.connect(settings.database.url)
    try:
        for pid in pids:
            await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()


async def test_a_killed_listening_connection_comes_back_and_asks_every_stream_to_re_fetch(
    settings: Settings,
) -> None:
    engine = Order._meta.db
    assert isinstance(engine, PostgresEngine)
    hub = Hub()
    listener = PostgresListener(engine, hub)
    before = set(await listening_backends(settings))  # other stores of this run listen too
    task = asyncio.create_task(listener.run())
    try:
        with hub.subscribe(OWNERS) as inbox:
            async with asyncio.timeout(10):
                await listener.listening.wait()
            [pid] = await _new(settings, before) or []
            await Order.raw("SELECT pg_notify({}, {})", CHANNEL, Change(7, "v" * 24).payload)
            assert await inbox.wait(5) == ({7}, set())

            await terminate(settings, [pid])
            # Back on a new connection by itself; streams are told to re-fetch once, as what
            # was notified meanwhile is gone.
            assert await inbox.wait(10) == (set(), {RESYNC})
            [again] = await _new(settings, before) or []
            assert again != pid
            await Order.raw("SELECT pg_notify({}, {})", CHANNEL, Change(8, "v" * 24).payload)
            assert await inbox.wait(5) == ({8}, set())
    finally:
        task.cancel()


async def test_a_page_catches_up_after_the_store_lost_its_listening_connection(
    settings: Settings,
    store_env: Callable[..., dict[str, str]],
    store_sandbox: SandboxServer,
    receiver: Receiver,
) -> None:
    before = set(await listening_backends(settings))
    store = LiveServer(store_env())
    store.start()
    try:
        async with httpx.AsyncClient(base_url=store.url) as http:
            buyer = Shopper(http, store_sandbox)
            session_id = await buyer.start_checkout({"mug-350": "1"})
            [pid] = await eventually(lambda: _new(settings, before))
            async with stream(http, "/orders/live") as events:
                await terminate(settings, [pid])
                # Paid while the store may not be listening: this notification can be lost.
                await pay(store_sandbox, session_id)
                body, signature = await webhook_for(
                    receiver, "checkout.session.completed", session_id
                )
                assert (await deliver(http, body, signature)).json() == {"outcome": "applied"}
                # Heard, or re-fetched after the reconnect: either way the page hears of it.
                heard = await events.next_event(within=15)
                assert heard is not None and heard.event == "orders-changed"
            [again] = await eventually(lambda: _new(settings, before | {pid}))
            assert again != pid
            fragment = await http.get("/orders", headers=HTMX)
            assert re.search(r'data-status="paid"', fragment.text)
    finally:
        store.stop()


async def _new(settings: Settings, known: set[int]) -> list[int] | None:
    pids = [pid for pid in await listening_backends(settings) if pid not in known]
    return pids or None
