"""Server-sent events for any stream: where a client left off, and updates as messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.live.streams import Update
from app.live.wiring import Streams
from app.web import AnyRequest

LiveStreams = NamedDependency[Streams]
# When the page was rendered (ms since the epoch): what changed after it is caught up on.
Since = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,16}$")]


def resume_from(request: AnyRequest, rendered: str | None) -> int | None:
    """A reconnecting client's Last-Event-ID (when it last heard from us), else the page's time."""
    last = request.headers.get("last-event-id", "")
    if last.isascii() and last.isdigit() and len(last) <= 16:
        return int(last)
    return int(rendered) if rendered else None


def event_stream(updates: AsyncIterator[Update]) -> ServerSentEvent:
    return ServerSentEvent(_messages(updates))


async def _messages(updates: AsyncIterator[Update]) -> AsyncIterator[ServerSentEventMessage]:
    async for update in updates:
        if update.comment is not None:
            yield ServerSentEventMessage(data=None, comment=update.comment)
        else:
            yield ServerSentEventMessage(event=update.event, id=update.id)
