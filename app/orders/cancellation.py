"""Closing checkouts: the buyer came back without paying, or opened too many; Stripe first."""

from __future__ import annotations

from app.orders.confirmation import confirm_checkout
from app.orders.lifecycle import take
from app.orders.queries import OrderNotFound, OrderView, order_by_id, order_for_session
from app.orders.tables import Order, OrderStatus
from app.payments.gateway import PaymentGateway, SessionNotOpen

# Open checkouts one visitor may hold: a buyer who goes back and changes the cart a few times
# keeps the latest ones; a flood of Buys keeps no more than this many payable sessions.
MAX_OPEN_CHECKOUTS = 3


async def cancel_checkout(gateway: PaymentGateway, session_id: str, visitor_id: str) -> OrderView:
    order = await order_for_session(session_id)
    if order is None or order.visitor_id != visitor_id:
        # Unknown, or someone else's: we say the same.
        raise OrderNotFound(session_id)
    if order.can_cancel:
        await close_checkout(gateway, order.id, session_id)
    return await order_by_id(order.id) or order


async def close_checkout(gateway: PaymentGateway, order_id: int, session_id: str) -> None:
    """Expire the session at Stripe, so it can no longer be paid, then cancel its order."""
    if not await expire_at_stripe(gateway, session_id):
        return
    await take("cancel", order_id)


async def make_room(gateway: PaymentGateway, visitor_id: str, order_id: int) -> None:
    """Close the visitor's open checkouts beyond the newest few, so `order_id` can open one."""
    others = await (
        Order.select(Order.id, Order.stripe_session_id)
        .where(
            (Order.visitor_id == visitor_id)
            & (Order.status == OrderStatus.PENDING.value)
            & (Order.id != order_id)
        )
        .order_by(Order.id, ascending=False)
    )
    for row in others[MAX_OPEN_CHECKOUTS - 1 :]:
        if row["stripe_session_id"]:
            await close_checkout(gateway, row["id"], row["stripe_session_id"])
        else:
            await _cancel_before_its_session(gateway, row["id"])


async def _cancel_before_its_session(gateway: PaymentGateway, order_id: int) -> None:
    """An order still waiting for its session (a concurrent Buy): canceled first, then closed.

    Whichever of this UPDATE and the Buy's storing of the session id comes second sees the
    other: here the id, or there the canceled status (service._open_session expires it then).
    """
    rows = await take("cancel", order_id, returning=(Order.stripe_session_id,))
    if rows and rows[0]["stripe_session_id"]:
        await expire_at_stripe(gateway, rows[0]["stripe_session_id"])


async def expire_at_stripe(gateway: PaymentGateway, session_id: str) -> bool:
    """Expire a session so it can no longer be paid; False if it had already closed."""
    try:
        await gateway.expire_checkout_session(session_id)
    except SessionNotOpen:
        # Paid or expired meanwhile: Stripe's word decides, not whoever closes it (a payment
        # after the order was closed goes to review, as any other).
        await confirm_checkout(gateway, session_id)
        return False
    return True
