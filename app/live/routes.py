"""The two streams: a visitor's own orders, and every order for signed-in owners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.live.streams import Update, owner_updates, visitor_updates
from app.live.wiring import Streams
from app.owner.access import OwnerCookieDep
from app.web import AnyRequest, VisitorId

LiveStreams = NamedDependency[Streams]
# When the page was rendered (ms since the epoch): what changed after it is caught up on.
Since = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,16}$")]
OrderId = Annotated[int | None, QueryParameter(ge=1, le=2**62)]


@get("/orders/live")
async def my_orders_live(
    request: AnyRequest, visitor_id: VisitorId, streams: LiveStreams, since: Since = None
) -> ServerSentEvent:
    updates = visitor_updates(streams.hub, streams.timing, visitor_id, _since(request, since))
    return ServerSentEvent(_messages(updates))


@get("/live", opt={"passive": True})
async def owner_live(
    request: AnyRequest,
    streams: LiveStreams,
    owner_cookie: OwnerCookieDep,
    order: OrderId = None,
    since: Since = None,
) -> ServerSentEvent:
    # The guard let it in; the stream checks the same session again as it goes on.
    session = request.cookies.get(owner_cookie.name, "")
    updates = owner_updates(streams.hub, streams.timing, session, order, _since(request, since))
    return ServerSentEvent(_messages(updates))


def _since(request: AnyRequest, since: str | None) -> int | None:
    """A reconnecting client's Last-Event-ID (when it last heard from us), else the page's time."""
    last = request.headers.get("last-event-id", "")
    if last.isascii() and last.isdigit() and len(last) <= 16:
        return int(last)
    return int(since) if since else None


async def _messages(updates: AsyncIterator[Update]) -> AsyncIterator[ServerSentEventMessage]:
    async for update in updates:
        if update.comment is not None:
            yield ServerSentEventMessage(data=None, comment=update.comment)
        else:
            yield ServerSentEventMessage(event=update.event, id=update.id)
