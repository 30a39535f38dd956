"""The streams as a client hears them: who is told, what, when they end, across processes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from tests.support.checkout import Shopper, deliver, pay, webhook_for
from tests.support.http import HTMX, LiveServer
from tests.support.live import stream
from tests.support.stripe_sandbox import Receiver, SandboxServer

CONNECT = re.compile(r'hx-sse:connect="([^"]+)"')


@pytest.fixture(scope="module")
def stores(
    store_env: Callable[..., dict[str, str]], engine_name: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two store processes on PostgreSQL (one page's stream on the first, webhooks to the
    second); on SQLite one, as streams there are for one process only."""
    servers = [LiveServer(store_env()) for _ in range(2 if engine_name == "postgres" else 1)]
    for server in servers:
        server.start()
    yield servers[0], servers[-1]
    for server in servers:
        server.stop()


@pytest.fixture
async def buyer(
    stores: tuple[LiveServer, LiveServer], store_sandbox: SandboxServer
) -> AsyncIterator[Shopper]:
    async with httpx.AsyncClient(base_url=stores[0].url) as http:
        yield Shopper(http, store_sandbox)


@pytest.fixture
async def other_buyer(
    stores: tuple[LiveServer, LiveServer], store_sandbox: SandboxServer
) -> AsyncIterator[Shopper]:
    async with httpx.AsyncClient(base_url=stores[0].url) as http:
        yield Shopper(http, store_sandbox)


async def stream_url(buyer: Shopper) -> str:
    """The URL the page's element connects to, as the page names it."""
    page = await buyer.http.get("/")
    match = CONNECT.search(page.text)
    assert match, "the page connects no stream"
    return match.group(1)


async def confirm_on(
    store: LiveServer, store_sandbox: SandboxServer, receiver: Receiver, session_id: str
) -> None:
    """The buyer pays; Stripe's webhook reaches `store` (not the process the page streams from)."""
    await pay(store_sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    async with httpx.AsyncClient(base_url=store.url) as http:
        response = await deliver(http, body, signature)
    assert response.json() == {"outcome": "applied"}


async def test_a_webhook_on_one_process_reaches_the_page_streaming_from_another(
    stores: tuple[LiveServer, LiveServer],
    buyer: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
) -> None:
    session_id = await buyer.start_checkout({"mug-350": "1"})
    url = await stream_url(buyer)
    assert url.startswith("/orders/live?since=")

    async with stream(buyer.http, url) as events:
        await confirm_on(stores[1], store_sandbox, receiver, session_id)
        heard = await events.events_until_end()
    # The page was rendered a moment after Buy stamped the order, so the stream may first say
    # "changed since the page" (COMMIT_LAG); then the payment; then, as nothing of this
    # visitor's can change any more, "settled", and it ends.
    assert heard[-2:] == ["orders-changed", "settled"] and len(heard) <= 3

    fragment = await buyer.http.get("/orders", headers=HTMX)
    assert 'data-status="paid"' in fragment.text


async def test_one_visitor_never_hears_of_anothers_orders(
    stores: tuple[LiveServer, LiveServer],
    buyer: Shopper,
    other_buyer: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
) -> None:
    mine = await buyer.start_checkout({"mug-350": "1"})
    theirs = await other_buyer.start_checkout({"beans-250": "1"})
    # Without the page's time: no "changed since the page" to tell apart from what follows.
    async with stream(buyer.http, "/orders/live") as events:
        await confirm_on(stores[1], store_sandbox, receiver, theirs)
        # The other visitor's order is paid: this stream hears nothing (a heartbeat at most).
        with pytest.raises(TimeoutError):
            await events.next_event(within=2)
        await confirm_on(stores[1], store_sandbox, receiver, mine)
        heard = await events.next_event()
        assert heard is not None and heard.event == "orders-changed"


async def test_a_visitor_with_nothing_in_flight_gets_a_stream_that_settles_at_once(
    buyer: Shopper,
) -> None:
    await buyer.open_shop()
    async with stream(buyer.http, "/orders/live") as events:
        assert await events.events_until_end() == ["settled"]


async def test_a_reconnect_catches_up_on_what_changed_while_it_was_away(
    stores: tuple[LiveServer, LiveServer],
    buyer: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
) -> None:
    session_id = await buyer.start_checkout({"mug-350": "1"})
    url = await stream_url(buyer)
    async with stream(buyer.http, url) as events:
        pass  # connected once, heard nothing, went away (a hidden tab, a network blip)
    await confirm_on(stores[1], store_sandbox, receiver, session_id)
    # Back, saying when it last heard from us (the page's own time here, as it heard no event).
    since = url.split("since=")[1]
    async with stream(buyer.http, url, headers={"last-event-id": since}) as events:
        assert await events.events_until_end() == ["orders-changed", "settled"]


async def test_a_stream_url_that_is_not_ours_is_refused(buyer: Shopper) -> None:
    await buyer.open_shop()
    for bad in ("/orders/live?since=abc", "/orders/live?since=-5", "/orders/live?since=1e3"):
        response = await buyer.http.get(bad)
        assert response.status_code == 400, bad
