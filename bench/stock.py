"""Holds per second on PostgreSQL: 50 buyers on one product (one hot row) against three; and
the shop page's CPU per request with stock shown against made to order.

Run: `python -m bench.stock` (BENCH_DATABASE_URL, BENCH_SECONDS). Each "Buy" is the order's own
transaction as place_order runs it: insert the order and its line, hold one, commit; Stripe is
left out, so this is the database's part alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time

import httpx

from app.catalog.service import seed_products
from app.catalog.stock import hold
from app.catalog.tables import Product
from app.db import atomic, bind_tables
from app.main import create_app
from app.orders.tables import Order, OrderLine, StockState
from app.piccolo_app import STORE_TABLES
from app.settings import DatabaseSettings, load_settings
from bench.data import create_database, drop_database, migrate

BUYERS = 50
SKUS = ("beans-250", "mug-350", "dripper-v60")


async def buy(sku: str) -> None:
    async with atomic():
        [order] = await Order.insert(
            Order(
                visitor_id="bench",
                checkout_token=secrets.token_urlsafe(16),
                currency="usd",
                total_cents=1450,
                stock=StockState.HELD.value,
            )
        ).returning(Order.id)
        await OrderLine.insert(
            OrderLine(order=order["id"], sku=sku, name=sku, unit_price_cents=1450, quantity=1)
        )
        assert not await hold({sku: 1})


async def run(skus: tuple[str, ...], seconds: float) -> float:
    done = 0
    stop = time.monotonic() + seconds

    async def buyer(n: int) -> None:
        nonlocal done
        while time.monotonic() < stop:
            await buy(skus[(n + done) % len(skus)])
            done += 1

    await asyncio.gather(*(buyer(n) for n in range(BUYERS)))
    return done / seconds


async def shop_cpu(url: str, requests: int = 300) -> float:
    """CPU milliseconds per GET / in this process (the app in-process, no server around it)."""
    env = {"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "STRIPE_SECRET_KEY": "sk_test_bench"}
    app = create_app(load_settings(env))
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for _ in range(50):
                assert (await http.get("/")).status_code == 200
            start = time.process_time()
            for _ in range(requests):
                await http.get("/")
            return (time.process_time() - start) * 1000 / requests


async def main() -> None:
    admin = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    name, url = await create_database(admin)
    try:
        await asyncio.to_thread(migrate, {**os.environ, "DATABASE_URL": url})
        engine = bind_tables(STORE_TABLES, DatabaseSettings(url=url))
        await engine.start_connection_pool(max_size=20)
        await seed_products()
        await Product.update({Product.on_hand: 10**8}, force=True)
        for label, skus in (("one hot row", SKUS[:1]), ("spread over three", SKUS)):
            await run(skus, 2)  # warm-up
            rate = await run(skus, seconds)
            print(f"{BUYERS} buyers, {label}: {rate:,.0f} holds/s")
        await engine.close_connection_pool()
        await Product.update({Product.on_hand: None}, force=True)
        made_to_order = await shop_cpu(url)
        # "Only N left" on every row (the holds above are dropped: they would not fit)
        await Product.update({Product.on_hand: 3, Product.held: 0}, force=True)
        counted = await shop_cpu(url)
        print(f"GET / CPU: {made_to_order:.2f} ms made to order, {counted:.2f} ms with stock")
    finally:
        await drop_database(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
