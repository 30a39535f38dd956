"""A lightweight server-sent-events client: thousands of streams, each one socket and one task."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

LISTENING = ": listening"
HEARTBEAT = ": heartbeat"
CHANGED = "event: orders-changed"
SETTLED = "event: settled"


CONNECT_SECONDS = 30  # to connect and read the answer's head
LISTEN_SECONDS = 30  # from the head to `: listening`
ALL_SECONDS = 120  # for every stream to be listening


class StreamFailed(Exception):
    """The stream did not open: carries what the store answered instead."""


@dataclass(eq=False)
class Stream:
    """One visitor's open GET /orders/live, and every line it heard, timed as it arrived."""

    visitor_id: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    changed_at: float | None = None  # time.perf_counter() when `event: orders-changed` arrived
    heard: list[str] = field(default_factory=list)  # anything but `: listening` and heartbeats
    heartbeats: int = 0
    ended: bool = False  # the store ended it (after `settled`, or its lifetime)
    task: asyncio.Task[None] | None = None

    def _line(self, line: str, at: float) -> None:
        if line == LISTENING:
            self.listening.set()
        elif line == HEARTBEAT:
            self.heartbeats += 1
        elif line:
            self.heard.append(line)
            if line == CHANGED and self.changed_at is None:
                self.changed_at = at
                self.changed.set()

    async def _read(self) -> None:
        """Chunked transfer decoded by hand; SSE lines split on LF (CR stripped)."""
        pending = b""
        try:
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                chunk = (await self.reader.readexactly(size + 2))[:-2]
                at = time.perf_counter()  # stamped before parsing: the arrival is what counts
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._line(line.rstrip(b"\r").decode(), at)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.ended = True

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def open_stream(port: int, visitor_id: str, cookie: str) -> Stream:
    """Connect, send the GET, check the answer is an event stream; read it in the background."""
    async with asyncio.timeout(CONNECT_SECONDS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"GET /orders/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                "Accept: text/event-stream\r\n\r\n".encode()
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status = head.split(" ", 2)[1]
            if status != "200" or "text/event-stream" not in head.lower():
                body = await _some(reader)
                raise StreamFailed(f"{head.strip()}\n\n{body}")
        except BaseException:
            writer.close()
            raise
    stream = Stream(visitor_id, reader, writer)
    stream.task = asyncio.create_task(stream._read())
    return stream


async def _some(reader: asyncio.StreamReader) -> str:
    with contextlib.suppress(TimeoutError, OSError):
        async with asyncio.timeout(2):
            return (await reader.read(2000)).decode("utf-8", "replace")
    return "(no body)"


async def open_all(
    port: int, visitors: list[tuple[str, str]], concurrency: int = 200
) -> list[Stream]:
    """Every (visitor id, cookie) stream open and past `: listening`, or StreamFailed."""
    gate = asyncio.Semaphore(concurrency)  # a bounded ramp: the listen backlog stays short
    streams: list[Stream] = []

    async def one(visitor_id: str, cookie: str) -> None:
        async with gate:
            stream = await open_stream(port, visitor_id, cookie)
            streams.append(stream)
            try:
                async with asyncio.timeout(LISTEN_SECONDS):
                    await stream.listening.wait()
            except TimeoutError:
                said = f"200 but no `{LISTENING}` in {LISTEN_SECONDS} s; heard {stream.heard}"
                raise StreamFailed(said) from None

    try:
        async with asyncio.timeout(ALL_SECONDS), asyncio.TaskGroup() as group:
            for visitor_id, cookie in visitors:
                group.create_task(one(visitor_id, cookie))
    except BaseException as failed:
        await close_all(streams)
        if isinstance(failed, TimeoutError):
            ready = sum(stream.listening.is_set() for stream in streams)
            said = f"{ready} of {len(visitors)} streams listening after {ALL_SECONDS} s"
            raise StreamFailed(said) from None
        # The first failure says it all (a TaskGroup cancels the rest): raise it alone.
        if isinstance(failed, BaseExceptionGroup):
            raise failed.exceptions[0] from None
        raise
    return streams


async def close_all(streams: list[Stream]) -> None:
    await asyncio.gather(*(stream.close() for stream in streams), return_exceptions=True)
