"""confirm_checkout and the webhook: Stripe's word moves an order forward, once, in any order."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from app.db import atomic, utcnow
from app.money import format_money
from app.orders.lifecycle import CLOSED, take
from app.orders.queries import OrderView, order_by_id, order_for_session
from app.orders.refunds import apply_refund, order_paid_by
from app.orders.tables import Order, StripeEvent
from app.payments.gateway import (
    CheckoutSession,
    Event,
    PaymentGateway,
    ShippingAddress,
    session_from,
)

logger = logging.getLogger("app.orders")

SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
REFUND_EVENT = "charge.refunded"


async def confirm_checkout(gateway: PaymentGateway, session_id: str) -> OrderView | None:
    """Ask Stripe about the session and apply what it says; None if no order of ours has it."""
    order = await order_for_session(session_id)
    if order is None:
        return None
    session = await gateway.retrieve_checkout_session(session_id)
    await _apply_session(order, session)
    return await order_by_id(order.id)


async def handle_stripe_event(gateway: PaymentGateway, event: Event) -> str:
    """Apply a verified event once: its id is stored in the same transaction as its effect."""
    if event.type not in SESSION_EVENTS and event.type != REFUND_EVENT:
        return "ignored"
    if await StripeEvent.exists().where(StripeEvent.event_id == event.id):
        return "duplicate"  # the common replay costs one read and no write
    if event.type == REFUND_EVENT:
        payment_intent, refunded = (
            event.object.get("payment_intent"),
            event.object.get("amount_refunded"),
        )
        if not isinstance(payment_intent, str) or not isinstance(refunded, int):
            return "ignored"
        order_id = await order_paid_by(payment_intent)
        async with atomic():
            if not await _record(event, order_id):
                return "duplicate"
            if order_id is not None:
                await apply_refund(order_id, refunded, fully=event.object.get("refunded") is True)
        return "applied"

    order = await _order_for_event(event.object)
    if order is None or order.stripe_session_id is None:
        return "ignored"  # a session this store did not create
    session = await gateway.retrieve_checkout_session(order.stripe_session_id)
    async with atomic():
        if not await _record(event, order.id):
            return "duplicate"
        await _apply_session(order, session, failed=event.type.endswith("async_payment_failed"))
    return "applied"


async def _record(event: Event, order_id: int | None) -> bool:
    rows = (
        await StripeEvent.insert(StripeEvent(event_id=event.id, type=event.type, order_id=order_id))
        .on_conflict(target=StripeEvent.event_id, action="DO NOTHING")
        .returning(StripeEvent.id)
    )
    return bool(rows)


async def _order_for_event(obj: Mapping[str, Any]) -> OrderView | None:
    """The order behind an event's session, adopting the session if a crash lost its id."""
    session = session_from(obj)
    order = await order_for_session(session.id)
    if order is not None:
        return order
    return await adopt_session(session)


async def adopt_session(session: CheckoutSession) -> OrderView | None:
    """Give a session back to the order its metadata names, if that order lost it (a crash)."""
    order_id = session.metadata.get("order_id", "")
    token = session.metadata.get("checkout_token", "")
    if not order_id.isascii() or not order_id.isdigit() or not token:
        return None
    adopted = (
        await Order.update({Order.stripe_session_id: session.id, Order.updated_at: utcnow()})
        .where(
            (Order.id == int(order_id))
            & (Order.checkout_token == token)
            & Order.stripe_session_id.is_null()
        )
        .returning(Order.id)
    )
    return await order_by_id(int(order_id)) if adopted else None


async def _apply_session(
    order: OrderView, session: CheckoutSession, *, failed: bool = False
) -> None:
    if session.id != order.stripe_session_id:
        logger.error("session %s does not belong to order %s", session.id, order.id)
        return
    if failed:
        # The buyer's email, so they hear that nothing was charged (a delayed method failed).
        email = {Order.buyer_email: session.customer_email} if session.customer_email else None
        await take("fail", order.id, email)
    elif session.status == "expired":
        await take("expire", order.id)
    elif session.status == "complete" and session.payment_status == "unpaid":
        await take("process", order.id)
    elif session.status == "complete":
        await _apply_payment(order, session)


async def _apply_payment(order: OrderView, session: CheckoutSession) -> None:
    charged = {
        Order.payment_intent_id: session.payment_intent,
        Order.livemode: session.livemode,
        Order.paid_cents: session.amount_total,
        Order.paid_currency: session.currency,
        Order.buyer_email: session.customer_email,
        **_ship_to(session.shipping),
    }
    if reason := _mismatch(order, session):
        if await take("flag", order.id, {**charged, Order.review_reason: reason}):
            logger.error("order %s needs review: %s (session %s)", order.id, reason, session.id)
        return
    if await take("pay", order.id, {Order.paid_at: utcnow(), **charged}):
        return
    # Flagged from one closed status at a time, so the reason names the one the order was in.
    for closed in CLOSED:
        reason = f"Paid after the order was {closed.value}."
        flagged = {**charged, Order.review_reason: reason}
        if await take("flag", order.id, flagged, only_from=closed):
            logger.error("order %s needs review: %s (session %s)", order.id, reason, session.id)
            return


def _mismatch(order: OrderView, session: CheckoutSession) -> str | None:
    """Why Stripe's figures are not the order's (products, shipping, total, currency), or None."""
    currency = session.currency or order.currency
    if session.currency != order.currency:
        return f"Stripe charged in {currency.upper()}; the order is in {order.currency.upper()}."
    differing = [
        (what, stripes, ours)
        for what, stripes, ours in (
            ("in all", session.amount_total, order.total_cents),
            ("for the products", session.amount_subtotal, order.subtotal_cents),
            ("for shipping", session.amount_shipping, order.shipping_cents),
        )
        if stripes != ours
    ]
    if not differing:
        return None
    charged = _listed(
        f"{'nothing' if stripes is None else format_money(stripes, currency)} {what}"
        for what, stripes, _ in differing
    )
    if len(differing) == 1:
        return f"Stripe charged {charged}; the order is {format_money(differing[0][2], currency)}."
    # Every figure that differs, so a wrong shipping cost is named even when the total is too.
    expected = _listed(f"{format_money(ours, currency)} {what}" for what, _, ours in differing)
    return f"Stripe charged {charged}; the order is {expected}."


def _listed(parts: Iterable[str]) -> str:
    *rest, last = parts
    return f"{', '.join(rest)} and {last}" if rest else last


def _ship_to(address: ShippingAddress | None) -> dict[Any, object]:
    if address is None:
        return {}
    return {
        Order.ship_name: address.name,
        Order.ship_line1: address.line1,
        Order.ship_line2: address.line2,
        Order.ship_city: address.city,
        Order.ship_state: address.state,
        Order.ship_postal_code: address.postal_code,
        Order.ship_country: address.country,
    }
