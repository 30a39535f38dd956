"""ship_order: the owner sends a paid order on its way; one conditional UPDATE, audited."""

from __future__ import annotations

import unicodedata

from app.db import atomic, utcnow
from app.orders.changes import update_orders
from app.orders.queries import Fulfilment, OrderStatus, OrderView, order_by_id
from app.orders.tables import Order
from app.owner.actions import ActionRefused, Done, OrderNotFound
from app.owner.audit import Action, record
from app.owner.sessions import Owner

# A partly refunded order still has something to send; a fully refunded one does not.
SHIPPABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
MAX_FIELD = 100


class InvalidShipment(ValueError):
    """A carrier or tracking number that cannot be stored; the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field  # the form field it is about: "carrier" or "tracking_number"


async def ship_order(owner: Owner, order_id: int, carrier: str, tracking_number: str) -> Done:
    carrier, tracking_number = (
        _field("carrier", "carrier", carrier),
        _field("tracking_number", "tracking number", tracking_number),
    )
    async with atomic():
        shipped = await update_orders(
            {
                Order.fulfilment: Fulfilment.SHIPPED.value,
                Order.shipped_at: utcnow(),
                Order.carrier: carrier or None,
                Order.tracking_number: tracking_number or None,
            },
            (Order.id == order_id)
            & (Order.fulfilment == Fulfilment.UNFULFILLED.value)
            & Order.status.is_in([status.value for status in SHIPPABLE]),
        )
        if shipped:
            detail = " ".join(part for part in (carrier, tracking_number) if part)
            await record(Action.SHIPPED, actor=owner.username, order_id=order_id, detail=detail)
    order = await order_by_id(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if not shipped:
        raise ActionRefused(_why_not(order))
    return Done(order, "Marked shipped.")


def _why_not(order: OrderView) -> str:
    if order.shipped:
        return "This order was already marked shipped."
    if order.status is OrderStatus.REFUNDED:
        return "This order was refunded in full: there is nothing to ship."
    return f"Only paid orders can be shipped; this one is {order.status_words.lower()}."


def _field(field: str, name: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_FIELD:
        raise InvalidShipment(field, f"Keep the {name} under {MAX_FIELD} characters.")
    if any(_unprintable(c) for c in value):
        raise InvalidShipment(field, f"The {name} has characters that cannot be printed.")
    return value


def printable(value: str) -> str:
    """What was typed, without the characters _field refuses: shown again beside its error."""
    return "".join(c for c in value if not _unprintable(c))


def _unprintable(c: str) -> bool:
    return unicodedata.category(c).startswith("C")
