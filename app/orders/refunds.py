"""Refunds as Stripe counts them: the store keeps Stripe's figure, whoever heard it first."""

from __future__ import annotations

from app.orders.lifecycle import take, take_first
from app.orders.tables import Order


async def order_paid_by(payment_intent: str) -> int | None:
    row = await Order.select(Order.id).where(Order.payment_intent_id == payment_intent).first()
    return row["id"] if row else None


async def apply_refund(order_id: int, amount_refunded: int, *, fully: bool) -> bool:
    """Stripe's refunded figure for an order's payment, whoever learnt it first (webhook or
    owner); an older figure arriving late changes nothing."""
    if fully:
        return bool(await take("refund_all", order_id, refunded=amount_refunded))
    # Under review first: an order only ever leaves review, so a miss there is final.
    names = ("refund_in_review", "refund_part")
    return await take_first(names, order_id, refunded=amount_refunded) is not None
