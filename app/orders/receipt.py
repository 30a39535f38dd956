"""What the success page tells the buyer about their order, by where the order is."""

from __future__ import annotations

from dataclasses import dataclass

from app.money import format_money
from app.orders.queries import OrderView
from app.orders.tables import OrderStatus

S = OrderStatus
_WAITING = (
    "Waiting for the payment",
    "Order #{id} is not paid yet. If you just paid, it shows as paid below within moments.",
)
_REFUNDED = ("{words}", "Order #{id} was paid and {refunded} has been refunded.")
_NOT_PAID = ("Not paid", "Order #{id} was not paid ({words_lower}). Nothing was charged.")
_WORDS = {
    S.PAID: (
        "Thank you: payment received",
        "Order #{id} is paid. We roast on Mondays and ship the same week.",
    ),
    S.PROCESSING: (
        "Payment processing",
        "Your bank is confirming the payment for order #{id}. This can take a while; "
        "My orders below updates by itself.",
    ),
    S.PENDING: _WAITING,
    S.REFUNDED: _REFUNDED,
    S.PARTIALLY_REFUNDED: _REFUNDED,
    S.NEEDS_REVIEW: (
        "We are checking this payment",
        "Something about order #{id}'s payment needs a person to look at it. We will contact "
        "you; nothing more will be charged.",
    ),
}


@dataclass(frozen=True, slots=True)
class Receipt:
    heading: str
    text: str


def receipt_for(order: OrderView) -> Receipt:
    heading, text = _WORDS.get(order.status, _NOT_PAID)
    values = {
        "id": order.id,
        "words": order.status_words,
        "words_lower": order.status_words.lower(),
        "refunded": format_money(order.refunded_cents, order.currency),
    }
    return Receipt(heading.format(**values), text.format(**values))
