"""The visitor's stream: `orders-changed` whenever one of their orders changes, until none can."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from app.live.hub import Hub, visitor_topic
from app.live.streams import HEARTBEAT, LISTENING, StreamTiming, Update, arrivals, changed_after
from app.orders.lifecycle import ACTIVE
from app.orders.tables import Order

ORDERS_CHANGED = "orders-changed"
# Said last, before the stream ends for good: none of the visitor's orders can change any more.
SETTLED = "settled"


async def visitor_updates(
    hub: Hub, timing: StreamTiming, visitor_id: str, since_ms: int | None
) -> AsyncIterator[Update]:
    # Closed with the stream, so its subscription leaves the hub at once (not at collection).
    async with aclosing(arrivals(hub, visitor_topic(visitor_id), timing)) as stream:
        async for arrival in stream:
            if arrival is None:
                yield LISTENING
                active, changed = await _visitor_orders(visitor_id, since_ms)
                if changed:
                    yield Update.named(ORDERS_CHANGED)
            elif arrival.heartbeat:
                yield HEARTBEAT
                continue
            else:
                yield Update.named(ORDERS_CHANGED)
                active, _ = await _visitor_orders(visitor_id, None)
            if not active:
                yield Update.named(SETTLED)
                return


async def _visitor_orders(visitor_id: str, since_ms: int | None) -> tuple[bool, bool]:
    """Whether any of the visitor's orders can still change, and whether any changed since."""
    rows = await Order.select(Order.status, Order.updated_at).where(Order.visitor_id == visitor_id)
    active = any(row["status"] in {status.value for status in ACTIVE} for row in rows)
    if since_ms is None:
        return active, False
    cutoff = changed_after(since_ms)
    return active, any(row["updated_at"] > cutoff for row in rows)
