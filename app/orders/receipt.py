"""The success page: what it tells the buyer about their order, by where the order is."""

from __future__ import annotations

from dataclasses import dataclass

from app.money import format_money
from app.orders.confirmation import confirm_checkout
from app.orders.listing import ListedOrder, visitor_orders
from app.orders.mailing import link_token_of
from app.orders.queries import OrderView, order_for_session
from app.orders.tables import OrderStatus
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable

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


@dataclass(frozen=True, slots=True)
class ReceiptPage:
    """The success page: the order (None if it is not this visitor's), My orders, its link."""

    order: OrderView | None
    orders: list[ListedOrder]
    link_token: str | None = None
    unconfirmed: bool = False  # Stripe could not be asked: the order as we last knew it
    status_code: int = 200

    def context(self) -> dict[str, object]:
        return {
            "order": self.order,
            "receipt": receipt_for(self.order) if self.order else None,
            "orders": self.orders,
            "link_token": self.link_token,
            "unconfirmed": self.unconfirmed,
        }


async def receipt_page(
    gateway: PaymentGateway | None, session_id: str, visitor_id: str
) -> ReceiptPage | None:
    """None if no order has the session. With a gateway Stripe is asked first (the buyer just
    came back from it); without one the order is read as it is (the receipt's re-fetch)."""
    unconfirmed = False
    try:
        order = await (
            confirm_checkout(gateway, session_id) if gateway else order_for_session(session_id)
        )
    except PaymentServiceUnavailable:
        order, unconfirmed = await order_for_session(session_id), True
    if order is None:
        return None
    if order.visitor_id != visitor_id:
        return ReceiptPage(None, [])
    orders = await visitor_orders(visitor_id)
    return ReceiptPage(order, orders, await link_token_of(order.id), unconfirmed)
