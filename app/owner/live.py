"""The owners' stream: `orders-changed` on any change, `order-<id>` for the order a page shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

from app.live.hub import OWNERS, Hub
from app.live.streams import HEARTBEAT, LISTENING, StreamTiming, Update, arrivals, changed_after
from app.orders.live import ORDERS_CHANGED
from app.orders.tables import Order
from app.owner.sessions import owner_for

# Said before the stream ends for good: the session is over (the page goes to sign in).
SIGNED_OUT = "signed-out"
# An owner's page re-fetches whole lists on each event: in a busy hour at most one a second,
# the first at once, and what came meanwhile in the next (the inbox keeps it; nothing is lost).
OWNER_EVENT_GAP_SECONDS = 1.0


def order_event(order_id: int) -> str:
    return f"order-{order_id}"


async def owner_updates(
    hub: Hub, timing: StreamTiming, session: str, order_id: int | None, since_ms: int | None
) -> AsyncIterator[Update]:
    """The session is checked again at every heartbeat: signed out elsewhere, expired or its
    password changed, the stream says so within one heartbeat and ends."""
    # Closed with the stream, so its subscription leaves the hub at once (not at collection).
    async with aclosing(arrivals(hub, OWNERS, timing)) as stream:
        async for arrival in stream:
            if arrival is None:
                yield LISTENING
                if since_ms is not None and await _changed_since(since_ms, order_id):
                    yield Update.named(ORDERS_CHANGED)
                    if order_id is not None:
                        yield Update.named(order_event(order_id))
            elif arrival.heartbeat:
                if await owner_for(session, touch=False) is None:
                    yield Update.named(SIGNED_OUT)
                    return
                yield HEARTBEAT
            else:
                yield Update.named(ORDERS_CHANGED)
                if order_id is not None and arrival.touches(order_id):
                    yield Update.named(order_event(order_id))
                await asyncio.sleep(OWNER_EVENT_GAP_SECONDS)


async def _changed_since(since_ms: int, order_id: int | None) -> bool:
    query = Order.exists().where(Order.updated_at > changed_after(since_ms))
    if order_id is not None:
        query = query.where(Order.id == order_id)
    return await query
