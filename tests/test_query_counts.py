"""SQL per request, counted at Piccolo's engine: the hot pages cost the same for 1 or 30 orders."""

from __future__ import annotations

import httpx
import pytest

from app.catalog.service import forget_displayed_products
from app.orders.tables import Order
from app.visitor import COOKIE_NAME
from tests.support.database import stored_order
from tests.support.http import HTMX


async def give_orders(visitor_id: str, count: int) -> None:
    start = await Order.count()
    for n in range(start, start + count):
        beans = [("beans-250", "Beans", 1450, 1)] * (n % 3 + 1)
        await stored_order(f"token-{visitor_id}-{n:04d}", beans, visitor_id=visitor_id)


async def counts(
    store_client: httpx.AsyncClient, shop_csrf: str, queries: list[str]
) -> dict[str, int]:
    """Queries per request, with the product display cache cold and then warm."""
    out: dict[str, int] = {}
    form = {"_csrf_token": shop_csrf, "qty-beans-250": "2", "qty-mug-350": "1"}
    requests = {
        "GET /": lambda: store_client.get("/"),
        "GET /orders": lambda: store_client.get("/orders", headers=HTMX),
        "POST /cart": lambda: store_client.post("/cart", data=form, headers=HTMX),
    }
    for name, send in requests.items():
        for cache in ("cold", "warm"):
            if cache == "cold":
                forget_displayed_products()
            queries.clear()
            response = await send()
            assert response.status_code == 200, response.text
            out[f"{name} ({cache})"] = len(queries)
    return out


async def test_queries_per_request_do_not_grow_with_orders(
    store_client: httpx.AsyncClient, shop_csrf: str, queries: list[str]
) -> None:
    visitor_id = store_client.cookies[COOKIE_NAME].partition(".")[0]
    await give_orders(visitor_id, 1)
    few = await counts(store_client, shop_csrf, queries)
    await give_orders(visitor_id, 29)
    many = await counts(store_client, shop_csrf, queries)

    assert many == few
    assert few == {
        "GET / (cold)": 2,  # products, orders with their lines
        "GET / (warm)": 1,
        "GET /orders (cold)": 1,
        "GET /orders (warm)": 1,
        "POST /cart (cold)": 1,
        "POST /cart (warm)": 0,
    }
    page = (await store_client.get("/")).text
    assert page.count('class="order"') == 20  # the newest 20 of 30, every one with its lines
    assert page.count(" Beans</span>") == sum(
        n % 3 + 1 for n in range(10, 30)
    )  # newest: n = 10..29


async def test_a_released_connection_costs_no_reset_round_trip(
    store_client: httpx.AsyncClient, engine_name: str
) -> None:
    """asyncpg's default release sends RESET ALL & co. after every query: the store sends none.

    Seen by what survives a release: a session setting (the store never makes one, which is why
    skipping the reset is safe; app/db.py keep_session).
    """
    if engine_name != "postgres":
        pytest.skip("asyncpg's pool: PostgreSQL only")
    assert (await store_client.get("/")).status_code == 200
    pool = Order._meta.db.pool
    async with pool.acquire() as connection:
        pid = connection.get_server_pid()
        await connection.execute("SET application_name = 'left-by-a-test'")
    try:
        async with pool.acquire() as connection:  # the pool hands out the latest released first
            assert connection.get_server_pid() == pid
            assert await connection.fetchval("SHOW application_name") == "left-by-a-test"
    finally:
        async with pool.acquire() as connection:
            await connection.execute("RESET application_name")
