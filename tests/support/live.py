"""A server-sent events reader for tests: what a browser's stream would hear, line by line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx


@dataclass
class Message:
    event: str = ""
    id: str = ""
    comments: list[str] = field(default_factory=list)


class EventStream:
    """One open stream; `next()` returns the next message or comment block, None at its end.

    A task reads the lines into a queue, so a wait that times out loses nothing of the stream.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for line in self.response.aiter_lines():
                await self._lines.put(line)
        except httpx.HTTPError:
            pass  # the server went away: the end of the stream, as a browser sees it
        finally:
            await self._lines.put(None)

    async def next(self, within: float = 10) -> Message | None:
        async with asyncio.timeout(within):
            message = Message()
            while (line := await self._lines.get()) is not None:
                if not line:
                    if message.event or message.comments:
                        return message
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    message.comments.append(value)
                elif name == "event":
                    message.event = value
                elif name == "id":
                    message.id = value
            self._lines.put_nowait(None)  # ended: every later call says so too
            return None

    def close(self) -> None:
        self._reader.cancel()

    async def next_event(self, within: float = 10) -> Message | None:
        """The next named event, past heartbeats; None if the stream ended first."""
        async with asyncio.timeout(within):
            while (message := await self.next(within)) is not None:
                if message.event:
                    return message
            return None

    async def events_until_end(self, within: float = 10) -> list[str]:
        names = []
        while (message := await self.next_event(within)) is not None:
            names.append(message.event)
        return names


@asynccontextmanager
async def stream(
    http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> AsyncIterator[EventStream]:
    """Open `url` as the hx-sse extension does (its Accept, htmx's headers) and wait until the
    server says it is listening: from then on nothing is missed."""
    sent = {"accept": "text/html, text/event-stream", "hx-request": "true", **(headers or {})}
    async with http.stream("GET", url, headers=sent, timeout=httpx.Timeout(30)) as response:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        events = EventStream(response)
        try:
            first = await events.next()
            assert first is not None and first.comments == ["listening"], first
            yield events
        finally:
            events.close()
