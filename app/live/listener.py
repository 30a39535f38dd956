"""The worker's one listening connection to PostgreSQL: NOTIFY in, the hub's fan-out out."""

from __future__ import annotations

import asyncio
import logging
import secrets

from piccolo.engine.postgres import PostgresEngine

from app.live.hub import RESYNC, Change, Hub
from app.live.notices import CHANNEL

logger = logging.getLogger("app.live")

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0


class PostgresListener:
    """LISTENs on its own connection (a pooled one drops its listeners on release), for good.

    When the connection drops it reconnects with backoff, then tells every stream to re-fetch
    once: whatever was notified while it was away is gone.
    """

    def __init__(self, engine: PostgresEngine, hub: Hub) -> None:
        self._engine = engine
        self._hub = hub
        self.listening = asyncio.Event()  # set while LISTEN is in place (tests wait on it)

    async def run(self) -> None:
        retry, reconnecting = FIRST_RETRY_SECONDS, False
        while True:
            try:
                await self._listen(reconnecting)
                retry = FIRST_RETRY_SECONDS  # it was listening: the next try is quick again
                logger.warning("live updates: lost the PostgreSQL connection; reconnecting")
            except Exception as exc:  # refused, reset, starting up: all retried
                # The type only: a driver's message can carry connection details.
                logger.warning("live updates: cannot listen (%s); retrying", type(exc).__name__)
            reconnecting = True
            # Jitter (±30 %), so a fleet of workers does not reconnect in step.
            await asyncio.sleep(retry * (0.7 + secrets.randbelow(601) / 1000))
            retry = min(retry * 2, LAST_RETRY_SECONDS)

    async def _listen(self, reconnecting: bool) -> None:
        """Until the connection drops."""
        connection = await self._engine.get_new_connection()
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._heard)
            self.listening.set()
            if reconnecting:
                logger.warning("live updates: listening again; open pages re-fetch once")
                self._hub.broadcast(RESYNC)
            await lost.wait()
        finally:
            self.listening.clear()
            if not connection.is_closed():
                connection.terminate()

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: object) -> None:
        if isinstance(payload, str) and (change := Change.parse(payload)):
            self._hub.publish(change)
