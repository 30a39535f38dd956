"""The last bags, two store processes, 40 buyers at once: exactly as many orders as bags."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from app.catalog.tables import Product
from app.orders.tables import Order
from tests.support.checkout import Shopper
from tests.support.http import LiveServer
from tests.support.stripe_sandbox import SandboxServer

pytestmark = pytest.mark.usefixtures("postgres_only")

BUYERS = 40
BAGS = 5


@pytest.fixture
async def two_stores(
    store_env: Callable[..., dict[str, str]], store_processes: list[LiveServer]
) -> list[LiveServer]:
    # All the buyers come from 127.0.0.1: the per-address limit would stop them first.
    servers = [LiveServer(store_env(CHECKOUT_LIMIT_PER_MINUTE="0")) for _ in range(2)]
    store_processes.extend(servers)
    for server in servers:
        await asyncio.to_thread(server.start)
    return servers


async def test_forty_buyers_for_the_last_five_bags_make_five_orders(
    two_stores: list[LiveServer], store_sandbox: SandboxServer
) -> None:
    await Product.update({Product.on_hand: BAGS}).where(Product.sku == "beans-250")
    buyers = [
        Shopper(httpx.AsyncClient(base_url=two_stores[n % 2].url, timeout=60), store_sandbox)
        for n in range(BUYERS)
    ]
    seen: list[int] = []
    done = asyncio.Event()

    async def watch_held() -> None:
        # held never passes on hand, read by the database itself while the Buys run.
        while not done.is_set():
            row = await Product.select(Product.on_hand, Product.held).where(
                Product.sku == "beans-250"
            )
            seen.append(row[0]["held"])
            assert row[0]["held"] <= row[0]["on_hand"]
            await asyncio.sleep(0.01)

    try:
        # Pages are rendered (made to order shows no count, the 5 show "Only 5 left") ...
        await asyncio.gather(*(buyer.open_shop() for buyer in buyers))
        watcher = asyncio.create_task(watch_held())
        # ... then everyone presses Buy at once, half on each process.
        answers = await asyncio.gather(*(buyer.buy({"beans-250": "1"}) for buyer in buyers))
        done.set()
        await watcher
    finally:
        await asyncio.gather(*(buyer.http.aclose() for buyer in buyers))

    assert Counter(answer.status_code for answer in answers) == {200: BAGS, 409: BUYERS - BAGS}
    refused = [answer.text for answer in answers if answer.status_code == 409]
    assert all("Sold out." in text for text in refused)
    orders = await Order.select(Order.status, Order.stock)
    assert len(orders) == BAGS
    assert all(order == {"status": "pending", "stock": "held"} for order in orders)
    [beans] = await Product.select(Product.on_hand, Product.held).where(Product.sku == "beans-250")
    assert beans == {"on_hand": BAGS, "held": BAGS}
    assert seen and max(seen) <= BAGS
