"""What an owner does to an order: refund_order and accept_order, each an arrow and audited."""

from __future__ import annotations

from dataclasses import dataclass

from app.db import atomic, utcnow
from app.money import InvalidAmount, format_money, parse_money
from app.orders.fulfilment import move
from app.orders.queries import OrderView, order_by_id
from app.orders.refunds import REFUNDABLE, apply_refund
from app.orders.tables import Order, OrderStatus
from app.owner.audit import Action, record
from app.owner.sessions import Owner
from app.payments.gateway import PaymentGateway, RefundRefused

__all__ = [
    "ActionRefused", "Done", "InvalidAmount", "InvalidNote", "OrderNotFound", "RefundRefused",
    "accept_order", "refund_order", "review_refund",
]  # fmt: skip

MAX_NOTE = 500


class OrderNotFound(Exception):
    pass


class ActionRefused(Exception):
    """The order is not (or no longer) in a state this action applies to."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidNote(ValueError):
    """An accept without a usable note; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class Done:
    order: OrderView
    notice: str


async def refund_order(
    gateway: PaymentGateway, owner: Owner, order_id: int, amount: str, form_token: str
) -> Done:
    """Refund `amount` (major units, as typed) once per form; the order keeps Stripe's figure."""
    order = await _order(order_id)
    currency = order.paid_currency or order.currency
    cents = _refundable(order, amount)
    assert order.payment_intent_id is not None  # _refundable refused an order without one
    try:
        # The form's own token: a double click or a resubmit is the same refund at Stripe.
        refunded = await gateway.refund_payment(
            payment_intent=order.payment_intent_id,
            amount=cents,
            idempotency_key=f"refund-{order.id}-{form_token}",
        )
    except RefundRefused as exc:
        await record(
            Action.REFUND_REFUSED, actor=owner.username, order_id=order.id, detail=exc.message
        )
        raise
    async with atomic():
        await apply_refund(
            order.payment_intent_id, refunded.amount_refunded, fully=refunded.fully_refunded
        )
        await record(
            Action.REFUNDED,
            actor=owner.username,
            order_id=order.id,
            detail=f"{format_money(cents, currency)} ({refunded.refund_id})",
            reference=refunded.refund_id,
        )
    total = format_money(refunded.amount_refunded, refunded.currency)
    return Done(
        await _order(order_id), f"Refunded {format_money(cents, currency)}; {total} in all."
    )


async def review_refund(order_id: int, amount: str) -> str:
    """What a refund of `amount` would return, as the owner is asked to confirm it ("$5.00")."""
    order = await _order(order_id)
    return format_money(_refundable(order, amount), order.paid_currency or order.currency)


def _refundable(order: OrderView, amount: str) -> int:
    """`amount` in minor units, if this order can give that much back."""
    currency = order.paid_currency or order.currency
    if order.status not in REFUNDABLE or not order.payment_intent_id or not order.refundable_cents:
        raise ActionRefused("This order has no payment left to refund.")
    cents = parse_money(amount, currency)
    if cents == 0:
        raise InvalidAmount("Enter an amount above zero.")
    if cents > order.refundable_cents:
        most = format_money(order.refundable_cents, currency)
        raise InvalidAmount(f"At most {most} can be refunded.")
    return cents


async def accept_order(owner: Owner, order_id: int, note: str) -> Done:
    """The owner vouches for a flagged payment: needs_review becomes paid, with the reason why."""
    note = note.strip()
    if not note:
        raise InvalidNote("Write why this order is fine to ship.")
    if len(note) > MAX_NOTE:
        raise InvalidNote(f"Keep the note under {MAX_NOTE} characters.")
    async with atomic():
        accepted = await move(
            order_id, OrderStatus.PAID, (OrderStatus.NEEDS_REVIEW,), {Order.paid_at: utcnow()}
        )
        if accepted:
            await record(Action.ACCEPTED, actor=owner.username, order_id=order_id, detail=note)
    order = await _order(order_id)
    if not accepted:
        raise ActionRefused(
            f"This order is no longer under review (it is {order.status_words.lower()})."
        )
    return Done(order, "Accepted: the order is paid.")


async def _order(order_id: int) -> OrderView:
    order = await order_by_id(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
