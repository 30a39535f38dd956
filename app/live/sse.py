"""Server-sent events for any stream: where a client left off, bounded per client, as messages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.live.limits import FALLBACK_RETRY_MS
from app.live.streams import StreamTiming, Update, now_ms
from app.live.wiring import Streams
from app.web import AnyRequest

LiveStreams = NamedDependency[Streams]
# When the page was rendered (ms since the epoch): what changed after it is caught up on.
Since = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,16}$")]
# How far back a `since` (or Last-Event-ID) may reach, and no later than now: anything else is
# garbled or forged, and a time past year 9999 would end the stream with a traceback.
SINCE_WINDOW_MS = 24 * 3600 * 1000
Updates = Callable[[StreamTiming], AsyncIterator[Update]]


def resume_from(request: AnyRequest, rendered: str | None) -> int | None:
    """A reconnecting client's Last-Event-ID (when it last heard from us), else the page's time;
    within the last day and not in the future: at worst one needless re-fetch."""
    last = request.headers.get("last-event-id", "")
    if last.isascii() and last.isdigit() and len(last) <= 16:
        since = int(last)
    elif rendered:
        since = int(rendered)
    else:
        return None
    now = now_ms()
    return min(max(since, now - SINCE_WINDOW_MS), now)


def event_stream(streams: Streams, browser: str, address: str, updates: Updates) -> ServerSentEvent:
    """`updates` as a stream, if it fits this worker's bounds (app/live/limits.py) for this
    browser and address; otherwise a slow poll: what changed since the page last heard, and a
    reconnect FALLBACK_RETRY_MS later."""
    return ServerSentEvent(_bounded(streams, browser, address, updates))


async def _bounded(
    streams: Streams, browser: str, address: str, updates: Updates
) -> AsyncIterator[ServerSentEventMessage]:
    # Counted only once the response starts, and until it ends however it ends.
    with streams.limiter.admit(browser, address) as admitted:
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
