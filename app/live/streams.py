"""What each audience's stream says: named events that tell a page to re-fetch its fragments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.live.hub import CLOSE, OWNERS, RESYNC, Hub, Subscription, visitor_topic
from app.orders.queries import ACTIVE
from app.orders.tables import Order
from app.owner.sessions import owner_for

ORDERS_CHANGED = "orders-changed"
# The visitor's stream says this, then ends for good: none of their orders can change any more.
SETTLED = "settled"
# The owner's stream says this, then ends for good: the session is over (the page goes to sign in).
SIGNED_OUT = "signed-out"
# An order is stamped (updated_at) a moment before its transaction commits, and hosts' clocks
# differ a little: "changed since" looks back this far, at worst one needless re-fetch.
COMMIT_LAG = timedelta(seconds=2)
# An owner's page re-fetches whole lists on each event: in a busy hour at most one a second,
# the first at once, and what came meanwhile in the next (the inbox keeps it; nothing is lost).
OWNER_EVENT_GAP_SECONDS = 1.0


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


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def order_event(order_id: int) -> str:
    return f"order-{order_id}"


async def visitor_updates(
    hub: Hub, timing: StreamTiming, visitor_id: str, since_ms: int | None
) -> AsyncIterator[Update]:
    """`orders-changed` whenever one of this visitor's orders changes, until none can."""
    deadline = time.monotonic() + timing.lifetime_seconds
    with hub.subscribe(visitor_topic(visitor_id)) as inbox:
        yield Update(comment="listening")  # subscribed: nothing from here on is missed
        active, changed = await _visitor_orders(visitor_id, since_ms)
        if changed:
            yield Update.named(ORDERS_CHANGED)
        while active:
            arrived = await _next(inbox, timing, deadline)
            if arrived is None or CLOSE in arrived.markers:
                return  # the client reconnects
            if arrived.heartbeat:
                yield Update(comment="heartbeat")
                continue
            yield Update.named(ORDERS_CHANGED)
            active, _ = await _visitor_orders(visitor_id, None)
        yield Update.named(SETTLED)


async def owner_updates(
    hub: Hub, timing: StreamTiming, session: str, order_id: int | None, since_ms: int | None
) -> AsyncIterator[Update]:
    """`orders-changed` on any change; `order-<id>` when the order this page shows changes.

    The session is checked again at every heartbeat: signed out elsewhere, expired or its
    password changed, the stream says so within one heartbeat and ends.
    """
    deadline = time.monotonic() + timing.lifetime_seconds
    with hub.subscribe(OWNERS) as inbox:
        yield Update(comment="listening")
        if since_ms is not None and await _changed_since(since_ms, order_id):
            yield Update.named(ORDERS_CHANGED)
            if order_id is not None:
                yield Update.named(order_event(order_id))
        while True:
            arrived = await _next(inbox, timing, deadline)
            if arrived is None or CLOSE in arrived.markers:
                return
            if arrived.heartbeat:
                if await owner_for(session, touch=False) is None:
                    yield Update.named(SIGNED_OUT)
                    return
                yield Update(comment="heartbeat")
                continue
            yield Update.named(ORDERS_CHANGED)
            if order_id is not None and (order_id in arrived.changes or RESYNC in arrived.markers):
                yield Update.named(order_event(order_id))
            await asyncio.sleep(OWNER_EVENT_GAP_SECONDS)


@dataclass(frozen=True, slots=True)
class Arrival:
    changes: frozenset[int] = frozenset()
    markers: frozenset[str] = frozenset()

    @property
    def heartbeat(self) -> bool:
        return not self.changes and not self.markers


async def _next(inbox: Subscription, timing: StreamTiming, deadline: float) -> Arrival | None:
    """What arrived (nothing: time for a heartbeat), or None once the stream's lifetime is up."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    arrived = await inbox.wait(min(timing.heartbeat_seconds, left))
    if arrived is None:
        return Arrival()
    changes, markers = arrived
    return Arrival(frozenset(changes), frozenset(markers))


async def _visitor_orders(visitor_id: str, since_ms: int | None) -> tuple[bool, bool]:
    """Whether any of the visitor's orders can still change, and whether any changed since."""
    rows = await Order.select(Order.status, Order.updated_at).where(Order.visitor_id == visitor_id)
    active = any(row["status"] in {status.value for status in ACTIVE} for row in rows)
    if since_ms is None:
        return active, False
    cutoff = _cutoff(since_ms)
    return active, any(row["updated_at"] > cutoff for row in rows)


async def _changed_since(since_ms: int, order_id: int | None) -> bool:
    query = Order.exists().where(Order.updated_at > _cutoff(since_ms))
    if order_id is not None:
        query = query.where(Order.id == order_id)
    return await query


def _cutoff(since_ms: int) -> datetime:
    return datetime.fromtimestamp(since_ms / 1000, UTC) - COMMIT_LAG
