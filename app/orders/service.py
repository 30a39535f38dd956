"""place_order: check the form and the rate, store the order, then open one Checkout Session."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.catalog.cart import prices_seen_in, read_cart
from app.catalog.service import DISPLAY_TTL_SECONDS, list_products, prices_changed_since
from app.catalog.shipping import shipping_for
from app.catalog.stock import hold
from app.db import atomic, utcnow
from app.live.notices import announce
from app.log_context import about_order
from app.orders.cancellation import expire_at_stripe, make_room
from app.orders.lifecycle import CLOSED, take
from app.orders.queries import OrderView, order_by_id
from app.orders.refusals import (
    PRICES_CHANGED,
    TOO_FEW_LEFT,
    CartChanged,
    CheckoutClosed,
    CheckoutStillPreparing,
    InvalidCart,
)
from app.orders.tables import Order, OrderLine, OrderStatus, StockState
from app.orders.throttle import BuyLimiter
from app.orders.tokens import CheckoutTokens
from app.payments.gateway import (
    LineItem,
    PaymentGateway,
    PaymentServiceUnavailable,
    ShippingOffer,
)

TOKEN_FIELD = "checkout_token"  # noqa: S105 - a form field name, not a secret
# Stripe's shortest allowed; measured from its own clock when the request lands, so leave the
# request a minute to get there (the library's retries included).
SESSION_LIFETIME = timedelta(minutes=31)
# How long a resubmitted form waits for the first submission to get its session.
_TWIN_WAIT_SECONDS = 15.0
_TWIN_POLL_SECONDS = 0.1


# A form's token is minted as it is rendered, with prices at most this old (the display cache,
# and the token's whole seconds).
_SHOWN_MARGIN = timedelta(seconds=DISPLAY_TTL_SECONDS + 1)


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    order_id: int
    url: str


@dataclass(frozen=True, slots=True)
class AlreadyPaid:
    order: OrderView


@dataclass(frozen=True, slots=True)
class CheckoutTerms:
    """What every Checkout Session is opened with: where Stripe sends the buyer, where it ships."""

    success: str
    cancel: str
    ship_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuyRules:
    """What a Buy passes before anything is stored: its form's token, then its address's rate."""

    tokens: CheckoutTokens
    limiter: BuyLimiter


async def place_order(
    gateway: PaymentGateway,
    terms: CheckoutTerms,
    rules: BuyRules,
    visitor_id: str,
    address: str,
    fields: Iterable[tuple[str, str]],
) -> CheckoutStarted | AlreadyPaid:
    """A refused token (CheckoutClosed), rate (TooManyBuys) or cart (InvalidCart) stores
    nothing and asks Stripe nothing."""
    pairs = list(fields)
    token = next((value for name, value in pairs if name == TOKEN_FIELD), "")
    if not rules.tokens.valid(token, visitor_id):
        raise CheckoutClosed("missing, forged, foreign or stale checkout token")
    await rules.limiter.admit(address)
    # The prices the form says it showed; a form without them was shown no later than its token.
    shown = prices_seen_in(pairs) or (
        datetime.fromtimestamp(rules.tokens.issued(token), UTC) - _SHOWN_MARGIN
    )
    order_id, created = await _store_order(token, visitor_id, pairs, shown)
    if created:
        return await _open_session(gateway, terms, order_id, token, visitor_id)
    return await _follow_twin(order_id, visitor_id)


async def _store_order(
    token: str, visitor_id: str, pairs: list[tuple[str, str]], shown: datetime
) -> tuple[int, bool]:
    """One transaction: prices read now, the order, its lines and its stock held; a known token
    stores nothing, a price changed since `shown` or a product short stores nothing either."""
    async with atomic():
        cart = read_cart(await list_products(), pairs, lower=True)
        if not cart.valid:
            raise InvalidCart(cart)
        if cart.lowered:
            raise CartChanged(TOO_FEW_LEFT)
        if cart.empty:
            raise InvalidCart(cart, "Your cart is empty: choose at least one product.")
        bought = {sku: n for sku, n in cart.quantities().items() if n}
        if await prices_changed_since(bought, shown):
            raise CartChanged(PRICES_CHANGED)
        inserted = (
            await Order.insert(
                Order(
                    visitor_id=visitor_id,
                    checkout_token=token,
                    link_token=secrets.token_urlsafe(24),  # the order's own link (links.py)
                    currency=cart.currency,
                    # The rate for these prices, read in this transaction: what Stripe will charge.
                    subtotal_cents=cart.items_cents,
                    shipping_cents=cart.shipping_cents,
                    total_cents=cart.total_cents,
                    stock=StockState.HELD.value,
                )
            )
            .on_conflict(target=Order.checkout_token, action="DO NOTHING")
            .returning(Order.id, Order.visitor_id)
        )
        await announce(inserted)
        if inserted:
            order_id: int = inserted[0]["id"]
            about_order(order_id)
            await OrderLine.insert(
                *(
                    OrderLine(
                        order=order_id,
                        sku=line.product.sku,
                        name=line.product.name,
                        unit_price_cents=line.product.price_cents,
                        quantity=line.quantity,
                    )
                    for line in cart.lines
                    if line.quantity
                )
            )
            if await hold(bought):  # too few left: the order and any hold roll back
                raise CartChanged(TOO_FEW_LEFT)
            return order_id, True
    existing = await Order.select(Order.id).where(Order.checkout_token == token).first()
    assert existing is not None, "a token that conflicted must exist"
    return existing["id"], False


async def _open_session(
    gateway: PaymentGateway, terms: CheckoutTerms, order_id: int, token: str, visitor_id: str
) -> CheckoutStarted:
    order = await order_by_id(order_id)
    assert order is not None
    try:
        # Before asking for a session, so this visitor's payable sessions stay within the limit.
        await make_room(gateway, visitor_id, order.id)
        session = await gateway.create_checkout_session(
            order_id=order.id,
            order_token=token,
            lines=[
                LineItem(line.name, line.unit_price_cents, line.quantity) for line in order.lines
            ],
            currency=order.currency,
            success_url=terms.success,
            cancel_url=terms.cancel,
            expires_at=int((utcnow() + SESSION_LIFETIME).timestamp()),
            # Stable for this order, so the library's own retries can never open a second session.
            idempotency_key=f"checkout-{token}",
            shipping=_shipping_offer(order),
            ship_to=terms.ship_to,
        )
    except PaymentServiceUnavailable:
        await take("give_up", order.id)
        raise
    if not session.url:
        raise PaymentServiceUnavailable("Stripe returned a session without a url")
    stored = (
        await Order.update(
            {
                Order.stripe_session_id: session.id,
                Order.stripe_session_url: session.url,
                Order.updated_at: utcnow(),
            }
        )
        .where((Order.id == order.id) & Order.stripe_session_id.is_null())
        .returning(Order.status)
    )
    if stored and stored[0]["status"] != OrderStatus.PENDING.value:
        # A newer Buy of this visitor closed the order while Stripe was opening its session.
        await expire_at_stripe(gateway, session.id)
        raise CheckoutClosed(stored[0]["status"])
    return CheckoutStarted(order_id=order.id, url=session.url)


def _shipping_offer(order: OrderView) -> ShippingOffer:
    """The rate the order was placed with: its amount as stored, its name and estimate."""
    rate = shipping_for(order.subtotal_cents)
    return ShippingOffer(
        name=rate.name if rate.amount_cents == order.shipping_cents else "Shipping",
        amount=order.shipping_cents,
        min_business_days=rate.min_business_days,
        max_business_days=rate.max_business_days,
    )


async def _follow_twin(order_id: int, visitor_id: str) -> CheckoutStarted | AlreadyPaid:
    """A resubmitted form goes where the first submission went, never to a new session."""
    for _ in range(int(_TWIN_WAIT_SECONDS / _TWIN_POLL_SECONDS)):
        order = await order_by_id(order_id)
        if order is None or order.visitor_id != visitor_id:
            raise CheckoutClosed("this checkout belongs to another visitor")
        if order.status is OrderStatus.PENDING and order.stripe_session_url:
            return CheckoutStarted(order_id=order.id, url=order.stripe_session_url)
        if order.status in CLOSED:
            raise CheckoutClosed(order.status.value)
        if order.status is not OrderStatus.PENDING:
            return AlreadyPaid(order)
        await asyncio.sleep(_TWIN_POLL_SECONDS)
    raise CheckoutStillPreparing(order_id)
