"""What an owner does to an order: refund_order, accept_order and ship_order, each an arrow."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from app.audit.trail import Action, record
from app.db import atomic, utcnow
from app.money import InvalidAmount, format_money, parse_money
from app.orders.effects import Actor
from app.orders.holds import restock_order
from app.orders.lifecycle import take, take_first
from app.orders.queries import OrderNotFound, OrderView, order_by_id
from app.orders.refunds import apply_refund
from app.orders.tables import Order, OrderStatus
from app.owner.sessions import Owner
from app.owner.shipment import InvalidShipment, shipment
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable, RefundRefused

__all__ = [
    "Confirm", "Done", "OrderNotFound", "Refused",
    "accept_order", "refund_order", "review_refund", "ship_order",
]  # fmt: skip

MAX_NOTE = 500
STRIPE_DOWN = (
    "Stripe turned the request away: nothing was refunded. Try again; it will not refund twice."
)
# No answer (a timeout, a lost connection, a 500): Stripe may have refunded, so say so.
STRIPE_UNSURE = (
    "Stripe did not answer, so this refund may or may not have gone through. Send this form "
    "again: it will not refund twice."
)


@dataclass(frozen=True, slots=True)
class Done:
    order: OrderView
    notice: str


@dataclass(frozen=True, slots=True)
class Confirm:
    """A step that asks before it acts: the question's figure ("$5.00"), the form as typed."""

    order: OrderView
    amount: str
    typed: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Refused(Exception):
    """An action that did not go through: the answer's status, the form (and field) it is about,
    what to tell the owner, and what they typed, shown again."""

    status: int
    form: str
    message: str
    field: str | None = None
    typed: Mapping[str, str] = dataclasses.field(default_factory=dict)


async def refund_order(
    gateway: PaymentGateway,
    owner: Owner,
    order_id: int,
    amount: str,
    form_token: str,
    restock: bool = False,
) -> Done:
    """Refund `amount` (major units, as typed) once per form; the order keeps Stripe's figure.
    `restock`: its items go back on the shelf too (once an order; a refund alone never does)."""
    order = await _order(order_id)
    currency = order.paid_currency or order.currency
    typed = {"amount": amount, **({"restock": "on"} if restock else {})}
    cents = _refundable(order, amount)
    assert order.payment_intent_id is not None  # _refundable refused an order without one
    asked = format_money(cents, currency)
    # Kept before Stripe is asked, in a transaction of its own: whatever happens next (a lost
    # answer, a failed write, a dead worker), the owner's attempt is on record.
    await record(Action.REFUND_REQUESTED, actor=owner.who, order_id=order.id, detail=asked)
    try:
        # The form's own token: a double click or a resubmit is the same refund at Stripe.
        refunded = await gateway.refund_payment(
            payment_intent=order.payment_intent_id,
            amount=cents,
            idempotency_key=f"refund-{order.id}-{form_token}",
        )
    except RefundRefused as exc:
        await record(Action.REFUND_REFUSED, actor=owner.who, order_id=order.id, detail=exc.message)
        # Stripe's sentences do not always end in a full stop ("… on charge ($29.00)").
        said = f"Stripe refused: {exc.message.rstrip('.')}. Nothing was refunded."
        raise Refused(422, "refund", said, "amount", typed) from None
    except PaymentServiceUnavailable as exc:
        outcome = Action.REFUND_FAILED if exc.settled else Action.REFUND_UNKNOWN
        await record(outcome, actor=owner.who, order_id=order.id, detail=f"{asked}: {exc}")
        # The same form token is kept: a retry is the same refund at Stripe.
        kept = {**typed, "form_token": form_token}
        said = STRIPE_DOWN if exc.settled else STRIPE_UNSURE
        raise Refused(503, "refund", said, "amount", kept) from None
    refund_detail = f"{asked} ({refunded.refund_id})"
    record_refund = functools.partial(
        record, Action.REFUNDED, actor=owner.who, order_id=order.id, reference=refunded.refund_id
    )
    try:
        async with atomic():
            await apply_refund(order.id, refunded.amount_refunded, fully=refunded.fully_refunded)
            await record_refund(detail=refund_detail)
            put_back = await restock_order(order.id) if restock else []
            if put_back:
                detail = "; ".join(put_back)
                await record(Action.RESTOCKED, actor=owner.who, order_id=order.id, detail=detail)
    except Exception as exc:
        # Stripe refunded but the order was not updated (its webhook or the ledger will): the
        # outcome is still the owner's, if the database takes this much.
        with contextlib.suppress(Exception):
            failed = type(exc).__name__
            await record_refund(detail=f"{refund_detail}; the order was not updated ({failed})")
        raise
    total = format_money(refunded.amount_refunded, refunded.currency)
    said = f"Refunded {asked}; {total} in all."
    return Done(await _order(order_id), said + (" Items back in stock." if put_back else ""))


