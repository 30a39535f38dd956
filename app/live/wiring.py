"""Streams or polling, decided once at start; the hub, and on PostgreSQL the worker's listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.live.hub import CLOSE, Hub
from app.live.limits import StreamBounds, StreamLimiter
from app.live.listener import PostgresListener
from app.live.notices import in_process_hub
from app.live.signals import on_stop_signal
from app.live.streams import StreamTiming, now_ms

logger = logging.getLogger("app.live")

POLL_SECONDS = 3


@dataclass(frozen=True, slots=True)
class Streams:
    hub: Hub
    timing: StreamTiming
    limiter: StreamLimiter


@dataclass(frozen=True, slots=True)
class Live:
    """How this worker's pages hear of changes: streams from its hub, or polling (streams None)."""

    streams: Streams | None
    how: str  # said in the log at start
    listener: PostgresListener | None = None

    @property
    def streaming(self) -> bool:
        return self.streams is not None

    def url(self, path: str, **params: object) -> str:
        """A stream's URL for a page rendered now: what changed after it is caught up on."""
        return f"{path}?{urlencode({**params, 'since': now_ms()})}"


def live_wiring(
    engine: Any, workers: int, timing: StreamTiming, bounds: StreamBounds | None = None
) -> Live:
    limiter = StreamLimiter(bounds or StreamBounds())
    if isinstance(engine, PostgresEngine):
        hub = Hub()
        listener = PostgresListener(engine, hub)
        return Live(Streams(hub, timing, limiter), "PostgreSQL LISTEN/NOTIFY", listener)
    assert isinstance(engine, SQLiteEngine)
    if workers == 1:
        streams = Streams(in_process_hub(engine), timing, limiter)
        return Live(streams, "in-process (SQLite, one worker)")
    # Another worker's change would never reach this worker's hub.
    return Live(
        None,
        f"polling every {POLL_SECONDS} s (SQLite with {workers} workers has no cross-worker "
        "notifications: use PostgreSQL, or one worker, for streams)",
    )


def live_updates(live: Live) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The lifespan part: the listener runs for the app's life; open streams end at shutdown."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        # Polling is a fallback worth noticing; streams are the normal case.
        logger.log(
            logging.INFO if live.streaming else logging.WARNING, "live updates: %s", live.how
        )
        task = asyncio.create_task(live.listener.run()) if live.listener else None
        hub = live.streams.hub if live.streams else Hub()
        try:
            # Streams end at the stop signal itself (see app/live/signals.py), and again here.
            with on_stop_signal(lambda: hub.broadcast(CLOSE)):
                yield
        finally:
            hub.broadcast(CLOSE)
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan
