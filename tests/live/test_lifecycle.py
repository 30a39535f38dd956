"""Streams end cleanly: heartbeats, a lifetime, the owner's session, a restart with streams open."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from app.orders.tables import Order
from tests.support.checkout import Shopper, session_id_of
from tests.support.http import LiveServer, free_port
from tests.support.live import stream
from tests.support.owner import OwnerBrowser
from tests.support.stripe_sandbox import SandboxServer

# As `make serve`: open streams do not hold a shutdown up for longer than this.
GRACEFUL = ("--timeout-graceful-shutdown", "2")


@pytest.fixture(scope="module")
def quick_env(store_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return store_env(LIVE_HEARTBEAT_SECONDS="1", LIVE_LIFETIME_SECONDS="5")


@pytest.fixture(scope="module")
def store(quick_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(quick_env, "app.main:create_app", *GRACEFUL)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def buyer(store: LiveServer, store_sandbox: SandboxServer) -> AsyncIterator[Shopper]:
    async with httpx.AsyncClient(base_url=store.url) as http:
        yield Shopper(http, store_sandbox)


async def test_an_idle_stream_sends_heartbeats_and_ends_after_its_lifetime(
    buyer: Shopper,
) -> None:
    await buyer.start_checkout({"mug-350": "1"})
    async with stream(buyer.http, "/orders/live") as events:
        beat = await events.next(within=5)
        assert beat is not None and beat.comments == ["heartbeat"] and not beat.event
        # Its lifetime over, it simply ends (no "settled"): the browser reconnects.
        assert await events.events_until_end(within=15) == []


async def test_the_owners_stream_is_for_signed_in_owners_and_names_the_order_shown(
    store: LiveServer, buyer: Shopper, owner_account: int, store_sandbox: SandboxServer
) -> None:
    async with httpx.AsyncClient(base_url=store.url) as http:
        refused = await http.get("/owner/live")  # not signed in: told so, nothing else
        assert refused.text.splitlines()[0] == "event: signed-out"
        assert (await OwnerBrowser(http).sign_in()).status_code == 303

        shown = session_id_of((await buyer.buy({"mug-350": "1"})).headers["hx-redirect"])
        [shown_id] = [row["id"] for row in await Order.select(Order.id)]
        async with stream(http, f"/owner/live?order={shown_id}") as events:
            async with httpx.AsyncClient(base_url=store.url) as other:
                await Shopper(other, store_sandbox).start_checkout({"beans-250": "1"})
            await buyer.cancel(shown)
            heard = [await events.next_event() for _ in range(3)]
    # The new order: every owner page hears of it, but not as the order shown; then the order
    # shown changes, and the page showing it hears both.
    names = [message.event if message else None for message in heard]
    assert names == ["orders-changed", "orders-changed", f"order-{shown_id}"]


async def test_a_restart_with_streams_open_does_not_hang(
    quick_env: dict[str, str], store_sandbox: SandboxServer, engine_name: str
) -> None:
    server = LiveServer(quick_env | _own_port(quick_env), "app.main:create_app", *GRACEFUL)
    server.start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        await Shopper(http, store_sandbox).start_checkout({"mug-350": "1"})
        async with stream(http, "/orders/live") as events:
            server.stop()  # SIGTERM; stop() would SIGKILL after 10 s
            # It shut down by itself, streams and all (uvicorn exits by the signal it got).
            assert server.returncode in (0, -signal.SIGTERM)
            assert await events.events_until_end() == []
        server.start()  # the same store again: the page's stream reconnects
        try:
            async with stream(http, "/orders/live") as events:
                beat = await events.next(within=5)
                assert beat is not None and beat.comments == ["heartbeat"]
        finally:
            server.stop()


def _own_port(env: dict[str, str]) -> dict[str, str]:
    port = free_port()
    return {"PUBLIC_URL": f"http://127.0.0.1:{port}", "PORT": str(port)}


async def test_an_owners_stream_ends_with_signed_out_when_the_session_does(
    store: LiveServer, owner_account: int
) -> None:
    async with httpx.AsyncClient(base_url=store.url) as http:
        owner = OwnerBrowser(http)
        assert (await owner.sign_in()).status_code == 303
        async with stream(http, "/owner/live") as events:
            await owner.page("/owner/")
            signed_out = await http.post("/owner/logout", data={"_csrf_token": owner.csrf})
            assert signed_out.status_code == 303
            # Checked again at the next heartbeat: the page is told, and the stream ends.
            assert await events.events_until_end(within=5) == ["signed-out"]
        # Reconnecting without a session: the same word, as a stream (a redirect would only
        # be retried by the browser for ever).
        async with http.stream("GET", "/owner/live", headers=SSE) as response:
            body = (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert body.splitlines()[0] == "event: signed-out"


SSE = {"accept": "text/html, text/event-stream", "hx-request": "true"}
