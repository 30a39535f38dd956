"""cancel_checkout: the buyer came back from Stripe without paying; close the session first."""

from __future__ import annotations

from app.db import utcnow
from app.orders.fulfilment import fulfil_checkout
from app.orders.queries import OrderView, order_by_id, order_for_session
from app.orders.tables import Order, OrderStatus
from app.payments.gateway import PaymentGateway, SessionNotOpen


class OrderNotFound(Exception):
    """No order of this visitor has that session (unknown, or someone else's: we say the same)."""


async def cancel_checkout(gateway: PaymentGateway, session_id: str, visitor_id: str) -> OrderView:
    order = await order_for_session(session_id)
    if order is None or order.visitor_id != visitor_id:
        raise OrderNotFound(session_id)
    if order.status is OrderStatus.PENDING:
        try:
            # Expire at Stripe before marking canceled, so the session can no longer be paid.
            await gateway.expire_checkout_session(session_id)
        except SessionNotOpen:
            # Paid or expired meanwhile: Stripe's word decides, not the cancel link.
            return await fulfil_checkout(gateway, session_id) or order
        await Order.update(
            {Order.status: OrderStatus.CANCELED.value, Order.updated_at: utcnow()}
        ).where((Order.id == order.id) & (Order.status == OrderStatus.PENDING.value))
    return await order_by_id(order.id) or order
