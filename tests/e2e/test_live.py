"""Live pages in Chromium: server-sent events, not polling, bring order changes to open pages.

Each buyer here keeps two tabs: one on Stripe's hosted page (the sandbox mounted in the store),
where the payment is made, and one on the shop, whose My orders is watched. Paying sends the
buyer to the success page, which confirms the payment (and the sandbox's webhook follows); the
watched tab hears of it only through its stream.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Locator, Page, Request, Route, expect

from app.orders.tables import Order
from tests.support.browser import (
    another_browser,
    buy,
    console_errors,
    csp_violations,
    heard,
    listen_on,
    pay,
    requests_to,
    set_hidden,
    sign_in,
)
from tests.support.http import LiveServer
from tests.support.stripe_sandbox import eventually

# Long enough for a poll (the fallback polls every 3 s) or a stray event to show; no longer.
QUIET_SECONDS = 3.0
CHANGED, SETTLED = "orders-changed", "settled"
BEANS = {"beans-250": "1"}


async def placed_earlier(order_id: int) -> None:
    """As if the order was last touched a minute ago, so a page opened now has nothing to catch
    up on (a stream opened within moments of a change re-fetches once, by design)."""
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    await Order.update({Order.updated_at: earlier}).where(Order.id == order_id)


async def status_of(order_id: int) -> str:
    row = await Order.select(Order.status).where(Order.id == order_id).first()
    assert row is not None
    return str(row["status"])


async def connected(streams: list[Request], *, within: float = 10) -> Request:
    """The page's one stream, once its response (text/event-stream) has begun."""
    try:
        await eventually(lambda: _some(streams), within=within)
    except AssertionError:
        raise AssertionError(
            f"the page opened no stream within {within} s: #live was never processed"
            " (see test_the_stream_opens_however_late_the_extension_script_arrives)"
        ) from None
    assert len(streams) == 1, [request.url for request in streams]
    response = await streams[0].response()
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return streams[0]


async def _some(items: list[Request]) -> bool:
    return bool(items)


