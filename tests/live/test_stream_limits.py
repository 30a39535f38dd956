"""One client cannot hold thousands of streams: per visitor, per address and per worker bounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from app.live.limits import FALLBACK_RETRY_MS
from app.settings import load_settings
from tests.support.checkout import Shopper
from tests.support.http import LiveServer
from tests.support.live import EventStream, stream
from tests.support.stripe_sandbox import SandboxServer

PER_ADDRESS, PER_WORKER = 6, 9
SSE = {"accept": "text/html, text/event-stream", "hx-request": "true"}


@pytest.fixture(scope="module")
def store(store_env: Callable[..., dict[str, str]]) -> Iterator[LiveServer]:
    # 127.0.0.1 is a proxy here, so each test client can say which address it is.
    env = store_env(
        LIVE_STREAMS_PER_ADDRESS=str(PER_ADDRESS),
        LIVE_STREAMS_PER_WORKER=str(PER_WORKER),
        TRUSTED_PROXIES="127.0.0.1",
    )
    server = LiveServer(env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def clients(store: LiveServer) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """New browsers (their own cookies) at a given client address."""
    async with AsyncExitStack() as stack:

        def browser(address: str = "198.51.100.1") -> httpx.AsyncClient:
            http = httpx.AsyncClient(base_url=store.url, headers={"x-forwarded-for": address})
            stack.push_async_callback(http.aclose)
            return http

        yield browser


async def buyer_with_an_order(http: httpx.AsyncClient, sandbox: SandboxServer) -> httpx.AsyncClient:
    await Shopper(http, sandbox).start_checkout({"mug-350": "1"})
    return http


async def hold(stack: AsyncExitStack, http: httpx.AsyncClient, times: int) -> list[EventStream]:
    """`times` streams for this browser, each heard saying it is listening (a real stream)."""
    return [await stack.enter_async_context(stream(http, "/orders/live")) for _ in range(times)]


async def refused_politely(http: httpx.AsyncClient, path: str = "/orders/live") -> None:
    """Over a bound: not an error but a slow poll, an answer that ends at once and asks the
    browser to come back FALLBACK_RETRY_MS later."""
    async with asyncio.timeout(5):
        answer = await http.get(path, headers=SSE)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert f"retry: {FALLBACK_RETRY_MS}" in answer.text.splitlines()


async def test_one_visitor_holds_at_most_four_streams_and_then_polls_slowly(
    clients: Callable[..., httpx.AsyncClient], store_sandbox: SandboxServer
) -> None:
    http = await buyer_with_an_order(clients(), store_sandbox)
    async with AsyncExitStack() as stack:
        await hold(stack, http, 4)
        await refused_politely(http)
        # Another visitor from the same address is not held back by this one's tabs.
        other = await buyer_with_an_order(clients(), store_sandbox)
        await hold(stack, other, 1)
    # Closed tabs free their places.
    async with AsyncExitStack() as stack:
        await hold(stack, http, 4)


async def test_one_address_holds_at_most_its_bound_whatever_the_cookies(
    clients: Callable[..., httpx.AsyncClient], store_sandbox: SandboxServer
) -> None:
    async with AsyncExitStack() as stack:
        for _ in range(PER_ADDRESS):
            await hold(stack, await buyer_with_an_order(clients(), store_sandbox), 1)
        await refused_politely(await buyer_with_an_order(clients(), store_sandbox))
        elsewhere = await buyer_with_an_order(clients("198.51.100.2"), store_sandbox)
        await hold(stack, elsewhere, 1)


async def test_a_worker_holds_at_most_its_bound_and_pages_still_get_through(
    clients: Callable[..., httpx.AsyncClient], store_sandbox: SandboxServer
) -> None:
    async with AsyncExitStack() as stack:
        for n in range(PER_WORKER):
            http = await buyer_with_an_order(clients(f"203.0.113.{n + 1}"), store_sandbox)
            await hold(stack, http, 1)
        late = await buyer_with_an_order(clients("203.0.113.200"), store_sandbox)
        await refused_politely(late)
        assert (await late.get("/")).status_code == 200
        assert (await late.get("/owner/login")).status_code == 200


def test_the_bounds_default_to_a_few_per_client_and_below_the_servers_limit() -> None:
    settings = load_settings({"SECRET_KEY": "k" * 40})
    assert (settings.live_streams_per_address, settings.live_streams_per_worker) == (32, 2000)
