"""The stream loop every audience shares: what arrives for a topic, heartbeats, a lifetime."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.live.hub import CLOSE, RESYNC, Hub

# An order is stamped (updated_at) a moment before its transaction commits, and hosts' clocks
# differ a little: "changed since" looks back this far, at worst one needless re-fetch.
COMMIT_LAG = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """A comment this often keeps proxies from closing an idle stream (and re-checks an owner's
    session); after its lifetime a stream ends and the browser reconnects, so none lives on for
    days behind a proxy, holding a worker that is being replaced."""

    heartbeat_seconds: float
    lifetime_seconds: float


@dataclass(frozen=True, slots=True)
class Update:
    """One server-sent message: a named event with the time it was sent as its id, or a comment."""

    event: str | None = None
    id: str | None = None
    comment: str | None = None

    @classmethod
    def named(cls, event: str) -> Update:
        return cls(event=event, id=str(now_ms()))


LISTENING = Update(comment="listening")
HEARTBEAT = Update(comment="heartbeat")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def changed_after(since_ms: int) -> datetime:
    """The `updated_at` after which an order changed since a client last heard (`since_ms`)."""
    return datetime.fromtimestamp(since_ms / 1000, UTC) - COMMIT_LAG


@dataclass(frozen=True, slots=True)
class Arrival:
    """What woke a stream: changed order ids and markers; neither means a heartbeat is due."""

    changes: frozenset[int] = frozenset()
    markers: frozenset[str] = frozenset()

    @property
    def heartbeat(self) -> bool:
        return not self.changes and not self.markers

    def touches(self, order_id: int) -> bool:
        """Whether the order may have changed: named, or everything is to be re-fetched."""
        return order_id in self.changes or RESYNC in self.markers


async def arrivals(
    hub: Hub, topic: str, timing: StreamTiming
) -> AsyncGenerator[Arrival | None, None]:
    """None once subscribed (nothing sent after it is missed), then each arrival, until the
    stream's lifetime is up or the hub closes it (the client reconnects)."""
    deadline = time.monotonic() + timing.lifetime_seconds
    with hub.subscribe(topic) as inbox:
        yield None
        while (left := deadline - time.monotonic()) > 0:
            arrived = await inbox.wait(min(timing.heartbeat_seconds, left))
            if arrived is None:
                yield Arrival()
                continue
            changes, markers = arrived
            if CLOSE in markers:
                return
            yield Arrival(frozenset(changes), frozenset(markers))
