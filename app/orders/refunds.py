"""Refunds as Stripe counts them: the store keeps Stripe's figure, whoever heard it first."""

from __future__ import annotations

from app.orders.changes import update_orders
from app.orders.tables import Order, OrderStatus

# Orders with a payment that Stripe can still give money back on.
REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.NEEDS_REVIEW)


async def order_paid_by(payment_intent: str) -> int | None:
    row = await Order.select(Order.id).where(Order.payment_intent_id == payment_intent).first()
    return row["id"] if row else None


async def apply_refund(payment_intent: str, amount_refunded: int, *, fully: bool) -> bool:
    """Stripe's refunded figure for a payment, whoever learnt it first (webhook or owner)."""
    status = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    # Refunds only grow, so an older figure arriving late never undoes a newer one.
    rows = await update_orders(
        {Order.status: status.value, Order.refunded_cents: amount_refunded},
        (Order.payment_intent_id == payment_intent)
        & Order.status.is_in([s.value for s in REFUNDABLE])
        & (Order.refunded_cents < amount_refunded),
    )
    return bool(rows)
