"""Buys per client address per minute, counted in the database: the 21st is a 429, not an order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.orders.tables import BuyWindow
from app.orders.throttle import BuyLimiter, TooManyBuys
from app.settings import Settings
from tests.support.checkout import Shopper, order_rows
from tests.support.http import LiveServer, running
from tests.support.stripe_sandbox import SandboxServer, get_json

LIMIT = 20
EMPTY = {"mug-350": "0"}  # a Buy that counts but stops at the cart (422): no Stripe call


@pytest.fixture(autouse=True)
async def no_counts() -> None:
    await BuyWindow.delete(force=True)


@pytest.fixture
def limited(store_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def build(**overrides: str) -> Settings:
        return store_settings(CHECKOUT_LIMIT_PER_MINUTE=str(LIMIT), **overrides)

    return build


@pytest.fixture
async def limited_store(limited: Callable[..., Settings]) -> AsyncIterator[Litestar]:
    async with running(create_app(limited())) as app:
        yield app


@asynccontextmanager
async def client_at(
    app: Litestar, sandbox: SandboxServer, settings: Settings, address: str
) -> AsyncIterator[Shopper]:
    """One browser whose connection comes from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url=settings.public_url, follow_redirects=False
    ) as http:
        yield Shopper(http, sandbox)


async def time_to_spare(seconds: float = 20) -> None:
    """Counts are per clock minute: start a run of Buys where the minute will not turn."""
    left = 60 - time.time() % 60
    if left < seconds:
        await asyncio.sleep(left + 0.1)


async def buys(shopper: Shopper, n: int, quantities: dict[str, str], **headers: str) -> list[int]:
    statuses = []
    for _ in range(n):
        await shopper.open_shop()
        fields = {"_csrf_token": shopper.csrf, "checkout_token": shopper.checkout_token}
        fields |= {f"qty-{sku}": q for sku, q in quantities.items()}
        response = await shopper.http.post("/checkout", data=fields, headers=headers)
        statuses.append(response.status_code)
    return statuses


async def newest_session(sandbox: SandboxServer) -> list[object]:
    data: list[object] = (await get_json(sandbox, "/v1/checkout/sessions?limit=1"))["data"]
    return data


async def test_the_21st_buy_in_a_minute_is_refused_and_stores_nothing(
    limited_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> None:
    """The reported flood, from one address: only the first 20 reach the orders and Stripe."""
    await time_to_spare()
    async with client_at(limited_store, store_sandbox, settings, "198.51.100.7") as curl:
        assert await buys(curl, LIMIT, {"mug-350": "1"}) == [303] * LIMIT
        assert len(await order_rows()) == LIMIT
        sessions_before = await newest_session(store_sandbox)

        await curl.open_shop()
        refused = await curl.buy({"mug-350": "1"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["hx-retarget"] == "#flash"  # htmx shows it in the alert region
        assert "Too many requests" in refused.text
        plain = await curl.buy({"mug-350": "1"}, htmx=False)
        assert plain.status_code == 429 and "retry-after" in plain.headers
        assert '<h1 id="error-title">Slow down</h1>' in plain.text

        assert len(await order_rows()) == LIMIT
        assert await newest_session(store_sandbox) == sessions_before

    async with client_at(limited_store, store_sandbox, settings, "198.51.100.8") as neighbour:
        assert await buys(neighbour, 1, {"mug-350": "1"}) == [303]


async def test_x_forwarded_for_from_an_untrusted_peer_changes_nothing(
    limited_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> None:
    await time_to_spare()
    async with client_at(limited_store, store_sandbox, settings, "198.51.100.9") as curl:
        statuses = [
            (await buys(curl, 1, EMPTY, **{"x-forwarded-for": f"203.0.113.{n}"}))[0]
            for n in range(LIMIT + 1)
        ]
    assert statuses == [422] * LIMIT + [429]


async def test_a_trusted_proxy_names_the_client(
    limited: Callable[..., Settings], store_sandbox: SandboxServer, settings: Settings
) -> None:
    app = create_app(limited(TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8"))
    await time_to_spare()
    async with running(app), client_at(app, store_sandbox, settings, "127.0.0.1") as proxy:
        # What the client wrote itself (the left part) is ignored; our proxies' hops are skipped.
        spoofed = [f"6.6.6.{n}, 203.0.113.5" for n in range(LIMIT // 2)]
        spoofed += [f"7.7.7.{n}, 203.0.113.5, 10.1.2.3" for n in range(LIMIT // 2)]
        statuses = [(await buys(proxy, 1, EMPTY, **{"x-forwarded-for": x}))[0] for x in spoofed]
        assert statuses == [422] * LIMIT
        assert await buys(proxy, 1, EMPTY, **{"x-forwarded-for": "203.0.113.5"}) == [429]
        assert await buys(proxy, 1, EMPTY, **{"x-forwarded-for": "203.0.113.6"}) == [422]
    # A client connecting directly is itself, whatever it claims.
    async with running(app), client_at(app, store_sandbox, settings, "192.0.2.1") as direct:
        assert await buys(direct, 1, EMPTY, **{"x-forwarded-for": "203.0.113.5"}) == [422]


async def test_two_store_processes_share_one_count(
    store_env: Callable[..., dict[str, str]], store_sandbox: SandboxServer
) -> None:
    # Two server processes (an in-memory counter would give each its own 20), one address.
    servers = [LiveServer(store_env(CHECKOUT_LIMIT_PER_MINUTE=str(LIMIT))) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        await time_to_spare()
        async with (
            httpx.AsyncClient(base_url=servers[0].url) as first,
            httpx.AsyncClient(base_url=servers[1].url) as second,
        ):
            a, b = Shopper(first, store_sandbox), Shopper(second, store_sandbox)
            assert (
                await buys(a, LIMIT // 2, EMPTY) + await buys(b, LIMIT // 2, EMPTY) == [422] * LIMIT
            )
            assert await buys(a, 1, EMPTY) == [429]
            assert await buys(b, 1, EMPTY) == [429]
    finally:
        for server in servers:
            server.stop()


async def test_a_limit_of_zero_counts_nothing(
    stripe_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> None:
    # The test harness runs with CHECKOUT_LIMIT_PER_MINUTE=0, as this store does.
    async with client_at(stripe_store, store_sandbox, settings, "198.51.100.30") as curl:
        assert await buys(curl, LIMIT + 5, EMPTY) == [422] * (LIMIT + 5)
    assert await BuyWindow.count() == 0


async def test_concurrent_buys_are_counted_exactly() -> None:
    limiter = BuyLimiter(LIMIT)
    now = (int(time.time()) // 60) * 60 + 10.0

    async def one() -> bool:
        try:
            await limiter.admit("198.51.100.40", now=now)
        except TooManyBuys:
            return False
        return True

    assert sum(await asyncio.gather(*(one() for _ in range(LIMIT + 10)))) == LIMIT


async def test_a_new_minute_starts_afresh_and_forgets_the_old_ones() -> None:
    limiter = BuyLimiter(2)
    minute = (int(time.time()) // 60) * 60.0
    for _ in range(2):
        await limiter.admit("198.51.100.50", now=minute + 50)
    with pytest.raises(TooManyBuys) as refused:
        await limiter.admit("198.51.100.50", now=minute + 50)
    assert refused.value.retry_after == 10
    await limiter.admit("198.51.100.51", now=minute + 61)  # a new minute clears the last ones
    await limiter.admit("198.51.100.50", now=minute + 62)
    assert await BuyWindow.count().where(BuyWindow.minute < int(minute // 60) + 1) == 0