class Watcher:
    """A buyer's tab on the shop: its My orders, the requests it sends, the events it hears."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.refetches = requests_to(page, "/orders")  # My orders' own GET, never the stream
        self.streams = requests_to(page, "/orders/live")
        self.errors = console_errors(page)

    @classmethod
    async def open(cls, page: Page, live_server: LiveServer, order_id: int) -> Watcher:
        watcher = cls(page)
        await page.goto(live_server.url + "/")
        await expect(watcher.order(order_id)).to_have_attribute("data-status", "pending")
        await connected(watcher.streams)
        await listen_on(page, "#live", CHANGED, SETTLED)
        await page.evaluate("window.__marker = 1")  # gone if the page is ever reloaded
        return watcher

    def order(self, order_id: int) -> Locator:
        return self.page.locator(f'#orders [data-order-id="{order_id}"]')

    async def same_page(self) -> bool:
        return bool(await self.page.evaluate("window.__marker === 1"))

    async def clean(self) -> None:
        assert await csp_violations(self.page) == []
        assert self.errors == []


async def buyer(page: Page, live_server: LiveServer) -> tuple[int, Page]:
    """A pending order on the hosted page (`page`), and a second tab of this browser for it."""
    order_id = await buy(page, live_server, BEANS)
    await placed_earlier(order_id)
    return order_id, await page.context.new_page()


async def test_my_orders_turns_paid_from_the_stream_without_polling(
    page: Page, live_server: LiveServer
) -> None:
    order_id, tab = await buyer(page, live_server)
    shop = await Watcher.open(tab, live_server, order_id)

    await asyncio.sleep(QUIET_SECONDS)  # pending, and nothing asks for My orders meanwhile
    assert shop.refetches == [], "My orders was fetched while nothing changed: polling?"
    assert await heard(shop.page) == []

    await pay(page)  # in the other tab: its success page (or the webhook) confirms it
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    await expect(shop.order(order_id)).to_have_attribute("data-status", "paid")
    await expect(shop.order(order_id).locator(".status")).to_have_text("Paid")
    assert await shop.same_page(), "the shop tab was reloaded"
    # One change, one event, one re-fetch; then the stream says nothing more can change.
    await eventually(lambda: _heard_settled(shop.page))
    assert await heard(shop.page) == [CHANGED, SETTLED]
    assert len(shop.refetches) == 1

    await asyncio.sleep(QUIET_SECONDS)  # settled: the client closed the stream for good
    assert len(shop.streams) == 1, "the stream was reconnected after it settled"
    assert len(shop.refetches) == 1
    # And My orders itself no longer waits for events: nothing it shows can change.
    await expect(shop.page.locator("#orders")).not_to_have_attribute("hx-trigger", re.compile("."))
    await shop.clean()
    assert await csp_violations(page) == []  # the success page


async def _heard_settled(page: Page) -> bool:
    return SETTLED in await heard(page)


async def signed_in_on_the_dashboard(owner: Page, live_server: LiveServer) -> Request:
    """Signed in, on the dashboard, its stream open (so the next page's is the next request)."""
    streams = requests_to(owner, "/owner/live")
    await sign_in(owner, live_server)
    return await connected(streams)


async def test_the_dashboard_shows_a_new_order_without_a_reload(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    owner = page
    errors = console_errors(owner)
    streams = requests_to(owner, "/owner/live")
    await signed_in_on_the_dashboard(owner, live_server)
    await owner.evaluate("window.__marker = 1")
    latest = owner.locator('#dashboard section[aria-labelledby="latest-title"]')
    await expect(latest.locator("tr[data-order-id]")).to_have_count(0)
    pending = owner.locator('#dashboard .status-counts [data-status="pending"]')
    await expect(pending).to_have_attribute("data-count", "0")

    async with another_browser(browser) as shopper:
        order_id = await buy(shopper, live_server, BEANS)
        row = latest.locator(f'tr[data-order-id="{order_id}"]')
        await expect(row).to_have_attribute("data-status", "pending")
        await expect(pending).to_have_attribute("data-count", "1")
        assert await owner.evaluate("window.__marker === 1"), "the dashboard was reloaded"

        await pay(shopper)  # and the same row follows the payment
        await expect(row).to_have_attribute("data-status", "paid")
        await expect(owner.locator("#to-ship tr[data-order-id]")).to_have_attribute(
            "data-order-id", str(order_id)
        )
        await expect(pending).to_have_attribute("data-count", "0")
        assert await owner.evaluate("window.__marker === 1"), "the dashboard was reloaded"
        assert len(streams) == 1
        assert await csp_violations(shopper) == []
    assert await csp_violations(owner) == []
    assert errors == []


async def test_the_owners_order_page_follows_a_payment(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    order_id = await buy(page, live_server, BEANS)
    await placed_earlier(order_id)
    async with another_browser(browser) as owner:
        errors = console_errors(owner)
        await signed_in_on_the_dashboard(owner, live_server)
        streams = requests_to(owner, "/owner/live")
        await owner.goto(f"{live_server.url}/owner/orders/{order_id}")
        assert f"order={order_id}" in (await connected(streams)).url
        panel = owner.locator("section#owner-order")
        await expect(panel).to_have_attribute("data-status", "pending")
        await owner.evaluate("window.__marker = 1")

        await pay(page)
        await expect(panel).to_have_attribute("data-status", "paid")
        await expect(owner.locator("#ship-form")).to_be_visible()  # what a paid order offers
        assert await owner.evaluate("window.__marker === 1"), "the order page was reloaded"
        assert len(streams) == 1
        assert await csp_violations(owner) == []
        assert errors == []


async def test_the_owners_order_list_follows_a_payment(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    order_id = await buy(page, live_server, BEANS)
    await placed_earlier(order_id)
    async with another_browser(browser) as owner:
        errors = console_errors(owner)
        await signed_in_on_the_dashboard(owner, live_server)
        streams = requests_to(owner, "/owner/live")
        await owner.goto(live_server.url + "/owner/orders")
        await connected(streams)
        row = owner.locator(f'#owner-orders tr[data-order-id="{order_id}"]')
        await expect(row).to_have_attribute("data-status", "pending")
        await owner.evaluate("window.__marker = 1")

        await pay(page)
        await expect(row).to_have_attribute("data-status", "paid")
        assert await owner.evaluate("window.__marker === 1"), "the list was reloaded"
        assert await csp_violations(owner) == []
        assert errors == []


async def test_a_live_update_of_the_list_leaves_the_owners_focus_where_it_was(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    first = await buy(page, live_server, BEANS)
    await placed_earlier(first)
    async with another_browser(browser) as owner:
        await signed_in_on_the_dashboard(owner, live_server)
        streams = requests_to(owner, "/owner/live")
        await owner.goto(live_server.url + "/owner/orders")
        await connected(streams)
        link = owner.locator(f'#owner-orders a[href="/owner/orders/{first}"]')
        await link.focus()  # an owner tabbing down the list has reached this row

        second = await buy(page, live_server, BEANS)  # a new order: a new row above it
        await expect(owner.locator(f'#owner-orders tr[data-order-id="{second}"]')).to_be_visible()
        # The list was re-fetched under the owner's focus and morphed in: still on that row.
        await expect(link).to_be_focused()
        assert await csp_violations(owner) == []


async def test_a_hidden_tab_pauses_its_stream_and_catches_up_when_shown(
    page: Page, live_server: LiveServer
) -> None:
    order_id, tab = await buyer(page, live_server)
    shop = await Watcher.open(tab, live_server, order_id)
    ended: list[Request] = []
    shop.page.on("requestfailed", lambda request: ended.append(request))
    shop.page.on("requestfinished", lambda request: ended.append(request))

    await set_hidden(shop.page, True)
    await eventually(lambda: _some([r for r in ended if r is shop.streams[0]]))  # paused

    await pay(page)
    await eventually(lambda: _is_paid(order_id))
    await asyncio.sleep(QUIET_SECONDS)  # hidden: no stream, so no event and no re-fetch
    assert shop.refetches == []
    assert len(shop.streams) == 1, "the stream reconnected while the tab was hidden"
    assert await heard(shop.page) == []
    await expect(shop.order(order_id)).to_have_attribute("data-status", "pending")

    await set_hidden(shop.page, False)
    await expect(shop.order(order_id)).to_have_attribute("data-status", "paid")
    assert await shop.same_page(), "the shop tab was reloaded"
    assert len(shop.streams) == 2  # reconnected once, and was told what it missed
    await eventually(lambda: _heard_settled(shop.page))
    assert await heard(shop.page) == [CHANGED, SETTLED]
    assert len(shop.refetches) == 1
    await shop.clean()


async def _is_paid(order_id: int) -> bool:
    return await status_of(order_id) == "paid"


async def test_one_visitor_never_hears_of_anothers_orders(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    order_a, tab_a = await buyer(page, live_server)
    a = await Watcher.open(tab_a, live_server, order_a)
    async with another_browser(browser) as hosted_b:
        order_b, tab_b = await buyer(hosted_b, live_server)
        b = await Watcher.open(tab_b, live_server, order_b)
        await expect(b.order(order_a)).to_have_count(0)  # each sees only their own orders

        await pay(hosted_b)
        await expect(b.order(order_b)).to_have_attribute("data-status", "paid")
        assert CHANGED in await heard(b.page)
        await asyncio.sleep(QUIET_SECONDS)  # were A told, it would have been by now
        assert await heard(a.page) == [], "A's stream told A of B's order"
        assert a.refetches == [], "A's My orders re-fetched on B's payment"
        await expect(a.order(order_a)).to_have_attribute("data-status", "pending")
        await b.clean()

    # A's stream was listening all along: A's own payment reaches A.
    await pay(page)
    await expect(a.order(order_a)).to_have_attribute("data-status", "paid")
    assert await a.same_page()
    await eventually(lambda: _heard_settled(a.page))
    assert await heard(a.page) == [CHANGED, SETTLED]
    assert len(a.streams) == 1
    assert len(a.refetches) == 1
    await a.clean()


async def test_the_stream_opens_however_late_the_extension_script_arrives(
    page: Page, live_server: LiveServer
) -> None:
    order_id, tab = await buyer(page, live_server)

    async def slowly(route: Route) -> None:
        await asyncio.sleep(0.5)  # a slow network, a busy disk cache
        await route.continue_()

    await tab.route("**/static/vendor/hx-sse-*.js", slowly)
    shop = await Watcher.open(tab, live_server, order_id)
    await pay(page)
    await expect(shop.order(order_id)).to_have_attribute("data-status", "paid")
    await shop.clean()
