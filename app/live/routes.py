"""The two streams: a visitor's own orders, and every order for signed-in owners."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.live.limits import FALLBACK_RETRY_MS
from app.live.streams import StreamTiming, Update, now_ms, owner_updates, visitor_updates
from app.live.wiring import Streams
from app.owner.access import ClientAddress, OwnerCookieDep
from app.web import MAX_ORDER_ID, AnyRequest, VisitorId

LiveStreams = NamedDependency[Streams]
# When the page was rendered (ms since the epoch): what changed after it is caught up on.
Since = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,16}$")]
OrderId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ORDER_ID)]
# How far back a `since` (or Last-Event-ID) may reach, and no later than now: anything else is
# garbled or forged, and a time past year 9999 would end the stream with a traceback.
SINCE_WINDOW_MS = 24 * 3600 * 1000


@get("/orders/live")
async def my_orders_live(
    request: AnyRequest,
    visitor_id: VisitorId,
    streams: LiveStreams,
    client_address: ClientAddress,
    since: Since = None,
) -> ServerSentEvent:
    since_ms = _since(request, since)

    def updates(timing: StreamTiming) -> AsyncIterator[Update]:
        return visitor_updates(streams.hub, timing, visitor_id, since_ms)

    return ServerSentEvent(_bounded(streams, visitor_id, client_address, updates))


@get("/live", opt={"passive": True})
async def owner_live(
    request: AnyRequest,
    streams: LiveStreams,
    owner_cookie: OwnerCookieDep,
    visitor_id: VisitorId,
    client_address: ClientAddress,
    order: OrderId = None,
    since: Since = None,
) -> ServerSentEvent:
    # The guard let it in; the stream checks the same session again as it goes on.
    session, since_ms = request.cookies.get(owner_cookie.name, ""), _since(request, since)

    def updates(timing: StreamTiming) -> AsyncIterator[Update]:
        return owner_updates(streams.hub, timing, session, order, since_ms)

    browser = f"owner:{visitor_id}"  # an owner's tabs are counted apart from their shopping
    return ServerSentEvent(_bounded(streams, browser, client_address, updates))


def _since(request: AnyRequest, since: str | None) -> int | None:
    """A reconnecting client's Last-Event-ID (when it last heard from us), else the page's time."""
    last = request.headers.get("last-event-id", "")
    if last.isascii() and last.isdigit() and len(last) <= 16:
        return _bounded_since(int(last))
    return _bounded_since(int(since)) if since else None


def _bounded_since(ms: int) -> int:
    """Within the last day and not in the future: at worst one needless re-fetch."""
    now = now_ms()
    return min(max(ms, now - SINCE_WINDOW_MS), now)


async def _bounded(
    streams: Streams,
    visitor: str,
    address: str,
    updates: Callable[[StreamTiming], AsyncIterator[Update]],
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream, if it fits this worker's bounds (app/live/limits.py); otherwise a slow poll:
    what changed since the page last heard, and a reconnect FALLBACK_RETRY_MS later."""
    # Counted only once the response starts, and until it ends however it ends.
    with streams.limiter.admit(visitor, address) as admitted:
        if admitted:
            async for message in _messages(updates(streams.timing)):
                yield message
            return
    yield ServerSentEventMessage(data=None, retry=FALLBACK_RETRY_MS, comment="busy: polling")
    async for message in _messages(updates(replace(streams.timing, lifetime_seconds=0))):
        yield message


async def _messages(updates: AsyncIterator[Update]) -> AsyncIterator[ServerSentEventMessage]:
    async for update in updates:
        if update.comment is not None:
            yield ServerSentEventMessage(data=None, comment=update.comment)
        else:
            yield ServerSentEventMessage(event=update.event, id=update.id)
