"""Streams or polling, decided once at start from the database and the number of workers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

import pytest

from app.live.hub import OWNERS, Change, Hub, visitor_topic
from app.live.streams import StreamTiming
from app.main import create_app
from app.owner.live import OWNER_EVENT_GAP_SECONDS, owner_updates
from app.settings import Settings, SettingsError, load_settings
from tests.support.checkout import Shopper
from tests.support.http import HTMX, browser_like, running
from tests.support.stripe_sandbox import SandboxServer


async def test_sqlite_with_several_workers_keeps_polling_and_says_so(
    store_settings: Callable[..., Settings],
    store_sandbox: SandboxServer,
    engine_name: str,
) -> None:
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL streams across any number of workers")
    settings = dataclasses.replace(store_settings(), workers=4)
    app = create_app(settings)
    said = Said()
    logging.getLogger("app.live").addHandler(said)  # Litestar's logging config stops propagation
    try:
        async with running(app), browser_like(app, settings.public_url) as http:
            await Shopper(http, store_sandbox).start_checkout({"mug-350": "1"})
            fragment = await http.get("/orders", headers=HTMX)
            shop = await http.get("/")
            assert (await http.get("/orders/live")).status_code == 404
    finally:
        logging.getLogger("app.live").removeHandler(said)
    assert 'hx-trigger="every 3s"' in fragment.text and "hx-sse:connect" not in shop.text
    assert said.lines == [
        "live updates: polling every 3 s (SQLite with 4 workers has no cross-worker "
        "notifications: use PostgreSQL, or one worker, for streams)"
    ]


class Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize(
    ("name", "value"),
    [("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "two"), ("LIVE_HEARTBEAT_SECONDS", "nan"),
     ("LIVE_LIFETIME_SECONDS", "1"), ("LIVE_LIFETIME_SECONDS", "inf")],
)  # fmt: skip
def test_live_settings_are_checked_at_start(
    test_env: dict[str, str], name: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**test_env, name: value})


def test_a_change_reaches_its_visitor_and_the_owners_only() -> None:
    hub = Hub()
    with (
        hub.subscribe(visitor_topic("a" * 24)) as mine,
        hub.subscribe(visitor_topic("b" * 24)) as theirs,
        hub.subscribe(OWNERS) as owners,
    ):
        hub.publish(Change(1, "a" * 24))
        hub.publish(Change(2, "a" * 24))  # coalesced with the first until the stream looks
        assert (mine.changes, theirs.changes, owners.changes) == ({1, 2}, set(), {1, 2})
        assert hub.open_streams == 3
    assert hub.open_streams == 0  # a closed stream leaves nothing behind


@pytest.mark.parametrize("payload", ["", "12", "x y", " 12 v", "1.5 v", "١٢ v"])
def test_a_payload_that_is_not_ours_is_ignored(payload: str) -> None:
    assert Change.parse(payload) is None


async def test_changes_arriving_together_reach_an_owners_page_as_one_event() -> None:
    hub = Hub()
    updates = owner_updates(hub, StreamTiming(60, 60), "no session needed", 7, None)
    assert (await anext(updates)).comment == "listening"
    hub.publish(Change(1, "v" * 24))
    assert (await anext(updates)).event == "orders-changed"  # the first at once
    for order_id in (2, 3, 7, 4):  # while the page is being told of the first
        hub.publish(Change(order_id, "v" * 24))
    # One event for the four (the lists re-fetch once), and order 7's page hears of order 7.
    assert [(await anext(updates)).event, (await anext(updates)).event] == [
        "orders-changed",
        "order-7",
    ]
    assert hub.open_streams == 1
    await updates.aclose()
    assert hub.open_streams == 0


async def test_an_owners_page_hears_a_busy_stream_at_most_once_a_gap() -> None:
    hub = Hub()
    updates = owner_updates(hub, StreamTiming(60, 60), "no session needed", None, None)
    await anext(updates)  # listening
    hub.publish(Change(1, "v" * 24))
    assert (await anext(updates)).event == "orders-changed"
    told = asyncio.create_task(anext(updates))  # the page was just told: the stream waits
    for order_id in (2, 3):
        await asyncio.sleep(0.2)
        hub.publish(Change(order_id, "v" * 24))
    assert (await told).event == "orders-changed"  # one event for both, after the gap
    # Nothing of 2 or 3 is left over to tell (the next event waits for a change and a gap).
    after = asyncio.create_task(anext(updates))
    await asyncio.sleep(0.3)
    assert not after.done()
    after.cancel()
    assert OWNER_EVENT_GAP_SECONDS >= 0.5  # what the timings above lean on