async def review_refund(
    order_id: int, amount: str, form_token: str, restock: bool = False
) -> Confirm:
    """What a refund of `amount` would give back, for the owner to confirm: nothing is sent."""
    order = await _order(order_id)
    figure = format_money(_refundable(order, amount), order.paid_currency or order.currency)
    typed = {"amount": amount, "form_token": form_token, **({"restock": "on"} if restock else {})}
    return Confirm(order, figure, typed)


def _refundable(order: OrderView, amount: str) -> int:
    """`amount` in minor units, if this order can give that much back."""
    if not order.can_refund or order.payment_intent_id is None:
        raise Refused(409, "refund", "This order has no payment left to refund.")
    currency = order.paid_currency or order.currency
    try:
        cents = parse_money(amount, currency)
        if cents == 0:
            raise InvalidAmount("Enter an amount above zero.")
        if cents > order.refundable_cents:
            most = format_money(order.refundable_cents, currency)
            raise InvalidAmount(f"At most {most} can be refunded.")
    except InvalidAmount as exc:
        raise Refused(422, "refund", str(exc), "amount", {"amount": amount}) from None
    return cents


async def accept_order(owner: Owner, order_id: int, note: str) -> Done:
    """The owner vouches for a flagged payment: it leaves review, with the reason why."""
    note = note.strip()
    if not note:
        raise Refused(422, "accept", "Write why this order is fine to ship.", "note")
    if len(note) > MAX_NOTE:
        raise Refused(422, "accept", f"Keep the note under {MAX_NOTE} characters.", "note")
    actor = Actor(owner.who, note)
    names = ("accept", "accept_refunded")  # refunds only grow: a miss of the first is final
    accepted = await take_first(names, order_id, {Order.paid_at: utcnow()}, actor=actor)
    order = await _order(order_id)
    if accepted is None:
        said = f"This order is no longer under review (it is {order.status_words.lower()})."
        raise Refused(409, "accept", said)
    return Done(order, "Accepted: the order is paid.")


async def ship_order(owner: Owner, order_id: int, carrier: str, tracking_number: str) -> Done:
    try:
        values = shipment(carrier, tracking_number)
    except InvalidShipment as exc:
        raise Refused(422, "ship", str(exc), exc.field, exc.typed) from None
    detail = " ".join(str(value) for value in values.values() if isinstance(value, str))
    actor = Actor(owner.who, detail)
    shipped = await take("ship", order_id, {Order.shipped_at: utcnow(), **values}, actor=actor)
    order = await _order(order_id)
    if not shipped:
        raise Refused(409, "ship", _why_not_shipped(order))
    return Done(order, "Marked shipped.")


def _why_not_shipped(order: OrderView) -> str:
    if order.shipped:
        return "This order was already marked shipped."
    if order.status is OrderStatus.REFUNDED:
        return "This order was refunded in full: there is nothing to ship."
    return f"Only paid orders can be shipped; this one is {order.status_words.lower()}."


async def _order(order_id: int) -> OrderView:
    order = await order_by_id(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
